/**
 * Where the remote picture sits on the remote-screen canvas element, in both
 * scale modes, and how a point maps between the two.
 *
 * `fit`: the canvas fills its box and the picture is "contain"-fitted into it
 * (CSS `object-fit: contain`): scaled to fit, aspect ratio kept, centred,
 * with bars on two sides.
 * `1:1`: the canvas is laid out at its intrinsic size, one remote pixel per
 * CSS pixel, inside a scrolling container; its box is the picture itself.
 *
 * Input maps back through the same placement, and the remote cursor overlay
 * is placed through it.
 */
export interface Size {
  width: number;
  height: number;
}

export type ScaleMode = 'fit' | '1:1';

export interface Fit {
  scale: number;
  /** Where the picture starts inside the box (the letterbox bars' size). */
  offsetX: number;
  offsetY: number;
}

const NO_PICTURE: Fit = { scale: 0, offsetX: 0, offsetY: 0 };

export function fitContain(box: Size, content: Size): Fit {
  if (box.width <= 0 || box.height <= 0 || content.width <= 0 || content.height <= 0) return NO_PICTURE;
  const scale = Math.min(box.width / content.width, box.height / content.height);
  return {
    scale,
    offsetX: (box.width - content.width * scale) / 2,
    offsetY: (box.height - content.height * scale) / 2,
  };
}

/** The picture's placement inside the canvas element's box (CSS pixels). */
export function placement(mode: ScaleMode, box: Size, content: Size): Fit {
  if (mode === 'fit') return fitContain(box, content);
  return content.width > 0 && content.height > 0 ? { scale: 1, offsetX: 0, offsetY: 0 } : NO_PICTURE;
}

/**
 * A point in the box (CSS pixels from its top-left corner) -> a remote pixel.
 * Outside the picture: null, or the nearest edge pixel when `clamp` is set
 * (a drag that leaves the picture keeps following the pointer).
 */
export function mapToRemote(
  x: number, y: number, box: Size, remote: Size, clamp: boolean, mode: ScaleMode,
): { x: number; y: number } | null {
  const fit = placement(mode, box, remote);
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

/** A remote point -> where it shows in the box (CSS pixels); the inverse of mapToRemote. */
export function mapToView(x: number, y: number, fit: Fit): { x: number; y: number } {
  return { x: fit.offsetX + x * fit.scale, y: fit.offsetY + y * fit.scale };
}
