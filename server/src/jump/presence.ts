/**
 * Which jump clients are connected right now, and which consoles watch
 * which jump groups. Like the hub, it holds only live connections; the
 * database holds the registry. A console is sent only the clients of the
 * groups its technician may access (computed when it subscribes).
 */
import type { JumpClientSummary } from '../../../shared/jump.js';
import type { ServerToJump } from '../../../shared/protocol.js';
import type { ConsolePeer, Peer } from '../sessions/hub.js';
import { ConnectionRateCap } from './rate-cap.js';
import { clientSummary, type JumpClientRow } from './service.js';

export type JumpPeer = Peer<ServerToJump>;

export interface JumpPresenceOptions {
  /** Jump client (re)connections and check-ins admitted per second, on average. */
  connectsPerSecond?: number;
  /** How many may arrive at once before the rate applies. */
  connectBurst?: number;
}

export class JumpPresence {
  private readonly online = new Map<number, { peer: JumpPeer; row: JumpClientRow }>();
  private readonly watchers = new Map<ConsolePeer, ReadonlySet<number>>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  readonly connectCap: ConnectionRateCap;

  constructor(opts: JumpPresenceOptions = {}) {
    const rate = opts.connectsPerSecond ?? 200;
    this.connectCap = new ConnectionRateCap(rate, opts.connectBurst ?? rate);
  }

  /** Attaches a client's connection, closing an older one of the same client. */
  attach(row: JumpClientRow, peer: JumpPeer): void {
    const old = this.online.get(row.id);
    this.online.set(row.id, { peer, row });
    if (old && old.peer !== peer) old.peer.close(4000, 'replaced by a newer connection');
    this.publish(clientSummary(row, true));
  }

  /** Detaches a connection if it is still the client's current one; true when it was. */
  detach(id: number, peer: JumpPeer): boolean {
    const cur = this.online.get(id);
    if (cur?.peer !== peer) return false;
    this.online.delete(id);
    return true;
  }

  isOnline(id: number): boolean {
    return this.online.has(id);
  }

  peer(id: number): JumpPeer | undefined {
    return this.online.get(id)?.peer;
  }

  onlineIds(): number[] {
    return [...this.online.keys()];
  }

  get onlineCount(): number {
    return this.online.size;
  }

  /** Keeps the cached row of a connected client current (rename, move). */
  updateRow(row: JumpClientRow): void {
    const cur = this.online.get(row.id);
    if (cur) cur.row = row;
  }

  cachedRow(id: number): JumpClientRow | undefined {
    return this.online.get(id)?.row;
  }

  watch(console: ConsolePeer, groupIds: ReadonlySet<number>): void {
    this.watchers.set(console, groupIds);
  }

  unwatch(console: ConsolePeer): void {
    this.watchers.delete(console);
  }

  /** Tells the consoles watching the client's group how it is now. */
  publish(client: JumpClientSummary): void {
    for (const [c, groups] of this.watchers) if (groups.has(client.groupId)) c.send({ type: 'jump:client', client });
  }

  /** Tells the consoles that watch `groupId` that the client is gone from it. */
  publishRemoved(clientId: number, groupId: number, except?: ReadonlySet<ConsolePeer>): void {
    for (const [c, groups] of this.watchers) if (groups.has(groupId) && !except?.has(c)) c.send({ type: 'jump:removed', clientId });
  }

  watchersOf(groupId: number): Set<ConsolePeer> {
    return new Set([...this.watchers].filter(([, g]) => g.has(groupId)).map(([c]) => c));
  }

  startSweep(sweep: () => Promise<void>, intervalMs: number): void {
    this.stopSweep();
    let running = false;
    this.sweepTimer = setInterval(() => {
      // A slow database must not pile sweeps on top of each other.
      if (running) return;
      running = true;
      void sweep().finally(() => (running = false));
    }, intervalMs);
    this.sweepTimer.unref?.();
  }

  stopSweep(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }
}
