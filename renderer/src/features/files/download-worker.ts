/**
 * Writes downloads into the Origin Private File System with synchronous
 * access handles (only a dedicated worker may have them) and hashes every
 * byte it writes, in order, so the main thread never holds a file. Commands
 * run one after another, in the order they were posted. Only the protocol in
 * download-protocol.ts; see download-store.ts for the layout.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import type { DownloadWorkerCommand, DownloadWorkerReply, DownloadWorkerRequest } from './download-protocol.js';

/** The part of FileSystemSyncAccessHandle used here (the DOM typings have it only for workers). */
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

interface WorkerScope {
  addEventListener(type: 'message', listener: (e: MessageEvent<DownloadWorkerRequest>) => void): void;
  postMessage(message: DownloadWorkerReply): void;
}

interface Open {
  handle: SyncAccessHandle;
  hash: ReturnType<typeof sha256.create>;
  written: number;
  closed: boolean;
}

const TOP = 'lifeline-downloads';
const lockName = (run: string) => `lifeline-downloads:${run}`;

const scope = self as unknown as WorkerScope;
const files = new Map<number, Open>();
let runDir: Promise<FileSystemDirectoryHandle> | null = null;
let queue: Promise<void> = Promise.resolve();

const fileName = (transfer: number) => `${transfer}.part`;

async function init(run: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const top = await root.getDirectoryHandle(TOP, { create: true });
  const locks = navigator.locks as LockManager | undefined;
  if (locks) {
    // Held while this worker lives: another page sees the run is alive and leaves its folder alone.
    await new Promise<void>((granted) => {
      void locks.request(lockName(run), () => {
        granted();
        return new Promise<void>(() => undefined);
      });
    });
  }
  const mine = await top.getDirectoryHandle(run, { create: true });
  if (locks) void removeAbandoned(top, run, locks);
  return mine;
}

/** Deletes the folders of runs whose page is gone (their lock is not held). */
async function removeAbandoned(top: FileSystemDirectoryHandle, run: string, locks: LockManager): Promise<void> {
  try {
    const { held = [] } = await locks.query();
    const alive = new Set(held.map((l) => l.name));
    const names: string[] = [];
    for await (const name of (top as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    for (const name of names) {
      if (name === run || alive.has(lockName(name))) continue;
      await top.removeEntry(name, { recursive: true }).catch(() => undefined);
    }
  } catch {
    // Clean-up is best effort; the next page tries again.
  }
}

function dir(): Promise<FileSystemDirectoryHandle> {
  if (!runDir) throw new Error('the download writer was not initialised');
  return runDir;
}

function opened(transfer: number): Open {
  const o = files.get(transfer);
  if (!o || o.closed) throw new Error(`download ${transfer} is not open`);
  return o;
}

async function run(cmd: DownloadWorkerCommand): Promise<unknown> {
  switch (cmd.t) {
    case 'init':
      runDir = init(cmd.run);
      await runDir;
      return null;
    case 'open': {
      const old = files.get(cmd.transfer);
      if (old && !old.closed) old.handle.close();
      const fh = await (await dir()).getFileHandle(fileName(cmd.transfer), { create: true });
      const handle = (await (fh as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle());
      handle.truncate(0);
      files.set(cmd.transfer, { handle, hash: sha256.create(), written: 0, closed: false });
      return null;
    }
    case 'write': {
      const o = opened(cmd.transfer);
      if (cmd.offset !== o.written) throw new Error(`a write at ${cmd.offset} does not follow the ${o.written} bytes written`);
      const bytes = new Uint8Array(cmd.bytes);
      const n = o.handle.write(bytes, { at: cmd.offset });
      if (n !== bytes.length) throw new Error('the browser storage took only part of a write (is the disk full?)');
      o.hash.update(bytes);
      o.written += n;
      return o.written;
    }
    case 'finish': {
      const o = opened(cmd.transfer);
      o.handle.flush();
      o.handle.close();
      o.closed = true;
      return { sha256: bytesToHex(o.hash.digest()), size: o.written };
    }
    case 'file': {
      const fh = await (await dir()).getFileHandle(fileName(cmd.transfer));
      return await fh.getFile();
    }
    case 'remove': {
      const o = files.get(cmd.transfer);
      files.delete(cmd.transfer);
      if (o && !o.closed) o.handle.close();
      try {
        await (await dir()).removeEntry(fileName(cmd.transfer));
      } catch (e) {
        if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
      }
      return null;
    }
  }
}

scope.addEventListener('message', ({ data: { seq, cmd } }) => {
  queue = queue.then(
    () => run(cmd).then(
      (value) => scope.postMessage({ seq, ok: true, value }),
      (e: unknown) => scope.postMessage({ seq, ok: false, message: e instanceof Error ? e.message || e.name : String(e) }),
    ),
  );
});
