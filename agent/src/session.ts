/**
 * One attended session on the agent: the server connection, one peer
 * connection per technician console taking part (a shared session has
 * several, told apart by the server's peerId), and the consent the user gave
 * on the portal. Consent is enforced on the agent, where the screen and the
 * input are (ConsoleLink): whatever a console sends, nothing is shown without
 * `view`, and nothing is injected or shared without `control` — and only
 * through the holder's connection (peer-rights.ts).
 */
import type SimplePeer from 'simple-peer';
import { WebSocket } from 'ws';
import { ERROR_MESSAGES, type ErrorCode } from '../../shared/errors.js';
import { ServerToAgent, type AgentInfo, type IceServer, type SessionState } from '../../shared/protocol.js';
import { ServerConnection, type SocketLike } from '../../shared/server-connection.js';
import { ConsoleLink } from './console-link.js';
import { ScriptRunner } from './script-runner.js';
import { ToolsHost } from './tools/host.js';
import { untrustedCertificate } from './tls-trust.js';
import type { ToolsChannel } from './tools/pacer.js';
import { FilesHost, type FileRootConfig } from './files/host.js';
import { TOOLS_CHANNEL } from '../../shared/tools.js';
import { FILES_CHANNEL } from '../../shared/files.js';
import type { Desktop } from './platform/types.js';
import { createAgentPeer, isOffer } from './peer.js';
import { controlHeldElsewhere, peerConsent, peerRefusal, rightsOf, sessionAllows, takesPart, type SessionRights } from './peer-rights.js';

export interface AgentSessionOptions {
  serverUrl: string;
  /** The session code (attended), or */
  code?: string;
  /** the join key a jump client was given for this session: it joins as a reconnecting agent would. */
  joinKey?: string;
  info: AgentInfo;
  desktop: Desktop;
  /** The folders the technician may browse, and whom created files belong to. */
  files: { roots: FileRootConfig[]; owner?: { uid: number; gid: number } };
  log: (msg: string) => void;
}

/** Codes after which retrying cannot help: the agent reports them and exits. */
const FATAL: ErrorCode[] = ['ERR_CODE_INVALID', 'ERR_CODE_EXPIRED', 'ERR_CODE_USED', 'ERR_RATE_LIMITED', 'ERR_SESSION_ENDED', 'ERR_NOT_AUTHENTICATED', 'ERR_BAD_MESSAGE'];

/** One console's peer connection and what runs over it. */
interface PeerEntry {
  peerId: string;
  technicianId: number;
  peer: SimplePeer.Instance;
  link: ConsoleLink | null;
  tools: ToolsHost | null;
  files: FilesHost | null;
}

export class AgentSession {
  private readonly conn: ServerConnection<ServerToAgent>;
  private resumeKey: string | null = null;
  private iceServers: IceServer[] = [];
  /** What the user allowed on the portal, what the server grants the holder, and who takes part. */
  private rights: SessionRights = { consent: { view: false, control: false }, grants: [], holder: null, participants: null };
  private readonly scripts = new ScriptRunner({ send: (m) => this.conn.send(m) });
  /** The consoles' peer connections, by the server's peerId. */
  private readonly peers = new Map<string, PeerEntry>();
  private finished = false;
  private resolveDone!: (r: { code: number; reason: string }) => void;
  /** Resolves when the session is over, with the process exit code. */
  readonly done = new Promise<{ code: number; reason: string }>((r) => (this.resolveDone = r));

  constructor(private readonly opts: AgentSessionOptions) {
    this.resumeKey = opts.joinKey ?? null;
    const url = `${opts.serverUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;
    this.conn = new ServerConnection<ServerToAgent>({
      url,
      socket: (u) => {
        const ws = new WebSocket(u);
        // An untrusted certificate does not get better with retries: stop and say why.
        ws.on('error', (err) => {
          const why = untrustedCertificate(err, opts.serverUrl);
          if (why) this.finish(2, why);
        });
        return ws as unknown as SocketLike;
      },
      schema: ServerToAgent,
      // After the first welcome the code is spent: reconnects use the resume key.
      hello: () => ({ type: 'hello', role: 'agent', ...(this.resumeKey ? { resumeKey: this.resumeKey } : { code: opts.code }), info: opts.info }),
      onMessage: (m) => this.onServer(m),
      onState: (s) => opts.log(`server connection ${s}`),
      fatalCodes: FATAL,
      onFatal: (code, message) => this.finish(2, message || ERROR_MESSAGES[code]),
      onInvalid: (reason) => opts.log(`ignored a server message: ${reason}`),
    });
  }

  start(): void {
    this.conn.start();
  }

  private onServer(msg: ServerToAgent): void {
    switch (msg.type) {
      case 'welcome':
        this.resumeKey = msg.resumeKey;
        this.iceServers = msg.iceServers;
        this.opts.log('connected to the support server; waiting for a technician');
        return;
      case 'session:state':
        this.onState(msg.state);
        return;
      case 'signal':
        this.onSignal(msg.peerId, msg.technicianId, msg.data);
        return;
      case 'peer:closed':
        // Its console connection is gone: nothing more will come over that peer.
        this.dropPeer(msg.peerId);
        return;
      case 'script:run':
        if (sessionAllows(this.rights, 'scripts')) this.scripts.run(msg.runId, msg.shell, msg.body);
        else this.conn.send({ type: 'script:exit', runId: msg.runId, code: null, error: 'Scripts are not allowed in this session.' });
        return;
      case 'error':
        this.opts.log(`server refused ${msg.cause ?? 'a message'}: ${msg.code} ${msg.message}`);
        return;
      case 'ack':
        return;
    }
  }

  private onState(state: SessionState): void {
    if (state.status === 'ended') {
      this.finish(0, `session ${state.endedReason ?? 'ended'}`);
      return;
    }
    // Transferred back to a queue: the old technicians' peers go; the next one builds a new peer when he accepts.
    if (state.status === 'waiting') this.dropAll();
    this.rights = rightsOf(state);
    // Recomputed for every peer at every change: consent, grants, who holds control, who left.
    for (const entry of [...this.peers.values()]) {
      if (!takesPart(this.rights, entry.technicianId)) {
        this.opts.log('a technician left the session: closing his peer connection');
        this.dropPeer(entry.peerId);
        continue;
      }
      entry.link?.setConsent(peerConsent(this.rights, entry.technicianId), controlHeldElsewhere(this.rights, entry.technicianId));
      entry.tools?.revoked();
      entry.files?.revoked();
    }
    if (!sessionAllows(this.rights, 'scripts')) this.scripts.stop();
  }

  private onSignal(peerId: string, technicianId: number, data: Record<string, unknown>): void {
    let entry = this.peers.get(peerId);
    // A fresh offer means the console started over (reload, reconnect): follow it.
    if (isOffer(data) || !entry || entry.technicianId !== technicianId) entry = this.newPeer(peerId, technicianId);
    try {
      entry.peer.signal(data as unknown as SimplePeer.SignalData);
    } catch (e) {
      this.opts.log(`bad signal from the console: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private newPeer(peerId: string, technicianId: number): PeerEntry {
    this.dropPeer(peerId);
    const peer = createAgentPeer(this.iceServers);
    const entry: PeerEntry = { peerId, technicianId, peer, link: null, tools: null, files: null };
    this.peers.set(peerId, entry);
    const current = () => this.peers.get(peerId) === entry;
    peer.on('signal', (data) => {
      // The tools channel is pre-negotiated: its end must exist before the console can use it, or
      // libdatachannel resets the stream at the first message. The answer is the last moment before that.
      if (data.type === 'answer' && !entry.tools) this.openSideChannels(entry);
      this.conn.send({ type: 'signal', peerId, data });
    });
    peer.on('connect', () => {
      if (!current()) return;
      this.opts.log('peer connection open');
      const channel = (peer as unknown as { _channel?: { bufferedAmount: number } })._channel;
      entry.link = new ConsoleLink({
        desktop: this.opts.desktop,
        send: (msg) => {
          if (peer.connected) peer.send(msg);
        },
        bufferedAmount: () => channel?.bufferedAmount ?? 0,
        log: this.opts.log,
      });
      entry.link.setConsent(peerConsent(this.rights, technicianId), controlHeldElsewhere(this.rights, technicianId));
    });
    peer.on('data', (buf: Uint8Array) => void entry.link?.receive(buf));
    peer.on('close', () => {
      if (current()) this.dropPeer(peerId);
    });
    peer.on('error', (e: Error) => {
      this.opts.log(`peer connection error: ${e.message}`);
      if (current()) this.dropPeer(peerId);
    });
    return entry;
  }

  /**
   * The tools (shells, system information) and the files get a data channel
   * each, so their traffic never queues behind screen frames, nor a transfer
   * behind a shell. Both sides create them pre-negotiated with fixed ids: no
   * extra signalling round.
   */
  private openSideChannels(entry: PeerEntry): void {
    const { peer, technicianId } = entry;
    // Only the holder's connection may use them; asked again at every request and on every state change.
    const tools = new ToolsHost({
      channel: sideChannel(peer, TOOLS_CHANNEL, (buf) => tools.receive(buf), () => tools.hello()),
      allowed: (tool) => peerRefusal(this.rights, technicianId, tool),
      onElevatedCommand: (line) => this.conn.send({ type: 'audit:command', line }),
      log: this.opts.log,
    });
    entry.tools = tools;
    const files = new FilesHost({
      channel: sideChannel(peer, FILES_CHANNEL, (buf) => files.receive(buf), () => files.hello()),
      allowed: () => peerRefusal(this.rights, technicianId, 'files'),
      roots: this.opts.files.roots,
      owner: this.opts.files.owner,
      screenBusy: () => entry.link?.screenBusy() ?? false,
      log: this.opts.log,
    });
    entry.files = files;
  }

  private dropPeer(peerId: string): void {
    const entry = this.peers.get(peerId);
    if (!entry) return;
    this.peers.delete(peerId);
    // Closing the link lets go of whatever the console held down.
    entry.link?.close();
    entry.link = null;
    void entry.tools?.dispose();
    entry.tools = null;
    void entry.files?.dispose();
    entry.files = null;
    entry.peer.destroy();
  }

  private dropAll(): void {
    for (const peerId of [...this.peers.keys()]) this.dropPeer(peerId);
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.scripts.stop();
    this.dropAll();
    this.conn.stop();
    this.resolveDone({ code, reason });
  }
}

/** The part of a WebRTC data channel (node-datachannel's polyfill) the side channels need. */
interface DataChannelLike {
  binaryType: string;
  readonly readyState: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onopen: (() => void) | null;
}

/** A pre-negotiated data channel on the peer's connection, delivering binary messages to `receive` and calling `opened` when it opens. */
function sideChannel(peer: SimplePeer.Instance, spec: { label: string; id: number }, receive: (buf: Uint8Array) => void, opened: () => void): ToolsChannel {
  const pc = (peer as unknown as { _pc: { createDataChannel(label: string, init: object): DataChannelLike } })._pc;
  const dc = pc.createDataChannel(spec.label, { negotiated: true, id: spec.id });
  dc.binaryType = 'arraybuffer';
  dc.onopen = opened;
  dc.onmessage = (e) => {
    if (e.data instanceof ArrayBuffer) receive(new Uint8Array(e.data));
    else if (ArrayBuffer.isView(e.data)) receive(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength));
  };
  return {
    send: (m) => {
      if (dc.readyState === 'open') dc.send(m);
    },
    bufferedAmount: () => dc.bufferedAmount,
  };
}
