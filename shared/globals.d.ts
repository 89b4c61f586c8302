// shared/ runs in Node and in browsers alike. These are the only platform
// globals it may use: the ones both provide with the same meaning.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: Uint8Array): string;
}
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
declare function setTimeout(handler: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
