/**
 * The console's end of a session's tools channel (shared/tools.ts): a second
 * data channel, pre-negotiated on both sides, opened on each peer once it
 * connects and closed with it. Requests carry ids and are answered by
 * `result`; they fail with a coded error when the channel is down, closes
 * first, or the answer is late. Shell bytes go from the channel straight to
 * the shell that owns the id — nothing here touches React or the store.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import { LifelineError } from '../../../../shared/errors.js';
import { encodeShellData, encodeToolMessage, ToolDecoder, TOOLS_CHANNEL, type ToolMessage } from '../../../../shared/tools.js';
import type { PeerStatus } from '../../store/session.js';
import type { CreatedPeer } from '../session/peer-link.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the console asks; the link adds the id. */
/** How often the console repeats its handshake hello until the agent answers. */
const HELLO_RETRY_MS = 500;

export type ToolRequest = DistributiveOmit<Extract<ToolMessage, { t: 'sysinfo:get' | 'process:kill' | 'shell:open' }>, 'id'>;
/** What the console says without expecting an answer. */
export type ToolNotice = Extract<ToolMessage, { t: 'shell:resize' | 'shell:ack' | 'shell:close' }>;

export interface ShellRoute {
  data(bytes: Uint8Array): void;
  exit(code: number | null): void;
  /** The channel closed; the agent ends every shell of a closed channel. */
  lost(): void;
}

/** The peer link, as far as the tools channel needs it. */
export interface ToolsPeer {
  onStatus(listener: (s: PeerStatus) => void): Disposer;
  onPeerCreated(listener: (peer: CreatedPeer) => void): Disposer;
}

export interface ToolsLinkOptions {
  peer: ToolsPeer;
  /** How long a request waits for its answer unless it says otherwise. */
  timeoutMs?: number;
  log?: Pick<Console, 'warn' | 'info'>;
}

/** Input beyond this much unsent data is refused rather than queued (a huge paste on a slow link). */
export const SEND_BUFFER_LIMIT = 4 * 1024 * 1024;
const MAX_REMOTE_MESSAGE = 500;

const notConnected = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer is down.');
const closedEarly = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer closed before it answered.');
const tooLate = () => new LifelineError('ERR_NOT_CONNECTED', 'The remote computer did not answer in time.');

interface Pending {
  resolve(value: unknown): void;
  reject(e: LifelineError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ToolsLink {
  private readonly timeoutMs: number;
  private readonly log: Pick<Console, 'warn' | 'info'>;
  private channel: RTCDataChannel | null = null;
  private open = false;
  /** Handles the agent's handshake for the current channel. */
  private onHello: () => void = () => undefined;
  private stopHandshake: () => void = () => undefined;
  private nextRequest = 1;
  private nextShell = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly shells = new Map<number, ShellRoute>();
  private readonly openListeners = new Set<(open: boolean) => void>();
  private readonly unsubscribe: Disposer[];
  private disposed = false;

  constructor(options: ToolsLinkOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.log = options.log ?? console;
    this.unsubscribe = [
      options.peer.onPeerCreated((peer) => this.attach(peer)),
      options.peer.onStatus((s) => {
        // A new peer's channel is attached when it is created, while the status says `connecting`.
        if (s !== 'connected' && s !== 'connecting') this.detach();
      }),
    ];
  }

  get isOpen(): boolean {
    return this.open;
  }

  onOpenChanged(listener: (open: boolean) => void): Disposer {
    this.openListeners.add(listener);
    return () => {
      this.openListeners.delete(listener);
    };
  }

  /** The agent's answer (`value` of an ok result; still to be parsed), or a LifelineError. */
  request(msg: ToolRequest, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (!this.open) return Promise.reject(notConnected());
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(tooLate());
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.transmit({ ...msg, id } as ToolMessage)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(notConnected());
      }
    });
  }

  /** Sends a message that has no answer; false when the channel is down. */
  notify(msg: ToolNotice): boolean {
    return this.transmit(msg);
  }

  /** Keystrokes or a paste for a shell; false when the channel is down or too far behind. */
  sendShellData(shell: number, data: Uint8Array): boolean {
    const channel = this.channel;
    if (!this.open || !channel || channel.bufferedAmount + data.length > SEND_BUFFER_LIMIT) return false;
    return this.sendFrames(() => encodeShellData(shell, data));
  }

  /**
   * A fresh shell id whose output and exit go to `route` until `detach` runs,
   * the agent reports the exit, or the channel closes. Attach before asking
   * the agent to open the shell: output may follow its answer at once.
   */
  attachShell(route: ShellRoute): { id: number; detach: Disposer } {
    const id = this.nextShell++;
    this.shells.set(id, route);
    return {
      id,
      detach: () => {
        if (this.shells.get(id) === route) this.shells.delete(id);
      },
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const u of this.unsubscribe) u();
    this.detach();
    this.openListeners.clear();
  }

  private attach(peer: CreatedPeer): void {
    this.detach();
    if (this.disposed) return;
    let channel: RTCDataChannel;
    try {
      channel = peer.createDataChannel(TOOLS_CHANNEL.label, { negotiated: true, id: TOOLS_CHANNEL.id });
    } catch (e) {
      this.log.warn('[tools] cannot open the tools channel', e);
      return;
    }
    channel.binaryType = 'arraybuffer';
    // One decoder per channel: a result cut short by a closed channel must not join the next channel's parts.
    const decoder = new ToolDecoder();
    this.channel = channel;
    const current = () => this.channel === channel;
    // Open for requests only once the agent has answered the handshake (shared/tools.ts);
    // our hello is repeated until then, since one sent before the agent's end exists is lost.
    const hello = () => this.sendFrames(() => encodeToolMessage({ t: 'hello' }));
    let retry: ReturnType<typeof setInterval> | null = null;
    const stopRetry = () => {
      if (retry) clearInterval(retry);
      retry = null;
    };
    this.onHello = () => {
      stopRetry();
      this.setOpen(true);
    };
    this.stopHandshake = stopRetry;
    const startHandshake = () => {
      hello();
      retry ??= setInterval(() => (current() ? hello() : stopRetry()), HELLO_RETRY_MS);
    };
    channel.onopen = () => {
      if (current()) startHandshake();
    };
    channel.onclose = () => {
      if (!current()) return;
      this.log.info('[tools] channel closed');
      this.detach();
    };
    channel.onerror = (ev) => {
      if (current()) this.log.warn('[tools] channel failed', (ev as RTCErrorEvent).error?.message ?? '');
    };
    channel.onmessage = (ev: MessageEvent<unknown>) => {
      if (current()) this.receive(decoder, ev.data);
    };
    if (channel.readyState === 'open') startHandshake();
  }

  private detach(): void {
    this.stopHandshake();
    const channel = this.channel;
    this.channel = null;
    if (channel) {
      channel.onopen = channel.onclose = channel.onerror = channel.onmessage = null;
      try {
        channel.close();
      } catch (e) {
        this.log.warn('[tools] close failed', e);
      }
    }
    this.setOpen(false);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(closedEarly());
    }
    const routes = [...this.shells.values()];
    this.shells.clear();
    for (const r of routes) r.lost();
  }

  private receive(decoder: ToolDecoder, data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.log.warn('[tools] dropped a message that is not binary');
      return;
    }
    const decoded = decoder.decode(new Uint8Array(data));
    if (!decoded) return;
    switch (decoded.kind) {
      case 'invalid':
        this.log.warn(`[tools] dropped an invalid message: ${decoded.reason}`);
        return;
      case 'shell':
        // Output for a shell nobody shows any more (closed here, still draining there) is dropped.
        this.shells.get(decoded.shell)?.data(decoded.data);
        return;
      case 'message':
        this.handle(decoded.msg);
    }
  }

  private handle(msg: ToolMessage): void {
    if (msg.t === 'hello') {
      this.onHello();
      return;
    }
    if (msg.t === 'result') {
      const p = this.pending.get(msg.id);
      if (!p) {
        this.log.info(`[tools] dropped an answer nobody waits for (request ${msg.id})`);
        return;
      }
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new LifelineError(msg.code, msg.message.slice(0, MAX_REMOTE_MESSAGE)));
      return;
    }
    if (msg.t === 'shell:exit') {
      const route = this.shells.get(msg.shell);
      this.shells.delete(msg.shell);
      route?.exit(msg.code);
      return;
    }
    this.log.warn(`[tools] dropped "${msg.t}", which only the console sends`);
  }

  private transmit(msg: ToolMessage): boolean {
    if (!this.open) return false;
    return this.sendFrames(() => encodeToolMessage(msg));
  }

  private sendFrames(encode: () => Uint8Array[]): boolean {
    const channel = this.channel;
    if (!channel) return false;
    try {
      // Frames are always built in fresh ArrayBuffers, never shared memory.
      for (const frame of encode()) channel.send(frame as Uint8Array<ArrayBuffer>);
      return true;
    } catch (e) {
      this.log.warn('[tools] send failed', e);
      return false;
    }
  }

  private setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    for (const l of [...this.openListeners]) l(open);
  }
}
