import type { XTestExtension } from 'x11';
import type { InputSink } from '../types.js';
import { XConnection } from './connection.js';
import { X11Input } from './input.js';
import { X11Screen } from './screen.js';

export interface X11Backend {
  screen: X11Screen;
  input: InputSink;
  /** Closes the screen source and the input sink (releasing held keys), then the connection. */
  close(): Promise<void>;
}

/** Connects to an X display (default: $DISPLAY) for capture (MIT-SHM, DAMAGE) and input (XTEST). */
export async function openX11(display?: string): Promise<X11Backend> {
  const conn = await XConnection.open(display);
  try {
    const screen = await X11Screen.create(conn);
    const xtest = await conn.request<XTestExtension>('XTEST extension', (cb) => conn.X.require('xtest', cb));
    const input = new X11Input(conn, xtest);
    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        await Promise.allSettled([input.close(), screen.close()]);
        await conn.close();
      })());
    return { screen, input, close };
  } catch (err) {
    await conn.close();
    throw err;
  }
}
