import { describe, expect, it, vi } from 'vitest';
import { decodeChannelMessage, encodeRect, type EncodingName, type RectFragment } from '../../../../shared/channel.js';
import { ScreenPainter, type PaintSurface } from './screen-painter.js';

class FakeBitmap {
  closed = false;
  constructor(readonly name: string) {}
  close() {
    this.closed = true;
  }
}

/** Decodes whose completion the test controls; the "image" bytes are its name. */
class FakeDecoder {
  readonly pending = new Map<string, { resolve(b: FakeBitmap): void; reject(e: Error): void }>();
  readonly made: FakeBitmap[] = [];
  decode(mime: string, data: Uint8Array): Promise<FakeBitmap> {
    const name = new TextDecoder().decode(data);
    expect(mime).toMatch(/^image\/(png|jpeg)$/);
    return new Promise((resolve, reject) => this.pending.set(name, { resolve, reject }));
  }
  finish(name: string) {
    const b = new FakeBitmap(name);
    this.made.push(b);
    this.pending.get(name)!.resolve(b);
    return flush();
  }
  fail(name: string) {
    this.pending.get(name)!.reject(new Error('corrupt'));
    return flush();
  }
}

const flush = () => new Promise<void>((r) => setTimeout(r, 0));

class RecordingSurface implements PaintSurface<FakeBitmap> {
  readonly ops: string[] = [];
  resize(w: number, h: number) {
    this.ops.push(`resize ${w}x${h}`);
  }
  drawBitmap(b: FakeBitmap, x: number, y: number) {
    expect(b.closed).toBe(false);
    this.ops.push(`draw ${b.name} @${x},${y}`);
  }
  fill(rgba: readonly number[], x: number, y: number, w: number, h: number) {
    this.ops.push(`fill ${rgba.join(',')} ${w}x${h}@${x},${y}`);
  }
  copy(sx: number, sy: number, x: number, y: number, w: number, h: number) {
    this.ops.push(`copy ${w}x${h} ${sx},${sy}->${x},${y}`);
  }
}

function setup() {
  const surface = new RecordingSurface();
  const decoder = new FakeDecoder();
  const acks: number[] = [];
  const log = { warn: vi.fn() };
  const painter = new ScreenPainter({ surface, decoder, onFrameDone: (f) => acks.push(f), log });
  // The agent announces its screen before any rect.
  painter.resize(1920, 1080);
  surface.ops.length = 0;
  const send = (encoding: EncodingName, frame: number, at: [number, number, number, number], data: Uint8Array | string, end = false) => {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const [x, y, w, h] = at;
    for (const msg of encodeRect({ encoding, frame, x, y, w, h }, bytes, end)) {
      const m = decodeChannelMessage(msg);
      if (m.kind !== 'rect') throw new Error(m.kind);
      painter.fragment(m.fragment as RectFragment);
    }
  };
  return { surface, decoder, acks, log, painter, send };
}

const copyFrom = (sx: number, sy: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint16(0, sx, true);
  new DataView(b.buffer).setUint16(2, sy, true);
  return b;
};

describe('ScreenPainter', () => {
  it('paints rects in arrival order however their decodes finish, and acks the frame once its last rect is painted', async () => {
    const { surface, decoder, acks, send } = setup();
    send('png', 1, [0, 0, 100, 100], 'big');
    send('solid', 1, [10, 10, 5, 5], new Uint8Array([255, 0, 0, 255]));
    send('jpeg', 1, [20, 20, 8, 8], 'small', true);
    await decoder.finish('small');
    expect(surface.ops).toEqual([]);
    expect(acks).toEqual([]);
    await decoder.finish('big');
    expect(surface.ops).toEqual(['draw big @0,0', 'fill 255,0,0,255 5x5@10,10', 'draw small @20,20']);
    expect(acks).toEqual([1]);
    expect(decoder.made.every((b) => b.closed)).toBe(true);
  });

  it('a copy rect reads the pixels the rects before it left: it waits for their decodes, and later rects wait for it', async () => {
    const { surface, decoder, acks, send } = setup();
    send('png', 4, [0, 0, 64, 64], 'text');
    send('copy', 4, [0, 100, 64, 32], copyFrom(0, 16));
    send('png', 4, [0, 132, 64, 16], 'new line', true);
    await decoder.finish('new line');
    expect(surface.ops).toEqual([]);
    await decoder.finish('text');
    expect(surface.ops).toEqual(['draw text @0,0', 'copy 64x32 0,16->0,100', 'draw new line @0,132']);
    expect(acks).toEqual([4]);
  });

  it('a frame of copies and fills alone paints and acks at once', () => {
    const { surface, acks, send } = setup();
    send('copy', 9, [300, 40, 500, 400], copyFrom(300, 60));
    send('solid', 9, [300, 440, 500, 20], new Uint8Array([1, 2, 3, 255]), true);
    expect(surface.ops).toEqual(['copy 500x400 300,60->300,40', 'fill 1,2,3,255 500x20@300,440']);
    expect(acks).toEqual([9]);
  });

  it('a resize waits for the rects before it and comes before the ones after it', async () => {
    const { surface, decoder, painter, send } = setup();
    send('png', 1, [0, 0, 10, 10], 'old', true);
    painter.resize(1280, 1024);
    expect(painter.remoteSize).toEqual({ width: 1280, height: 1024 });
    send('solid', 2, [0, 0, 1280, 1024], new Uint8Array([0, 0, 0, 255]), true);
    expect(surface.ops).toEqual([]);
    await decoder.finish('old');
    expect(surface.ops).toEqual(['draw old @0,0', 'resize 1280x1024', 'fill 0,0,0,255 1280x1024@0,0']);
  });

  it('a rect outside the announced screen is not decoded at all, and its frame is still acked', () => {
    const { surface, decoder, acks, log, send } = setup();
    send('zpal', 4, [1900, 0, 100, 10], 'too wide', true);
    expect(decoder.pending.size).toBe(0);
    expect(surface.ops).toEqual([]);
    expect(acks).toEqual([4]);
    expect(log.warn).toHaveBeenCalledWith(expect.stringMatching(/outside the 1920x1080 screen/));
  });

  it('a rect that fails to decode, or carries a bad payload, is skipped but its frame is still acked', async () => {
    const { surface, decoder, acks, log, send } = setup();
    send('png', 1, [0, 0, 10, 10], 'broken', true);
    await decoder.fail('broken');
    send('copy', 2, [0, 0, 10, 10], new Uint8Array(3), true);
    send('solid', 3, [0, 0, 10, 10], new Uint8Array(5), true);
    expect(surface.ops).toEqual([]);
    expect(acks).toEqual([1, 2, 3]);
    expect(log.warn).toHaveBeenCalledTimes(3);
  });

  it('a surface that throws does not stall the stream', () => {
    const { surface, acks, log, send } = setup();
    surface.copy = () => {
      throw new Error('detached');
    };
    send('copy', 5, [0, 0, 10, 10], copyFrom(1, 1), true);
    expect(acks).toEqual([5]);
    expect(log.warn).toHaveBeenCalledOnce();
  });

  it('frames of a previous peer are painted but not acked to the new one', async () => {
    const { surface, decoder, acks, painter, send } = setup();
    send('png', 7, [0, 0, 10, 10], 'before', true);
    painter.restart();
    send('solid', 1, [0, 0, 10, 10], new Uint8Array([9, 9, 9, 255]), true);
    await decoder.finish('before');
    expect(surface.ops).toEqual(['draw before @0,0', 'fill 9,9,9,255 10x10@0,0']);
    expect(acks).toEqual([1]);
    expect(painter.framesPainted).toBe(2);
  });

  it('reassembles a rect sent in several fragments', async () => {
    const { surface, decoder, send } = setup();
    const big = 'x'.repeat(150_000);
    send('png', 1, [0, 0, 500, 500], big, true);
    await decoder.finish(big);
    expect(surface.ops).toHaveLength(1);
  });

  it('after dispose nothing more is painted or acked, and late bitmaps are closed', async () => {
    const { surface, decoder, acks, painter, send } = setup();
    send('png', 1, [0, 0, 10, 10], 'late', true);
    send('png', 1, [0, 0, 10, 10], 'ready', true);
    await decoder.finish('ready');
    painter.dispose();
    await decoder.finish('late');
    send('solid', 2, [0, 0, 1, 1], new Uint8Array(4), true);
    expect(surface.ops).toEqual([]);
    expect(acks).toEqual([]);
    expect(decoder.made.map((b) => b.closed)).toEqual([true, true]);
  });
});
