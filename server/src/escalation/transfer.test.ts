/**
 * Transferring a session, in-process over the real WebSocket protocol: who
 * may transfer, which targets exist, what the request looks like afterwards,
 * and that the note and the chat history reach the next technician while the
 * agent and the portal stay connected. Every server message is parsed with
 * the client's schema from shared/.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { annsSession, connect, desk, type Console } from '../testing/desk-harness.js';
import { notesOf } from './transfer.js';


describe('session:transfer', () => {
  it('moves the session to a team queue with the note; a member accepts it and reads the chat so far; agent and portal stay', async () => {
    const { server, ids } = await desk('escalation');
    const { requestId, portal, agent, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');

    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: 'Needs the printer driver reinstalled' });

    // Ann's console is told the session left her.
    expect(ann.of('session:transferred')).toEqual([
      { type: 'session:transferred', requestId, to: 'the Printers team', note: 'Needs the printer driver reinstalled' },
    ]);
    // The request waits in the team queue, held by nobody; the note is stored and audited.
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({
      status: 'waiting', queue: 'team', team_id: expect.any(Number), technician_id: null, accepted_by: null, accepted_at: null,
    });
    expect(await notesOf(server.ctx.db, requestId)).toMatchObject([{ authorId: ids.Ann, target: 'the Printers team', text: 'Needs the printer driver reinstalled' }]);
    // Routing knows who handed it on, and never routes it back to her.
    expect((await server.ctx.queue.waitingForRouting()).find((r) => r.id === requestId)).toMatchObject({ transferred_by: ids.Ann });
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.transferred').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('ann');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ requestId, to: 'team:Printers', note: 'Needs the printer driver reinstalled' });

    // Bob sees it in his team queue (routing applies: he is the available member) and accepts it.
    await bob.waitFor('the request in Bob\'s queue', () =>
      bob.of('queue:snapshot').at(-1)?.items.find((i) => i.requestId === requestId && i.status === 'waiting' && i.routedTo?.id === ids.Bob));
    // Ann's queue no longer lists it.
    expect(ann.of('queue:snapshot').at(-1)?.items.map((i) => i.requestId)).not.toContain(requestId);
    // The portal and the agent learn that it waits again, with nobody's grants.
    await portal.waitFor('waiting state', () => (portal.state(requestId)?.status === 'waiting' ? true : undefined));
    expect(portal.state(requestId)).toMatchObject({ technician: null, agentOnline: true, portalOnline: true });
    expect(agent.state(requestId)).toMatchObject({ status: 'waiting', grants: [] });

    await bob.request({ type: 'queue:accept', requestId });
    const history = bob.of('chat:history').find((h) => h.requestId === requestId)!;
    expect(history.messages.map((m) => `${m.from}: ${m.text}`)).toEqual(expect.arrayContaining([
      'user: Hello, it smokes',
      'technician: Let me look',
      'system: Ann transferred the session to the Printers team: Needs the printer driver reinstalled',
    ]));
    await bob.waitFor('Bob joined line', () => bob.of('chat:message').find((m) => m.message.text === 'Bob has joined the session.'));
    // The portal shows the new technician; nobody needed a new code; the agent's connection is the same one.
    await portal.waitFor('Bob on the portal', () => (portal.state(requestId)?.technician?.displayName === 'Bob' ? true : undefined));
    expect(portal.state(requestId)).toMatchObject({ status: 'active', agentOnline: true, consoleOnline: true });
    expect(portal.of('chat:message').map((m) => m.message.text)).toContain('Ann transferred the session to the Printers team: Needs the printer driver reinstalled');
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);
    // Bob may drive the peer connection now; Ann may not even chat any more.
    await expect(ann.request({ type: 'chat:send', requestId, text: 'still here?' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await bob.request({ type: 'chat:send', requestId, text: 'Hi, Bob here' });
  });

  it('a technician target puts it in his personal queue: only he may accept it', async () => {
    const { server, ids } = await desk('escalation');
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    const cem = await connect(server.url, 'cem');
    await ann.request({ type: 'session:transfer', requestId, to: { technician: 'cem' }, note: '' });
    expect(ann.of('session:transferred').at(-1)).toMatchObject({ to: 'Cem', note: '' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'waiting', queue: 'personal', technician_id: ids.Cem, team_id: null, accepted_by: null });
    await cem.waitFor('transfer line', () => cem.of('chat:message').find((m) => m.message.text === 'Ann transferred the session to Cem.'));
    await expect(bob.request({ type: 'queue:accept', requestId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await cem.request({ type: 'queue:accept', requestId });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'active', accepted_by: ids.Cem });
    // And on by id, as the console's presence list names people.
    await cem.request({ type: 'session:transfer', requestId, to: { technicianId: ids.Ann }, note: 'back to you' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'waiting', technician_id: ids.Ann });
    expect((await notesOf(server.ctx.db, requestId)).map((n) => n.text)).toEqual(['', 'back to you']);
  });

  it('only the technician holding the session may transfer it, only to targets that exist; refusals change nothing', async () => {
    const { server } = await desk('escalation');
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    const before = await server.ctx.queue.getOrThrow(requestId);
    const refusals: [Console, object, string][] = [
      [bob, { to: { team: 'Printers' }, note: '' }, 'ERR_PERMISSION'],
      [ann, { to: { team: 'Nobody' }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technician: 'zed' }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technicianId: 9999 }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technician: 'ann' }, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: {}, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers', technician: 'bob' }, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers' }, note: 'x'.repeat(1001) }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers' } }, 'ERR_BAD_MESSAGE'],
    ];
    for (const [who, body, code] of refusals) {
      await expect(who.request({ type: 'session:transfer', requestId, ...body }), JSON.stringify(body)).rejects.toMatchObject({ code });
    }
    await expect(ann.request({ type: 'session:transfer', requestId: 'no-such-request', to: { team: 'Printers' }, note: '' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toEqual(before);
    expect(await notesOf(server.ctx.db, requestId)).toEqual([]);
    expect(ann.of('session:transferred')).toEqual([]);

    // A waiting request (after a transfer) cannot be transferred again before someone accepts it; an ended one never.
    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' });
    await expect(ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await bob.request({ type: 'queue:accept', requestId });
    await bob.request({ type: 'session:end', requestId });
    await expect(bob.request({ type: 'session:transfer', requestId, to: { technician: 'ann' }, note: '' })).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
  });
});
