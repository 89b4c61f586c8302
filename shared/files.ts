/**
 * File transfer and the remote file browser travel on a data channel of their
 * own (`FILES_CHANNEL`), so a saturating transfer never queues in front of
 * shell output, and each side paces it with its own window. Framing is
 * shared/frames.ts: JSON `FileMessage`s, and binary chunks whose stream id is
 * the transfer id and whose bytes start with the chunk's offset (f64 LE).
 *
 * The handshake is the tools channel's: the agent sends `hello` when its end
 * opens and answers every `hello`; the console repeats its `hello` until the
 * agent answers and sends requests only after that.
 *
 * Paths. Every request names a root (an id from `fs:roots`, e.g. the user's
 * home folder) and a path relative to it, '/'-separated. Absolute paths, `.`
 * and `..` segments, empty segments and NUL are refused before any file
 * system call (`checkRelativePath`); the agent also refuses anything whose
 * real path leaves the root (symlinks) and anything that is not a regular
 * file or a folder (devices, sockets, FIFOs).
 *
 * Upload (console -> agent):
 *   console: upload:start {transfer, root, path, size, resume, overwrite}
 *   agent:   result {offset}: where to go on (0, or the length of the partial
 *            file a resumed transfer left behind)
 *   console: chunks from `offset`, never more than FILE_WINDOW_BYTES beyond
 *            the last `upload:ack`
 *   agent:   upload:ack {transfer, offset} once bytes are written, at least
 *            every FILE_ACK_BYTES and at the end
 *   console: upload:finish {transfer, sha256} after the last byte
 *   agent:   result {sha256} once the hash matched and the file took its name;
 *            ERR_CHECKSUM (partial kept aside, named in the message) if not
 *
 * Download (agent -> console):
 *   console: download:start {transfer, root, path, offset}
 *   agent:   result {name, size, kind}: a folder comes as one tar stream,
 *            generated the same way every time, so it can resume too
 *   agent:   chunks from `offset`, never more than FILE_WINDOW_BYTES beyond
 *            the console's last `download:ack`
 *   agent:   download:done {transfer, sha256} after the last chunk (the hash
 *            of the whole stream, including bytes before `offset`)
 *
 * Either side may cancel a transfer; the agent reports a failure mid-way
 * (consent taken back, disk full) with `transfer:error`. After the peer
 * connection drops, the console starts each unfinished transfer again with
 * `resume` / `offset` and goes on from the last acknowledged byte.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { encodeJsonFrames, FRAME_BINARY, FrameDecoder } from './frames.js';
import { LIMITS } from './limits.js';

/** Pre-negotiated on both sides with this SCTP stream id (the tools channel has 1000). */
export const FILES_CHANNEL = { label: 'lifeline-files', id: 1001 } as const;

/** Chunk header: kind (1), transfer id (4), offset (8). */
export const CHUNK_HEADER_BYTES = 13;
/** File bytes per chunk message. */
export const CHUNK_BYTES = LIMITS.channelMessageBytes - CHUNK_HEADER_BYTES;
/** Bytes a sender may have in flight beyond the receiver's last acknowledgement. */
export const FILE_WINDOW_BYTES = 8 * 1024 * 1024;
/** A receiver acknowledges at least this often. */
export const FILE_ACK_BYTES = 1024 * 1024;
/** Entries one `fs:list` returns at most; a longer folder comes back `truncated`. */
export const MAX_LIST_ENTRIES = 10_000;
/** Suffix of a partial upload, next to its destination: `.name.lifeline-part`. */
export const PARTIAL_SUFFIX = '.lifeline-part';
/** Suffix a partial upload is renamed to when its hash did not match. */
export const MISMATCH_SUFFIX = '.lifeline-mismatch';

const transferId = z.number().int().min(0).max(0xffff_ffff);
const requestId = z.number().int();
const rootId = z.string().min(1).max(64);
/** Relative path as sent; `checkRelativePath` does the real checking. */
const relPath = z.string().max(4096);
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const FileRoot = z.object({ id: rootId, label: z.string().max(256) });
export type FileRoot = z.infer<typeof FileRoot>;

export const FileEntry = z.object({
  /** Shown as text, never interpreted. */
  name: z.string().max(1024),
  kind: z.enum(['file', 'dir', 'link', 'other']),
  size: byteCount,
  mtimeMs: z.number(),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const Listing = z.object({ root: rootId, path: relPath, entries: z.array(FileEntry).max(MAX_LIST_ENTRIES), truncated: z.boolean() });
export type Listing = z.infer<typeof Listing>;

export const UploadStarted = z.object({ offset: byteCount });
export const UploadFinished = z.object({ sha256: sha256Hex });
export const DownloadStarted = z.object({ name: z.string().max(1024), size: byteCount, kind: z.enum(['file', 'tar']) });
export type DownloadStarted = z.infer<typeof DownloadStarted>;

export const FileMessage = z.discriminatedUnion('t', [
  // both ways: the channel handshake
  z.object({ t: z.literal('hello') }),
  // console -> agent requests, answered by `result`
  z.object({ t: z.literal('fs:roots'), id: requestId }),
  z.object({ t: z.literal('fs:list'), id: requestId, root: rootId, path: relPath }),
  z.object({ t: z.literal('fs:mkdir'), id: requestId, root: rootId, path: relPath }),
  z.object({ t: z.literal('fs:rename'), id: requestId, root: rootId, from: relPath, to: relPath }),
  /** Folders are deleted with everything in them. */
  z.object({ t: z.literal('fs:delete'), id: requestId, root: rootId, path: relPath }),
  z.object({
    t: z.literal('upload:start'), id: requestId, transfer: transferId, root: rootId, path: relPath, size: byteCount,
    /** Go on from a partial file this transfer left behind (after a dropped connection). */
    resume: z.boolean(),
    /** Replace an existing file of that name. */
    overwrite: z.boolean(),
  }),
  z.object({ t: z.literal('upload:finish'), id: requestId, transfer: transferId, sha256: sha256Hex }),
  z.object({ t: z.literal('download:start'), id: requestId, transfer: transferId, root: rootId, path: relPath, offset: byteCount }),
  /** The console has written everything before `offset`. */
  z.object({ t: z.literal('download:ack'), transfer: transferId, offset: byteCount }),
  /** Either direction: stop this transfer; an upload's partial file is deleted. */
  z.object({ t: z.literal('transfer:cancel'), transfer: transferId }),
  // agent -> console
  z.discriminatedUnion('ok', [
    z.object({ t: z.literal('result'), id: requestId, ok: z.literal(true), value: z.unknown() }),
    z.object({ t: z.literal('result'), id: requestId, ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string().max(2048) }),
  ]),
  /** The agent has written everything before `offset`. */
  z.object({ t: z.literal('upload:ack'), transfer: transferId, offset: byteCount }),
  z.object({ t: z.literal('download:done'), transfer: transferId, sha256: sha256Hex }),
  z.object({ t: z.literal('transfer:error'), transfer: transferId, code: z.enum(ERROR_CODES), message: z.string().max(2048) }),
]);
export type FileMessage = z.infer<typeof FileMessage>;

export function encodeFileMessage(msg: FileMessage): Uint8Array[] {
  return encodeJsonFrames(msg);
}

/** One chunk of a transfer; `bytes` must not exceed CHUNK_BYTES. */
export function encodeChunk(transfer: number, offset: number, bytes: Uint8Array): Uint8Array {
  if (bytes.length > CHUNK_BYTES) throw new Error(`a chunk carries at most ${CHUNK_BYTES} bytes`);
  const msg = new Uint8Array(CHUNK_HEADER_BYTES + bytes.length);
  const v = new DataView(msg.buffer);
  v.setUint8(0, FRAME_BINARY);
  v.setUint32(1, transfer, true);
  v.setFloat64(5, offset, true);
  msg.set(bytes, CHUNK_HEADER_BYTES);
  return msg;
}

export type DecodedFile =
  | { kind: 'message'; msg: FileMessage }
  | { kind: 'chunk'; transfer: number; offset: number; bytes: Uint8Array }
  | { kind: 'invalid'; reason: string };

/** Parses files-channel messages. Never throws. One instance per channel direction. */
export class FileDecoder {
  private readonly frames = new FrameDecoder(FileMessage, 'files');

  decode(buf: Uint8Array): DecodedFile | null {
    const r = this.frames.decode(buf);
    if (r?.kind !== 'binary') return r;
    if (r.data.length < 8) return { kind: 'invalid', reason: 'file chunk truncated' };
    const offset = new DataView(r.data.buffer, r.data.byteOffset, 8).getFloat64(0, true);
    if (!Number.isSafeInteger(offset) || offset < 0) return { kind: 'invalid', reason: 'file chunk offset is not a byte count' };
    return { kind: 'chunk', transfer: r.stream, offset, bytes: r.data.subarray(8) };
  }
}

/**
 * Null when `path` is an acceptable path relative to a root ('' is the root
 * itself); otherwise why not, in a sentence. Both sides check: the console to
 * say so at once, the agent because it never trusts the console.
 */
export function checkRelativePath(path: string): string | null {
  if (path === '') return null;
  if (path.includes('\0')) return 'A path cannot contain a NUL character.';
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\')) return `"${path}" is an absolute path; paths are relative to the folder you browse.`;
  for (const seg of path.split('/')) {
    if (seg === '..') return `"${path}" climbs out of its folder with "..".`;
    if (seg === '' || seg === '.') return `"${path}" has an empty or "." part.`;
  }
  return null;
}

/** `dir` and `name` joined as a relative path. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** The folder part of a relative path ('' for the root). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** A single file or folder name: no '/', not '.', '..' or empty. */
export function checkName(name: string): string | null {
  if (name === '' || name === '.' || name === '..') return 'A name cannot be empty, "." or "..".';
  if (name.includes('/') || name.includes('\0')) return 'A name cannot contain "/" or NUL.';
  if (new TextEncoder().encode(name).length > 255) return 'That name is longer than 255 bytes.';
  return null;
}
