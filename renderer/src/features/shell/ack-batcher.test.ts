import { describe, expect, it } from 'vitest';
import { SHELL_OUTPUT_WINDOW } from '../../../../shared/tools.js';
import { ACK_BATCH_BYTES, AckBatcher } from './ack-batcher.js';

describe('AckBatcher', () => {
  it('acknowledges a flood in batches, never per chunk', () => {
    const acks: number[] = [];
    const b = new AckBatcher((n) => acks.push(n));
    for (let i = 0; i < 64; i++) b.queued(1024);
    for (let i = 0; i < 64; i++) b.processed(1024);
    expect(acks).toEqual([ACK_BATCH_BYTES, ACK_BATCH_BYTES]);
  });

  it('acknowledges the rest as soon as the terminal has caught up', () => {
    const acks: number[] = [];
    const b = new AckBatcher((n) => acks.push(n));
    b.queued(100);
    b.queued(50);
    b.processed(100);
    expect(acks).toEqual([]);
    b.processed(50);
    expect(acks).toEqual([150]);
  });

  it('acknowledges nothing for empty output', () => {
    const acks: number[] = [];
    const b = new AckBatcher((n) => acks.push(n));
    b.queued(0);
    b.processed(0);
    expect(acks).toEqual([]);
  });

  it('keeps an agent that honours the window below it while a slow terminal catches up, and ends fully acknowledged', async () => {
    // The agent sends while less than the window is unacknowledged; the terminal processes one chunk per tick.
    let unacked = 0;
    let maxUnacked = 0;
    let sent = 0;
    const total = 4 * 1024 * 1024;
    const chunk = 16 * 1024;
    const acks: number[] = [];
    const batcher = new AckBatcher((n) => {
      acks.push(n);
      unacked -= n;
    });
    const terminalQueue: number[] = [];
    const pump = () => {
      while (sent < total && unacked <= SHELL_OUTPUT_WINDOW) {
        sent += chunk;
        unacked += chunk;
        maxUnacked = Math.max(maxUnacked, unacked);
        batcher.queued(chunk);
        terminalQueue.push(chunk);
      }
    };
    pump();
    while (terminalQueue.length) {
      await Promise.resolve();
      batcher.processed(terminalQueue.shift()!);
      pump();
    }
    expect(sent).toBe(total);
    expect(unacked).toBe(0);
    expect(maxUnacked).toBeLessThanOrEqual(SHELL_OUTPUT_WINDOW + chunk);
    expect(acks.every((n) => n > 0)).toBe(true);
    expect(acks.length).toBeLessThanOrEqual(total / ACK_BATCH_BYTES + 8);
  });
});
