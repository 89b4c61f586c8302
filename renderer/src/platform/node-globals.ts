/**
 * Node globals that simple-peer and its dependencies (readable-stream) read
 * as free variables. Import this module before anything that imports
 * simple-peer; ES modules evaluate in import order, so the globals exist
 * before that CommonJS code first runs.
 */
import { Buffer } from 'buffer';
import processShim from 'process/browser.js';

// The shim's nextTick drains its queue from setTimeout, which browsers clamp
// to >= 4 ms once nested; a microtask keeps stream bookkeeping on the same turn.
processShim.nextTick = (fn: (...args: unknown[]) => void, ...args: unknown[]) => {
  queueMicrotask(() => fn(...args));
};

const g = globalThis as Record<string, unknown>;
g.process ??= processShim;
g.Buffer ??= Buffer;
