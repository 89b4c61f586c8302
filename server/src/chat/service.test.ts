import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { CodeService } from '../codes/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { QueueService } from '../queue/service.js';
import { ChatService } from './service.js';

let dir: string;
let db: Db;
let chat: ChatService;
let codes: CodeService;
let techId: number;

async function newRequest(): Promise<string> {
  const { code } = await codes.create(techId);
  return (await codes.claim(code, 'portal', 'Ada')).requestId;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-chat-'));
  db = await openDatabase(dir);
  chat = new ChatService(db);
  codes = new CodeService(db, new QueueService(db));
  techId = (await new AuthService(db).createTechnician({ username: 'alice', displayName: 'Alice', password: 'long enough password', role: 'technician' })).id;
});

afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ChatService', () => {
  it('stores a message and returns it as the wire form', async () => {
    const requestId = await newRequest();
    const m = await chat.add({ requestId, from: 'user', author: 'Ada', text: 'My printer is on fire', clientId: 'p-1' });
    expect(m).toEqual({ id: expect.any(Number), requestId, from: 'user', author: 'Ada', text: 'My printer is on fire', at: expect.any(Number), clientId: 'p-1' });
  });

  it('a message re-sent with a clientId seen before is stored once', async () => {
    const requestId = await newRequest();
    const first = await chat.add({ requestId, from: 'technician', author: 'Alice', text: 'Hello', clientId: 'c-1' });
    const again = await chat.add({ requestId, from: 'technician', author: 'Alice', text: 'Hello', clientId: 'c-1' });
    expect(first).not.toBeNull();
    expect(again).toBeNull();
    expect(await chat.history(requestId)).toEqual([first]);
  });

  it('messages without a clientId are never taken for duplicates', async () => {
    const requestId = await newRequest();
    await chat.add({ requestId, from: 'system', author: 'Lifeline', text: 'Same words' });
    await chat.add({ requestId, from: 'system', author: 'Lifeline', text: 'Same words' });
    expect(await chat.history(requestId)).toHaveLength(2);
  });

  it('the same clientId in two requests is two messages', async () => {
    const r1 = await newRequest();
    const r2 = await newRequest();
    expect(await chat.add({ requestId: r1, from: 'user', author: 'Ada', text: 'hi', clientId: 'x' })).not.toBeNull();
    expect(await chat.add({ requestId: r2, from: 'user', author: 'Ada', text: 'hi', clientId: 'x' })).not.toBeNull();
  });

  it('history is in the order messages were stored and holds only its request', async () => {
    const r1 = await newRequest();
    const r2 = await newRequest();
    const texts = ['one', 'two', 'three', 'four', 'five'];
    for (const text of texts) {
      await chat.add({ requestId: r1, from: 'user', author: 'Ada', text });
      await chat.add({ requestId: r2, from: 'user', author: 'Ada', text: `other ${text}` });
    }
    const history = await chat.history(r1);
    expect(history.map((m) => m.text)).toEqual(texts);
    const ids = history.map((m) => m.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('history of a request without messages is empty', async () => {
    expect(await chat.history(await newRequest())).toEqual([]);
  });
});

describe('chat deduplication under concurrency', () => {
  it('a re-send racing the original from another connection is stored once and nobody gets an error', async () => {
    const requestId = await newRequest();
    const m = { requestId, from: 'user' as const, author: 'U', text: 'hello', clientId: 'same-id' };
    const results = await Promise.all([chat.add(m), chat.add(m)]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(await chat.history(requestId)).toHaveLength(1);
  });
});
