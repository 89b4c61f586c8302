/** A fake tools channel and peer for unit tests of the tools link and what uses it. */
import type { Disposer } from '../../../shared/console-contract.js';
import { encodeShellData, encodeToolMessage, ToolDecoder, type ToolMessage } from '../../../shared/tools.js';
import type { CreatedPeer } from '../features/session/peer-link.js';
import type { ToolsPeer } from '../features/tools/tools-link.js';
import type { PeerStatus } from '../store/session.js';

/** The parts of RTCDataChannel the tools link uses, driven by the test. */
export class FakeChannel {
  binaryType: BinaryType = 'blob';
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  closed = false;
  readonly sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;

  /** Handshake hellos the console sent; kept apart so `sent` holds only what tests look at. */
  hellos = 0;

  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    if (data[0] === 0x01 && new TextDecoder().decode(data.subarray(1)) === '{"t":"hello"}') {
      this.hellos++;
      return;
    }
    this.sent.push(data.slice());
  }

  close(): void {
    this.closed = true;
    this.readyState = 'closed';
  }

  /** Opens the channel and answers the console's handshake, as the agent does. */
  open(): void {
    this.readyState = 'open';
    this.onopen?.();
    this.deliver({ t: 'hello' });
  }

  /** The agent closed it, or the connection went. */
  drop(): void {
    this.readyState = 'closed';
    this.onclose?.();
  }

  deliver(msg: ToolMessage): void {
    for (const frame of encodeToolMessage(msg)) this.deliverRaw(frame);
  }

  deliverShell(shell: number, data: Uint8Array): void {
    for (const frame of encodeShellData(shell, data)) this.deliverRaw(frame);
  }

  deliverRaw(frame: Uint8Array): void {
    this.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) });
  }

  /** What the console sent, decoded (shell data as `{ shell, text }`). */
  messages(): Array<ToolMessage | { shell: number; text: string }> {
    const decoder = new ToolDecoder();
    const out: Array<ToolMessage | { shell: number; text: string }> = [];
    for (const frame of this.sent) {
      const d = decoder.decode(frame);
      if (d?.kind === 'message') out.push(d.msg);
      else if (d?.kind === 'shell') out.push({ shell: d.shell, text: new TextDecoder().decode(d.data) });
    }
    return out;
  }

  /** The last request of a kind the console sent. */
  last<T extends ToolMessage['t']>(t: T): Extract<ToolMessage, { t: T }> | undefined {
    return this.messages().filter((m): m is Extract<ToolMessage, { t: T }> => 't' in m && m.t === t).at(-1);
  }
}

/** Stands in for the PeerLink: the test connects and disconnects peers. Side channels of another kind come from `makeChannel`. */
export class FakeToolsPeer<C = FakeChannel> implements ToolsPeer {
  readonly created: Array<{ label: string; init: RTCDataChannelInit; channel: C }> = [];
  private readonly statusListeners = new Set<(s: PeerStatus) => void>();
  private readonly createdListeners = new Set<(p: CreatedPeer) => void>();

  constructor(private readonly makeChannel: () => C = () => new FakeChannel() as C) {}

  onStatus(listener: (s: PeerStatus) => void): Disposer {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onPeerCreated(listener: (p: CreatedPeer) => void): Disposer {
    this.createdListeners.add(listener);
    return () => this.createdListeners.delete(listener);
  }

  /** A peer is created and connects; returns the channel the link opened on it. */
  connect(): C {
    for (const l of this.statusListeners) l('connecting');
    const peer: CreatedPeer = {
      createDataChannel: (label, init) => {
        const channel = this.makeChannel();
        this.created.push({ label, init, channel });
        return channel as unknown as RTCDataChannel;
      },
    };
    for (const l of this.createdListeners) l(peer);
    for (const l of this.statusListeners) l('connected');
    return this.created.at(-1)!.channel;
  }

  status(s: PeerStatus): void {
    for (const l of this.statusListeners) l(s);
  }

  listeners(): number {
    return this.statusListeners.size + this.createdListeners.size;
  }
}
