/**
 * Functions the benches run inside Chromium (page.evaluate): each must be
 * self-contained, since Playwright sends its source, not its closure.
 */

/**
 * Types `count` letters on the viewer's canvas, one at a time: a key event, then
 * the time until the top-left (where the xterm is) of the canvas changes, then
 * a pause so the echo's trailing updates (the cursor) land before the next one.
 */
export async function typeMeasured({ selector, count, gapMs }: { selector: string; count: number; gapMs: number }): Promise<{ latencies: number[]; missed: number }> {
  const c = document.querySelector<HTMLCanvasElement>(selector)!;
  const g = c.getContext('2d')!;
  c.focus();
  const hash = () => {
    const d = g.getImageData(0, 0, 700, 450).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i]! + d[i + 1]! * 3 + d[i + 2]! * 7) >>> 0;
    return h;
  };
  const channel = new MessageChannel();
  const yieldNow = () => new Promise<void>((r) => {
    channel.port1.onmessage = () => r();
    channel.port2.postMessage(0);
  });
  const latencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < count; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const code = `Key${key.toUpperCase()}`;
    const base = hash();
    const t0 = performance.now();
    c.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
    c.dispatchEvent(new KeyboardEvent('keyup', { key, code, bubbles: true, cancelable: true }));
    let changed = false;
    while (performance.now() - t0 < 2000) {
      await yieldNow();
      if (hash() !== base) {
        changed = true;
        break;
      }
    }
    if (changed) latencies.push(performance.now() - t0);
    else missed++;
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { latencies, missed };
}
