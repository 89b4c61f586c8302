import type { XTestExtension } from 'x11';
import type { Desktop } from '../types.js';
import { X11Clipboard } from './clipboard.js';
import { XConnection } from './connection.js';
import { X11Cursor } from './cursor.js';
import { X11Input } from './input.js';
import { X11Layout } from './layout.js';
import { X11Screen } from './screen.js';

export interface X11Backend extends Desktop {
  screen: X11Screen;
  /** Closes everything (releasing held keys), then the connection. */
  close(): Promise<void>;
}

export interface X11Options {
  /** Longest selection read from the clipboard, in bytes (longer ones are reported truncated). */
  clipboardBytes?: number;
}

/**
 * Connects to an X display (default: $DISPLAY) for capture (MIT-SHM, DAMAGE), input (XTEST), the
 * pointer (XFIXES, XInput 2), monitors (RandR) and the clipboard (XFIXES).
 */
export async function openX11(display?: string, { clipboardBytes = 1 << 20 }: X11Options = {}): Promise<X11Backend> {
  const conn = await XConnection.open(display);
  try {
    const layout = await X11Layout.create(conn);
    const screen = await X11Screen.create(conn);
    const xtest = await conn.request<XTestExtension>('XTEST extension', (cb) => conn.X.require('xtest', cb));
    const input = new X11Input(conn, xtest);
    const cursor = await X11Cursor.create(conn);
    const clipboard = await X11Clipboard.create(conn, { maxBytes: clipboardBytes });
    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        cursor.close();
        layout.close();
        await Promise.allSettled([input.close(), screen.close(), clipboard.close()]);
        await conn.close();
      })());
    return { screen, input, cursor, layout, clipboard, close };
  } catch (err) {
    await conn.close();
    throw err;
  }
}
