/**
 * Reads the X display's own pixels with a plain core GetImage, independent
 * of the agent's capture path, so tests compare what the technician sees
 * with what is really on the screen.
 */
import { createRequire } from 'node:module';

interface Client {
  GetImage(format: number, drawable: number, x: number, y: number, w: number, h: number, planeMask: number,
    cb: (err: Error | null, img: { data: Buffer }) => void): void;
  close?(): void;
  terminate?(): void;
}
interface Display { client: Client; screen: { root: number }[] }
const x11 = createRequire(import.meta.url)('x11') as {
  createClient(opts: { display: string; shm: false }, cb: (err: Error | null, d: Display) => void): Client;
};

const Z_PIXMAP = 2;

/** RGBA pixels of a region of the root window. */
export function readScreen(display: string, x: number, y: number, w: number, h: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const client = x11.createClient({ display, shm: false }, (err, d) => {
      if (err) return reject(err);
      d.client.GetImage(Z_PIXMAP, d.screen[0]!.root, x, y, w, h, 0xffffffff, (e, img) => {
        (d.client.close ?? d.client.terminate)?.call(d.client);
        if (e) return reject(e);
        // 24-bit depth arrives as 32-bit BGRX, little-endian.
        const out = new Uint8Array(w * h * 4);
        for (let i = 0; i < w * h; i++) {
          out[i * 4] = img.data[i * 4 + 2]!;
          out[i * 4 + 1] = img.data[i * 4 + 1]!;
          out[i * 4 + 2] = img.data[i * 4]!;
          out[i * 4 + 3] = 255;
        }
        resolve(out);
      });
    });
    (client as unknown as { on?: (ev: string, f: (e: Error) => void) => void }).on?.('error', reject);
  });
}

/** Share of pixels (0..1) that are identical in RGB. */
export function sameRatio(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i += 4) if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) same++;
  return same / (a.length / 4);
}
