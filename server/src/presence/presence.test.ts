import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { deriveStatus, PresenceService } from './presence.js';

describe('deriveStatus', () => {
  const base = { online: true, chosen: 'available', activeSessions: 0, busyAfter: 1 } as const;

  it('is offline without a console, whatever was chosen', () => {
    expect(deriveStatus({ ...base, online: false })).toBe('offline');
    expect(deriveStatus({ ...base, online: false, chosen: 'away' })).toBe('offline');
    expect(deriveStatus({ ...base, online: false, chosen: 'busy', activeSessions: 3 })).toBe('offline');
  });

  it('is available online with fewer sessions than the limit', () => {
    expect(deriveStatus(base)).toBe('available');
    expect(deriveStatus({ ...base, activeSessions: 1, busyAfter: 2 })).toBe('available');
  });

  it('becomes busy at the configured number of active sessions', () => {
    expect(deriveStatus({ ...base, activeSessions: 1 })).toBe('busy');
    expect(deriveStatus({ ...base, activeSessions: 2, busyAfter: 2 })).toBe('busy');
  });

  it('follows what the technician set by hand: busy and away', () => {
    expect(deriveStatus({ ...base, chosen: 'busy' })).toBe('busy');
    expect(deriveStatus({ ...base, chosen: 'away' })).toBe('away');
    // Away wins over busy from sessions: he is not at his desk.
    expect(deriveStatus({ ...base, chosen: 'away', activeSessions: 5 })).toBe('away');
  });
});

describe('PresenceService', () => {
  let dir: string | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every technician with the status derived from his console, his choice and his sessions', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-presence-'));
    db = await openDatabase(dir);
    const auth = new AuthService(db);
    const ids: Record<string, number> = {};
    for (const name of ['Ann', 'Bob', 'Cem', 'Dee']) {
      ids[name] = (await auth.createTechnician({ username: name.toLowerCase(), displayName: name, password: 'long enough password', role: 'technician' })).id;
    }
    const online = new Set([ids.Ann, ids.Bob, ids.Cem]);
    const presence = new PresenceService(db, (id) => online.has(id), 2);
    await presence.choose(ids.Cem!, 'away');
    await presence.choose(ids.Dee!, 'busy');
    const list = await presence.list(new Map([[ids.Bob!, 2], [ids.Ann!, 1]]));
    expect(list.map((p) => [p.displayName, p.status, p.chosen, p.activeSessions])).toEqual([
      ['Ann', 'available', 'available', 1],
      ['Bob', 'busy', 'available', 2],
      ['Cem', 'away', 'away', 0],
      ['Dee', 'offline', 'busy', 0],
    ]);
    await presence.choose(ids.Cem!, 'available');
    expect((await presence.list(new Map())).find((p) => p.id === ids.Cem)?.status).toBe('available');
    // The choice is kept with the account: another service on the same database (a restarted server) sees it.
    const restarted = new PresenceService(db, (id) => online.has(id), 2);
    expect((await restarted.list(new Map())).find((p) => p.id === ids.Dee)?.chosen).toBe('busy');
  });

  it('refuses a busy limit below one session', () => {
    expect(() => new PresenceService({} as Db, () => true, 0)).toThrow(/at least one/);
  });
});
