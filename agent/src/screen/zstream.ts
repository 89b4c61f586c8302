/**
 * One deflate stream for the life of a screen stream, flushed (Z_SYNC_FLUSH)
 * after every rectangle, as VNC's Tight encoding keeps its zlib streams: each
 * rectangle's bytes can be inflated as soon as they arrive, and later
 * rectangles refer back to what earlier ones sent (the same glyphs, the same
 * palette), which a fresh PNG per rectangle cannot. The console inflates with
 * one matching stream, so both ends must start a new one together: the first
 * rectangle of a stream carries the rect header's stream-reset flag.
 */
import zlib from 'node:zlib';
import { ZPAL_TRAILER } from '../../../shared/channel.js';

export interface Compressed {
  /** Without the flush's last 4 bytes, which are always ZPAL_TRAILER (the console puts them back). */
  data: Buffer;
  /** The first output of this stream: the console must start a new inflater for it. */
  reset: boolean;
}

// Repeated glyphs and rows make a middle level pay off, as with the palette PNG.
const LEVEL = 6;

export class DeflateStream {
  // Output is read only once a rect's flush completes: a readable buffer that
  // could fill would stall the flush behind it (stream options pass through, untyped).
  private readonly stream = zlib.createDeflate({ level: LEVEL, memLevel: 9, readableHighWaterMark: 1 << 30 } as zlib.ZlibOptions);
  private tail: Promise<unknown> = Promise.resolve();
  private started = false;
  private disposed = false;
  /** Rejects what is still compressing: a destroyed stream never calls back. */
  private readonly abandon = new Set<(e: Error) => void>();

  constructor() {
    this.stream.on('error', (e) => console.error('screen deflate stream failed:', e));
  }

  /** Compresses `data` after everything compressed before it; the result (and ZPAL_TRAILER) inflates on its own given the earlier ones. */
  compress(data: Uint8Array): Promise<Compressed> {
    const reset = !this.started;
    this.started = true;
    const result = this.tail.then(
      () =>
        new Promise<Compressed>((resolve, reject) => {
          if (this.disposed) return reject(new DisposedError());
          this.abandon.add(reject);
          this.stream.write(data);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.abandon.delete(reject);
            if (this.disposed) return reject(new DisposedError());
            const chunks: Buffer[] = [];
            for (let c: Buffer | null; (c = this.stream.read() as Buffer | null) !== null; ) chunks.push(c);
            const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            if (!ZPAL_TRAILER.every((b, i) => out[out.length - ZPAL_TRAILER.length + i] === b)) {
              return reject(new Error('a sync flush did not end in 00 00 ff ff'));
            }
            resolve({ data: out.subarray(0, out.length - ZPAL_TRAILER.length), reset });
          });
        }),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stream.destroy();
    for (const reject of this.abandon) reject(new DisposedError());
    this.abandon.clear();
  }
}

/** What compress() rejects with once the stream is replaced: expected, not a failure. */
export class DisposedError extends Error {
  constructor() {
    super('the deflate stream was replaced');
  }
}
