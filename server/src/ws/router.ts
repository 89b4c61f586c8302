/**
 * The one WebSocket endpoint. This is the single place where every incoming
 * message is size-checked, parsed against its schema from shared/, and
 * checked against the sender's role before a handler sees it. Bad input gets
 * a typed `error` reply; it never takes the process or other sessions down.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { z } from 'zod';
import { LifelineError, toWireError, type ErrorCode } from '../../../shared/errors.js';
import { LIMITS } from '../../../shared/limits.js';
import { AgentToServer, ConsoleToServer, Hello, JumpToServer, PortalToServer } from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import { log } from '../log.js';
import { handleAgent, handleConsole, handlePortal, type Handler } from './handlers.js';
import { handleJump } from './jump-handlers.js';

const HELLO_TIMEOUT_MS = 10_000;
/** How often one connection may write a refused message to the log; the others are counted into its next line. */
const REFUSAL_LOG_INTERVAL_MS = 1000;

type Union = z.ZodDiscriminatedUnion<z.ZodObject<{ type: z.ZodLiteral<string> }>[]>;
function typesOf(schema: { options: readonly { shape: { type: { value: unknown } } }[] }): Set<string> {
  return new Set(schema.options.map((o) => String(o.shape.type.value)));
}
const ROLE_SCHEMAS = {
  console: { schema: ConsoleToServer as unknown as Union, types: typesOf(ConsoleToServer) },
  agent: { schema: AgentToServer as unknown as Union, types: typesOf(AgentToServer) },
  portal: { schema: PortalToServer as unknown as Union, types: typesOf(PortalToServer) },
  jump: { schema: JumpToServer as unknown as Union, types: typesOf(JumpToServer) },
};

export function clientAddress(req: IncomingMessage): string {
  return forwardedAddresses.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}

const forwardedAddresses = new WeakMap<IncomingMessage, string>();

/**
 * Behind a TLS-terminating proxy (--behind-tls-proxy) every socket is the
 * proxy's: the client is the last address the proxy appended to
 * X-Forwarded-For. Without the option the header is ignored (anyone can send it).
 */
export function takeForwardedAddress(req: IncomingMessage): void {
  const last = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean).at(-1);
  if (last) forwardedAddresses.set(req, last);
}

/**
 * The server's sockets. ws refuses a message over its maxPayload from the
 * frame's header, without reading the payload, by closing with 1009 (Message
 * Too Big); this socket first answers with the typed error, as for any other
 * oversized message, and names the code in the close frame.
 */
export class RouterSocket extends WebSocket {
  override close(code?: number, reason?: string | Buffer): void {
    if (code !== 1009 || this.readyState !== WebSocket.OPEN) return super.close(code, reason);
    send(this, { type: 'error', ...toWireError(new LifelineError('ERR_MESSAGE_TOO_LARGE', `Messages are limited to ${LIMITS.wsMessageBytes} bytes.`)) });
    super.close(1009, 'ERR_MESSAGE_TOO_LARGE');
  }
}

export function acceptConnection(ctx: ServerContext, ws: WebSocket, req: IncomingMessage): void {
  const ip = clientAddress(req);
  let handler: Handler | null = null;
  let role: keyof typeof ROLE_SCHEMAS | null = null;
  // Messages are handled one after another so a handler never races the next message of the same sender.
  let chain = Promise.resolve();
  const refusals = refusalLog(ip, () => role);

  const sendError = (code: ErrorCode, message?: string, cause?: string) => {
    refusals.note(code);
    const wire = toWireError(new LifelineError(code, message));
    send(ws, { type: 'error', ...wire, ...(cause ? { cause } : {}) });
  };

  const helloTimer = setTimeout(() => {
    sendError('ERR_NOT_AUTHENTICATED', 'No hello received in time.');
    ws.close(4001, 'hello timeout');
  }, HELLO_TIMEOUT_MS);

  ws.on('message', (data, isBinary) => {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    if (size > LIMITS.wsMessageBytes) return sendError('ERR_MESSAGE_TOO_LARGE', `Messages are limited to ${LIMITS.wsMessageBytes} bytes.`);
    if (isBinary) return sendError('ERR_BAD_MESSAGE', 'Binary messages are not accepted here.');
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      return sendError('ERR_BAD_MESSAGE', 'The message is not valid JSON.');
    }
    const type = typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string' ? (json as { type: string }).type : null;
    if (!type) return sendError('ERR_BAD_MESSAGE', 'A message needs a string "type".');
    const rawRef = (json as { ref?: unknown }).ref;
    const ref = Number.isSafeInteger(rawRef) ? (rawRef as number) : undefined;

    chain = chain.then(async () => {
      try {
        if (!handler) {
          if (type !== 'hello') throw new LifelineError('ERR_NOT_AUTHENTICATED', 'Say hello first.');
          const hello = Hello.safeParse(json);
          if (!hello.success) throw new LifelineError('ERR_BAD_MESSAGE', 'The hello message is malformed.');
          clearTimeout(helloTimer);
          role = hello.data.role;
          const peer = makePeer(ws);
          handler =
            hello.data.role === 'console' ? await handleConsole(ctx, peer, hello.data)
            : hello.data.role === 'agent' ? await handleAgent(ctx, peer, hello.data, ip)
            : hello.data.role === 'jump' ? await handleJump(ctx, peer, hello.data)
            : await handlePortal(ctx, peer, hello.data);
          if (ref !== undefined) send(ws, { type: 'ack', ref });
          return;
        }
        const spec = ROLE_SCHEMAS[role!];
        if (!spec.types.has(type)) throw new LifelineError('ERR_UNKNOWN_TYPE', `Unknown message type "${type}".`);
        const parsed = spec.schema.safeParse(json);
        if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', `The "${type}" message is malformed.`);
        await handler.message(parsed.data as never);
        if (ref !== undefined) send(ws, { type: 'ack', ref });
      } catch (e) {
        if (!(e instanceof LifelineError)) log.error('ws handler failed', { role, type, error: e instanceof Error ? e.stack : String(e) });
        // The type goes to the log only when it is one of the protocol's: anything else is the sender's content.
        else refusals.note(e.code, type === 'hello' || (role && ROLE_SCHEMAS[role].types.has(type)) ? type : undefined);
        const wire = toWireError(e);
        send(ws, { type: 'error', ...wire, cause: type, ...(ref !== undefined ? { ref } : {}) });
        // A failed hello leaves nothing to talk about.
        if (!handler) ws.close(4001, wire.code);
      }
    });
  });

  ws.on('close', () => {
    clearTimeout(helloTimer);
    refusals.flush();
    chain = chain.then(() => handler?.closed()).catch((e) => log.error('ws close handler failed', { error: String(e) }));
  });
  // ws reports a frame it refused (too large, or broken) and closes the connection.
  ws.on('error', (e: Error & { code?: string }) => refusals.note(e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_BAD_MESSAGE'));
}

/**
 * Logs one connection's refused messages at warn with its role, address and
 * the error code, never what the message said. At most one line a second, so
 * a flood cannot fill the disk: a line counts the refusals not logged since
 * the previous one (`unlogged`), and the connection's close logs the rest.
 */
function refusalLog(ip: string, role: () => string | null) {
  let lastAt = -Infinity;
  let unlogged = 0;
  return {
    note(code: ErrorCode, type?: string) {
      const now = Date.now();
      if (now - lastAt < REFUSAL_LOG_INTERVAL_MS) {
        unlogged++;
        return;
      }
      lastAt = now;
      log.warn('ws message refused', { role: role(), ip, code, ...(type ? { type } : {}), ...(unlogged ? { unlogged } : {}) });
      unlogged = 0;
    },
    flush() {
      if (unlogged) log.warn('ws messages refused and not logged before the close', { role: role(), ip, unlogged });
      unlogged = 0;
    },
  };
}

function send(ws: WebSocket, msg: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

function makePeer<Out extends object>(ws: WebSocket) {
  return {
    send: (msg: Out) => send(ws, msg),
    close: (code: number, reason: string) => ws.close(code, reason),
  };
}
