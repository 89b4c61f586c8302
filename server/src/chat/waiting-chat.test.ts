/**
 * Chat while a request waits, over the real WebSocket protocol: whoever may
 * accept the request reads and answers the user before accepting, everyone
 * else is refused, and the conversation goes on unchanged into the session.
 */
import { describe, expect, it } from 'vitest';
import { PortalHelpResponse } from '../../../shared/desk.js';
import { ServerToPortal, type ChatMessage } from '../../../shared/protocol.js';
import { connect, desk, open, type Console } from '../testing/desk-harness.js';

/** The user asks for help on the portal (issue type "Printer jam": team Printers; none: the general queue) and keeps the portal open. */
async function ask(url: string, issueType?: string) {
  const res = await fetch(`${url}/api/portal/request`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', description: 'The printer is on fire', issueType }),
  });
  const help = PortalHelpResponse.parse(await res.json());
  const portal = await open(url, ServerToPortal, { type: 'hello', role: 'portal', resumeKey: help.resumeKey });
  return { requestId: help.requestId, portal };
}

/** Every chat message a console holds for a request: histories and live messages, as texts (a duplicate shows twice). */
function chatOf(c: Console, requestId: string): string[] {
  const byId = new Map<number, ChatMessage>();
  for (const m of c.received) {
    if (m.type === 'chat:history' && m.requestId === requestId) for (const h of m.messages) byId.set(h.id, h);
    if (m.type === 'chat:message' && m.message.requestId === requestId) byId.set(m.message.id, m.message);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id).map((m) => m.text);
}

const live = (c: Console, requestId: string) => c.of('chat:message').filter((m) => m.message.requestId === requestId).map((m) => m.message.text);

async function refused(c: Console, requestId: string): Promise<unknown> {
  return c.request({ type: 'chat:send', requestId, text: 'May I?' }).then(() => 'sent', (e: { code?: string }) => e.code);
}

describe('chat while a request waits', () => {
  it('a team request\'s members read the user and answer before accepting; a technician outside the team is refused and reads nothing', async () => {
    const { server } = await desk('waiting-chat');
    await server.ctx.desk.issueTypes.save('Printer jam', 'Printers');
    const [ann, bob, cem] = [await connect(server.url, 'ann'), await connect(server.url, 'bob'), await connect(server.url, 'cem')];
    const { requestId, portal } = await ask(server.url, 'Printer jam');

    await portal.request({ type: 'chat:send', text: 'Hello? Anyone there?' });
    await bob.waitFor('the user\'s message at Bob', () => live(bob, requestId).find((t) => t === 'Hello? Anyone there?'));
    await cem.waitFor('the user\'s message at Cem', () => live(cem, requestId).find((t) => t === 'Hello? Anyone there?'));

    await bob.request({ type: 'chat:send', requestId, text: 'Yes, one moment please.' });
    await portal.waitFor('Bob\'s answer on the portal', () => portal.of('chat:message').find((m) => m.message.text === 'Yes, one moment please.' && m.message.from === 'technician'));
    await cem.waitFor('Bob\'s answer at his team mate', () => live(cem, requestId).find((t) => t === 'Yes, one moment please.'));

    expect(await refused(ann, requestId)).toBe('ERR_PERMISSION');
    expect(chatOf(ann, requestId)).toEqual([]);
    expect((await server.ctx.chat.history(requestId)).map((m) => m.text)).toEqual(['Hello? Anyone there?', 'Yes, one moment please.']);
    expect((await server.ctx.queue.getOrThrow(requestId)).status).toBe('waiting');
  });

  it('a general request is open to every technician until one accepts; then the conversation goes on in his session, each message once, and the others are refused', async () => {
    const { server } = await desk('waiting-chat');
    const [ann, bob] = [await connect(server.url, 'ann'), await connect(server.url, 'bob')];
    const { requestId, portal } = await ask(server.url);

    await portal.request({ type: 'chat:send', text: 'My screen is blue', clientId: 'p-1' });
    await ann.waitFor('the user\'s message', () => live(ann, requestId).find((t) => t === 'My screen is blue'));
    await ann.request({ type: 'chat:send', requestId, text: 'I see it, accepting now', clientId: 'a-1' });
    await ann.request({ type: 'queue:accept', requestId });
    await portal.request({ type: 'chat:send', text: 'Thanks', clientId: 'p-2' });
    await ann.waitFor('the user\'s message in the session', () => live(ann, requestId).find((t) => t === 'Thanks'));

    expect(chatOf(ann, requestId)).toEqual(['My screen is blue', 'I see it, accepting now', 'Ann has joined the session.', 'Thanks']);
    expect(await refused(bob, requestId)).toBe('ERR_PERMISSION');
    // Bob read the conversation while he could have taken it, and nothing after Ann did.
    expect(live(bob, requestId)).toEqual(['My screen is blue', 'I see it, accepting now']);
  });

  it('a console that connects while a request waits gets its chat so far', async () => {
    const { server } = await desk('waiting-chat');
    await server.ctx.desk.issueTypes.save('Printer jam', 'Printers');
    const { requestId, portal } = await ask(server.url, 'Printer jam');
    await portal.request({ type: 'chat:send', text: 'Paper everywhere' });

    const cem = await connect(server.url, 'cem');
    const ann = await connect(server.url, 'ann');
    await cem.waitFor('the chat so far', () => cem.of('chat:history').find((h) => h.requestId === requestId));
    expect(chatOf(cem, requestId)).toEqual(['Paper everywhere']);
    // Listed is not taken: no session state for a request he has not accepted.
    expect(cem.state(requestId)).toBeUndefined();
    expect(await refused(ann, requestId)).toBe('ERR_PERMISSION');
    expect(ann.of('chat:history').filter((h) => h.requestId === requestId)).toEqual([]);
  });

  it('a session transferred to a team\'s queue brings its chat to the team\'s members, who may answer before accepting', async () => {
    const { server } = await desk('waiting-chat');
    const bob = await connect(server.url, 'bob');
    const ann = await connect(server.url, 'ann');
    const { requestId, portal } = await ask(server.url);
    await ann.request({ type: 'queue:accept', requestId });
    await portal.request({ type: 'chat:send', text: 'It smokes' });
    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: 'Printer expert needed' });

    await bob.waitFor('the chat so far', () => (chatOf(bob, requestId).includes('It smokes') ? true : undefined));
    await bob.request({ type: 'chat:send', requestId, text: 'Printer team here' });
    await portal.waitFor('the team\'s answer', () => portal.of('chat:message').find((m) => m.message.text === 'Printer team here'));
    expect(await refused(ann, requestId)).toBe('ERR_PERMISSION');
  });
});
