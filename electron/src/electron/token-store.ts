/**
 * Keeps the console's sign-in between runs, encrypted with the OS keychain
 * through Electron's safeStorage. Where the OS offers no real encryption the
 * token is not kept at all: never in a plain file.
 */
import fs from 'node:fs';
import type { TokenStore } from '../core/console-core.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret store safeStorage uses. */
  getSelectedStorageBackend?(): string;
}

/**
 * On Linux without a keyring (no GNOME Keyring, no KWallet) safeStorage
 * reports encryption available with the `basic_text` backend, whose key is a
 * constant in Chromium's source: as good as plain text, so it does not count.
 */
function canKeepSecrets(safeStorage: SafeStorageLike): boolean {
  return safeStorage.isEncryptionAvailable() && safeStorage.getSelectedStorageBackend?.() !== 'basic_text';
}

export function createSafeTokenStore(safeStorage: SafeStorageLike, file: string): TokenStore {
  return {
    load() {
      if (!canKeepSecrets(safeStorage) || !fs.existsSync(file)) return null;
      try {
        return safeStorage.decryptString(fs.readFileSync(file));
      } catch {
        // Unreadable (another user's keychain, corruption): forget it and sign in again.
        fs.rmSync(file, { force: true });
        return null;
      }
    },
    save(token) {
      if (token === null || !canKeepSecrets(safeStorage)) {
        fs.rmSync(file, { force: true });
        return;
      }
      fs.writeFileSync(file, safeStorage.encryptString(token), { mode: 0o600 });
    },
  };
}
