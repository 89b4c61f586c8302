/**
 * Keeps the console's sign-in between runs, encrypted with the OS keychain
 * through Electron's safeStorage. Where the OS offers no encryption the token
 * is not kept at all: never in a plain file.
 */
import fs from 'node:fs';
import type { TokenStore } from '../core/console-core.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export function createSafeTokenStore(safeStorage: SafeStorageLike, file: string): TokenStore {
  return {
    load() {
      if (!safeStorage.isEncryptionAvailable() || !fs.existsSync(file)) return null;
      try {
        return safeStorage.decryptString(fs.readFileSync(file));
      } catch {
        // Unreadable (another user's keychain, corruption): forget it and sign in again.
        fs.rmSync(file, { force: true });
        return null;
      }
    },
    save(token) {
      if (token === null || !safeStorage.isEncryptionAvailable()) {
        fs.rmSync(file, { force: true });
        return;
      }
      fs.writeFileSync(file, safeStorage.encryptString(token), { mode: 0o600 });
    },
  };
}
