/** Helpers that drive the real console renderer and portal pages the way a person would. */
import { expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { startAgent, waitFor, type LifelineServer, type Proc } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

export async function signIn(page: Page, consoleUrl: string, username: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('code-create')).toBeVisible();
}

export async function createCode(page: Page): Promise<string> {
  await page.getByTestId('code-create').click();
  const text = await expect.poll(async () => (await page.getByTestId('code-value').textContent()) ?? '').toMatch(/\d{3} \d{3} \d{4}/)
    .then(() => page.getByTestId('code-value').textContent());
  return text!.replace(/\D/g, '');
}

export async function joinPortal(page: Page, serverUrl: string, code: string, name: string): Promise<void> {
  await page.goto(serverUrl);
  await page.getByTestId('portal-code').fill(code.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'));
  await page.getByTestId('portal-name').fill(name);
  await page.getByTestId('portal-join').click();
}

/** The remote canvas's RGBA pixels for a region, in remote-screen coordinates. */
export async function canvasPixels(page: Page, x: number, y: number, w: number, h: number): Promise<Uint8Array> {
  const b64 = await page.getByTestId('remote-canvas').evaluate((el, r) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(r.x, r.y, r.w, r.h).data;
    let s = '';
    for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return btoa(s);
  }, { x, y, w, h });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Page coordinates of a remote-screen point on the fitted (letterboxed) canvas. */
export async function remoteToPage(page: Page, rx: number, ry: number): Promise<{ x: number; y: number }> {
  return page.getByTestId('remote-canvas').evaluate((el, p) => {
    const c = el as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    const scale = Math.min(r.width / c.width, r.height / c.height);
    const ox = (r.width - c.width * scale) / 2;
    const oy = (r.height - c.height * scale) / 2;
    return { x: r.left + ox + (p.rx + 0.5) * scale, y: r.top + oy + (p.ry + 0.5) * scale };
  }, { rx, ry });
}

// ---------- a whole attended session, for specs about what happens inside one ----------

export interface AttendedSession {
  tech: Page;
  user: Page;
  agent: Proc;
  /** Ends the session from the console (if still open) and stops the agent and both pages. */
  close(): Promise<void>;
}

/**
 * Everything from the technician's sign-in to a connected peer: a code, the
 * user joining on the portal, the agent started on `display`, accepted, and
 * the user allowing viewing (and control, unless `control: false`). The
 * technician's page keeps its RTCPeerConnections for `wireBytes`.
 */
export async function startAttendedSession(
  browser: Browser,
  opts: { consoleUrl: string; server: LifelineServer; display: string; customer: string; control?: boolean; agentArgs?: string[] },
): Promise<AttendedSession> {
  const techContext = await browser.newContext();
  await techContext.addInitScript(keepPeerConnections);
  const tech = await techContext.newPage();
  tech.on('dialog', (d) => void d.accept());
  const user = await (await browser.newContext()).newPage();
  await signIn(tech, opts.consoleUrl, 'admin', opts.server.adminPassword);
  const code = await createCode(tech);
  await joinPortal(user, opts.server.url, code, opts.customer);
  const agent = startAgent(opts.server.url, code, opts.display, opts.agentArgs);
  const close = async () => {
    const end = tech.getByTestId('session-end');
    if (await end.isVisible().catch(() => false)) await end.click().catch(() => undefined);
    await Promise.race([agent.exited, new Promise((r) => setTimeout(r, 5000))]);
    await agent.stop();
    await tech.context().close();
    await user.context().close();
  };
  try {
    await tech.getByTestId('queue-item').filter({ hasText: opts.customer }).getByTestId('queue-accept').click();
    await user.getByTestId('consent-view').check();
    if (opts.control !== false) {
      await user.getByTestId('consent-control').check();
      await expect(tech.getByTestId('consent-status')).toContainText('control: allowed');
    }
    await expect(tech.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { tech, user, agent, close };
}

declare global {
  interface Window { __lifelinePeerConnections?: RTCPeerConnection[] }
}

/** Init script: keeps every RTCPeerConnection the page makes, so a test can read its transport stats. */
function keepPeerConnections(): void {
  const kept: RTCPeerConnection[] = [];
  window.__lifelinePeerConnections = kept;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      kept.push(this);
    }
  } as typeof RTCPeerConnection;
}

/** Bytes on the wire (DTLS/SCTP payload, both directions) of the page's open peer connections, and how many it has made. */
export async function wireBytes(page: Page): Promise<{ sent: number; received: number; connections: number }> {
  return page.evaluate(async () => {
    let sent = 0;
    let received = 0;
    const pcs = window.__lifelinePeerConnections ?? [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; bytesSent?: number; bytesReceived?: number }) => {
        if (s.type === 'transport') {
          sent += s.bytesSent ?? 0;
          received += s.bytesReceived ?? 0;
        }
      });
    }
    return { sent, received, connections: pcs.length };
  });
}

/** Waits until a region of the canvas is identical, pixel for pixel, to the same region of the X display (offset by `screenOrigin`). */
export async function expectCanvasToMatchScreen(
  page: Page, display: string, region: { x: number; y: number; w: number; h: number },
  screenOrigin = { x: 0, y: 0 }, timeoutMs = 20_000,
): Promise<void> {
  let ratio = 0;
  await waitFor(`canvas region ${JSON.stringify(region)} to equal the X display`, async () => {
    const [screen, canvas] = await Promise.all([
      readScreen(display, region.x + screenOrigin.x, region.y + screenOrigin.y, region.w, region.h),
      canvasPixels(page, region.x, region.y, region.w, region.h),
    ]);
    ratio = sameRatio(screen, canvas);
    return ratio === 1;
  }, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message} (last share of equal pixels: ${ratio})`);
  });
}

/** The text a test reads from an element that may be a form field or plain text. */
export async function shownText(locator: Locator): Promise<string> {
  return locator.evaluate((e) => (e instanceof HTMLTextAreaElement || e instanceof HTMLInputElement ? e.value : e.textContent ?? ''));
}

/** A page in a browser context of its own (another person's console or portal), added to `contexts` for closing; dialogs are accepted. */
export async function openPage(browser: Browser, contexts: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  return page;
}
