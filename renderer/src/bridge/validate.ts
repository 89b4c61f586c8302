/**
 * The renderer's half of "validate at every boundary": whatever reaches the
 * store or the UI from the console core has been parsed against the contract.
 */
import {
  CONSOLE_EVENTS, CONSOLE_REQUESTS, isEventName,
  type ConsoleApi, type EventName, type EventOf, type RequestChannel, type ResponseOf,
} from '../../../shared/console-contract.js';
import { ERROR_CODES, ERROR_MESSAGES, LifelineError, type ErrorCode } from '../../../shared/errors.js';

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/** Any rejection -> a LifelineError, so callers can always read `code` and show `message`. */
export function toLifelineError(e: unknown): LifelineError {
  if (e instanceof LifelineError) return e;
  if (typeof e === 'object' && e !== null) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && KNOWN_CODES.has(code)) {
      return new LifelineError(code as ErrorCode, typeof message === 'string' && message ? message : undefined);
    }
  }
  return new LifelineError('ERR_INTERNAL');
}

/** The sentence a person sees for a failed action. */
export function errorSentence(e: unknown): string {
  return e instanceof LifelineError ? e.message : ERROR_MESSAGES.ERR_INTERNAL;
}

export function parseResult<C extends RequestChannel>(channel: C, value: unknown): ResponseOf<C> {
  const parsed = CONSOLE_REQUESTS[channel].response.safeParse(value);
  if (!parsed.success) {
    throw new LifelineError('ERR_BAD_MESSAGE', `The console host sent an invalid answer to "${channel}".`);
  }
  return parsed.data as ResponseOf<C>;
}

/** The validated payload, or null (logged) when the event is unknown or malformed. */
export function parseEvent(event: string, payload: unknown, log: Pick<Console, 'warn'> = console): EventOf<EventName> | null {
  if (!isEventName(event)) {
    log.warn(`[bridge] dropped unknown event "${event}"`);
    return null;
  }
  const parsed = CONSOLE_EVENTS[event].safeParse(payload);
  if (!parsed.success) {
    log.warn(`[bridge] dropped malformed "${event}" event`, parsed.error.issues);
    return null;
  }
  return parsed.data;
}

/**
 * Wraps an API we did not build (the Electron preload's) so it behaves like
 * the WebSocket bridge: checked results, checked events, errors with codes.
 */
export function guardApi(raw: ConsoleApi, log: Pick<Console, 'warn'> = console): ConsoleApi {
  return {
    async invoke(channel, payload) {
      let value: unknown;
      try {
        value = await raw.invoke(channel, payload);
      } catch (e) {
        throw toLifelineError(e);
      }
      return parseResult(channel, value);
    },
    on(event, listener) {
      return raw.on(event, (payload) => {
        const checked = parseEvent(event, payload, log);
        if (checked) listener(checked as typeof payload);
      });
    },
  };
}
