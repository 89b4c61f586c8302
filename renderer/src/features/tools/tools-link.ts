/**
 * The console's end of a session's tools channel (shared/tools.ts), on the
 * side-channel base (session/side-channel.ts): requests for system
 * information and shells, and shell bytes that go from the channel straight
 * to the shell that owns the id — nothing here touches React or the store.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import { encodeShellData, encodeToolMessage, ToolDecoder, TOOLS_CHANNEL, type DecodedTool, type ToolMessage } from '../../../../shared/tools.js';
import { SideChannelLink, type SideChannelOptions, type SideChannelPeer } from '../session/side-channel.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the console asks; the link adds the id. */
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
export type ToolsPeer = SideChannelPeer;
export type ToolsLinkOptions = SideChannelOptions;

/** Input beyond this much unsent data is refused rather than queued (a huge paste on a slow link). */
export const SEND_BUFFER_LIMIT = 4 * 1024 * 1024;

const PROTOCOL = { channel: TOOLS_CHANNEL, name: 'tools', encode: encodeToolMessage, decoder: () => new ToolDecoder() };

export class ToolsLink extends SideChannelLink<ToolMessage, DecodedTool> {
  private nextShell = 1;
  private readonly shells = new Map<number, ShellRoute>();

  constructor(options: ToolsLinkOptions) {
    super(PROTOCOL, options);
  }

  /** The agent's answer (`value` of an ok result; still to be parsed), or a LifelineError. */
  request(msg: ToolRequest, timeoutMs?: number): Promise<unknown> {
    return this.ask(msg as ToolMessage, timeoutMs);
  }

  /** Sends a message that has no answer; false when the channel is down. */
  notify(msg: ToolNotice): boolean {
    return this.transmit(msg);
  }

  /** Keystrokes or a paste for a shell; false when the channel is down or too far behind. */
  sendShellData(shell: number, data: Uint8Array): boolean {
    const channel = this.channel;
    if (!this.isOpen || !channel || channel.bufferedAmount + data.length > SEND_BUFFER_LIMIT) return false;
    return this.sendFrames(encodeShellData(shell, data));
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

  protected override detached(): void {
    const routes = [...this.shells.values()];
    this.shells.clear();
    for (const r of routes) r.lost();
  }

  protected override received(decoded: Exclude<DecodedTool, { kind: 'invalid' }>): void {
    if (decoded.kind === 'shell') {
      // Output for a shell nobody shows any more (closed here, still draining there) is dropped.
      this.shells.get(decoded.shell)?.data(decoded.data);
      return;
    }
    const msg = decoded.msg;
    if (msg.t === 'shell:exit') {
      const route = this.shells.get(msg.shell);
      this.shells.delete(msg.shell);
      route?.exit(msg.code);
      return;
    }
    this.log.warn(`[tools] dropped "${msg.t}", which only the console sends`);
  }
}
