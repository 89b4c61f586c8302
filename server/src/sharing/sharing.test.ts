/**
 * Shared sessions, in-process over the real WebSocket protocol: who may
 * invite, hand over, leave and end; what the request and its participants
 * look like after a handover; and that signals travel by peerId between the
 * agent and each participant's own console. Every server message is parsed
 * with the client's schema from shared/.
 */
import { describe, expect, it } from 'vitest';
import { ServerToAgent, type SessionState } from '../../../shared/protocol.js';
import { annsSession, connect, desk, type Client, type Console } from '../testing/desk-harness.js';



type Agent = Client<ServerToAgent>;

/** Ann holds the session, Bob is invited into it. */
async function shared(url: string) {
  const s = await annsSession(url);
  const bob = await connect(url, 'bob');
  await s.ann.request({ type: 'session:invite', requestId: s.requestId, technicianId: await idOf(url, bob) });
  return { ...s, bob };
}

async function idOf(_url: string, c: Console): Promise<number> {
  const w = c.of('welcome')[0]!;
  return w.technician.id;
}

const names = (s: SessionState | undefined) => s?.participants?.map((p) => `${p.displayName}${p.control ? '*' : ''}`);

/** The agent's copy of a signal the console sent (peerId and technician added by the server). */
async function signalAt(agent: Agent, data: object) {
  return agent.waitFor('signal at the agent', () => agent.of('signal').find((m) => JSON.stringify(m.data) === JSON.stringify(data)));
}

describe('shared sessions', () => {
  it('the holder invites an online colleague: he gets the state, the chat and the queue entry; everyone sees both participants', async () => {
    const { server, ids } = await desk('sharing');
    const { requestId, portal, agent, ann, bob } = await shared(server.url);

    await bob.waitFor('Bob in the session', () => (names(bob.state(requestId))?.length === 2 ? true : undefined));
    expect(names(bob.state(requestId))).toEqual(['Ann*', 'Bob']);
    expect(bob.state(requestId)).toMatchObject({ status: 'active', technician: { id: ids.Ann } });
    expect(bob.of('chat:history').find((h) => h.requestId === requestId)!.messages.map((m) => m.text)).toEqual(expect.arrayContaining(['Hello, it smokes', 'Let me look']));
    await bob.waitFor('Bob\'s queue', () => bob.of('queue:snapshot').at(-1)?.items.find((i) => i.requestId === requestId && i.status === 'active'));
    await portal.waitFor('portal lists both', () => (names(portal.state(requestId))?.length === 2 ? true : undefined));
    expect(names(portal.state(requestId))).toEqual(['Ann*', 'Bob']);
    await agent.waitFor('agent knows both', () => (names(agent.state(requestId))?.length === 2 ? true : undefined));
    expect(names(agent.state(requestId))).toEqual(['Ann*', 'Bob']);
    await portal.waitFor('invite line', () => portal.of('chat:message').find((m) => m.message.text === 'Ann invited Bob into the session.'));
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.invited').execute();
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail)])).toEqual([['ann', { requestId, technician: 'bob' }]]);
    // He chats like the holder; inviting him twice changes nothing.
    await bob.request({ type: 'chat:send', requestId, text: 'Bob watching' });
    await portal.waitFor('Bob\'s chat', () => portal.of('chat:message').find((m) => m.message.text === 'Bob watching'));
    await ann.request({ type: 'session:invite', requestId, technicianId: ids.Bob });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Bob]);
    // A reconnecting console of his gets the session too.
    const bob2 = await connect(server.url, 'bob');
    await bob2.waitFor('state on hello', () => bob2.state(requestId));
  });

  it('routes signals by peerId: each console talks to its own peer on the agent, and nobody else gets its answers', async () => {
    const { server, ids } = await desk('sharing');
    const { requestId, agent, ann, bob } = await shared(server.url);

    await ann.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'ann' } });
    await bob.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'bob' } });
    const fromAnn = await signalAt(agent, { type: 'offer', sdp: 'ann' });
    const fromBob = await signalAt(agent, { type: 'offer', sdp: 'bob' });
    expect(fromAnn.technicianId).toBe(ids.Ann);
    expect(fromBob.technicianId).toBe(ids.Bob);
    expect(fromAnn.peerId).not.toBe(fromBob.peerId);

    await agent.request({ type: 'signal', peerId: fromBob.peerId, data: { type: 'answer', sdp: 'to bob' } });
    await agent.request({ type: 'signal', peerId: fromAnn.peerId, data: { type: 'answer', sdp: 'to ann' } });
    await bob.waitFor('Bob\'s answer', () => bob.of('signal').find((m) => m.data.sdp === 'to bob'));
    await ann.waitFor('Ann\'s answer', () => ann.of('signal').find((m) => m.data.sdp === 'to ann'));
    expect(bob.of('signal').map((m) => m.data.sdp)).toEqual(['to bob']);
    expect(ann.of('signal').map((m) => m.data.sdp)).toEqual(['to ann']);
    // Without a peerId (an older agent) the holder gets it; an unknown peerId reaches nobody.
    await agent.request({ type: 'signal', data: { type: 'candidate', n: 1 } });
    await ann.waitFor('holder fallback', () => ann.of('signal').find((m) => m.data.n === 1));
    await expect(agent.request({ type: 'signal', peerId: 'nobody', data: { n: 2 } })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    // Once Bob left, his peerId reaches nobody either, and he may not signal.
    await bob.request({ type: 'session:leave', requestId });
    // The agent is told to drop his peer connection, and only his.
    await agent.waitFor('Bob\'s peer closed', () => agent.of('peer:closed').find((m) => m.peerId === fromBob.peerId));
    expect(agent.of('peer:closed').map((m) => m.peerId)).toEqual([fromBob.peerId]);
    await expect(agent.request({ type: 'signal', peerId: fromBob.peerId, data: { n: 3 } })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await expect(bob.request({ type: 'signal', requestId, data: { n: 4 } })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    expect(bob.of('signal').map((m) => m.data.sdp ?? m.data.n)).toEqual(['to bob']);
  });

  it('handover swaps the holder: control, end, invite and transfer go with it; it is audited', async () => {
    const { server, ids } = await desk('sharing');
    const { requestId, agent, ann, bob, portal } = await shared(server.url);

    await ann.request({ type: 'session:handover', requestId, technicianId: ids.Bob });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'active', accepted_by: ids.Bob });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Ann]);
    await agent.waitFor('agent sees Bob holding', () => (names(agent.state(requestId))?.[0] === 'Bob*' ? true : undefined));
    expect(names(agent.state(requestId))).toEqual(['Bob*', 'Ann']);
    // The state's technician and grants are the holder's now.
    expect(agent.state(requestId)).toMatchObject({ technician: { id: ids.Bob, displayName: 'Bob' } });
    await portal.waitFor('handover line', () => portal.of('chat:message').find((m) => m.message.text === 'Ann handed control to Bob.'));
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.handed_over').execute();
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail)])).toEqual([['ann', { requestId, to: 'bob' }]]);

    // Ann, now a participant, may chat and signal but not end, transfer, invite or hand over.
    await ann.request({ type: 'chat:send', requestId, text: 'over to you' });
    await ann.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'ann again' } });
    for (const msg of [
      { type: 'session:end', requestId },
      { type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' },
      { type: 'session:invite', requestId, technicianId: ids.Cem },
      { type: 'session:handover', requestId, technicianId: ids.Ann },
    ]) await expect(ann.request(msg), msg.type).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    // Bob hands it back.
    await bob.request({ type: 'session:handover', requestId, technicianId: ids.Ann });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ accepted_by: ids.Ann });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Bob]);
  });

  it('refuses what only the holder may do, people who are not there, and bad messages; refusals change nothing', async () => {
    const { server, ids } = await desk('sharing');
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    await server.ctx.auth.createTechnician({ username: 'dan', displayName: 'Dan', password: 'long enough password', role: 'technician' });
    await server.ctx.auth.changePermissions('dan', ['view'], false);
    const dan = await connect(server.url, 'dan');
    const before = await server.ctx.queue.getOrThrow(requestId);
    const refusals: [Console, object, string][] = [
      [bob, { type: 'session:invite', technicianId: ids.Bob }, 'ERR_PERMISSION'],
      [bob, { type: 'session:handover', technicianId: ids.Bob }, 'ERR_PERMISSION'],
      [bob, { type: 'session:end' }, 'ERR_PERMISSION'],
      [bob, { type: 'chat:send', text: 'hi' }, 'ERR_PERMISSION'],
      [bob, { type: 'signal', data: { type: 'offer' } }, 'ERR_PERMISSION'],
      [bob, { type: 'session:leave' }, 'ERR_PERMISSION'],
      [ann, { type: 'session:invite', technicianId: ids.Cem }, 'ERR_NOT_CONNECTED'],
      [ann, { type: 'session:invite', technicianId: 9999 }, 'ERR_NOT_FOUND'],
      [ann, { type: 'session:invite', technicianId: ids.Ann }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:invite', technicianId: await idOf(server.url, dan) }, 'ERR_PERMISSION'],
      [ann, { type: 'session:invite' }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:invite', technicianId: 'bob' }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:handover', technicianId: ids.Bob }, 'ERR_NOT_FOUND'],
      [ann, { type: 'session:leave' }, 'ERR_BAD_MESSAGE'],
    ];
    for (const [who, body, code] of refusals) {
      await expect(who.request({ requestId, ...body }), JSON.stringify(body)).rejects.toMatchObject({ code });
    }
    await expect(ann.request({ type: 'session:invite', requestId: 'no-such-request', technicianId: ids.Bob })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toEqual(before);
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([]);
  });

  it('an invited technician leaves; a transfer takes everyone out; the end reaches the participants', async () => {
    const { server, ids } = await desk('sharing');
    const { requestId, ann, bob, portal } = await shared(server.url);
    await bob.request({ type: 'session:leave', requestId });
    await bob.waitFor('Bob\'s last state', () => (names(bob.state(requestId))?.length === 1 ? true : undefined));
    expect(names(bob.state(requestId))).toEqual(['Ann*']);
    await bob.waitFor('queue without it', () => (bob.of('queue:snapshot').at(-1)?.items.some((i) => i.requestId === requestId) === false ? true : undefined));
    await portal.waitFor('left line', () => portal.of('chat:message').find((m) => m.message.text === 'Bob left the session.'));
    await expect(bob.request({ type: 'chat:send', requestId, text: 'still here?' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });

    // Invited again, then Ann transfers the session: both consoles leave it, and nobody takes part any more.
    await ann.request({ type: 'session:invite', requestId, technicianId: ids.Bob });
    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: 'printer' });
    await bob.waitFor('Bob told', () => bob.of('session:transferred').find((m) => m.requestId === requestId));
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([]);
    expect(bob.state(requestId)).toMatchObject({ status: 'waiting', participants: [] });

    // Accepted again and shared: ending it reaches the invited technician.
    await bob.request({ type: 'queue:accept', requestId });
    const cem = await connect(server.url, 'cem');
    await bob.request({ type: 'session:invite', requestId, technicianId: ids.Cem });
    await bob.request({ type: 'session:end', requestId });
    await cem.waitFor('Cem sees the end', () => (cem.state(requestId)?.status === 'ended' ? true : undefined));
  });
});
