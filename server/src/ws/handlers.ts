/**
 * What each kind of peer may do once it has said hello. Messages reach these
 * handlers already parsed (ws/router.ts); permissions are checked here,
 * against the database's view of the request.
 */
import { LifelineError } from '../../../shared/errors.js';
import type {
  AgentToServer, ConsoleToServer, Hello, PortalToServer, ServerToAgent, ServerToConsole, ServerToPortal,
} from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import { randomUUID } from 'node:crypto';
import { sha256 } from '../crypto.js';
import { canAct, canChat, canJoin, consentOf, parseAgentInfo } from '../queue/service.js';
import type { Peer } from '../sessions/hub.js';
import { handleJumpConsole } from './jump-handlers.js';
import { transferSession } from '../escalation/transfer.js';
import { handOverSession, inviteToSession, leaveSession } from '../sharing/sharing.js';

export interface Handler {
  message(msg: never): Promise<void>;
  closed(): Promise<void>;
}

type HelloOf<R extends Hello['role']> = Extract<Hello, { role: R }>;

export async function handleConsole(ctx: ServerContext, peer: Peer<ServerToConsole>, hello: HelloOf<'console'>): Promise<Handler> {
  const technician = await ctx.auth.authenticate(hello.token);
  // The agent tells this connection's peer connection apart from a colleague's in a shared session by it.
  const self = { ...peer, technician, peerId: randomUUID(), tokenHash: sha256(hello.token) };
  ctx.hub.addConsole(self);
  peer.send({ type: 'welcome', technician, iceServers: ctx.iceServers });
  const rows = await ctx.queue.listFor(technician.id);
  peer.send(await ctx.hub.queueSnapshot(technician.id));
  const viewer = await ctx.queue.viewer(technician.id);
  for (const row of rows) {
    const invited = await ctx.queue.participantsOf(row.id);
    // What waits in a team's or the general queue is his to chat in, not yet a session of his.
    if (!canChat(row, viewer, invited)) continue;
    peer.send({ type: 'chat:history', requestId: row.id, messages: await ctx.chat.history(row.id) });
    if (!canJoin(row, technician.id, invited)) continue;
    peer.send({ type: 'session:state', state: await ctx.hub.stateOf(row) });
    // Agent and portal learn that the technician is (back) online.
    if (row.status === 'active') await ctx.hub.broadcast(row.id);
  }
  // He is online now: presence changes, and what waits may be routed to him.
  await ctx.desk.changed();
  peer.send(ctx.desk.presenceSnapshot());

  /** The holder (or a waiting request's owner): end, scripts. */
  const permitted = async (requestId: string) => {
    const row = await ctx.queue.getOrThrow(requestId);
    if (!canAct(row, technician.id)) throw new LifelineError('ERR_PERMISSION');
    return row;
  };
  /** Whoever takes part, or may accept it while it waits: chat. */
  const chatting = async (requestId: string) => {
    const row = await ctx.queue.getOrThrow(requestId);
    if (!canChat(row, await ctx.queue.viewer(technician.id), await ctx.queue.participantsOf(row.id))) {
      throw new LifelineError('ERR_PERMISSION', 'Only a technician who may take this request, or who takes part in its session, may chat in it.');
    }
    return row;
  };
  /** The holder or an invited colleague: signalling. */
  const participating = async (requestId: string) => {
    const row = await ctx.queue.getOrThrow(requestId);
    if (!canJoin(row, technician.id, await ctx.queue.participantsOf(row.id))) throw new LifelineError('ERR_PERMISSION');
    return row;
  };

  return {
    async message(msg: ConsoleToServer) {
      switch (msg.type) {
        case 'queue:accept': {
          const row = await ctx.queue.accept(msg.requestId, technician.id);
          ctx.hub.setLink(row.id, self);
          await ctx.audit.record(technician.username, 'session.accepted', { requestId: row.id });
          // From a team or the general queue, the chat so far is new to him.
          const messages = await ctx.chat.history(row.id);
          for (const c of ctx.hub.consolesOf(technician.id)) c.send({ type: 'chat:history', requestId: row.id, messages });
          await ctx.hub.postChat(row, 'system', 'Lifeline', `${technician.displayName} has joined the session.`);
          await ctx.hub.broadcast(row.id);
          await ctx.desk.changed();
          return;
        }
        case 'jump:subscribe':
        case 'jump:start':
        case 'jump:manage':
          return handleJumpConsole(ctx, self, msg);
        case 'session:transfer':
          return transferSession(ctx, technician, msg);
        case 'session:invite':
          return inviteToSession(ctx, technician, msg);
        case 'session:handover':
          return handOverSession(ctx, technician, msg);
        case 'session:leave':
          return leaveSession(ctx, technician, msg);
        case 'team-chat:send': {
          const { message, audience } = await ctx.teamChat.send(technician.id, msg.to, msg.text, msg.clientId);
          for (const id of audience) for (const c of ctx.hub.consolesOf(id)) c.send({ type: 'team-chat:message', message });
          return;
        }
        case 'presence:set': {
          await ctx.desk.presence.choose(technician.id, msg.status);
          await ctx.audit.record(technician.username, 'presence.set', { status: msg.status });
          await ctx.desk.changed();
          return;
        }
        case 'session:end': {
          const row = await permitted(msg.requestId);
          await endSession(ctx, row.id, `ended by ${technician.displayName}`, technician.username);
          return;
        }
        case 'chat:send': {
          const row = await chatting(msg.requestId);
          if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
          await ctx.hub.postChat(row, 'technician', technician.displayName, msg.text, msg.clientId);
          return;
        }
        case 'script:run': {
          const row = await permitted(msg.requestId);
          if (row.status !== 'active') throw new LifelineError('ERR_SESSION_ENDED', 'The session is not active.');
          if (!(await ctx.auth.permissionsOf(technician.id)).includes('scripts')) throw new LifelineError('ERR_PERMISSION', 'Your account may not run scripts.');
          if (!consentOf(row).shell) throw new LifelineError('ERR_CONSENT', 'The user has not allowed a command shell, which scripts need.');
          const agent = ctx.hub.agent(row.id);
          if (!agent) throw new LifelineError('ERR_NOT_CONNECTED', "The user's client is not connected.");
          const script = await ctx.scripts.get(msg.scriptId);
          const runId = await ctx.scripts.startRun(row.id, script, technician.id);
          await ctx.audit.record(technician.username, 'script.run', { requestId: row.id, script: script.name, runId });
          for (const c of ctx.hub.consolesOf(technician.id)) c.send({ type: 'script:started', requestId: row.id, runId, name: script.name });
          agent.send({ type: 'script:run', runId, name: script.name, shell: script.shell, body: script.body });
          return;
        }
        case 'signal': {
          const row = await participating(msg.requestId);
          if (row.status !== 'active') throw new LifelineError('ERR_SESSION_ENDED', 'The session is not active.');
          const agent = ctx.hub.agent(row.id);
          if (!agent) throw new LifelineError('ERR_NOT_CONNECTED', "The user's client is not connected.");
          ctx.hub.setLink(row.id, self);
          agent.send({ type: 'signal', peerId: self.peerId, technicianId: technician.id, data: msg.data });
          return;
        }
      }
    },
    async closed() {
      ctx.hub.removeConsole(self);
      ctx.jumpLive.unwatch(self);
      // His sessions, shared ones included, show him offline.
      for (const row of await ctx.queue.listFor(technician.id)) if (row.status === 'active') await ctx.hub.broadcast(row.id);
      await ctx.desk.changed();
    },
  };
}

export async function handleAgent(ctx: ServerContext, peer: Peer<ServerToAgent>, hello: HelloOf<'agent'>, ip: string): Promise<Handler> {
  let requestId: string;
  let resumeKey: string;
  if (hello.resumeKey) {
    requestId = await ctx.codes.resume(hello.resumeKey, 'agent');
    resumeKey = hello.resumeKey;
  } else if (hello.code) {
    ({ requestId, resumeKey } = await claimWithLimit(ctx, ip, hello.code, 'agent'));
  } else {
    throw new LifelineError('ERR_BAD_MESSAGE', 'An agent hello needs a session code or a resume key.');
  }
  await ctx.queue.setAgentInfo(requestId, hello.info);
  ctx.hub.setAgent(requestId, peer);
  peer.send({ type: 'welcome', requestId, resumeKey, iceServers: ctx.iceServers });
  await ctx.hub.broadcast(requestId);

  /** The technician consoles of this session, for script output. */
  const sessionConsoles = async () => {
    const row = await ctx.queue.getOrThrow(requestId);
    return row.accepted_by != null ? ctx.hub.consolesOf(row.accepted_by) : [];
  };
  /** A run the server started for this very request; anything else is refused. */
  const ownRun = async (runId: number) => {
    if (!(await ctx.scripts.runsFor(requestId)).some((r) => r.id === runId)) throw new LifelineError('ERR_NOT_FOUND', 'No such script run in this session.');
  };

  return {
    async message(msg: AgentToServer) {
      switch (msg.type) {
        case 'signal': {
          const row = await ctx.queue.getOrThrow(requestId);
          if (row.status !== 'active') throw new LifelineError('ERR_SESSION_ENDED', 'The session is not active.');
          const link = ctx.hub.linkFor(row, msg.peerId, await ctx.queue.participantsOf(row.id));
          if (!link) throw new LifelineError('ERR_NOT_CONNECTED', 'The technician is not connected.');
          link.send({ type: 'signal', requestId, data: msg.data });
          return;
        }
        case 'script:output': {
          await ownRun(msg.runId);
          await ctx.scripts.appendOutput(msg.runId, msg.chunk);
          for (const c of await sessionConsoles()) c.send({ type: 'script:output', requestId, runId: msg.runId, chunk: msg.chunk });
          return;
        }
        case 'script:exit': {
          await ownRun(msg.runId);
          await ctx.scripts.finishRun(msg.runId, msg.code ?? -1);
          for (const c of await sessionConsoles()) {
            c.send({ type: 'script:exit', requestId, runId: msg.runId, code: msg.code, ...(msg.error ? { error: msg.error } : {}) });
          }
          return;
        }
        case 'audit:command': {
          const row = await ctx.queue.getOrThrow(requestId);
          const tech = row.accepted_by != null ? await ctx.auth.getTechnician(row.accepted_by) : null;
          await ctx.audit.record(tech?.username ?? 'unknown', 'shell.elevated.command', {
            requestId, host: parseAgentInfo(row)?.hostname ?? 'unknown', line: msg.line,
          });
          return;
        }
      }
    },
    async closed() {
      ctx.hub.removeAgent(requestId, peer);
      await ctx.hub.broadcast(requestId);
    },
  };
}

export async function handlePortal(ctx: ServerContext, peer: Peer<ServerToPortal>, hello: HelloOf<'portal'>): Promise<Handler> {
  const requestId = await ctx.codes.resume(hello.resumeKey, 'portal');
  ctx.hub.setPortal(requestId, peer);
  peer.send({ type: 'welcome', requestId });
  peer.send({ type: 'chat:history', requestId, messages: await ctx.chat.history(requestId) });
  await ctx.hub.broadcast(requestId);

  const open = async () => {
    const row = await ctx.queue.getOrThrow(requestId);
    if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
    return row;
  };

  return {
    async message(msg: PortalToServer) {
      switch (msg.type) {
        case 'chat:send': {
          const row = await open();
          await ctx.hub.postChat(row, 'user', row.customer_name, msg.text, msg.clientId);
          return;
        }
        case 'consent:set': {
          const row = await open();
          const before = consentOf(row);
          // Control without view makes no sense to a user: allowing control implies view.
          const consent = {
            view: msg.consent.view || msg.consent.control,
            control: msg.consent.control,
            files: !!msg.consent.files,
            sysinfo: !!msg.consent.sysinfo,
            shell: !!msg.consent.shell,
            shell_elevated: !!msg.consent.shell_elevated,
          };
          const changed = CONSENT_WORDS.filter(([key]) => !!before[key] !== consent[key]);
          if (!changed.length) return;
          await ctx.queue.setConsent(requestId, consent);
          await ctx.audit.record(`user:${requestId}`, 'consent.changed', consent);
          for (const [key, what] of changed) {
            await ctx.hub.postChat(row, 'system', 'Lifeline', `The user ${consent[key] ? 'allowed' : 'withdrew'} ${what}.`);
          }
          await ctx.hub.broadcast(requestId);
          return;
        }
        case 'session:end': {
          await open();
          await endSession(ctx, requestId, 'ended by the user', `user:${requestId}`);
          return;
        }
      }
    },
    async closed() {
      ctx.hub.removePortal(requestId, peer);
      await ctx.hub.broadcast(requestId);
    },
  };
}

const CONSENT_WORDS = [
  ['view', 'screen viewing'],
  ['control', 'remote control'],
  ['files', 'file transfer'],
  ['sysinfo', 'reading system information'],
  ['shell', 'a command shell'],
  ['shell_elevated', 'an administrator shell'],
] as const;

export async function endSession(ctx: ServerContext, requestId: string, reason: string, actor: string): Promise<void> {
  if (!(await ctx.queue.end(requestId, reason))) return;
  await ctx.audit.record(actor, 'session.ended', { requestId, reason });
  const row = await ctx.queue.getOrThrow(requestId);
  await ctx.hub.postChat(row, 'system', 'Lifeline', `The session was ${reason}.`);
  await ctx.hub.broadcast(requestId);
  // A technician with one session fewer may be available again.
  await ctx.desk.changed();
}

/** Claims a code, counting wrong codes per address so guessing is rate-limited. */
export async function claimWithLimit(ctx: ServerContext, ip: string, code: string, role: 'portal' | 'agent', customerName?: string) {
  if (ctx.codeFailures.isBlocked(ip)) throw new LifelineError('ERR_RATE_LIMITED');
  try {
    return await ctx.codes.claim(code, role, customerName);
  } catch (e) {
    if (e instanceof LifelineError && e.code === 'ERR_CODE_INVALID') ctx.codeFailures.recordFailure(ip);
    throw e;
  }
}
