/**
 * Support buttons: a desktop launcher on a user's machine that, in one click,
 * queues a request for a team or a technician and starts the support client.
 * These are the REST calls `lifeline-agent button` (install) and
 * `lifeline-agent button-press` make; both sides parse them here.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

const secret = z.string().min(1).max(200);
const name = z.string().trim().min(1).max(80);

/** Where the button's requests go: a team's queue or a technician's own. */
export const ButtonTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('team'), name }),
  z.object({ kind: z.literal('technician'), name }),
]);
export type ButtonTarget = z.infer<typeof ButtonTarget>;

/** What the button says about the machine and its user. */
export const ButtonMachine = z.object({
  hostname: z.string().trim().min(1).max(255),
  /** The login name. */
  user: z.string().trim().min(1).max(255),
  /** The user's full name (GECOS), or the login name. */
  fullName: z.string().trim().min(1).max(LIMITS.displayNameChars),
});
export type ButtonMachine = z.infer<typeof ButtonMachine>;

/** `lifeline-agent button --token T`: trades the administrator's token for this machine's button credential. */
export const ButtonInstallRequest = z.object({ token: secret, target: ButtonTarget, machine: ButtonMachine });
export type ButtonInstallRequest = z.infer<typeof ButtonInstallRequest>;

export const ButtonInstallResponse = z.object({
  buttonId: z.number().int().positive(),
  credential: secret,
  /** Where requests wait, in words: "the Printers team", "Ann Example". */
  queueName: z.string(),
  expiresAt: z.number(),
});
export type ButtonInstallResponse = z.infer<typeof ButtonInstallResponse>;

/** A click: Bearer credential, and who is asking from where. */
export const ButtonPressRequest = z.object({ machine: ButtonMachine });
export type ButtonPressRequest = z.infer<typeof ButtonPressRequest>;

/** The request made, and the session code its support client joins with. */
export const ButtonPressResponse = z.object({
  requestId: z.string(),
  code: z.string().regex(/^\d{10}$/),
  queueName: z.string(),
});
export type ButtonPressResponse = z.infer<typeof ButtonPressResponse>;

export const ButtonApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
