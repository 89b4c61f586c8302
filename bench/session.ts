/**
 * `npm run bench -- session`: an attended session on the real parts (Xvfb
 * 1920x1080 with an xterm, server, web console in Chromium, agent), on
 * loopback. Prints:
 *   setup_ms            accept clicked -> first frame painted (median of runs; the
 *                       user's consent is given by a script the moment the session starts)
 *   input_to_pixel_ms   key event on the canvas -> the canvas shows the change {p50, p95}
 *   typing_bytes_per_key  bytes on the wire (both directions, all of DTLS/SCTP) while
 *                       typing 200 characters into the xterm, per character
 */
import os from 'node:os';
import { typeMeasured } from './in-page.js';
import { chromium, type Page } from 'playwright-core';
import type WebSocket from 'ws';
import { apiPost as post, consentingPortal, startAgent, startServer, startWebConsole, startXterm, startXvfb, type Proc } from '../e2e/harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LATENCY_SAMPLES = 60;
const TYPED = 200;

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--allow-loopback-in-peer-connection',
];

declare global {
  interface Window { __pcs: RTCPeerConnection[]; __t0: number }
}

export async function benchSession(): Promise<object> {
  const x = await startXvfb(['1920x1080x24']);
  const xterm = await startXterm(x.display);
  const server = await startServer();
  const web = await startWebConsole(server.url);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const agents: Proc[] = [];
  const portals: WebSocket[] = [];
  try {
    const token = (await post(`${server.url}/api/login`, { username: 'admin', password: server.adminPassword })).token as string;
    const setups: number[] = [];
    let page: Page | null = null;
    for (let run = 0; run < RUNS; run++) {
      if (page) await endSession(page, agents.at(-1)!);
      page = await openConsole(browser, web.url, server.adminPassword);
      const { code } = await post(`${server.url}/api/codes`, {}, token);
      const { resumeKey } = await post(`${server.url}/api/portal/join`, { code, name: `Bench ${run}` });
      portals.push(await consentingPortal(server.url, resumeKey as string));
      agents.push(startAgent(server.url, code as string, x.display));
      // Accept once the user's client is connected, so setup measures the session, not the agent's start.
      await page.getByTestId('queue-item').filter({ hasText: `Bench ${run}` }).filter({ hasText: 'client online' }).waitFor({ timeout: 20_000 });
      setups.push(await page.evaluate(acceptAndWaitForFirstFrame, `Bench ${run}`));
    }

    // Latency and bytes on the last session, with control allowed.
    const p = page!;
    const at = await remoteToPage(p, 300, 200);
    await p.mouse.click(at.x, at.y);
    await settle(p);
    const { latencies, missed } = await p.evaluate(typeMeasured, { selector: '[data-testid=remote-canvas]', count: LATENCY_SAMPLES, gapMs: 60 });
    await clearLine(p);
    await settle(p);
    const before = await wireBytes(p);
    await p.evaluate(typeLetters, { count: TYPED, intervalMs: 60 });
    await settle(p);
    const after = await wireBytes(p);
    await clearLine(p);

    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      bench: 'session',
      setup_ms: round(median(setups)),
      setup_runs_ms: setups.map(round),
      input_to_pixel_ms: { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), samples: sorted.length, no_change_within_2s: missed },
      typing_bytes_per_key: round((after.total - before.total) / TYPED),
      typing_bytes_per_key_down: round((after.received - before.received) / TYPED),
      typing_bytes_per_key_up: round((after.sent - before.sent) / TYPED),
      setup: { screen: '1920x1080', transport: 'WebRTC data channel on loopback', typed_chars: TYPED, key_interval_ms: 60, runs: RUNS },
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    for (const ws of portals) ws.close();
    for (const a of agents) await a.stop();
    await browser.close();
    await web.proc.stop();
    await server.stop();
    await xterm.stop();
    await x.stop();
  }
}

export async function openConsole(browser: import('playwright-core').Browser, url: string, password: string): Promise<Page> {
  return openConsoleIn(await browser.newContext({ viewport: { width: 1400, height: 900 } }), url, password);
}

/** The console in a context of the caller's (e.g. a persistent profile, whose storage is on disk). */
export async function openConsoleIn(ctx: import('playwright-core').BrowserContext, url: string, password: string): Promise<Page> {
  // Bench-only instrumentation: keep the page's peer connections to read their transport stats.
  // tsx compiles with esbuild's keepNames, which wraps inner functions of the in-page
  // functions below in a __name() helper the page does not have.
  await ctx.addInitScript('globalThis.__name = (fn) => fn;');
  await ctx.addInitScript(() => {
    window.__pcs = [];
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        window.__pcs.push(this);
      }
    } as typeof RTCPeerConnection;
  });
  const page = await ctx.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(url);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('code-create').waitFor();
  return page;
}

async function endSession(page: Page, agent: Proc): Promise<void> {
  await page.getByTestId('session-end').click();
  await agent.exited;
  await page.context().close();
}

// ---------- in-page functions (run in Chromium) ----------

/** Clicks Accept and resolves with the ms until the canvas first shows the remote screen. */
function acceptAndWaitForFirstFrame(customer: string): Promise<number> {
  const item = [...document.querySelectorAll('[data-testid=queue-item]')].find((e) => e.textContent?.includes(customer));
  const button = item?.querySelector<HTMLButtonElement>('[data-testid=queue-accept]');
  if (!button) throw new Error('no accept button');
  const t0 = performance.now();
  button.click();
  return new Promise((resolve) => {
    const tick = () => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid=remote-canvas]');
      // The xterm's white background at (100,100) is painted: the first frame is on screen.
      if (c && c.width > 100) {
        const px = c.getContext('2d')!.getImageData(100, 100, 1, 1).data;
        if (px[0]! > 200 && px[1]! > 200 && px[2]! > 200) return resolve(performance.now() - t0);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
}

async function typeLetters({ count, intervalMs }: { count: number; intervalMs: number }): Promise<void> {
  const c = document.querySelector<HTMLCanvasElement>('[data-testid=remote-canvas]')!;
  c.focus();
  for (let i = 0; i < count; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    c.dispatchEvent(new KeyboardEvent('keydown', { key, code: `Key${key.toUpperCase()}`, bubbles: true, cancelable: true }));
    c.dispatchEvent(new KeyboardEvent('keyup', { key, code: `Key${key.toUpperCase()}`, bubbles: true, cancelable: true }));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------- helpers ----------

async function wireBytes(page: Page): Promise<{ sent: number; received: number; total: number }> {
  return page.evaluate(async () => {
    let sent = 0;
    let received = 0;
    for (const pc of window.__pcs) {
      if (pc.connectionState !== 'connected') continue;
      (await pc.getStats()).forEach((s: { type: string; bytesSent?: number; bytesReceived?: number }) => {
        if (s.type === 'transport') {
          sent += s.bytesSent ?? 0;
          received += s.bytesReceived ?? 0;
        }
      });
    }
    return { sent, received, total: sent + received };
  });
}

export async function clearLine(page: Page): Promise<void> {
  await page.keyboard.press('Control+u');
}

export async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(1000);
}

export async function remoteToPage(page: Page, rx: number, ry: number): Promise<{ x: number; y: number }> {
  return page.getByTestId('remote-canvas').evaluate((el, p) => {
    const c = el as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    const scale = Math.min(r.width / c.width, r.height / c.height);
    return { x: r.left + (r.width - c.width * scale) / 2 + p.rx * scale, y: r.top + (r.height - c.height * scale) / 2 + p.ry * scale };
  }, { rx, ry });
}

export const round = (n: number) => Math.round(n * 10) / 10;
const median = (a: number[]) => quantile([...a].sort((x, y) => x - y), 0.5);
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
