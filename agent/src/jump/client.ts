/**
 * The installed jump client (`lifeline-agent jump`). Active mode holds one
 * connection to the server (JumpLink); passive mode holds none and checks in
 * over REST on an interval. Either way, a session offered by the server runs
 * as the same AgentSession an attended agent runs, joined with the offer's
 * key instead of a session code, on the machine's X display; when the
 * group's policy says to ask, the logged-in user answers a dialog first and
 * the answer goes back to the server.
 */
import { LIMITS } from '../../../shared/limits.js';
import { JumpApiError, JumpCheckInResponse, type JumpInfo, type JumpReport, type JumpSessionOffer } from '../../../shared/jump.js';
import type { X11Backend } from '../platform/x11/index.js';
import { AgentSession, type AgentSessionOptions } from '../session.js';
import { Backoff, retryAfterDelay } from './backoff.js';
import { removeConfig, type JumpConfig } from './config.js';
import { JumpLink, type LinkStop } from './link.js';
import { askUser, type PromptResult } from './prompt.js';
import { EXIT_NO_RESTART, removeUnit } from './service-unit.js';
import { WakeListener } from './wake.js';

export interface JumpClientOptions {
  config: JumpConfig;
  configPath: string;
  info: JumpInfo;
  /** Active mode: seconds between heartbeats. */
  heartbeatSeconds: number;
  /** Passive mode: seconds between check-ins. */
  intervalSeconds: number;
  display: string;
  files: AgentSessionOptions['files'];
  openDesktop: (display: string) => Promise<X11Backend>;
  ask?: (display: string, prompt: NonNullable<JumpSessionOffer['prompt']>, signal: AbortSignal) => Promise<PromptResult>;
  log: (msg: string) => void;
}

export interface JumpClientResult {
  code: number;
  reason: string;
}

export class JumpClient {
  private link: JumpLink | null = null;
  private readonly sessions = new Set<string>();
  private stopped = false;
  /** Ends the passive client's current sleep (stop, or a wake from the server). */
  private interruptSleep: (() => void) | null = null;
  /** A wake arrived while checking in: check in again at once (the session may be newer than that answer). */
  private woken = false;
  private wakeListener: WakeListener | null = null;
  private resolveDone!: (r: JumpClientResult) => void;
  /** Resolves when the client stops for good (removed, refused), with the exit status. */
  readonly done = new Promise<JumpClientResult>((r) => (this.resolveDone = r));

  constructor(private readonly opts: JumpClientOptions) {}

  private get server(): string {
    return this.opts.config.server.replace(/\/+$/, '');
  }

  start(): void {
    const { config, log } = this.opts;
    log(`jump client ${config.clientId} (${config.mode}) for ${this.server}`);
    if (config.mode === 'passive') {
      void this.checkInLoop();
      return;
    }
    this.link = new JumpLink({
      url: `${this.server.replace(/^http/, 'ws')}/ws`,
      hello: () => ({ type: 'hello', role: 'jump', credential: config.credential, info: this.opts.info, heartbeatSeconds: this.opts.heartbeatSeconds }),
      heartbeatSeconds: this.opts.heartbeatSeconds,
      onSession: (offer) => void this.join(offer),
      onStop: (stop) => void this.finish(stop),
      onState: (state, detail) => log(`server connection ${state}${detail ? ` (${detail})` : ''}`),
      log,
    });
    this.link.start();
  }

  /** Stops without uninstalling (SIGTERM). */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.link?.stop();
    this.wakeListener?.close();
    this.interruptSleep?.();
    this.resolveDone({ code: 0, reason });
  }

  /**
   * A passive client's schedule: ask the server whether a session waits, then
   * sleep. Errors back off (never past the interval); "rate limited" waits as
   * asked; a removed or unknown credential ends it.
   */
  private async checkInLoop(): Promise<void> {
    const interval = this.opts.intervalSeconds * 1000;
    const backoff = new Backoff({ maxMs: interval });
    const wakePort = await this.listenForWakes();
    while (!this.stopped) {
      this.woken = false;
      // ±10 %: clients installed together do not check in together forever.
      let wait = Math.round(interval * (0.9 + Math.random() * 0.2));
      try {
        const res = await fetch(`${this.server}/api/jump/check-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.config.credential}` },
          body: JSON.stringify({ info: this.opts.info, wakePort }),
        });
        const json: unknown = await res.json().catch(() => null);
        if (res.ok) {
          backoff.reset();
          const parsed = JumpCheckInResponse.safeParse(json);
          if (parsed.success) for (const offer of parsed.data.sessions) void this.join(offer);
          else this.opts.log('ignored a check-in answer that does not match the schema');
        } else {
          const err = JumpApiError.safeParse(json);
          if (res.status === 401 && err.success) {
            await this.finish(err.data.uninstall ? { kind: 'uninstall', reason: err.data.error.message } : { kind: 'refused', code: 'ERR_NOT_AUTHENTICATED', message: err.data.error.message });
            return;
          }
          const retryAfter = err.success ? err.data.error.retryAfterMs : undefined;
          wait = res.status === 429 && retryAfter !== undefined ? retryAfterDelay(retryAfter, Math.random()) : Math.min(wait, backoff.next());
          this.opts.log(`check-in refused (${res.status}); next try in ${(wait / 1000).toFixed(1)} s`);
        }
      } catch (e) {
        wait = Math.min(wait, backoff.next());
        this.opts.log(`cannot reach the server (${e instanceof Error ? e.message : String(e)}); next try in ${(wait / 1000).toFixed(1)} s`);
      }
      if (this.woken || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.interruptSleep = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.interruptSleep = null;
    }
    this.wakeListener?.close();
  }

  /** Starts the wake listener unless the config turns wakes off; the port to report, or null. */
  private async listenForWakes(): Promise<number | null> {
    const { config, log } = this.opts;
    if (config.wakePort === null) return null;
    const listener = new WakeListener({
      port: config.wakePort ?? 0,
      clientId: config.clientId,
      credential: config.credential,
      log,
      onWake: () => {
        this.woken = true;
        this.interruptSleep?.();
      },
    });
    try {
      const port = await listener.start();
      this.wakeListener = listener;
      log(`listening for wakes on UDP port ${port}`);
      return port;
    } catch (e) {
      log(`cannot listen for wakes on UDP port ${config.wakePort ?? 0} (${e instanceof Error ? e.message : String(e)}): sessions wait for the next check-in`);
      return null;
    }
  }

  /** Runs one offered session to its end. */
  private async join(offer: JumpSessionOffer): Promise<void> {
    if (this.sessions.has(offer.requestId) || this.stopped) return;
    this.sessions.add(offer.requestId);
    const { log, display } = this.opts;
    const tag = `[session ${offer.requestId.slice(0, 8)}]`;
    let x11: X11Backend;
    try {
      x11 = await this.opts.openDesktop(display);
    } catch (e) {
      log(`${tag} cannot open the display ${display}: ${e instanceof Error ? e.message : String(e)}`);
      await this.report({ kind: 'failed', requestId: offer.requestId, reason: `cannot open the display ${display}` });
      this.sessions.delete(offer.requestId);
      return;
    }
    const session = new AgentSession({
      serverUrl: this.server,
      joinKey: offer.joinKey,
      info: { hostname: this.opts.info.hostname, os: this.opts.info.os, user: this.opts.info.user, screen: { width: x11.screen.width, height: x11.screen.height } },
      desktop: x11,
      files: this.opts.files,
      log: (m) => log(`${tag} ${m}`),
    });
    session.start();
    log(`${tag} started`);

    // The question is asked while the session connects; the server allows nothing until the answer.
    const asking = new AbortController();
    if (offer.prompt) {
      const prompt = offer.prompt;
      (this.opts.ask ?? askUser)(display, prompt, asking.signal).then(
        (r) => {
          log(`${tag} the user's answer: ${r.answer}${r.timedOut ? ' (no answer in time)' : ''}`);
          return this.report({ kind: 'prompt', requestId: offer.requestId, answer: r.answer, timedOut: r.timedOut });
        },
        (e: unknown) => {
          if (asking.signal.aborted) return;
          log(`${tag} ${e instanceof Error ? e.message : String(e)}`);
          return this.report({ kind: 'failed', requestId: offer.requestId, reason: 'could not ask the user' });
        },
      );
    }
    const result = await session.done;
    asking.abort();
    await x11.close().catch(() => undefined);
    this.sessions.delete(offer.requestId);
    log(`${tag} ${result.reason}`);
  }

  private async report(report: JumpReport): Promise<void> {
    try {
      const res = await fetch(`${this.server}/api/jump/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.config.credential}` },
        body: JSON.stringify(report),
      });
      if (!res.ok) this.opts.log(`the server refused a report (${res.status})`);
    } catch (e) {
      this.opts.log(`cannot send a report: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async finish(stop: LinkStop): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.link?.stop();
    this.wakeListener?.close();
    if (stop.kind === 'refused') {
      this.opts.log(`the server refused this client: ${stop.message}`);
      this.resolveDone({ code: EXIT_NO_RESTART, reason: stop.message });
      return;
    }
    // Removed by an administrator: nothing of the installation may stay behind.
    this.opts.log(`${stop.reason} Uninstalling.`);
    if (removeConfig(this.opts.configPath)) this.opts.log(`deleted ${this.opts.configPath}`);
    if (this.opts.config.unit) {
      await removeUnit(this.opts.config.unit, process.getuid?.() !== 0).then(
        () => this.opts.log(`removed the service ${this.opts.config.unit}`),
        (e: unknown) => this.opts.log(`could not remove the service: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    this.resolveDone({ code: EXIT_NO_RESTART, reason: stop.reason });
  }
}

/** Clipboard reads stop a little past what can be shared (as for the attended agent). */
export const JUMP_X11_OPTIONS = { clipboardBytes: 4 * LIMITS.clipboardChars };
