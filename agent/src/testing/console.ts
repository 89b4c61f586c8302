/**
 * The console's side of the data channel, for tests: reassembles and paints
 * rectangles on an RGBA canvas (copies included, in order, as the real
 * painter does), keeps control messages and cursor shapes, and can ack each
 * frame once painted.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { decodeChannelMessage, RectAssembler, ZPAL_TRAILER, zpalLayout, type ControlMessage, type CursorShape, type RectHeader } from '../../../shared/channel.js';

export class TestConsole {
  canvas: Buffer;
  width: number;
  height: number;
  readonly frames: { frame: number; rects: RectHeader[] }[] = [];
  readonly controls: ControlMessage[] = [];
  readonly cursors: CursorShape[] = [];
  readonly messages: Uint8Array[] = [];
  /** Called once a frame is painted, as the console acks it. */
  onPainted: (frame: number) => void = () => {};
  private readonly assembler = new RectAssembler();
  private current: RectHeader[] = [];
  private painting = Promise.resolve();
  /** zpal's zlib stream, started by a rect flagged resetStream. */
  private inflater: zlib.Inflate | null = null;

  constructor(width = 0, height = 0) {
    this.width = width;
    this.height = height;
    this.canvas = Buffer.alloc(width * height * 4);
  }

  receive = (msg: Uint8Array) => {
    this.messages.push(msg);
    const decoded = decodeChannelMessage(msg);
    if (decoded.kind === 'invalid') throw new Error(`invalid message: ${decoded.reason}`);
    if (decoded.kind === 'controls') {
      this.controls.push(...decoded.msgs);
      return;
    }
    if (decoded.kind === 'cursor') {
      this.cursors.push(decoded.cursor);
      return;
    }
    if (decoded.kind === 'control') {
      const m = decoded.msg;
      this.controls.push(m);
      if (m.t === 'screen') this.painting = this.painting.then(() => this.resize(m.width, m.height));
      return;
    }
    const rect = this.assembler.push(decoded.fragment);
    if (!rect) return;
    this.current.push(rect.header);
    this.painting = this.painting.then(() => this.paint(rect.header, rect.data));
    if (rect.header.endOfFrame) {
      const frame = rect.header.frame;
      this.frames.push({ frame, rects: this.current });
      this.current = [];
      this.painting = this.painting.then(() => this.onPainted(frame));
    }
  };

  /** Resolves once everything received so far is painted. */
  painted(): Promise<void> {
    return this.painting;
  }

  /** Control messages of one kind, in arrival order. */
  sent<T extends ControlMessage['t']>(t: T): Extract<ControlMessage, { t: T }>[] {
    return this.controls.filter((m): m is Extract<ControlMessage, { t: T }> => m.t === t);
  }

  bytes(): number {
    return this.messages.reduce((n, m) => n + m.length, 0);
  }

  private resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.canvas = Buffer.alloc(width * height * 4);
  }

  private async paint(h: RectHeader, data: Uint8Array): Promise<void> {
    let rgba: Buffer;
    if (h.encoding === 'copy') {
      const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
      rgba = this.read(v.getUint16(0, true), v.getUint16(2, true), h.w, h.h);
    } else if (h.encoding === 'solid') {
      rgba = Buffer.alloc(h.w * h.h * 4);
      for (let i = 0; i < h.w * h.h; i++) rgba.set(data, i * 4);
    } else if (h.encoding === 'zpal') {
      rgba = await this.zpal(h, data);
    } else {
      rgba = await sharp(data).ensureAlpha().raw().toBuffer();
    }
    for (let y = 0; y < h.h; y++) rgba.copy(this.canvas, ((h.y + y) * this.width + h.x) * 4, y * h.w * 4, (y + 1) * h.w * 4);
  }

  private async zpal(h: RectHeader, data: Uint8Array): Promise<Buffer> {
    // Read only after the flush: a readable buffer that could fill would stall it.
    if (h.resetStream) this.inflater = zlib.createInflate({ readableHighWaterMark: 1 << 30 } as zlib.ZlibOptions);
    const inflater = this.inflater;
    if (!inflater) throw new Error('zpal rect before its stream started');
    const raw = await new Promise<Buffer>((resolve) => {
      inflater.write(data);
      inflater.write(ZPAL_TRAILER);
      inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const chunks: Buffer[] = [];
        for (let c: Buffer | null; (c = inflater.read() as Buffer | null) !== null; ) chunks.push(c);
        resolve(Buffer.concat(chunks));
      });
    });
    const colours = raw[0]! + 1;
    const { bits, paletteBytes, rowBytes } = zpalLayout(h.w, colours);
    if (raw.length !== 1 + paletteBytes + rowBytes * h.h) throw new Error(`zpal rect inflated to ${raw.length} bytes`);
    const rgba = Buffer.alloc(h.w * h.h * 4);
    for (let y = 0; y < h.h; y++) {
      for (let x = 0; x < h.w; x++) {
        const bit = x * bits;
        const index = (raw[1 + paletteBytes + y * rowBytes + (bit >> 3)]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
        if (index >= colours) throw new Error(`zpal index ${index} outside a palette of ${colours}`);
        raw.copy(rgba, (y * h.w + x) * 4, 1 + index * 3, 4 + index * 3);
        rgba[(y * h.w + x) * 4 + 3] = 255;
      }
    }
    return rgba;
  }

  /** A copy of a region (source and destination of a copy may overlap). */
  private read(x: number, y: number, w: number, h: number): Buffer {
    const out = Buffer.alloc(w * h * 4);
    for (let row = 0; row < h; row++) this.canvas.copy(out, row * w * 4, ((y + row) * this.width + x) * 4, ((y + row) * this.width + x + w) * 4);
    return out;
  }
}
