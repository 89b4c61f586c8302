/** What uploads and downloads share with the host that runs them. */
import { LifelineError } from '../../../shared/errors.js';
import type { FileMessage } from '../../../shared/files.js';
import type { ChannelPacer } from '../tools/pacer.js';
import { fsError, type FileRoots } from './paths.js';

/** Running transfers per direction; more are refused with ERR_RATE_LIMITED. */
export const MAX_TRANSFERS = 4;

export interface Owner {
  uid: number;
  gid: number;
}

export interface TransferContext {
  roots: FileRoots;
  /** Sends a message that fits one frame, at once; never throws. Nothing goes out once the host is disposed. */
  send(msg: FileMessage): void;
  /** Sends an encoded chunk at once; never throws. */
  sendFrame(frame: Uint8Array): void;
  pacer: ChannelPacer;
  /** Why files may not be transferred now (a sentence to send), or null when they may. */
  refusal(): LifelineError | null;
  log(msg: string): void;
  owner?: Owner;
  /** True while the screen has a frame on its way. */
  screenBusy(): boolean;
}

export interface Transfer {
  readonly id: number;
  readonly direction: 'upload' | 'download';
  /** The console cancelled it. */
  cancel(): void;
  /** Ends it with `transfer:error` (once it has started; before, the start's result says why). */
  fail(error: LifelineError): void;
  /** Ends it without a word to the console; resolves once its files are closed. */
  stop(): Promise<void>;
}

/** Called once when a transfer ends, with the promise of its files being closed. */
export type OnEnd = (closed: Promise<void>) => void;

/** An error as something to tell the console: a file system error in a sentence, anything else logged and reported as ERR_INTERNAL. */
export function failure(e: unknown, what: string, log: (msg: string) => void): LifelineError {
  const f = fsError(e, what);
  if (f instanceof LifelineError) return f;
  log(`file transfer failed: ${f instanceof Error ? (f.stack ?? f.message) : String(f)}`);
  return new LifelineError('ERR_INTERNAL');
}
