import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { detectShellAccounts, lookupAccount } from './accounts.js';

const amRoot = process.getuid?.() === 0;

describe('shell accounts', () => {
  const sudoUid = process.env.SUDO_UID;
  afterEach(() => {
    if (sudoUid === undefined) delete process.env.SUDO_UID;
    else process.env.SUDO_UID = sudoUid;
  });

  it('looks accounts up by uid', async () => {
    expect(await lookupAccount(process.getuid!())).toMatchObject({ uid: process.getuid!(), name: os.userInfo().username });
    expect(await lookupAccount(2 ** 31 - 2)).toBeNull();
  });

  it.skipIf(!amRoot)('as root: elevated shells as root, ordinary ones only for the user who ran sudo', async () => {
    delete process.env.SUDO_UID;
    expect(await detectShellAccounts()).toMatchObject({ ordinary: null, elevated: { uid: 0, name: 'root' } });
    process.env.SUDO_UID = '65534';
    expect(await detectShellAccounts()).toMatchObject({ ordinary: { uid: 65534, gid: 65534, name: 'nobody' }, elevated: { uid: 0 } });
    process.env.SUDO_UID = '0';
    expect((await detectShellAccounts()).ordinary).toBeNull();
  });

  it.skipIf(amRoot)('unprivileged (only as a non-root user): ordinary shells as the agent\'s user, no elevated ones', async () => {
    expect(await detectShellAccounts()).toMatchObject({ ordinary: { uid: process.getuid!() }, elevated: null });
  });
});
