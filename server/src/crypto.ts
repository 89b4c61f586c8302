import { createHash, randomBytes } from 'node:crypto';

/**
 * An unguessable opaque secret (tokens, resume keys). Never starts with '-':
 * secrets are pasted into command lines (`--token T`), where one would read as an option.
 */
export function randomSecret(bytes = 32): string {
  for (;;) {
    const secret = randomBytes(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

/** Secrets are stored only as their SHA-256; a database leak does not leak live credentials. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
