/**
 * `npm run bench -- files`: a 1 GiB file up to the agent and a 1 GiB file down
 * from it, over the session's peer connection on loopback (the real server,
 * web console in Chromium, agent on Xvfb with an xterm). While each transfer
 * runs, letters are typed into the remote xterm to measure input latency
 * under a saturated link. Prints:
 *   upload_mb_s / download_mb_s   file bytes / (start clicked -> verified and done)
 *   peak_rss_mb                   agent and console core (web host), sampled every 100 ms during each transfer
 *   peak_page_heap_mb             the console page's JS heap (Chromium's performance.memory), sampled likewise
 *   input_to_pixel_ms             typing during each transfer {p50, p95}
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { apiPost as post, consentingPortal, startAgent, startServer, startWebConsole, sha256File, startXterm, startXvfb, writeRandomFile, type Proc } from '../e2e/harness.js';
import { typeMeasured } from './in-page.js';
import { CHROMIUM_ARGS, clearLine, openConsoleIn, quantile, remoteToPage, round, settle } from './session.js';

const SIZE = Number(process.env.BENCH_FILE_MB ?? 1024) * 1024 * 1024;
const MB = 1024 * 1024;
const LATENCY_SAMPLES = 40;

export async function benchFiles(): Promise<object> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-files-'));
  const remote = path.join(tmp, 'remote');
  const downloads = path.join(tmp, 'downloads');
  fs.mkdirSync(remote);
  fs.mkdirSync(downloads);
  const x = await startXvfb(['1920x1080x24']);
  const xterm = await startXterm(x.display);
  const server = await startServer();
  const web = await startWebConsole(server.url);
  // A persistent profile, as a technician's browser or Electron has: an incognito-like context keeps
  // the origin-private file system (where downloads are written) in memory, not on disk.
  const browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 },
  });
  let agent: Proc | null = null;
  try {
    await writeRandomFile(path.join(tmp, 'up.bin'), SIZE);
    await writeRandomFile(path.join(remote, 'down.bin'), SIZE);
    const token = (await post(`${server.url}/api/login`, { username: 'admin', password: server.adminPassword })).token as string;
    const page = await openConsoleIn(browser, web.url, server.adminPassword);
    const { code } = await post(`${server.url}/api/codes`, {}, token);
    const { resumeKey } = await post(`${server.url}/api/portal/join`, { code, name: 'Bench files' });
    const portal = await consentingPortal(server.url, resumeKey as string, { view: true, control: true, files: true });
    agent = startAgent(server.url, code as string, x.display, ['--files-root', remote]);
    await page.getByTestId('queue-item').filter({ hasText: 'Bench files' }).filter({ hasText: 'client online' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('queue-item').filter({ hasText: 'Bench files' }).getByTestId('queue-accept').click();
    await page.getByTestId('peer-status').filter({ hasText: 'connected' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('tool-tab-files').click();
    await page.getByTestId('files-entry').and(page.locator('[data-name="down.bin"]')).waitFor();

    const pids = { agent: agent.child.pid!, console_core: web.proc.child.pid! };
    const upload = await measured(page, pids, 'up.bin', async () => {
      await page.getByTestId('files-upload-input').setInputFiles(path.join(tmp, 'up.bin'));
    });
    await page.getByTestId('tool-tab-files').click();
    await page.getByTestId('files-entry').and(page.locator('[data-name="down.bin"]')).click();
    const download = await measured(page, pids, 'down.bin', async () => {
      void page.waitForEvent('download', { timeout: 0 }).then((d) => d.saveAs(path.join(downloads, 'down.bin'))).catch(() => undefined);
      await page.getByTestId('files-download').click();
    });
    const same = (await sha256File(path.join(remote, 'up.bin'))) === (await sha256File(path.join(tmp, 'up.bin')));
    portal.close();
    return {
      bench: 'files',
      upload_mb_s: round(SIZE / MB / (upload.ms / 1000)),
      download_mb_s: round(SIZE / MB / (download.ms / 1000)),
      upload_ms: round(upload.ms),
      download_ms: round(download.ms),
      peak_rss_mb: { during_upload: upload.peakRssMb, during_download: download.peakRssMb },
      peak_page_heap_mb: { during_upload: upload.peakHeapMb, during_download: download.peakHeapMb },
      input_to_pixel_ms: { during_upload: upload.latency, during_download: download.latency },
      upload_hash_matches: same,
      setup: { file_mb: SIZE / MB, transport: 'WebRTC data channels on loopback', screen: '1920x1080', typed_samples: LATENCY_SAMPLES },
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    await agent?.stop();
    await browser.close();
    await web.proc.stop();
    await server.stop();
    await xterm.stop();
    await x.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Starts a transfer, types on the screen while it runs, and times it until its row says done. */
async function measured(page: Page, pids: Record<string, number>, name: string, start: () => Promise<void>) {
  const peak: Record<string, number> = {};
  let peakHeap = 0;
  const sampler = setInterval(() => {
    for (const [who, pid] of Object.entries(pids)) peak[who] = Math.max(peak[who] ?? 0, rssMb(pid));
    void page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)
      .then((b) => (peakHeap = Math.max(peakHeap, b / 1024 / 1024)), () => undefined);
  }, 100);
  const row = page.getByTestId('transfer').and(page.locator(`[data-name="${name}"]`));
  const t0 = performance.now();
  await start();
  await row.waitFor();
  // Type into the remote xterm from the screen tab while the transfer goes on.
  await page.getByTestId('tool-tab-screen').click();
  const at = await remoteToPage(page, 300, 200);
  await page.mouse.click(at.x, at.y);
  const { latencies, missed } = await page.evaluate(typeMeasured, { selector: '[data-testid=remote-canvas]', count: LATENCY_SAMPLES, gapMs: 60 });
  const typedDuring = (await row.getAttribute('data-state')) !== 'done';
  await clearLine(page);
  await page.waitForFunction((n) => document.querySelector(`[data-testid=transfer][data-name="${n}"]`)?.getAttribute('data-state') === 'done', name, { timeout: 0, polling: 50 });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  await settle(page);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    ms,
    peakRssMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, round(v)])),
    peakHeapMb: round(peakHeap),
    latency: { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), samples: sorted.length, no_change_within_2s: missed, all_while_transferring: typedDuring },
  };
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
