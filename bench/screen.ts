/**
 * `npm run bench -- screen`: the same scripted workloads on the same Xvfb
 * 1920x1080 display, seen first through Lifeline (web console in Chromium,
 * agent, WebRTC data channel) and then through x11vnc + websockify + noVNC
 * in the same Chromium. Loopback only. Prints, for each viewer and workload:
 *
 *   bytes              on the wire, both directions, during the workload and until
 *                      the viewer is quiet again (Lifeline: RTCPeerConnection transport
 *                      stats, i.e. DTLS/SCTP payload; noVNC: TCP payload at a counting
 *                      proxy between Chromium and websockify, i.e. WebSocket frames)
 *   frames             Lifeline: data-channel rect fragments flagged end-of-frame;
 *                      noVNC: FramebufferUpdate messages it finished
 *   input_to_pixel_ms  typing only: key event dispatched on the viewer's canvas ->
 *                      that canvas's pixels change {p50, p95}
 *   agent_cpu_s        CPU seconds (user + system, /proc/PID/stat) of the capturing
 *                      process — the Lifeline agent, or x11vnc — over the same span
 *   wire_bytes         the same span measured at one layer for both viewers: IP bytes
 *                      (IP + UDP/TCP headers and payload, so TCP's pure ACKs and SCTP's
 *                      SACKs count too) of exactly the viewer's flows on loopback, from a
 *                      tcpdump capture (Lifeline: the UDP 5-tuple of the selected ICE
 *                      candidate pair; noVNC: TCP to the counting proxy's port). Also
 *                      wire_bytes_down / wire_bytes_up / wire_packets; null when tcpdump
 *                      could not run (wire_error says why). Both viewers' flows are IPv6
 *                      (::1): Chromium's ICE pair on loopback is ::1 <-> ::1, so noVNC is
 *                      loaded from, and its WebSocket goes to, the counting proxy at [::1]
 *                      (the proxy -> websockify -> x11vnc legs are not measured, as the agent's
 *                      X11 socket is not). Headers are then the same size for both.
 *   wire_bytes_ipv4    wire_bytes less 20 bytes for every IPv6 packet: what the same packets
 *                      would weigh over IPv4 (as a LAN without IPv6 would carry them)
 *   wire_ipv6_packets  how many of wire_packets were IPv6 (all of them when both flows are on ::1)
 *
 * Workloads: typing (300 characters into an xterm running `cat`, one at a time,
 * each waiting for its pixels), scrolling (`less` on a long file in a screen-sized
 * xterm, Page Down 10 times a second for 10 s), window_move (an 80x24 xterm moved
 * across the screen at 60 Hz for 5 s; there is no window manager, the bench moves
 * it), idle (30 s), full_screen (a screen-sized xterm printing as fast as it can
 * for 10 s; fps = frames / 10 s).
 *
 * BENCH_LIFELINE_QUALITY (auto|best|low|grey) picks the console's quality mode;
 * BENCH_NOVNC_QUALITY / BENCH_NOVNC_COMPRESSION (0-9) change noVNC's settings.
 * For quicker looks while working: BENCH_SCREEN_VIEWERS=lifeline (or novnc) runs
 * one viewer, BENCH_SCREEN_WORKLOADS=typing,full_screen only those workloads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import {
  ROOT, apiPost, consentingPortal, openXClient, run, runToEnd, startAgent, startServer, startWebConsole, startXterm, startXvfb,
  waitFor, windowId, type XClient,
} from '../e2e/harness.js';
import { FLAG_END_OF_FRAME, KIND_RECT } from '../shared/channel.js';
import { typeMeasured } from './in-page.js';

const TYPED = 300;
const TYPING_GAP_MS = 40;
const SCROLL_S = 10;
const PAGE_DOWN_EVERY_MS = 100;
const MOVE_S = 5;
const MOVE_HZ = 60;
const IDLE_S = 30;
const FULL_SCREEN_S = 10;
/** The whole bench gives up (and cleans up) after this. */
const DEADLINE_MS = 12 * 60_000;

const LIFELINE_QUALITY = process.env.BENCH_LIFELINE_QUALITY;
const VIEWERS = process.env.BENCH_SCREEN_VIEWERS?.split(',') ?? ['lifeline', 'novnc'];
const WORKLOADS = process.env.BENCH_SCREEN_WORKLOADS?.split(',') ?? null;
const wanted = (workload: string) => !WORKLOADS || WORKLOADS.includes(workload);

const NOVNC_DIR = '/usr/share/novnc';
/** noVNC's settings: its lowest JPEG quality and highest zlib level are its best compression. */
const NOVNC_QUALITY = Number(process.env.BENCH_NOVNC_QUALITY ?? 0);
const NOVNC_COMPRESSION = Number(process.env.BENCH_NOVNC_COMPRESSION ?? 9);
/** x11vnc as a helpdesk would run it for the best bandwidth: XDAMAGE on (its default), no client-side caching. */
const X11VNC_ARGS = ['-localhost', '-nopw', '-forever', '-shared', '-ncache', '0', '-noipv6'];

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

/** Debian packages the bench needs beyond the test suite's, by the command that shows each is there. */
const PACKAGES: Array<[check: () => boolean, pkg: string]> = [
  [() => hasCommand('x11vnc'), 'x11vnc'],
  [() => hasCommand('websockify'), 'websockify'],
  [() => fs.existsSync(path.join(NOVNC_DIR, 'vnc.html')), 'novnc'],
  [() => hasCommand('xdotool'), 'xdotool'],
  [() => hasCommand('xterm'), 'xterm'],
  [() => hasCommand('Xvfb'), 'xvfb'],
  [() => hasCommand('less'), 'less'],
  [() => hasCommand('tcpdump'), 'tcpdump'],
];

declare global {
  interface Window {
    __pcs: RTCPeerConnection[];
    __frames: number;
  }
}

interface Counters {
  sent: number;
  received: number;
  frames: number;
}

/** One way of looking at the display, as far as the workloads care. */
interface Viewer {
  page: Page;
  /** The canvas the viewer paints the remote screen on. */
  canvas: string;
  /** The process that captures the screen. */
  capturePid: number;
  counters(): Promise<Counters>;
  /** Page coordinates of a remote-screen point. */
  toPage(rx: number, ry: number): Promise<{ x: number; y: number }>;
  /** tcpdump filter that catches the viewer's traffic (and maybe more; flow() picks it out). */
  captureFilter: string;
  /** The viewer's own traffic on loopback right now, to pick out of the capture. */
  flow(): Promise<Flow | null>;
}

interface WorkloadResult {
  /** Wall-clock span (ms since the epoch), to sum the capture over; removed from the output. */
  span?: { t0: number; t1: number; flow: Flow | null };
  bytes: number;
  bytes_down: number;
  bytes_up: number;
  frames: number;
  duration_s: number;
  agent_cpu_s: number;
  [extra: string]: unknown;
}

export async function benchScreen(): Promise<object> {
  ensurePackages();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const deadline = setTimeout(() => {
    process.stderr.write(`screen bench: over ${DEADLINE_MS / 60_000} minutes, giving up\n`);
    void cleanAll(cleanups).finally(() => process.exit(1));
  }, DEADLINE_MS);
  try {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-screen-'));
    cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
    const longFile = path.join(work, 'long.txt');
    fs.writeFileSync(longFile, longText(40_000));

    const x = await startXvfb(['1920x1080x24']);
    cleanups.push(() => x.stop());
    const xc = await openXClient(x.display);
    cleanups.push(() => xc.close());
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());

    const env = { display: x.display, xc, longFile };
    let lifeline = null;
    if (VIEWERS.includes('lifeline')) {
      log('Lifeline…');
      lifeline = await withLifeline(browser, x.display, cleanups, (v) => withWire(v, () => runWorkloads(v, env)));
    }
    let peer = null;
    if (VIEWERS.includes('novnc')) {
      log('x11vnc + noVNC…');
      peer = await withNoVnc(browser, x.display, cleanups, (v) => withWire(v, () => runWorkloads(v, env)));
    }

    return {
      bench: 'screen',
      lifeline: lifeline && { ...lifeline.results, settings: lifeline.settings },
      x11vnc_novnc: peer && { ...peer.results, settings: peer.settings },
      setup: {
        screen: '1920x1080x24 Xvfb, no window manager',
        loopback: true,
        chromium: browser.version(),
        viewport: 'Lifeline console 1400x900 (canvas fitted); noVNC 1920x1080 (canvas 1:1, unclipped)',
        workloads: {
          typing: `${TYPED} characters into an xterm running cat, each dispatched on the viewer's canvas after the previous one showed, then ${TYPING_GAP_MS} ms`,
          scrolling: `less on a ${40_000}-line file in a 1920x1080 xterm, Page Down every ${PAGE_DOWN_EVERY_MS} ms for ${SCROLL_S} s (xdotool key --window)`,
          window_move: `an 80x24 xterm showing text moved left to right and back at ${MOVE_HZ} Hz for ${MOVE_S} s (X MoveWindow)`,
          idle: `${IDLE_S} s with an xterm on screen and nothing happening`,
          full_screen: `a 1920x1080 xterm printing a text file in a loop for ${FULL_SCREEN_S} s; fps = frames / ${FULL_SCREEN_S} s`,
        },
        measured_span: 'each workload from its first input to the moment the viewer has received no frame for 1.5 s (its trailing frames belong to it)',
      },
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    clearTimeout(deadline);
    await cleanAll(cleanups);
  }
}

async function cleanAll(cleanups: Array<() => Promise<unknown> | unknown>): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (e) {
      process.stderr.write(`screen bench cleanup: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

// ---------- the workloads, the same for both viewers ----------

interface WorkloadEnv {
  display: string;
  xc: XClient;
  longFile: string;
}

async function runWorkloads(v: Viewer, env: WorkloadEnv): Promise<Record<string, WorkloadResult>> {
  const { display } = env;
  const results: Record<string, WorkloadResult> = {};
  const typingXterm = await startXterm(display, '100x30+0+0', { title: 'bench-typing', command: ['cat'] });
  try {
    await quiet(v);
    const at = await v.toPage(300, 200);
    await v.page.mouse.click(at.x, at.y);
    await quiet(v);
    if (wanted('typing')) log('  typing');
    if (wanted('typing')) results.typing = await measure(v, async () => {
      const { latencies, missed } = await v.page.evaluate(typeMeasured, { selector: v.canvas, count: TYPED, gapMs: TYPING_GAP_MS });
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        input_to_pixel_ms: { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), samples: sorted.length, no_change_within_2s: missed },
      };
    });

    if (wanted('scrolling')) {
      log('  scrolling');
      const scroller = await startXterm(display, '318x82+0+0', {
        title: 'bench-scroll', command: ['less', '-S', env.longFile], resources: ['XTerm*allowSendEvents: true'],
      });
      let pages = 0;
      try {
        const wid = await windowId(display, 'bench-scroll');
        await quiet(v);
        results.scrolling = await measure(v, async () => {
          const end = Date.now() + SCROLL_S * 1000;
          for (let next = Date.now(); Date.now() < end; next += PAGE_DOWN_EVERY_MS) {
            await sleep(next - Date.now());
            await runToEnd('xdotool', ['key', '--window', String(wid), 'Next'], { DISPLAY: display });
            pages++;
          }
          return { page_downs: pages };
        });
      } finally {
        await scroller.stop();
      }
    }

    if (wanted('window_move')) {
      log('  window_move');
      const mover = await startXterm(display, '80x24+0+300', { title: 'bench-move', command: ['less', '-S', env.longFile] });
      try {
        const wid = await windowId(display, 'bench-move');
        await quiet(v);
        results.window_move = await measure(v, async () => {
          const steps = MOVE_S * MOVE_HZ;
          const t0 = Date.now();
          for (let i = 0; i <= steps; i++) {
            // Left to right and back, over the whole width, with a gentle vertical swing.
            const phase = i / steps;
            const x = Math.round((1 - Math.abs(1 - 2 * phase)) * (1920 - 500));
            const y = Math.round(300 + 200 * Math.sin(phase * 2 * Math.PI));
            env.xc.moveWindow(wid, x, y);
            await sleep(t0 + ((i + 1) * 1000) / MOVE_HZ - Date.now());
          }
          return { moves: steps + 1 };
        });
      } finally {
        await mover.stop();
      }
    }

    if (wanted('idle')) {
      log('  idle');
      await quiet(v);
      results.idle = await measure(v, () => sleep(IDLE_S * 1000).then(() => ({})), false);
    }

    if (wanted('full_screen')) {
      log('  full_screen');
      const flood = await startXterm(display, '318x82+0+0', {
        title: 'bench-flood', command: ['sh', '-c', `while :; do cat '${env.longFile}'; done`],
      });
      try {
        results.full_screen = await measure(v, () => sleep(FULL_SCREEN_S * 1000).then(() => ({})), false);
        results.full_screen.fps = round(results.full_screen.frames / FULL_SCREEN_S);
      } finally {
        await flood.stop();
      }
    }
    await quiet(v);
  } finally {
    await typingXterm.stop();
  }
  return results;
}

/**
 * Counters and the capturer's CPU time around `work`; with `drain`, until the
 * viewer has been quiet for a while after it, so trailing frames are counted.
 */
async function measure(v: Viewer, work: () => Promise<Record<string, unknown>>, drain = true): Promise<WorkloadResult> {
  const flow = await v.flow();
  const c0 = await v.counters();
  const cpu0 = cpuSeconds(v.capturePid);
  const wall0 = Date.now();
  const t0 = performance.now();
  const extra = await work();
  if (drain) await quiet(v);
  const t1 = performance.now();
  const wall1 = Date.now();
  const cpu1 = cpuSeconds(v.capturePid);
  const c1 = await v.counters();
  const down = c1.received - c0.received;
  const up = c1.sent - c0.sent;
  return {
    span: { t0: wall0, t1: wall1, flow },
    bytes: down + up, bytes_down: down, bytes_up: up, frames: c1.frames - c0.frames,
    duration_s: round((t1 - t0) / 1000), agent_cpu_s: round(cpu1 - cpu0, 2), ...extra,
  };
}

/** Waits until no frame has arrived for 1.5 s (at most 15 s). */
async function quiet(v: Viewer): Promise<void> {
  const end = Date.now() + 15_000;
  let last = (await v.counters()).frames;
  let since = Date.now();
  while (Date.now() < end) {
    await sleep(250);
    const f = (await v.counters()).frames;
    if (f !== last) {
      last = f;
      since = Date.now();
    } else if (Date.now() - since >= 1500) return;
  }
}

// ---------- wire-level bytes: a tcpdump capture on loopback ----------

/** Packets of one flow: `a` is the viewer's (browser's) end, `b` the far end. */
interface Flow {
  proto: 'udp' | 'tcp';
  a: { ip: string; port: number } | null;
  b: { ip: string; port: number };
}

interface Packet {
  /** ms since the epoch */
  at: number;
  /** IP bytes: the frame less its 14-byte link header */
  len: number;
  ipv6: boolean;
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/**
 * Runs `work` while tcpdump records loopback traffic matching the viewer's
 * capture filter, then adds each workload's wire figures from the capture.
 * Only headers are kept (snap length 128): the record header has each packet's
 * full length.
 */
async function withWire(v: Viewer, work: () => Promise<Record<string, WorkloadResult>>): Promise<Record<string, WorkloadResult>> {
  const file = path.join(os.tmpdir(), `lifeline-bench-wire-${process.pid}-${Date.now()}.pcap`);
  let capture: ReturnType<typeof run> | null = null;
  let problem: string | null = null;
  if (!hasCommand('tcpdump')) problem = 'tcpdump is not installed';
  else {
    capture = run('tcpdump', ['-i', 'lo', '-n', '-s', '128', '-B', '32768', '-U', '-w', file, v.captureFilter]);
    await waitFor('tcpdump to listen', () => {
      if (capture!.child.exitCode !== null) return true;
      return /listening on/.test(capture!.output());
    }).catch(() => undefined);
    if (capture.child.exitCode !== null) {
      problem = `tcpdump exited: ${capture.output().trim().slice(-300)}`;
      capture = null;
    }
  }
  try {
    const results = await work();
    let packets: Packet[] = [];
    let dropped: string | null = null;
    if (capture) {
      capture.child.kill('SIGINT');
      await Promise.race([capture.exited, sleep(5000)]);
      await capture.stop();
      dropped = /(\d+) packets? dropped by kernel/.exec(capture.output())?.[1] ?? null;
      try {
        packets = readPcap(fs.readFileSync(file));
      } catch (e) {
        problem = `cannot read the capture: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    for (const r of Object.values(results)) {
      const span = r.span;
      delete r.span;
      if (problem || !span?.flow) {
        Object.assign(r, { wire_bytes: null, wire_error: problem ?? 'the viewer\'s flow was not known' });
        continue;
      }
      Object.assign(r, wireFigures(packets, span.flow, span.t0, span.t1));
      if (dropped && dropped !== '0') r.wire_packets_dropped_by_kernel_whole_run = Number(dropped);
    }
    return results;
  } finally {
    await capture?.stop();
    fs.rmSync(file, { force: true });
  }
}

function wireFigures(packets: Packet[], flow: Flow, t0: number, t1: number): Record<string, number> {
  const proto = flow.proto === 'udp' ? 17 : 6;
  const isB = (ip: string, port: number) => port === flow.b.port && ip === flow.b.ip;
  const isA = (ip: string, port: number) => !flow.a || (port === flow.a.port && ip === flow.a.ip);
  let down = 0;
  let up = 0;
  let n = 0;
  let v6 = 0;
  for (const p of packets) {
    if (p.at < t0 || p.at > t1 || p.proto !== proto) continue;
    if (isB(p.src, p.sport) && isA(p.dst, p.dport)) down += p.len;
    else if (isA(p.src, p.sport) && isB(p.dst, p.dport)) up += p.len;
    else continue;
    n++;
    if (p.ipv6) v6++;
  }
  // An IPv6 header is 40 bytes, an IPv4 one (without options) 20.
  return {
    wire_bytes: down + up, wire_bytes_ipv4: down + up - 20 * v6, wire_bytes_down: down, wire_bytes_up: up, wire_packets: n, wire_ipv6_packets: v6,
  };
}

/** A pcap file (microsecond timestamps, Ethernet link type as tcpdump writes on lo): IPv4/IPv6 UDP and TCP packets. */
function readPcap(buf: Buffer): Packet[] {
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const nano = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`link type ${linkType}, expected Ethernet (1)`);
  const out: Packet[] = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const orig = u32(o + 12);
    const d = o + 16;
    o = d + incl;
    if (o > buf.length || incl < 14 + 20) continue;
    const etherType = buf.readUInt16BE(d + 12);
    const ip = d + 14;
    let proto: number;
    let src: string;
    let dst: string;
    let l4: number;
    if (etherType === 0x0800) {
      proto = buf[ip + 9]!;
      src = [...buf.subarray(ip + 12, ip + 16)].join('.');
      dst = [...buf.subarray(ip + 16, ip + 20)].join('.');
      l4 = ip + (buf[ip]! & 0x0f) * 4;
    } else if (etherType === 0x86dd) {
      proto = buf[ip + 6]!;
      src = ipv6(buf.subarray(ip + 8, ip + 24));
      dst = ipv6(buf.subarray(ip + 24, ip + 40));
      l4 = ip + 40;
    } else continue;
    if ((proto !== 6 && proto !== 17) || l4 + 4 > d + incl) continue;
    out.push({
      at: sec * 1000 + frac / (nano ? 1e6 : 1e3),
      len: orig - 14,
      ipv6: etherType === 0x86dd,
      proto,
      src,
      sport: buf.readUInt16BE(l4),
      dst,
      dport: buf.readUInt16BE(l4 + 2),
    });
  }
  return out;
}

function ipv6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // Compressed the way getStats writes addresses ("::1"), for the loopback case that matters here.
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

// ---------- Lifeline ----------

async function withLifeline<T>(
  browser: Browser, display: string, cleanups: Array<() => unknown>, body: (v: Viewer) => Promise<T>,
): Promise<{ results: T; settings: object }> {
  const server = await startServer();
  cleanups.push(() => server.stop());
  const web = await startWebConsole(server.url);
  cleanups.push(() => web.proc.stop());
  const token = (await apiPost(`${server.url}/api/login`, { username: 'admin', password: server.adminPassword })).token as string;
  const { code } = await apiPost(`${server.url}/api/codes`, {}, token);
  const { resumeKey } = await apiPost(`${server.url}/api/portal/join`, { code, name: 'Bench Screen' });
  const portal: WebSocket = await consentingPortal(server.url, resumeKey as string);
  cleanups.push(() => portal.close());

  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  cleanups.push(() => ctx.close());
  await instrumentLifeline(ctx);
  const page = await ctx.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(web.url);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(server.adminPassword);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('code-create').waitFor();

  const agent = startAgent(server.url, code as string, display);
  cleanups.push(() => agent.stop());
  const item = page.getByTestId('queue-item').filter({ hasText: 'Bench Screen' }).filter({ hasText: 'client online' });
  await item.waitFor({ timeout: 30_000 });
  await item.getByTestId('queue-accept').click();
  await page.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=remote-canvas]');
    return !!c && c.width >= 1920 && window.__frames > 0;
  }, undefined, { timeout: 30_000 }).catch(async (e: Error) => {
    const state = await page.evaluate(() => ({
      canvas: document.querySelector<HTMLCanvasElement>('[data-testid=remote-canvas]')?.width ?? null,
      frames: window.__frames,
      pcs: window.__pcs.map((pc) => pc.connectionState),
      peer: document.querySelector('[data-testid=peer-status]')?.textContent ?? null,
    }));
    throw new Error(`the first frame never came: ${JSON.stringify(state)}\n${agent.output().slice(-2000)}\n${e.message}`);
  });

  // The console's own choice unless asked otherwise (auto, best, low, grey).
  if (LIFELINE_QUALITY) await page.getByTestId('quality-select').selectOption(LIFELINE_QUALITY);

  const canvas = '[data-testid=remote-canvas]';
  const viewer: Viewer = {
    page,
    canvas,
    capturePid: agent.child.pid!,
    counters: () => page.evaluate(lifelineCounters),
    toPage: (rx, ry) => page.locator(canvas).evaluate(fittedCanvasPoint, { rx, ry }),
    captureFilter: 'udp',
    flow: async () => {
      const pair = await page.evaluate(lifelineCandidatePair);
      return pair && { proto: 'udp', a: pair.local, b: pair.remote };
    },
  };
  const results = await body(viewer);

  const effective = await page.getByTestId('quality-effective').textContent({ timeout: 1000 }).catch(() => null);
  const mode = await page.getByTestId('quality-select').inputValue({ timeout: 1000 }).catch(() => null);
  // What each packet's DTLS record costs: 13 header bytes, plus 8 explicit nonce and 16 tag bytes with AES-GCM.
  const dtls = await page.evaluate(lifelineDtls).catch(() => null);
  const settings = {
    version: lifelineVersion(),
    transport: 'WebRTC data channel (DTLS/SCTP) on loopback, node-datachannel on the agent',
    dtls,
    quality_mode: mode ?? 'default (no quality selector in this build)',
    quality_effective_at_end: effective?.trim() || null,
    scale_mode: 'default (fit)',
    agent: 'node agent/bin/lifeline-agent.js (MIT-SHM + DAMAGE capture)',
  };
  await page.getByTestId('session-end').click().catch(() => undefined);
  await Promise.race([agent.exited, sleep(10_000)]);
  return { results, settings };
}

async function instrumentLifeline(ctx: BrowserContext): Promise<void> {
  // tsx compiles with esbuild's keepNames, which wraps functions declared inside
  // the in-page functions in a __name() helper the page does not have.
  await ctx.addInitScript('globalThis.__name = (fn) => fn;');
  await ctx.addInitScript(({ kindRect, endOfFrame }) => {
    // Bench-only: keep the page's peer connections (for transport stats) and count
    // end-of-frame rect fragments on their data channels (kind byte, then flags in byte 1).
    window.__pcs = [];
    window.__frames = 0;
    const count = (ch: RTCDataChannel) =>
      ch.addEventListener('message', (e: MessageEvent) => {
        const onBytes = (b: ArrayBuffer) => {
          const u = new Uint8Array(b, 0, Math.min(2, b.byteLength));
          if (u[0] === kindRect && (u[1]! & endOfFrame) !== 0) window.__frames++;
        };
        if (e.data instanceof ArrayBuffer) onBytes(e.data);
        else if (e.data instanceof Blob) void e.data.slice(0, 2).arrayBuffer().then(onBytes);
      });
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        window.__pcs.push(this);
        this.addEventListener('datachannel', (e) => count(e.channel));
      }
      override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
        const ch = super.createDataChannel(label, init);
        count(ch);
        return ch;
      }
    } as typeof RTCPeerConnection;
  }, { kindRect: KIND_RECT, endOfFrame: FLAG_END_OF_FRAME });
}

async function lifelineCounters(): Promise<Counters> {
  let sent = 0;
  let received = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((s: { type: string; bytesSent?: number; bytesReceived?: number }) => {
      if (s.type === 'transport') {
        sent += s.bytesSent ?? 0;
        received += s.bytesReceived ?? 0;
      }
    });
  }
  return { sent, received, frames: window.__frames };
}

/** The UDP endpoints of the live peer connection's selected candidate pair (browser side first). */
async function lifelineCandidatePair(): Promise<{ local: { ip: string; port: number }; remote: { ip: string; port: number } } | null> {
  for (const pc of [...window.__pcs].reverse()) {
    if (pc.connectionState !== 'connected') continue;
    const stats = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s));
    for (const s of stats.values()) {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
      const pair = stats.get(s.selectedCandidatePairId as string);
      const local = pair && stats.get(pair.localCandidateId as string);
      const remote = pair && stats.get(pair.remoteCandidateId as string);
      if (!local || !remote) continue;
      const end = (c: Record<string, unknown>) => ({ ip: String(c.address ?? c.ip), port: Number(c.port) });
      return { local: end(local), remote: end(remote) };
    }
  }
  return null;
}

/** The live peer connection's DTLS version and cipher suite, as the browser negotiated them. */
async function lifelineDtls(): Promise<{ version: unknown; cipher: unknown } | null> {
  for (const pc of [...window.__pcs].reverse()) {
    if (pc.connectionState !== 'connected') continue;
    let found: { version: unknown; cipher: unknown } | null = null;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'transport' && s.dtlsCipher) found = { version: s.tlsVersion, cipher: s.dtlsCipher };
    });
    if (found) return found;
  }
  return null;
}

function fittedCanvasPoint(el: Element, p: { rx: number; ry: number }): { x: number; y: number } {
  const c = el as HTMLCanvasElement;
  const r = c.getBoundingClientRect();
  const scale = Math.min(r.width / c.width, r.height / c.height);
  return { x: r.left + (r.width - c.width * scale) / 2 + (p.rx + 0.5) * scale, y: r.top + (r.height - c.height * scale) / 2 + (p.ry + 0.5) * scale };
}

function lifelineVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' });
  return `${pkg.version}${git.status === 0 ? ` (${git.stdout.trim()})` : ''}`;
}

// ---------- x11vnc + websockify + noVNC ----------

async function withNoVnc<T>(
  browser: Browser, display: string, cleanups: Array<() => unknown>, body: (v: Viewer) => Promise<T>,
): Promise<{ results: T; settings: object }> {
  const rfbPort = await freePort();
  const x11vncArgs = ['-display', display, '-rfbport', String(rfbPort), ...X11VNC_ARGS];
  const x11vnc = run('x11vnc', x11vncArgs);
  cleanups.push(() => x11vnc.stop());
  await waitFor('x11vnc to listen', () => {
    if (x11vnc.child.exitCode !== null) throw new Error(`x11vnc exited:\n${x11vnc.output()}`);
    return /PORT=\d+/.test(x11vnc.output());
  });

  const wsPort = await freePort();
  const websockify = run('websockify', ['--web', NOVNC_DIR, `127.0.0.1:${wsPort}`, `127.0.0.1:${rfbPort}`]);
  cleanups.push(() => websockify.stop());
  await waitFor('websockify to listen', () => {
    if (websockify.child.exitCode !== null) throw new Error(`websockify exited:\n${websockify.output()}`);
    return canConnect(wsPort);
  });

  // Over ::1, as Chromium's ICE pair for Lifeline is: the measured flow (browser <-> proxy) then has the same headers.
  const proxy = await countingProxy(wsPort, '::1');
  cleanups.push(() => proxy.close());

  // noVNC clips its canvas to the window: a window the remote screen's size lets it paint all of it, as Lifeline does.
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  cleanups.push(() => ctx.close());
  await ctx.addInitScript('globalThis.__name = (fn) => fn;');
  const page = await ctx.newPage();
  const query = new URLSearchParams({
    autoconnect: 'true', host: '[::1]', port: String(proxy.port), path: 'websockify', encrypt: 'false',
    quality: String(NOVNC_QUALITY), compression: String(NOVNC_COMPRESSION), resize: 'off', view_clip: 'false',
    reconnect: 'false', shared: 'true', show_dot: 'false', logging: 'warn',
  });
  await page.goto(`http://[::1]:${proxy.port}/vnc.html?${query}`);
  // The same module instance noVNC's UI runs: count the framebuffer updates it completes.
  await page.evaluate(async () => {
    window.__frames = 0;
    const { default: RFB } = (await import('/core/rfb.js' as string)) as { default: { prototype: Record<string, unknown> } };
    const finish = RFB.prototype._framebufferUpdate as (this: unknown) => boolean;
    RFB.prototype._framebufferUpdate = function (this: unknown) {
      const done = finish.call(this);
      if (done) window.__frames++;
      return done;
    };
  });
  await page.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#noVNC_container canvas');
    return document.documentElement.classList.contains('noVNC_connected') && !!c && c.width >= 1920 && window.__frames > 0;
  }, undefined, { timeout: 30_000 }).catch(async (e: Error) => {
    const state = await page.evaluate(() => ({
      connected: document.documentElement.classList.contains('noVNC_connected'),
      canvas: document.querySelector<HTMLCanvasElement>('#noVNC_container canvas')?.width ?? null,
      frames: window.__frames,
    }));
    throw new Error(`noVNC never showed the screen: ${JSON.stringify(state)}\n${x11vnc.output().slice(-2000)}\n${e.message}`);
  });

  const canvas = '#noVNC_container canvas';
  const viewer: Viewer = {
    page,
    canvas,
    capturePid: x11vnc.child.pid!,
    counters: async () => ({ sent: proxy.up, received: proxy.down, frames: await page.evaluate(() => window.__frames) }),
    toPage: (rx, ry) => page.locator(canvas).evaluate((el, p) => {
      // noVNC at resize=off draws the framebuffer 1:1 from the canvas's top-left corner.
      const r = el.getBoundingClientRect();
      return { x: r.left + p.rx + 0.5, y: r.top + p.ry + 0.5 };
    }, { rx, ry }),
    captureFilter: `tcp port ${proxy.port}`,
    flow: async () => ({ proto: 'tcp', a: null, b: { ip: '::1', port: proxy.port } }),
  };
  const results = await body(viewer);

  const settings = {
    x11vnc: debVersion('x11vnc'),
    websockify: debVersion('websockify'),
    novnc: debVersion('novnc'),
    x11vnc_args: `-display ${display} -rfbport PORT ${X11VNC_ARGS.join(' ')}`,
    x11vnc_defaults_kept: 'XDAMAGE on, scrollcopyrect (RECORD) on, -wait 20 -defer 20 ms, cursor shapes as pseudo-encoding',
    novnc_page: 'vnc.html (stock UI) through websockify --web',
    novnc_settings: { quality: NOVNC_QUALITY, compression: NOVNC_COMPRESSION, resize: 'off' },
    encodings_offered_by_novnc: 'CopyRect, Tight, TightPNG, Hextile, RRE, Raw (Tight preferred; x11vnc has no TightPNG)',
  };
  return { results, settings };
}

/** A TCP relay that counts the bytes each way, so noVNC's traffic is measured where it leaves the browser. */
async function countingProxy(targetPort: number, host: string): Promise<{ port: number; up: number; down: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { port: 0, up: 0, down: 0, close: async () => {} };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => (state.up += d.length));
    upstream.on('data', (d) => (state.down += d.length));
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}

// ---------- helpers ----------

function ensurePackages(): void {
  const missing = PACKAGES.filter(([present]) => !present()).map(([, pkg]) => pkg);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`The screen bench needs these Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  log(`Installing Debian packages for the screen bench: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function debVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds of a process, its reaped children, and its live descendants. */
function cpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number; reaped: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let s: string;
    try {
      s = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) });
  }
  const root = stats.get(pid);
  if (!root) return NaN;
  let ticks = root.ticks + root.reaped;
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) {
      if (!tree.has(p) && tree.has(s.ppid)) {
        tree.add(p);
        ticks += s.ticks;
        grew = true;
      }
    }
  }
  return ticks / CLOCK_TICKS;
}

function longText(lines: number): string {
  const words = ['lifeline', 'support', 'screen', 'remote', 'printer', 'network', 'session', 'consent', 'agent', 'console', 'frame', 'pixel'];
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    const n = 4 + Math.floor(rnd() * 24);
    const ws: string[] = [];
    for (let j = 0; j < n; j++) ws.push(words[Math.floor(rnd() * words.length)]!);
    out.push(`${String(i).padStart(6)}  ${ws.join(' ')}`);
  }
  return `${out.join('\n')}\n`;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
