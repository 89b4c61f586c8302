/**
 * The remote screen is drawn "contain"-fitted into its box (CSS
 * `object-fit: contain` on the canvas): scaled to fit, aspect ratio kept,
 * centred, with bars on two sides. Input maps back through the same fit.
 */
export interface Size {
  width: number;
  height: number;
}

export interface Fit {
  scale: number;
  /** Where the picture starts inside the box (the letterbox bars' size). */
  offsetX: number;
  offsetY: number;
}

export function fitContain(box: Size, content: Size): Fit {
  if (box.width <= 0 || box.height <= 0 || content.width <= 0 || content.height <= 0) {
    return { scale: 0, offsetX: 0, offsetY: 0 };
  }
  const scale = Math.min(box.width / content.width, box.height / content.height);
  return {
    scale,
    offsetX: (box.width - content.width * scale) / 2,
    offsetY: (box.height - content.height * scale) / 2,
  };
}

/**
 * A point in the box (CSS pixels from its top-left corner) -> a remote pixel.
 * Outside the picture: null, or the nearest edge pixel when `clamp` is set
 * (a drag that leaves the picture keeps following the pointer).
 */
export function mapToRemote(x: number, y: number, box: Size, remote: Size, clamp: boolean): { x: number; y: number } | null {
  const fit = fitContain(box, remote);
  if (fit.scale === 0) return null;
  const rx = Math.floor((x - fit.offsetX) / fit.scale);
  const ry = Math.floor((y - fit.offsetY) / fit.scale);
  const inside = rx >= 0 && ry >= 0 && rx < remote.width && ry < remote.height;
  if (!inside && !clamp) return null;
  return {
    x: Math.min(Math.max(rx, 0), remote.width - 1),
    y: Math.min(Math.max(ry, 0), remote.height - 1),
  };
}
