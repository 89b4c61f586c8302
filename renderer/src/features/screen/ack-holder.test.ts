import { describe, expect, it } from 'vitest';
import type { ControlMessage } from '../../../../shared/channel.js';
import { AckHolder, HOLD_BELOW_BYTES, HOLD_MS } from './ack-holder.js';

function setup() {
  const sent: ControlMessage[] = [];
  let now = 1000;
  const timers = new Map<number, () => void>();
  let next = 1;
  const acks = new AckHolder({
    send: (m) => sent.push(m),
    now: () => now,
    setTimer: (cb) => (timers.set(next, cb), next++),
    clearTimer: (h) => timers.delete(h as number),
  });
  const advance = (ms: number) => {
    now += ms;
    if (ms < HOLD_MS) return;
    for (const [h, cb] of [...timers]) {
      timers.delete(h);
      cb();
    }
  };
  return { acks, sent, advance };
}

describe('AckHolder', () => {
  it('holds a small frame\'s ack until input goes, and says how long it held it', () => {
    const { acks, sent, advance } = setup();
    acks.frameDone(5, 200);
    expect(sent).toEqual([]);
    advance(40);
    acks.flush();
    expect(sent).toEqual([{ t: 'ack', frame: 5, heldMs: 40 }]);
    acks.flush();
    expect(sent).toHaveLength(1);
  });

  it('acks a big frame at once', () => {
    const { acks, sent } = setup();
    acks.frameDone(1, HOLD_BELOW_BYTES);
    expect(sent).toEqual([{ t: 'ack', frame: 1 }]);
  });

  it('never holds two: a second frame is acked at once, covering the first', () => {
    const { acks, sent, advance } = setup();
    acks.frameDone(1, 100);
    advance(5);
    acks.frameDone(2, 100);
    expect(sent).toEqual([{ t: 'ack', frame: 2 }]);
    advance(HOLD_MS);
    expect(sent).toHaveLength(1);
  });

  it('sends a held ack on its own when no input comes', () => {
    const { acks, sent, advance } = setup();
    acks.frameDone(3, 100);
    advance(HOLD_MS);
    expect(sent).toEqual([{ t: 'ack', frame: 3, heldMs: HOLD_MS }]);
  });

  it('drops a held ack when its peer is gone', () => {
    const { acks, sent, advance } = setup();
    acks.frameDone(3, 100);
    acks.drop();
    advance(HOLD_MS);
    acks.flush();
    expect(sent).toEqual([]);
  });
});
