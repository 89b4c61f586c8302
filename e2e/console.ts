/** Helpers that drive the real console renderer and portal pages the way a person would. */
import { expect, type Page } from '@playwright/test';

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
