/**
 * Decodes PNG/JPEG screen rects and cursor shapes off the main thread and
 * hands back ImageBitmaps (transferred, not copied). Only the protocol in
 * decoder.ts; nothing else runs here.
 */
import type { DecodeReply, DecodeRequest } from './decoder.js';

interface WorkerScope {
  addEventListener(type: 'message', listener: (e: MessageEvent<DecodeRequest>) => void): void;
  postMessage(message: DecodeReply, options?: { transfer?: Transferable[] }): void;
}

const scope = self as unknown as WorkerScope;

scope.addEventListener('message', ({ data: { id, mime, bytes } }) => {
  createImageBitmap(new Blob([bytes], { type: mime })).then(
    (bitmap) => scope.postMessage({ id, bitmap }, { transfer: [bitmap] }),
    (e: unknown) => scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) }),
  );
});
