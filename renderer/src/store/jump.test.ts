import { describe, expect, it } from 'vitest';
import type { JumpClientSummary } from '../../../shared/jump.js';
import { initialJump, jumpChanged, jumpFilterChanged, jumpOsChoices, visibleJumpGroups } from './jump.js';

const client = (id: number, groupId: number, name: string, more: Partial<JumpClientSummary> = {}): JumpClientSummary => ({
  id, groupId, name, hostname: `${name}.lan`, user: 'dana', os: 'Debian GNU/Linux 12', mode: 'active', elevated: false, online: false, lastSeenAt: null, ...more,
});
const groups = [{ id: 2, name: 'Servers', mayStart: true }, { id: 1, name: 'Kiosks', mayStart: true }, { id: 3, name: 'Empty', mayStart: true }];
const clients = [
  client(1, 1, 'kiosk-b'),
  client(2, 1, 'kiosk-a', { online: true }),
  client(3, 2, 'db-1', { os: 'Ubuntu 24.04', user: 'postgres', online: true }),
  client(4, 1, 'kiosk-c', { online: true }),
];
const all = initialJump.jumpFilter;

describe('jump list', () => {
  it('groups clients by jump group, groups by name, online clients first', () => {
    const view = visibleJumpGroups(groups, clients, all);
    expect(view.map((g) => [g.group.name, g.clients.map((c) => c.name)])).toEqual([
      ['Kiosks', ['kiosk-a', 'kiosk-c', 'kiosk-b']],
      ['Servers', ['db-1']],
    ]);
  });

  it('filters by status and OS', () => {
    expect(visibleJumpGroups(groups, clients, { ...all, status: 'offline' }).flatMap((g) => g.clients.map((c) => c.id))).toEqual([1]);
    expect(visibleJumpGroups(groups, clients, { ...all, status: 'online', os: 'Debian GNU/Linux 12' }).flatMap((g) => g.clients.map((c) => c.id))).toEqual([2, 4]);
  });

  it('searches every word in name, host, user and OS', () => {
    expect(visibleJumpGroups(groups, clients, { ...all, search: 'POSTGRES ubuntu' }).flatMap((g) => g.clients.map((c) => c.name))).toEqual(['db-1']);
    expect(visibleJumpGroups(groups, clients, { ...all, search: 'kiosk-c.lan' }).flatMap((g) => g.clients.map((c) => c.name))).toEqual(['kiosk-c']);
    expect(visibleJumpGroups(groups, clients, { ...all, search: 'nothing-like-it' })).toEqual([]);
  });

  it('offers each reported OS once', () => {
    expect(jumpOsChoices(clients)).toEqual(['Debian GNU/Linux 12', 'Ubuntu 24.04']);
  });

  it('records that the list arrived, and keeps the filter across updates', () => {
    let data = jumpFilterChanged(initialJump, { search: 'kiosk' });
    expect(data.jumpLoaded).toBe(false);
    data = jumpChanged(data, { groups, clients });
    expect(data).toMatchObject({ jumpLoaded: true, jumpClients: clients, jumpFilter: { search: 'kiosk', status: 'all', os: '' } });
  });
});
