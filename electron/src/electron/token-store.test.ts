import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSafeTokenStore, type SafeStorageLike } from './token-store.js';

/** Stands in for the OS keychain: reversible, but the file never holds the token in clear. */
function fakeSafeStorage(available = true, backend?: string): SafeStorageLike {
  return {
    ...(backend ? { getSelectedStorageBackend: () => backend } : {}),
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)),
    decryptString: (b) => {
      if (b[0] === 0) throw new Error('bad ciphertext');
      return Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8');
    },
  };
}
const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokens-')), 'session.bin');

describe('the console keeps its sign-in encrypted', () => {
  it('round-trips a token without writing it in clear', () => {
    const file = tmpFile();
    const store = createSafeTokenStore(fakeSafeStorage(), file);
    store.save('secret-token-123');
    expect(fs.readFileSync(file).toString('utf8')).not.toContain('secret-token-123');
    expect(store.load()).toBe('secret-token-123');
    store.save(null);
    expect(fs.existsSync(file)).toBe(false);
    expect(store.load()).toBeNull();
  });
  it('keeps nothing at all when the OS offers no encryption', () => {
    const file = tmpFile();
    const store = createSafeTokenStore(fakeSafeStorage(false), file);
    store.save('secret-token-123');
    expect(fs.existsSync(file)).toBe(false);
    expect(store.load()).toBeNull();
  });
  it('keeps nothing with Linux\'s basic_text backend, whose key is no secret, but does with a keyring', () => {
    const file = tmpFile();
    createSafeTokenStore(fakeSafeStorage(true, 'basic_text'), file).save('secret-token-123');
    expect(fs.existsSync(file)).toBe(false);
    const keyring = createSafeTokenStore(fakeSafeStorage(true, 'gnome_libsecret'), file);
    keyring.save('secret-token-123');
    expect(keyring.load()).toBe('secret-token-123');
    expect(createSafeTokenStore(fakeSafeStorage(true, 'basic_text'), file).load()).toBeNull();
  });
  it('forgets an unreadable file instead of failing', () => {
    const file = tmpFile();
    fs.writeFileSync(file, Buffer.from([0, 1, 2]));
    expect(createSafeTokenStore(fakeSafeStorage(), file).load()).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
  });
});
