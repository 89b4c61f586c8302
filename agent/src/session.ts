/**
 * One attended session on the agent: the server connection, the peer
 * connection, and the consent the user gave on the portal. Consent is
 * enforced on the agent, where the screen and the input are (ConsoleLink):
 * whatever the console sends, nothing is shown without `view` and nothing is
 * injected or shared without `control`.
 */
import type SimplePeer from 'simple-peer';
import { WebSocket } from 'ws';
import { ERROR_MESSAGES, type ErrorCode } from '../../shared/errors.js';
import { ServerToAgent, type AgentInfo, type Consent, type IceServer, type SessionState } from '../../shared/protocol.js';
import { ServerConnection, type SocketLike } from '../../shared/server-connection.js';
import type { Tool } from '../../shared/permissions.js';
import { ConsoleLink } from './console-link.js';
import { ScriptRunner } from './script-runner.js';
import { ToolsHost } from './tools/host.js';
import type { ToolsChannel } from './tools/pacer.js';
import { FilesHost, type FileRootConfig } from './files/host.js';
import { TOOLS_CHANNEL } from '../../shared/tools.js';
import { FILES_CHANNEL } from '../../shared/files.js';
import type { Desktop } from './platform/types.js';
import { createAgentPeer, isOffer } from './peer.js';

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

export class AgentSession {
  private readonly conn: ServerConnection<ServerToAgent>;
  private resumeKey: string | null = null;
  private iceServers: IceServer[] = [];
  /** What the user allowed on the portal. */
  private consent: Consent = { view: false, control: false };
  /** What the server lets the session's technician do. */
  private grants: readonly Tool[] = [];
  private readonly scripts = new ScriptRunner({ send: (m) => this.conn.send(m) });
  private peer: SimplePeer.Instance | null = null;
  private link: ConsoleLink | null = null;
  private tools: ToolsHost | null = null;
  private files: FilesHost | null = null;
  private finished = false;
  private resolveDone!: (r: { code: number; reason: string }) => void;
  /** Resolves when the session is over, with the process exit code. */
  readonly done = new Promise<{ code: number; reason: string }>((r) => (this.resolveDone = r));

  constructor(private readonly opts: AgentSessionOptions) {
    this.resumeKey = opts.joinKey ?? null;
    const url = `${opts.serverUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;
    this.conn = new ServerConnection<ServerToAgent>({
      url,
      socket: (u) => new WebSocket(u) as unknown as SocketLike,
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
        this.onSignal(msg.data);
        return;
      case 'script:run':
        if (this.allowed('scripts')) this.scripts.run(msg.runId, msg.shell, msg.body);
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
    // Transferred back to a queue: the old technician's peer goes; the next one builds a new peer when he accepts.
    if (state.status === 'waiting' && this.peer) this.dropPeer();
    this.consent = state.consent;
    this.grants = state.grants;
    this.link?.setConsent(this.effectiveConsent());
    this.tools?.revoked();
    this.files?.revoked();
    if (!this.allowed('scripts')) this.scripts.stop();
  }

  /** Why a tool is refused: the server's grant first, then the user's consent. */
  private refusal(tool: Tool): ErrorCode | null {
    if (!this.grants.includes(tool)) return 'ERR_PERMISSION';
    return this.allowed(tool) ? null : 'ERR_CONSENT';
  }

  /**
   * A tool is usable only when the server grants it to the technician AND the
   * user allowed it. Scripts are shell code: they need the user's shell consent.
   */
  private allowed(tool: Tool): boolean {
    if (!this.grants.includes(tool)) return false;
    if (tool === 'scripts') return this.consent.shell === true;
    return this.consent[tool as keyof Consent] === true;
  }

  private effectiveConsent(): Consent {
    return { view: this.allowed('view'), control: this.allowed('control') };
  }

  private onSignal(data: Record<string, unknown>): void {
    // A fresh offer means the console started over (reload, reconnect): follow it.
    if (isOffer(data) || !this.peer) this.newPeer();
    try {
      this.peer!.signal(data as unknown as SimplePeer.SignalData);
    } catch (e) {
      this.opts.log(`bad signal from the console: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private newPeer(): void {
    this.dropPeer();
    const peer = createAgentPeer(this.iceServers);
    this.peer = peer;
    peer.on('signal', (data) => {
      // The tools channel is pre-negotiated: its end must exist before the console can use it, or
      // libdatachannel resets the stream at the first message. The answer is the last moment before that.
      if (data.type === 'answer' && !this.tools) this.openSideChannels(peer);
      this.conn.send({ type: 'signal', data });
    });
    peer.on('connect', () => {
      this.opts.log('peer connection open');
      const channel = (peer as unknown as { _channel?: { bufferedAmount: number } })._channel;
      this.link = new ConsoleLink({
        desktop: this.opts.desktop,
        send: (msg) => {
          if (peer.connected) peer.send(msg);
        },
        bufferedAmount: () => channel?.bufferedAmount ?? 0,
        log: this.opts.log,
      });
      this.link.setConsent(this.effectiveConsent());
    });
    peer.on('data', (buf: Uint8Array) => void this.link?.receive(buf));
    peer.on('close', () => {
      if (this.peer === peer) this.dropPeer();
    });
    peer.on('error', (e: Error) => {
      this.opts.log(`peer connection error: ${e.message}`);
      if (this.peer === peer) this.dropPeer();
    });
  }

  /**
   * The tools (shells, system information) and the files get a data channel
   * each, so their traffic never queues behind screen frames, nor a transfer
   * behind a shell. Both sides create them pre-negotiated with fixed ids: no
   * extra signalling round.
   */
  private openSideChannels(peer: SimplePeer.Instance): void {
    const tools = new ToolsHost({
      channel: sideChannel(peer, TOOLS_CHANNEL, (buf) => tools.receive(buf), () => tools.hello()),
      allowed: (tool) => this.refusal(tool),
      onElevatedCommand: (line) => this.conn.send({ type: 'audit:command', line }),
      log: this.opts.log,
    });
    this.tools = tools;
    const files = new FilesHost({
      channel: sideChannel(peer, FILES_CHANNEL, (buf) => files.receive(buf), () => files.hello()),
      allowed: () => this.refusal('files'),
      roots: this.opts.files.roots,
      owner: this.opts.files.owner,
      screenBusy: () => this.link?.screenBusy() ?? false,
      log: this.opts.log,
    });
    this.files = files;
  }

  private dropPeer(): void {
    // Closing the link lets go of whatever the console held down.
    this.link?.close();
    this.link = null;
    void this.tools?.dispose();
    this.tools = null;
    void this.files?.dispose();
    this.files = null;
    const p = this.peer;
    this.peer = null;
    p?.destroy();
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.scripts.stop();
    this.dropPeer();
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
