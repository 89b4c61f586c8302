/**
 * The agent's end of the files data channel (protocol: shared/files.ts):
 * the remote file browser, uploads and downloads. Every request is checked
 * against the technician's grant and the user's consent when it arrives
 * (`allowed`), and again for every chunk of a running transfer; `revoked`
 * ends the transfers at once. Paths are confined to the roots (paths.ts).
 * Nothing the console sends can make `receive` throw.
 */
import { ERROR_MESSAGES, isLifelineError, LifelineError, toWireError, type ErrorCode } from '../../../shared/errors.js';
import { encodeFileMessage, FileDecoder, type FileMessage } from '../../../shared/files.js';
import { requestIdOf } from '../../../shared/frames.js';
import { TOOL_LABELS } from '../../../shared/permissions.js';
import { ChannelPacer, type ToolsChannel } from '../tools/pacer.js';
import { list, mkdir, remove, rename } from './browse.js';
import { Download } from './download.js';
import { FileRoots, type FileRootConfig } from './paths.js';
import { MAX_TRANSFERS, type Owner, type Transfer, type TransferContext } from './transfer.js';
import { Upload } from './upload.js';

export { defaultFileRoots, type FileRootConfig } from './paths.js';
export { MAX_TRANSFERS } from './transfer.js';

export interface FilesHostOptions {
  channel: ToolsChannel;
  /** Null when the technician has the 'files' grant and the user consented; otherwise why not (ERR_PERMISSION, ERR_CONSENT). Asked on every request and chunk. */
  allowed: () => ErrorCode | null;
  roots: FileRootConfig[];
  log: (msg: string) => void;
  /** When set (the agent runs as root, the files belong to the desktop user): whom every file and folder the host creates is given to. */
  owner?: Owner;
  /** True while the screen has a frame on its way: downloads hold their chunks back briefly, so the frame goes first. */
  screenBusy?: () => boolean;
}

type Request = Extract<FileMessage, { id: number }>;

/** Longest error message the console's decoder accepts. */
const MAX_MESSAGE_CHARS = 2048;

/** Bytes the files channel may have queued before a transfer waits. */
export const FILES_CHANNEL_BACKLOG = 256 * 1024;

export class FilesHost {
  private readonly decoder = new FileDecoder();
  private readonly pacer: ChannelPacer;
  private readonly ctx: TransferContext;
  /** Transfers from their start request until they end. */
  private readonly transfers = new Map<number, Transfer>();
  /** Ended transfers whose files are still being closed. */
  private readonly closing = new Set<Promise<void>>();
  private disposed = false;
  private disposing: Promise<void> | null = null;
  /** The last transfer a stray chunk was logged for: a cancelled upload's chunks still in flight are logged once. */
  private strayTransfer = -1;

  constructor(private readonly opts: FilesHostOptions) {
    // The files channel shares the connection with the screen and input: what it has queued, a screen
    // update waits behind, so its backlog is kept small (loopback throughput does not need more).
    this.pacer = new ChannelPacer(opts.channel, opts.log, FILES_CHANNEL_BACKLOG);
    this.ctx = {
      roots: new FileRoots(opts.roots),
      send: (msg) => {
        for (const frame of encodeFileMessage(clipMessage(msg))) this.sendFrame(frame);
      },
      sendFrame: (frame) => this.sendFrame(frame),
      pacer: this.pacer,
      refusal: () => this.refusal(),
      log: opts.log,
      owner: opts.owner,
      screenBusy: opts.screenBusy ?? (() => false),
    };
  }

  /** Announces this end of the channel (on open); see the handshake in shared/files.ts. */
  hello(): void {
    this.ctx.send({ t: 'hello' });
  }

  /** One message from the console. Never throws. */
  receive(buf: Uint8Array): void {
    if (this.disposed) return;
    try {
      const decoded = this.decoder.decode(buf);
      if (!decoded) return;
      if (decoded.kind === 'invalid') this.refuseInvalid(buf, decoded.reason);
      else if (decoded.kind === 'chunk') this.chunk(decoded.transfer, decoded.offset, decoded.bytes);
      else this.handle(decoded.msg);
    } catch (e) {
      this.opts.log(`files message failed: ${describe(e)}`);
    }
  }

  /** Permissions or consent changed: every running transfer no longer allowed ends with `transfer:error`. */
  revoked(): void {
    const refusal = this.refusal();
    if (!refusal) return;
    for (const transfer of [...this.transfers.values()]) transfer.fail(refusal);
  }

  /** The peer is gone: stops every transfer and resolves once their files are closed (partial uploads stay on disk to be resumed). Idempotent. */
  dispose(): Promise<void> {
    if (!this.disposing) {
      this.disposed = true;
      for (const transfer of [...this.transfers.values()]) void transfer.stop();
      this.disposing = Promise.all([...this.closing]).then(() => this.pacer.dispose());
    }
    return this.disposing;
  }

  private handle(msg: FileMessage): void {
    switch (msg.t) {
      case 'hello':
        // The console's end may have opened after our hello was sent: answer each one.
        this.hello();
        return;
      case 'fs:roots':
        void this.answer(msg, () => this.allowedThen(() => this.ctx.roots.list()));
        return;
      case 'fs:list':
        void this.answer(msg, () => this.allowedThen(() => list(this.ctx.roots, msg.root, msg.path)));
        return;
      case 'fs:mkdir':
        void this.answer(msg, () => this.allowedThen(() => mkdir(this.ctx.roots, msg.root, msg.path, this.opts.owner)));
        return;
      case 'fs:rename':
        void this.answer(msg, () => this.allowedThen(() => rename(this.ctx.roots, msg.root, msg.from, msg.to)));
        return;
      case 'fs:delete':
        void this.answer(msg, () => this.allowedThen(() => remove(this.ctx.roots, msg.root, msg.path)));
        return;
      case 'upload:start':
        void this.answer(msg, () => this.admit(msg.transfer, 'upload', (onEnd) => new Upload(this.ctx, msg.transfer, onEnd)).start(msg));
        return;
      case 'upload:finish':
        void this.answer(msg, () => {
          const upload = this.transfers.get(msg.transfer);
          if (!(upload instanceof Upload)) throw new LifelineError('ERR_NOT_FOUND', `Upload ${msg.transfer} is not running.`);
          // Checks consent itself, and ends the upload when it is gone.
          return upload.finish(msg.sha256);
        });
        return;
      case 'download:start': {
        let download: Download | null = null;
        void this.answer(msg, () => {
          download = this.admit(msg.transfer, 'download', (onEnd) => new Download(this.ctx, msg.transfer, onEnd));
          return download.start(msg);
        }, () => download?.run());
        return;
      }
      case 'download:ack': {
        const download = this.transfers.get(msg.transfer);
        // Acks of a download that just ended are normal: ignored quietly.
        if (download instanceof Download) download.ack(msg.offset);
        return;
      }
      case 'transfer:cancel': {
        const transfer = this.transfers.get(msg.transfer);
        if (transfer) transfer.cancel();
        else this.opts.log(`ignored a cancel of transfer ${msg.transfer}, which is not running`);
        return;
      }
      case 'result':
      case 'upload:ack':
      case 'download:done':
      case 'transfer:error':
        this.opts.log(`ignored ${msg.t} from the console: only the agent sends it`);
        return;
    }
  }

  private chunk(transfer: number, offset: number, bytes: Uint8Array): void {
    const upload = this.transfers.get(transfer);
    if (upload instanceof Upload) return upload.chunk(offset, bytes);
    if (this.strayTransfer !== transfer) this.opts.log(`dropped chunks of transfer ${transfer}, which is not a running upload`);
    this.strayTransfer = transfer;
  }

  /** Registers a new transfer, after checking the grant, its id and the limit per direction. */
  private admit<T extends Transfer>(id: number, direction: Transfer['direction'], create: (onEnd: (closed: Promise<void>) => void) => T): T {
    this.require();
    if (this.transfers.has(id)) throw new LifelineError('ERR_BAD_MESSAGE', `Transfer ${id} is already running.`);
    let running = 0;
    for (const t of this.transfers.values()) if (t.direction === direction) running++;
    if (running >= MAX_TRANSFERS) throw new LifelineError('ERR_RATE_LIMITED', `At most ${MAX_TRANSFERS} ${direction}s can run at once. Wait for one to finish.`);
    const transfer = create((closed) => {
      if (this.transfers.get(id) === transfer) this.transfers.delete(id);
      this.closing.add(closed);
      void closed.finally(() => this.closing.delete(closed));
    });
    this.transfers.set(id, transfer);
    return transfer;
  }

  private refusal(): LifelineError | null {
    const why = this.opts.allowed();
    if (!why) return null;
    const message = why === 'ERR_CONSENT' ? `The user has not allowed you to ${TOOL_LABELS.files}.`
      : why === 'ERR_PERMISSION' ? `You are not allowed to ${TOOL_LABELS.files}.`
      : ERROR_MESSAGES[why];
    return new LifelineError(why, message);
  }

  private require(): void {
    const refusal = this.refusal();
    if (refusal) throw refusal;
  }

  private allowedThen<T>(work: () => T): T {
    this.require();
    return work();
  }

  /** Answers a request with what `work` returns or the error it throws; then `after`, on success. */
  private async answer(req: Request, work: () => unknown, after?: () => void): Promise<void> {
    let reply: FileMessage;
    let ok = false;
    try {
      reply = { t: 'result', id: req.id, ok: true, value: (await work()) ?? null };
      ok = true;
    } catch (e) {
      if (!isLifelineError(e)) this.opts.log(`${req.t} failed: ${describe(e)}`);
      reply = { t: 'result', id: req.id, ok: false, ...toWireError(e) };
    }
    try {
      await this.sendResult(reply);
      if (ok) after?.();
    } catch (e) {
      this.opts.log(`answering ${req.t} failed: ${describe(e)}`);
    }
  }

  /** A result in one piece goes at once; the parts of a large one (a long listing) wait while the channel is backlogged. */
  private async sendResult(msg: FileMessage): Promise<void> {
    const parts = encodeFileMessage(clipMessage(msg));
    for (const part of parts) {
      if (parts.length > 1 && this.pacer.backlogged()) await this.pacer.drained();
      if (this.disposed) return;
      this.sendFrame(part);
    }
  }

  private sendFrame(frame: Uint8Array): void {
    if (this.disposed) return;
    try {
      this.opts.channel.send(frame);
    } catch (e) {
      this.opts.log(`could not send on the files channel: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A message the decoder rejected: answered with ERR_BAD_MESSAGE when it is a request with a readable id, logged otherwise. */
  private refuseInvalid(buf: Uint8Array, reason: string): void {
    const id = requestIdOf(buf);
    if (id === null) {
      this.opts.log(`dropped a files message: ${reason}`);
      return;
    }
    void this.sendResult({ t: 'result', id, ok: false, code: 'ERR_BAD_MESSAGE', message: `The request could not be understood: ${reason}.` });
  }
}

/** Error messages name paths, which are cut short already; this keeps any message within what the console's decoder accepts. */
function clipMessage(msg: FileMessage): FileMessage {
  if ('message' in msg && msg.message.length > MAX_MESSAGE_CHARS) return { ...msg, message: `${msg.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` };
  return msg;
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
