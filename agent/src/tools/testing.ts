/**
 * The console's side of the tools channel, for tests: an in-memory channel
 * that either delivers at once or holds messages like a slow network (its
 * `bufferedAmount` is then what it holds), a decoder, per-shell byte counts
 * and acks, and request/response helpers.
 */
import { TextDecoder } from 'node:util';
import { encodeShellData, encodeToolMessage, ToolDecoder, type ToolMessage } from '../../../shared/tools.js';
import type { ToolsChannel } from './pacer.js';

type Result = Extract<ToolMessage, { t: 'result' }>;

/** Kept per shell for assertions; older output is dropped so a flood does not fill the test's memory. */
const KEPT_OUTPUT_CHARS = 64 * 1024;

export class TestToolsConsole {
  readonly messages: ToolMessage[] = [];
  readonly invalid: string[] = [];
  /** Fragmented messages seen (`json part`s). */
  parts = 0;
  /** While true, sent messages wait in `held` until `deliver()`. */
  holding = false;
  /** Added to what `bufferedAmount` reports. */
  extraBuffered = 0;
  readonly channel: ToolsChannel = {
    send: (msg) => (this.holding ? this.hold(msg) : this.take(msg)),
    bufferedAmount: () => this.heldBytes + this.extraBuffered,
  };
  /** Where console messages go (the host's `receive`). */
  to: (msg: Uint8Array) => void = () => {};
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private maxHeldBytes = 0;
  private readonly decoder = new ToolDecoder();
  private readonly shells = new Map<number, { received: number; acked: number; maxUnacked: number; text: string }>();
  private readonly utf8 = new Map<number, TextDecoder>();
  private nextId = 1;

  /** Sends a request and resolves with its `result`. */
  async request(msg: Record<string, unknown> & { t: string }, timeoutMs = 15_000): Promise<Result> {
    const id = this.nextId++;
    this.send({ ...msg, id } as ToolMessage);
    return until(`result ${id} (${msg.t})`, () => this.messages.find((m): m is Result => m.t === 'result' && m.id === id), timeoutMs);
  }

  send(msg: ToolMessage): void {
    for (const part of encodeToolMessage(msg)) this.to(part);
  }

  type(shell: number, text: string | Uint8Array): void {
    for (const msg of encodeShellData(shell, typeof text === 'string' ? new TextEncoder().encode(text) : text)) this.to(msg);
  }

  /** Acknowledges up to `bytes` of the shell's output received so far (all of it by default). */
  ack(shell: number, bytes = Infinity): void {
    const s = this.state(shell);
    const n = Math.min(bytes, s.received - s.acked);
    if (n <= 0) return;
    s.acked += n;
    this.send({ t: 'shell:ack', shell, bytes: n });
  }

  received(shell: number): number {
    return this.state(shell).received;
  }

  /** The most output bytes that were ever unacknowledged at once. */
  maxUnacked(shell: number): number {
    return this.state(shell).maxUnacked;
  }

  /** The shell's recent output, decoded. */
  text(shell: number): string {
    return this.state(shell).text;
  }

  get maxHeld(): number {
    return this.maxHeldBytes;
  }

  deliver(): void {
    const msgs = this.held.splice(0);
    this.heldBytes = 0;
    for (const m of msgs) this.take(m);
  }

  exits(shell: number): Extract<ToolMessage, { t: 'shell:exit' }>[] {
    return this.messages.filter((m): m is Extract<ToolMessage, { t: 'shell:exit' }> => m.t === 'shell:exit' && m.shell === shell);
  }

  private hold(msg: Uint8Array): void {
    this.held.push(msg);
    this.heldBytes += msg.length;
    this.maxHeldBytes = Math.max(this.maxHeldBytes, this.heldBytes);
  }

  private take(buf: Uint8Array): void {
    if (buf[0] === 0x03) this.parts++;
    const d = this.decoder.decode(buf);
    if (!d) return;
    if (d.kind === 'invalid') this.invalid.push(d.reason);
    else if (d.kind === 'message') this.messages.push(d.msg);
    else {
      const s = this.state(d.shell);
      s.received += d.data.length;
      s.maxUnacked = Math.max(s.maxUnacked, s.received - s.acked);
      let dec = this.utf8.get(d.shell);
      if (!dec) this.utf8.set(d.shell, (dec = new TextDecoder()));
      s.text = (s.text + dec.decode(d.data, { stream: true })).slice(-KEPT_OUTPUT_CHARS);
    }
  }

  private state(shell: number) {
    let s = this.shells.get(shell);
    if (!s) this.shells.set(shell, (s = { received: 0, acked: 0, maxUnacked: 0, text: '' }));
    return s;
  }
}

type Maybe<T> = T | undefined | null | false;

export async function until<T>(what: string, check: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
