import { describe, expect, it } from 'vitest';
import {
  ControlMessage, FLAG_END_OF_FRAME, FLAG_FRAGMENT, KIND_CONTROL, KIND_RECT, MAX_FRAGMENT_PAYLOAD, PROTOCOL_VERSION, RectAssembler,
  KIND_CONTROLS, KIND_INPUT, decodeChannelMessage, encodeControl, encodeControls, encodeRect, helloProblem, type RectFragment,
} from './channel.js';
import { LIMITS } from './limits.js';

const RECT = { encoding: 'png', frame: 7, x: 10, y: 20, w: 300, h: 200 } as const;

/** Deterministic bytes, so a misplaced fragment shows up as a content mismatch. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Index of the first differing byte, or -1; deep equality on 100 KiB arrays is needlessly slow. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function fragmentOf(msg: Uint8Array): RectFragment {
  const d = decodeChannelMessage(msg);
  if (d.kind !== 'rect') throw new Error(`expected a rect fragment, got ${JSON.stringify(d)}`);
  return d.fragment;
}

function reassemble(messages: Uint8Array[]) {
  const asm = new RectAssembler();
  const results = messages.map((m) => asm.push(fragmentOf(m)));
  // Only the last fragment completes the rectangle.
  expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
  const done = results.at(-1);
  if (!done) throw new Error('the last fragment did not complete the rect');
  return done;
}

function varint(v: number): number[] {
  const out: number[] = [];
  for (; v >= 0x80; v = Math.floor(v / 0x80)) out.push((v % 0x80) | 0x80);
  return [...out, v];
}

/** A rect message with chosen header fields, for feeding the decoder bad values; total or offset make it a fragment. */
function rawRect(fields: { w?: number; h?: number; total?: number; offset?: number; encoding?: number; flags?: number }, payload = 4): Uint8Array {
  const fragment = fields.total !== undefined || fields.offset !== undefined;
  const head = [KIND_RECT, (fields.flags ?? 0) | (fragment ? FLAG_FRAGMENT : 0) | (fields.encoding ?? 1)];
  for (const v of [1, 0, 0, fields.w ?? 4, fields.h ?? 4]) head.push(...varint(v));
  if (fragment) head.push(...varint(fields.total ?? payload), ...varint(fields.offset ?? 0));
  const msg = new Uint8Array(head.length + payload);
  msg.set(head);
  return msg;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const control = (json: string) => new Uint8Array([KIND_CONTROL, ...bytes(json)]);

describe('encodeRect', () => {
  it('splits a large rectangle so that no message exceeds the channel limit', () => {
    const data = pattern(3 * MAX_FRAGMENT_PAYLOAD + 17);
    const messages = encodeRect(RECT, data, true);
    expect(messages).toHaveLength(4);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(LIMITS.channelMessageBytes);
    // Fragments carry as much as the largest header leaves room for, so the count is minimal.
    expect(messages.slice(0, -1).every((m) => m.length > LIMITS.channelMessageBytes - 16)).toBe(true);
  });

  it('fragments reassemble into exactly the original bytes and header', () => {
    const data = pattern(2 * MAX_FRAGMENT_PAYLOAD + 1234);
    const { header, data: out } = reassemble(encodeRect(RECT, data, true));
    expect(firstDifference(out, data)).toBe(-1);
    expect(header).toMatchObject({ ...RECT, total: data.length, offset: 0, endOfFrame: true });
  });

  it('a payload that is an exact multiple of the fragment size has no empty trailing fragment', () => {
    const data = pattern(2 * MAX_FRAGMENT_PAYLOAD, 5);
    const messages = encodeRect(RECT, data, true);
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(LIMITS.channelMessageBytes);
    expect(firstDifference(reassemble(messages).data, data)).toBe(-1);
  });

  it('a 1-byte payload travels as one message and reassembles', () => {
    const data = new Uint8Array([0xab]);
    const messages = encodeRect({ ...RECT, encoding: 'solid' }, data, true);
    expect(messages).toHaveLength(1);
    // kind, flags+encoding, frame 7, x 10, y 20, w 300 (2 bytes), h 200 (2 bytes): no total or offset.
    expect(messages[0]!.length).toBe(9 + 1);
    const { header, data: out } = reassemble(messages);
    expect(out).toEqual(data);
    expect(header.encoding).toBe('solid');
  });

  it('marks end-of-frame on the last fragment only', () => {
    const messages = encodeRect(RECT, pattern(2 * MAX_FRAGMENT_PAYLOAD + 1), true);
    expect(messages.map((m) => fragmentOf(m).endOfFrame)).toEqual([false, false, true]);
    expect(messages.map((m) => (m[1]! & FLAG_END_OF_FRAME) !== 0)).toEqual([false, false, true]);
  });

  it('marks no fragment end-of-frame when the rectangle is not the frame\'s last', () => {
    const messages = encodeRect(RECT, pattern(MAX_FRAGMENT_PAYLOAD + 1), false);
    expect(messages.map((m) => fragmentOf(m).endOfFrame)).toEqual([false, false]);
    expect(reassemble(messages).header.endOfFrame).toBe(false);
  });

  it('every fragment repeats the header with its own byte offset', () => {
    const data = pattern(2 * MAX_FRAGMENT_PAYLOAD + 9);
    const frags = encodeRect({ ...RECT, frame: 0xfffffff0 }, data, true).map(fragmentOf);
    expect(frags.map((f) => f.offset)).toEqual([0, MAX_FRAGMENT_PAYLOAD, 2 * MAX_FRAGMENT_PAYLOAD]);
    for (const f of frags) expect(f).toMatchObject({ encoding: 'png', frame: 0xfffffff0, x: 10, y: 20, w: 300, h: 200, total: data.length });
  });
});

describe('RectAssembler', () => {
  const twoRects = () => ({
    a: encodeRect(RECT, pattern(2 * MAX_FRAGMENT_PAYLOAD + 3, 1), true).map(fragmentOf),
    b: encodeRect({ ...RECT, frame: 8 }, pattern(MAX_FRAGMENT_PAYLOAD + 5, 2), true).map(fragmentOf),
  });

  it('throws on a fragment that arrives before its predecessor', () => {
    const { a } = twoRects();
    const asm = new RectAssembler();
    expect(() => asm.push(a[1]!)).toThrow(/out of order/);
  });

  it('throws when a fragment is skipped', () => {
    const { a } = twoRects();
    const asm = new RectAssembler();
    asm.push(a[0]!);
    expect(() => asm.push(a[2]!)).toThrow(/out of order/);
  });

  it('throws on a continuation fragment that belongs to another rectangle', () => {
    const { a, b } = twoRects();
    const asm = new RectAssembler();
    asm.push(a[0]!);
    expect(() => asm.push(b[1]!)).toThrow(/out of order/);
  });

  it('recovers with the next rectangle after an out-of-order fragment', () => {
    const { a, b } = twoRects();
    const asm = new RectAssembler();
    asm.push(a[0]!);
    expect(() => asm.push(a[2]!)).toThrow();
    expect(asm.push(b[0]!)).toBeNull();
    expect(asm.push(b[1]!)?.header.frame).toBe(8);
  });

  it('a new first fragment abandons an unfinished rectangle', () => {
    const { a, b } = twoRects();
    const asm = new RectAssembler();
    asm.push(a[0]!);
    asm.push(b[0]!);
    const done = asm.push(b[1]!);
    expect(done && firstDifference(done.data, pattern(MAX_FRAGMENT_PAYLOAD + 5, 2))).toBe(-1);
  });
});

describe('decodeChannelMessage', () => {
  const invalid = (buf: Uint8Array) => {
    const d = decodeChannelMessage(buf);
    expect(d.kind).toBe('invalid');
    return d.kind === 'invalid' ? d.reason : '';
  };

  it('reports an empty message as invalid', () => {
    expect(invalid(new Uint8Array(0))).toMatch(/empty/);
  });

  it('reports an unknown kind byte as invalid', () => {
    expect(invalid(new Uint8Array([0x7f, 1, 2, 3]))).toMatch(/unknown message kind 127/);
  });

  it('reports a truncated rect header as invalid', () => {
    expect(invalid(new Uint8Array([KIND_RECT]))).toMatch(/truncated/);
    expect(invalid(new Uint8Array([KIND_RECT, 1, 0, 0, 1]))).toMatch(/truncated/);
    expect(invalid(new Uint8Array([KIND_RECT, 1, 1, 0, 0, 4, 0x84]))).toMatch(/truncated/);
    expect(invalid(rawRect({ total: 4, offset: 0 }, 0).subarray(0, 8))).toMatch(/truncated/);
  });

  it('reports a header number over 32 bits, a coordinate over 65535 or an unknown flag as invalid', () => {
    expect(invalid(new Uint8Array([KIND_RECT, 1, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 4, 4, 9]))).toMatch(/too large/);
    expect(invalid(new Uint8Array([KIND_RECT, 1, 1, 0, 0, ...varint(65536), 4, 9]))).toMatch(/out of range/);
    expect(invalid(rawRect({ flags: 0x80 }))).toMatch(/flags/);
  });

  it('reports an unknown rect encoding as invalid', () => {
    expect(invalid(rawRect({ encoding: 9 }))).toMatch(/encoding/);
    expect(invalid(rawRect({ encoding: 0 }))).toMatch(/encoding/);
  });

  it('reports a control message that is not JSON as invalid', () => {
    expect(invalid(control('{"t":'))).toMatch(/not JSON/);
    expect(invalid(new Uint8Array([KIND_CONTROL]))).toMatch(/not JSON/);
  });

  it('reports a control message that violates the schema as invalid', () => {
    for (const json of ['{"t":"pointer","x":-1,"y":0}', '{"t":"launch-missiles"}', '{"t":"key","keysym":"a","down":true}', '[]', 'null', '42']) {
      expect(invalid(control(json)), json).toMatch(/schema/);
    }
  });

  it('reports a message over the channel limit as invalid', () => {
    const big = new Uint8Array(LIMITS.channelMessageBytes + 1);
    big[0] = KIND_CONTROL;
    expect(invalid(big)).toMatch(/too large/);
  });

  it('accepts a fragment of exactly the channel limit', () => {
    const d = decodeChannelMessage(rawRect({}, MAX_FRAGMENT_PAYLOAD));
    expect(d.kind).toBe('rect');
  });

  it('reports a rect of zero width or height as invalid', () => {
    expect(invalid(rawRect({ w: 0 }))).toMatch(/empty rect/);
    expect(invalid(rawRect({ h: 0 }))).toMatch(/empty rect/);
  });

  it('reports a fragment that runs past its rect\'s total as invalid', () => {
    expect(invalid(rawRect({ total: 3 }, 4))).toMatch(/overruns/);
    expect(invalid(rawRect({ total: 10, offset: 8 }, 4))).toMatch(/overruns/);
  });

  it('reads a message that is a view into a larger buffer', () => {
    const msg = encodeRect(RECT, pattern(10), true)[0]!;
    const host = new Uint8Array(msg.length + 13);
    host.set(msg, 5);
    const f = fragmentOf(host.subarray(5, 5 + msg.length));
    expect(f).toMatchObject({ ...RECT, total: 10, offset: 0 });
    expect(f.payload).toEqual(pattern(10));
  });

  it('never throws on random bytes', () => {
    const asm = new RectAssembler();
    for (let i = 0; i < 2000; i++) {
      const buf = pattern(i % 64, i);
      // Half the inputs get a valid kind byte so both decoding paths see garbage.
      if (i % 2 === 0 && buf.length) buf[0] = i % 4 === 0 ? KIND_CONTROL : KIND_RECT;
      const d = decodeChannelMessage(buf);
      if (d.kind === 'invalid') expect(d.reason.length).toBeGreaterThan(0);
      // A decoded fragment is always safe to hand to the assembler, which only throws its own ordering error.
      if (d.kind === 'rect') {
        try {
          asm.push(d.fragment);
        } catch (e) {
          expect(String(e)).toMatch(/out of order/);
        }
      }
    }
  });
});

describe('encodeControl', () => {
  const examples: ControlMessage[] = [
    { t: 'ack', frame: 12 },
    { t: 'pointer', x: 0, y: 65535 },
    { t: 'button', button: 3, down: true },
    { t: 'wheel', dx: -100, dy: 100 },
    { t: 'key', keysym: 0x010020ac, down: false },
    { t: 'release-all' },
    { t: 'refresh' },
    { t: 'quality', mode: 'grey' },
    { t: 'monitor', id: 'all' },
    { t: 'clipboard', selection: 'primary', text: 'copied — ünïcode' },
    { t: 'screen', width: 1920, height: 1080 },
    {
      t: 'monitors',
      monitors: [{ id: 'DP-1', name: 'Dell', x: 0, y: 0, width: 2560, height: 1440, primary: true }],
      selected: 'DP-1',
    },
    { t: 'cursor-pos', x: -3, y: 40, serial: 9, visible: true },
    { t: 'quality-changed', mode: 'auto', effective: 'jpeg', jpegQuality: 70 },
    { t: 'consent', view: true, control: false },
    { t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed this.' },
    { t: 'hello', version: PROTOCOL_VERSION },
  ];

  it('the examples cover every control message kind', () => {
    const kinds = ControlMessage.options.map((o) => o.shape.t.value);
    expect(examples.map((m) => m.t).sort()).toEqual([...kinds].sort());
  });

  it.each(examples.map((m) => [m.t, m] as const))('round-trips a %s message', (_t, msg) => {
    const encoded = encodeControl(msg);
    expect(encoded[0]).toBe(KIND_CONTROL);
    expect(decodeChannelMessage(encoded)).toEqual({ kind: 'control', msg });
  });

  it('round-trips non-ASCII text in an error message', () => {
    const msg: ControlMessage = { t: 'error', code: 'ERR_INTERNAL', message: 'Grüße — €5 😀' };
    expect(decodeChannelMessage(encodeControl(msg))).toEqual({ kind: 'control', msg });
  });
});

describe('hostile rect sizes', () => {
  it('a rect claiming far more bytes than its area could need is invalid, so the console never allocates it', () => {
    const msg = rawRect({ w: 1, h: 1, total: 0xffffffff, offset: 0 });
    const decoded = decodeChannelMessage(msg);
    expect(decoded.kind).toBe('invalid');
  });
  it('a full-screen rect of realistic size still decodes', () => {
    const msg = encodeRect({ encoding: 'png', frame: 1, x: 0, y: 0, w: 1920, h: 1080 }, new Uint8Array(300_000), true)[0]!;
    expect(decodeChannelMessage(msg).kind).toBe('rect');
  });
});

describe('controls batches', () => {
  it('several control messages travel as one message and come out in order', () => {
    const msgs: ControlMessage[] = [{ t: 'ack', frame: 9, heldMs: 30 }, { t: 'key', keysym: 0x61, down: true }, { t: 'key', keysym: 0x61, down: false }];
    expect(decodeChannelMessage(encodeControls(msgs))).toEqual({ kind: 'controls', msgs });
  });

  it('one control message is sent as a plain control message', () => {
    expect(decodeChannelMessage(encodeControls([{ t: 'refresh' }]))).toEqual({ kind: 'control', msg: { t: 'refresh' } });
  });

  it('a batch with a message that does not match the schema is invalid as a whole', () => {
    const bad = encodeControls([{ t: 'refresh' }, { t: 'quality', mode: 'ultra' } as unknown as ControlMessage]);
    expect(decodeChannelMessage(bad)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/array of 2 to/) });
  });
});

describe('binary input', () => {
  const all: ControlMessage[] = [
    { t: 'pointer', x: 65535, y: 0 },
    { t: 'button', button: 3, down: true },
    { t: 'button', button: 3, down: false },
    { t: 'wheel', dx: -100, dy: 100 },
    { t: 'key', keysym: 0x1ffffff, down: true },
    { t: 'key', keysym: 0x61, down: false },
    { t: 'ack', frame: 0xfffffffe, heldMs: 60_000 },
    { t: 'ack', frame: 1 },
    { t: 'release-all' },
  ];

  it('input and acks travel in binary and come out as they went in, in order', () => {
    const buf = encodeControls(all);
    expect(buf[0]).toBe(KIND_INPUT);
    expect(decodeChannelMessage(buf)).toEqual({ kind: 'controls', msgs: all });
  });

  it('a key pressed and released with the ack before it is 6 bytes: a tap and a varint ack', () => {
    const msgs: ControlMessage[] = [{ t: 'ack', frame: 12, heldMs: 40 }, { t: 'key', keysym: 0x61, down: true }, { t: 'key', keysym: 0x61, down: false }];
    const buf = encodeControls(msgs);
    expect(buf).toHaveLength(6);
    expect(decodeChannelMessage(buf)).toEqual({ kind: 'controls', msgs });
  });

  it('only a down followed by the up of the same key becomes a tap', () => {
    const msgs: ControlMessage[] = [
      { t: 'key', keysym: 0x61, down: true }, { t: 'key', keysym: 0x62, down: false },
      { t: 'key', keysym: 0x63, down: false }, { t: 'key', keysym: 0x63, down: true },
      { t: 'key', keysym: 0xffe1, down: true }, { t: 'key', keysym: 0x41, down: true }, { t: 'key', keysym: 0x41, down: false }, { t: 'key', keysym: 0xffe1, down: false },
    ];
    expect(decodeChannelMessage(encodeControls(msgs))).toEqual({ kind: 'controls', msgs });
  });

  it('more taps than a batch holds make the message invalid', () => {
    const taps = new Uint8Array(1 + 2 * (33));
    taps[0] = KIND_INPUT;
    for (let i = 0; i < 33; i++) taps.set([7, 0x61], 1 + i * 2);
    expect(decodeChannelMessage(taps)).toMatchObject({ kind: 'invalid' });
  });

  it('a batch with anything but input goes as JSON', () => {
    const msgs: ControlMessage[] = [{ t: 'key', keysym: 0x61, down: true }, { t: 'refresh' }];
    const buf = encodeControls(msgs);
    expect(buf[0]).toBe(KIND_CONTROLS);
    expect(decodeChannelMessage(buf)).toEqual({ kind: 'controls', msgs });
  });

  it('a truncated record, an unknown tag or a value the schema refuses makes the message invalid', () => {
    const buf = encodeControls([{ t: 'pointer', x: 1, y: 2 }]);
    expect(decodeChannelMessage(buf.subarray(0, 4))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/truncated or unknown/) });
    expect(decodeChannelMessage(Uint8Array.of(KIND_INPUT, 99))).toMatchObject({ kind: 'invalid' });
    expect(decodeChannelMessage(Uint8Array.of(KIND_INPUT))).toMatchObject({ kind: 'invalid' });
    expect(decodeChannelMessage(Uint8Array.of(KIND_INPUT, 3, 0x80))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/valid input records/) });
    // A varint that never ends, and a keysym the schema refuses.
    expect(decodeChannelMessage(Uint8Array.of(KIND_INPUT, 5, 0x80, 0x80))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/truncated or unknown/) });
    expect(decodeChannelMessage(Uint8Array.of(KIND_INPUT, 7, 0xff, 0xff, 0xff, 0x7f))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/valid input records/) });
  });
});

describe('zpal rects', () => {
  it('carry the stream-reset flag through fragments and reassembly', () => {
    const data = new Uint8Array(MAX_FRAGMENT_PAYLOAD + 10).fill(3);
    const msgs = encodeRect({ encoding: 'zpal', frame: 2, x: 1, y: 2, w: 300, h: 400, resetStream: true }, data, true);
    const fragments = msgs.map((m) => decodeChannelMessage(m));
    expect(fragments.every((f) => f.kind === 'rect' && f.fragment.encoding === 'zpal' && f.fragment.resetStream)).toBe(true);
    const plain = decodeChannelMessage(encodeRect({ encoding: 'zpal', frame: 3, x: 0, y: 0, w: 1, h: 1 }, data.subarray(0, 5), true)[0]!);
    expect(plain).toMatchObject({ kind: 'rect', fragment: { resetStream: false, endOfFrame: true } });
  });
});

describe('hello', () => {
  it('a hello of this version is no problem', () => {
    expect(helloProblem(decodeChannelMessage(encodeControl({ t: 'hello', version: PROTOCOL_VERSION })), 'agent')).toBeNull();
  });

  it('another version, or a first message that is not a hello (a peer from before hellos), is a problem that names both versions', () => {
    const other = helloProblem(decodeChannelMessage(encodeControl({ t: 'hello', version: PROTOCOL_VERSION + 1 })), 'agent');
    expect(other).toMatch(new RegExp(`agent speaks screen protocol version ${PROTOCOL_VERSION + 1}; this console speaks version ${PROTOCOL_VERSION}`));
    const old = helloProblem(decodeChannelMessage(encodeControl({ t: 'consent', view: true, control: true })), 'agent');
    expect(old).toMatch(/older screen protocol than version \d+ \(it sent no hello\)/);
    expect(helloProblem(decodeChannelMessage(Uint8Array.of(KIND_INPUT, 1, 2, 3, 4, 5)), 'console')).toMatch(/^The console speaks an older/);
  });
});
