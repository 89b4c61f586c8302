/**
 * Stable error codes. A log sees the code, a person sees the sentence.
 * Every error that crosses a boundary (WebSocket, data channel, console
 * contract) carries one of these.
 */
export const ERROR_MESSAGES = {
  ERR_BAD_MESSAGE: 'The message could not be understood.',
  ERR_MESSAGE_TOO_LARGE: 'The message is too large.',
  ERR_UNKNOWN_TYPE: 'The message type is not known.',
  ERR_NOT_AUTHENTICATED: 'Please sign in first.',
  ERR_LOGIN_FAILED: 'Wrong user name or password.',
  ERR_PASSWORD_CHANGE_REQUIRED: 'Choose your own password before doing anything else.',
  ERR_PASSWORD_REJECTED: 'That new password cannot be used.',
  ERR_PERMISSION: 'You are not allowed to do that.',
  ERR_CODE_INVALID: 'This session code is not valid. Check the digits with your technician.',
  ERR_CODE_EXPIRED: 'This session code has expired. Ask your technician for a new one.',
  ERR_CODE_USED: 'This session code has already been used. Ask your technician for a new one.',
  ERR_RATE_LIMITED: 'Too many attempts. Please wait a minute and try again.',
  ERR_NOT_FOUND: 'That item no longer exists.',
  ERR_ALREADY_TAKEN: 'Another technician has already taken this request.',
  ERR_SESSION_ENDED: 'The session has ended.',
  ERR_CONSENT: 'The user has not allowed this.',
  ERR_NOT_CONNECTED: 'Not connected to the support server.',
  ERR_PATH_REFUSED: 'That path is outside the folder you may use.',
  ERR_EXISTS: 'Something with that name already exists.',
  ERR_CHECKSUM: 'The file arrived damaged: its SHA-256 does not match. The partial file was kept aside.',
  ERR_IO: 'The file could not be read or written.',
  ERR_CANCELLED: 'The transfer was cancelled.',
  ERR_PROTOCOL_VERSION: 'The support client and the console speak different protocol versions. Update the older of the two.',
  ERR_INTERNAL: 'Something went wrong on our side. It has been logged.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

export const ERROR_CODES = Object.keys(ERROR_MESSAGES) as [ErrorCode, ...ErrorCode[]];

/** An error with a stable code, safe to send across a boundary. */
export class LifelineError extends Error {
  readonly code: ErrorCode;
  /** With ERR_RATE_LIMITED: when the caller may try again, so a crowd of clients spreads out instead of hammering. */
  readonly retryAfterMs?: number;
  constructor(code: ErrorCode, message: string = ERROR_MESSAGES[code], retryAfterMs?: number) {
    super(message);
    this.name = 'LifelineError';
    this.code = code;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

export function isLifelineError(e: unknown): e is LifelineError {
  return e instanceof LifelineError;
}

/** Wire form of an error: what a boundary sends instead of a stack trace. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

export function toWireError(e: unknown): WireError {
  if (isLifelineError(e)) return { code: e.code, message: e.message, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) };
  return { code: 'ERR_INTERNAL', message: ERROR_MESSAGES.ERR_INTERNAL };
}
