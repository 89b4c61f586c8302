/**
 * The console's end of zpal (see shared/channel.ts): one inflater per zlib
 * stream the agent starts, fed every zpal rect in arrival order, turning each
 * into RGBA pixels. Runs in the decode worker, or on the main thread once the
 * worker has failed.
 */
import { MAX_SCREEN_SIDE, ZPAL_TRAILER, zpalLayout } from '../../../../shared/channel.js';

export interface ZpalRect {
  w: number;
  h: number;
  /** The rect starts a new stream (FLAG_RESET_STREAM). */
  reset: boolean;
}

/** Thrown when the stream is unusable until the agent starts a new one. */
export class ZpalStreamError extends Error {
  readonly streamLost = true;
}

const NO_STREAM = 'a zpal rect arrived with no stream started (its first rect was lost)';
/**
 * Everything a rect's bytes inflate to is due as soon as they are written (the
 * agent flushed after it). A rect that inflates to less than its header says
 * would otherwise wait for ever, and every rect behind it.
 */
const STALL_MS = 5000;

export class ZpalDecoder {
  private writer: WritableStreamDefaultWriter<BufferSource> | null = null;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private broken: string | null = NO_STREAM;

  constructor(private readonly stallMs = STALL_MS) {}

  /** Decodes one rect after every rect given before it; resolves to its RGBA pixels. */
  decode(data: Uint8Array<ArrayBuffer>, rect: ZpalRect): Promise<Uint8ClampedArray<ArrayBuffer>> {
    // The reset takes its turn too: rects of the old stream still queued decode against the old inflater.
    const result = this.tail.then(() => {
      if (rect.reset) this.start();
      return this.inflateRect(data, rect);
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    this.stop(NO_STREAM);
  }

  private start(): void {
    this.stop(null);
    const ds = new DecompressionStream('deflate');
    const writer = ds.writable.getWriter();
    // Failures surface through the reader; the writer's own rejections would be unhandled.
    writer.closed.catch(() => undefined);
    this.writer = writer;
    this.reader = ds.readable.getReader();
  }

  private stop(reason: string | null): void {
    this.writer?.abort().catch(() => undefined);
    this.reader?.cancel().catch(() => undefined);
    this.writer = null;
    this.reader = null;
    this.broken = reason;
  }

  private async inflateRect(data: Uint8Array<ArrayBuffer>, { w, h }: ZpalRect): Promise<Uint8ClampedArray<ArrayBuffer>> {
    const { writer, reader } = this;
    if (this.broken !== null || !writer || !reader) throw new ZpalStreamError(this.broken ?? NO_STREAM);
    try {
      void writer.write(data).catch(() => undefined);
      // The agent leaves out the trailer every sync flush ends in.
      void writer.write(ZPAL_TRAILER.slice()).catch(() => undefined);
      if (w > MAX_SCREEN_SIDE || h > MAX_SCREEN_SIDE) throw new Error(`a ${w}x${h} zpal rect is larger than any screen`);
      const chunks: Uint8Array[] = [];
      let have = 0;
      let need = Infinity;
      for (;;) {
        if (need === Infinity && have > 0) {
          const colours = (chunks[0]![0]! as number) + 1;
          const { paletteBytes, rowBytes } = zpalLayout(w, colours);
          need = 1 + paletteBytes + rowBytes * h;
        }
        if (have >= need) break;
        const { value, done } = await readWithin(reader, this.stallMs);
        if (done) throw new Error('the zlib stream ended');
        chunks.push(value);
        have += value.length;
        // A rect inflating past its size is broken: no need to read the rest of it.
        if (have > need) break;
      }
      const inflated = concat(chunks, have);
      if (have > need) throw new Error(`a zpal rect inflated to ${have} bytes, not ${need}`);
      return expand(inflated, w, h);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      // Only the stream this rect belonged to is broken; a newer one may have started meanwhile.
      if (this.reader === reader) this.stop(`the zlib stream failed: ${reason}`);
      throw new ZpalStreamError(`cannot inflate a zpal rect: ${reason}`);
    }
  }
}

function readWithin<T>(reader: ReadableStreamDefaultReader<T>, ms: number): Promise<ReadableStreamReadResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a zpal rect inflated to fewer bytes than its size within ${ms} ms`)), ms);
  });
  return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Palette + packed indices (already checked to be exactly the right length) -> RGBA. */
export function expand(inflated: Uint8Array, w: number, h: number): Uint8ClampedArray<ArrayBuffer> {
  const colours = inflated[0]! + 1;
  const { bits, paletteBytes, rowBytes } = zpalLayout(w, colours);
  const palette = new Uint32Array(256);
  for (let i = 0; i < colours; i++) {
    const p = 1 + i * 3;
    palette[i] = (0xff000000 | (inflated[p + 2]! << 16) | (inflated[p + 1]! << 8) | inflated[p]!) >>> 0;
  }
  const out = new Uint8ClampedArray(w * h * 4);
  const px = new Uint32Array(out.buffer);
  const rows = 1 + paletteBytes;
  const mask = (1 << bits) - 1;
  const perByte = 8 / bits;
  for (let y = 0; y < h; y++) {
    let i = rows + y * rowBytes;
    let o = y * w;
    const end = o + w;
    if (bits === 8) {
      while (o < end) px[o++] = palette[inflated[i++]!]!;
      continue;
    }
    while (o < end) {
      const byte = inflated[i++]!;
      for (let k = perByte - 1; k >= 0 && o < end; k--) px[o++] = palette[(byte >>> (k * bits)) & mask]!;
    }
  }
  return out;
}
