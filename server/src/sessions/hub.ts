/**
 * Who is connected right now, and fan-out of state to them. The database
 * holds what must survive a restart; the hub holds only live connections.
 */
import type { QueueItem, ServerToAgent, ServerToConsole, ServerToPortal, SessionState, Technician } from '../../../shared/protocol.js';
import type { Participant } from '../../../shared/sharing.js';
import type { ChatService } from '../chat/service.js';
import type { AuthService } from '../auth/service.js';
import { consentOf, parseAgentInfo, type QueueService, type RequestRow } from '../queue/service.js';
import { deskFieldsOf, NO_NAMES, type QueueNames } from '../queue/visibility.js';

export interface Peer<Out> {
  send(msg: Out): void;
  close(code: number, reason: string): void;
}
/**
 * `peerId`: the connection's id for the agent (one peer connection per console connection);
 * `tokenHash`: the sign-in it was opened with, so it ends when that sign-in ends.
 */
export type ConsolePeer = Peer<ServerToConsole> & { technician: Technician; peerId: string; tokenHash: string };
export type AgentPeer = Peer<ServerToAgent>;
export type PortalPeer = Peer<ServerToPortal>;

export class Hub {
  private readonly consoles = new Map<number, Set<ConsolePeer>>();
  private readonly agents = new Map<string, AgentPeer>();
  private readonly portals = new Map<string, PortalPeer>();
  /** Per session, the console connections with a peer connection to its agent, by peerId. */
  private readonly links = new Map<string, Map<string, ConsolePeer>>();

  constructor(private readonly queue: QueueService, private readonly chat: ChatService, private readonly auth: AuthService) {}

  /**
   * Closes the console connections whose sign-in was revoked: the password was
   * changed elsewhere or reset by an administrator. The console then finds its
   * token refused and shows the sign-in page.
   */
  async endRevokedSignIns(): Promise<void> {
    const all = [...this.consoles.values()].flatMap((set) => [...set]);
    if (all.length === 0) return;
    const live = await this.auth.unrevokedTokenHashes(all.map((c) => c.tokenHash));
    for (const c of all) {
      if (live.has(c.tokenHash)) continue;
      c.send({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: 'Your sign-in has ended: sign in again.' });
      c.close(4001, 'ERR_NOT_AUTHENTICATED');
    }
  }

  addConsole(c: ConsolePeer): void {
    let set = this.consoles.get(c.technician.id);
    if (!set) this.consoles.set(c.technician.id, (set = new Set()));
    set.add(c);
  }

  removeConsole(c: ConsolePeer): void {
    this.consoles.get(c.technician.id)?.delete(c);
    // The agent keeps its peer: a connected peer needs no more signalling, and a server connection
    // that drops for a moment must not cut the screen; a closed page closes its peer itself.
    for (const [requestId, byPeer] of this.links) {
      byPeer.delete(c.peerId);
      if (!byPeer.size) this.links.delete(requestId);
    }
  }

  /** Attaches the agent of a request, replacing a previous connection of it. */
  setAgent(requestId: string, a: AgentPeer): void {
    const old = this.agents.get(requestId);
    this.agents.set(requestId, a);
    if (old && old !== a) old.close(4000, 'replaced by a newer connection');
  }

  removeAgent(requestId: string, a: AgentPeer): void {
    if (this.agents.get(requestId) === a) this.agents.delete(requestId);
  }

  setPortal(requestId: string, p: PortalPeer): void {
    const old = this.portals.get(requestId);
    this.portals.set(requestId, p);
    if (old && old !== p) old.close(4000, 'replaced by a newer connection');
  }

  removePortal(requestId: string, p: PortalPeer): void {
    if (this.portals.get(requestId) === p) this.portals.delete(requestId);
  }

  agent(requestId: string): AgentPeer | undefined {
    return this.agents.get(requestId);
  }

  /** Records that this console connection signals for the session: the agent's answers for its peerId go to it. */
  setLink(requestId: string, c: ConsolePeer): void {
    let byPeer = this.links.get(requestId);
    if (!byPeer) this.links.set(requestId, (byPeer = new Map()));
    byPeer.set(c.peerId, c);
  }

  /** Forgets a technician's links to a session (he left it, or it went back to a queue). */
  dropLinks(requestId: string, technicianId: number): void {
    const byPeer = this.links.get(requestId);
    if (!byPeer) return;
    for (const [peerId, c] of byPeer) {
      if (c.technician.id !== technicianId) continue;
      byPeer.delete(peerId);
      this.agents.get(requestId)?.send({ type: 'peer:closed', peerId });
    }
    if (!byPeer.size) this.links.delete(requestId);
  }

  /**
   * The console that should receive an agent's signal for this session: the
   * one with that peerId, if it still takes part (`invited`: the session's
   * invited technicians). Without a peerId (an older agent), the holder's
   * latest link, else any console of the holder.
   */
  linkFor(row: RequestRow, peerId: string | undefined, invited: readonly number[]): ConsolePeer | undefined {
    const byPeer = this.links.get(row.id);
    if (peerId !== undefined) {
      const c = byPeer?.get(peerId);
      return c && (c.technician.id === row.accepted_by || invited.includes(c.technician.id)) ? c : undefined;
    }
    const held = [...(byPeer?.values() ?? [])].filter((c) => c.technician.id === row.accepted_by).at(-1);
    if (held) return held;
    const set = row.accepted_by != null ? this.consoles.get(row.accepted_by) : undefined;
    return set ? [...set][0] : undefined;
  }

  consolesOf(technicianId: number): ConsolePeer[] {
    return [...(this.consoles.get(technicianId) ?? [])];
  }

  /** Whether the technician has a console connected (presence: offline otherwise). */
  isOnline(technicianId: number): boolean {
    return (this.consoles.get(technicianId)?.size ?? 0) > 0;
  }

  onlineTechnicianIds(): number[] {
    return [...this.consoles.keys()].filter((id) => this.isOnline(id));
  }

  /** Sends to every connected console (presence is everyone's business). */
  sendToConsoles(msg: ServerToConsole): void {
    for (const set of this.consoles.values()) for (const c of set) c.send(msg);
  }

  async stateOf(row: RequestRow): Promise<SessionState> {
    // Team and general requests have no technician until one accepts.
    const techId = row.accepted_by ?? row.technician_id;
    const tech = techId != null ? await this.auth.getTechnician(techId) : null;
    return {
      requestId: row.id,
      status: row.status,
      customerName: row.customer_name,
      technician: tech && { id: tech.id, displayName: tech.displayName },
      agentOnline: this.agents.has(row.id),
      portalOnline: this.portals.has(row.id),
      consoleOnline: row.accepted_by != null && (this.consoles.get(row.accepted_by)?.size ?? 0) > 0,
      consent: consentOf(row),
      grants: techId != null ? await this.auth.permissionsOf(techId) : [],
      agent: parseAgentInfo(row),
      endedReason: row.ended_reason,
      participants: await this.participantsOf(row),
    };
  }

  /** The holder (with control) and the invited technicians of an accepted session; none before. */
  async participantsOf(row: RequestRow): Promise<Participant[]> {
    if (row.accepted_by == null) return [];
    const ids = [row.accepted_by, ...(await this.queue.participantsOf(row.id)).filter((id) => id !== row.accepted_by)];
    const out: Participant[] = [];
    for (const id of ids) {
      const tech = await this.auth.getTechnician(id).catch(() => null);
      if (tech) out.push({ technicianId: tech.id, displayName: tech.displayName, control: id === row.accepted_by, online: this.isOnline(id) });
    }
    return out;
  }

  /** The technicians taking part in a request: its personal queue's owner, whoever accepted it and whom he invited. */
  async technicianIdsOf(row: RequestRow): Promise<number[]> {
    const invited = row.accepted_by != null ? await this.queue.participantsOf(row.id) : [];
    return [...new Set([row.technician_id, row.accepted_by, ...invited].filter((id): id is number => id != null))];
  }

  queueItem(row: RequestRow, names: QueueNames = NO_NAMES): QueueItem {
    return {
      requestId: row.id,
      customerName: row.customer_name,
      createdAt: Number(row.created_at),
      status: row.status,
      agentOnline: this.agents.has(row.id),
      portalOnline: this.portals.has(row.id),
      agent: parseAgentInfo(row),
      ...deskFieldsOf(row, names),
    };
  }

  /** What a technician's queue view shows: his queues' entries and his teams. */
  async queueSnapshot(technicianId: number): Promise<Extract<ServerToConsole, { type: 'queue:snapshot' }>> {
    const rows = await this.queue.listFor(technicianId);
    const names = await this.queue.namesFor(rows);
    return { type: 'queue:snapshot', items: rows.map((r) => this.queueItem(r, names)), teams: await this.queue.teamsOf(technicianId) };
  }

  async sendQueue(technicianId: number): Promise<void> {
    const peers = this.consolesOf(technicianId);
    if (!peers.length) return;
    const snapshot = await this.queueSnapshot(technicianId);
    for (const c of peers) c.send(snapshot);
  }

  /** Refreshes the queue view of every connected technician who may see the request. */
  async sendQueues(row: RequestRow): Promise<void> {
    const audience = await this.queue.audienceOf(row);
    const online = this.onlineTechnicianIds();
    for (const techId of audience === 'everyone' ? online : audience.filter((id) => online.includes(id))) await this.sendQueue(techId);
  }

  /** Tells everyone involved in a request its current state (and `also`: technicians who just stopped taking part). */
  async broadcast(requestId: string, also: readonly number[] = []): Promise<void> {
    const row = await this.queue.get(requestId);
    if (!row) return;
    const state = await this.stateOf(row);
    this.portals.get(requestId)?.send({ type: 'session:state', state });
    this.agents.get(requestId)?.send({ type: 'session:state', state });
    for (const techId of new Set([...(await this.technicianIdsOf(row)), ...also])) {
      for (const c of this.consolesOf(techId)) c.send({ type: 'session:state', state });
    }
    await this.sendQueues(row);
  }

  /** Stores a chat message and delivers it to the user and the technicians. */
  async postChat(row: RequestRow, from: 'technician' | 'user' | 'system', author: string, text: string, clientId?: string): Promise<void> {
    const message = await this.chat.add({ requestId: row.id, from, author, text, clientId });
    if (!message) return;
    this.portals.get(row.id)?.send({ type: 'chat:message', message });
    for (const techId of await this.chatAudienceOf(row)) for (const c of this.consolesOf(techId)) c.send({ type: 'chat:message', message });
  }

  /** The chat so far, to everyone who reads it live (chatAudienceOf): for a request that just came into their queues. */
  async sendChatHistory(row: RequestRow): Promise<void> {
    const messages = await this.chat.history(row.id);
    for (const techId of await this.chatAudienceOf(row)) for (const c of this.consolesOf(techId)) c.send({ type: 'chat:history', requestId: row.id, messages });
  }

  /** Who reads a request's chat live: the technicians taking part, and while it waits, every online one who may accept it. */
  async chatAudienceOf(row: RequestRow): Promise<number[]> {
    const taking = await this.technicianIdsOf(row);
    if (row.status !== 'waiting') return taking;
    const audience = await this.queue.audienceOf(row);
    const online = this.onlineTechnicianIds();
    return [...new Set([...taking, ...(audience === 'everyone' ? online : audience.filter((id) => online.includes(id)))])];
  }
}
