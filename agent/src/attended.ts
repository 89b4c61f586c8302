/**
 * One attended session, joined with a session code, on this machine's X
 * display, run to its end: what both the one-shot support client and a
 * support button's press do once they have a code.
 */
import os from 'node:os';
import { LIMITS } from '../../shared/limits.js';
import { openX11 } from './platform/x11/index.js';
import { AgentSession, type AgentSessionOptions } from './session.js';

export interface AttendedOptions {
  serverUrl: string;
  code: string;
  /** The X display (default: $DISPLAY). */
  display: string | undefined;
  hostname: string;
  user: string;
  files: AgentSessionOptions['files'];
  log: (msg: string) => void;
}

/** Resolves with the process's exit status: the session's, or 3 when the display cannot be opened. */
export async function runAttendedSession(opts: AttendedOptions): Promise<number> {
  let x11;
  try {
    // Reading stops a little past the limit: enough to know a copied text is too long to share.
    x11 = await openX11(opts.display, { clipboardBytes: 4 * LIMITS.clipboardChars });
  } catch (e) {
    process.stderr.write(`Cannot open the display: ${e instanceof Error ? e.message : String(e)}\n`);
    return 3;
  }
  const session = new AgentSession({
    serverUrl: opts.serverUrl,
    code: opts.code,
    info: {
      hostname: opts.hostname,
      os: `${os.type()} ${os.release()}`,
      user: opts.user,
      screen: { width: x11.screen.width, height: x11.screen.height },
    },
    desktop: x11,
    files: opts.files,
    log: opts.log,
  });
  // Keys held down on the remote screen are let go before the process ends.
  const stop = () => void x11.input.releaseAll().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  session.start();
  const result = await session.done;
  opts.log(result.reason);
  await x11.close().catch(() => undefined);
  return result.code;
}
