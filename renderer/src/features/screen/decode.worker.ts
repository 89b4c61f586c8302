/**
 * Decodes PNG/JPEG screen rects and cursor shapes off the main thread and
 * hands back ImageBitmaps (transferred, not copied). Only the protocol in
 * decoder.ts; nothing else runs here.
 */
import type { DecodeReply, DecodeRequest } from './decoder.js';
import { ZpalDecoder, ZpalStreamError } from './zpal.js';

interface WorkerScope {
  addEventListener(type: 'message', listener: (e: MessageEvent<DecodeRequest>) => void): void;
  postMessage(message: DecodeReply, options?: { transfer?: Transferable[] }): void;
}

const scope = self as unknown as WorkerScope;

const zpal = new ZpalDecoder();

scope.addEventListener('message', ({ data: { id, mime, bytes, zpal: rect } }) => {
  const bitmap = rect
    ? zpal.decode(new Uint8Array(bytes), rect).then((rgba) => createImageBitmap(new ImageData(rgba, rect.w, rect.h)))
    : createImageBitmap(new Blob([bytes], { type: mime }));
  bitmap.then(
    (b) => scope.postMessage({ id, bitmap: b }, { transfer: [b] }),
    (e: unknown) => scope.postMessage({ id, error: e instanceof Error ? e.message : String(e), streamLost: e instanceof ZpalStreamError }),
  );
});
