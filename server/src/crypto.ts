import { createHash, randomBytes } from 'node:crypto';

/** An unguessable opaque secret (tokens, resume keys). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Secrets are stored only as their SHA-256; a database leak does not leak live credentials. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
