import { useCallback, useEffect, useState, type RefObject } from 'react';

export interface Fullscreen {
  /** The element is the document's full-screen element. */
  active: boolean;
  available: boolean;
  toggle(): void;
}

/** Keyboard Lock (Chromium, Electron): not in TypeScript's DOM library yet. */
interface KeyboardLock {
  lock(keys?: string[]): Promise<void>;
  unlock(): void;
}

/**
 * Full screen for one element through the Fullscreen API. While it is full
 * screen and `lockKeys` is set, the keyboard is locked (where the browser
 * supports it), so Alt+Tab, the Windows key and Esc reach the remote machine
 * instead of the technician's own desktop; holding Esc still leaves.
 */
export function useFullscreen(ref: RefObject<HTMLElement | null>, lockKeys: boolean): Fullscreen {
  const [active, setActive] = useState(false);

  useEffect(() => {
    const changed = () => setActive(ref.current !== null && document.fullscreenElement === ref.current);
    document.addEventListener('fullscreenchange', changed);
    return () => document.removeEventListener('fullscreenchange', changed);
  }, [ref]);

  useEffect(() => {
    const keyboard = (navigator as Navigator & { keyboard?: KeyboardLock }).keyboard;
    if (!active || !lockKeys || !keyboard) return;
    keyboard.lock().catch((e: unknown) => console.warn('[screen] keyboard lock refused', e));
    return () => keyboard.unlock();
  }, [active, lockKeys]);

  const toggle = useCallback(() => {
    if (document.fullscreenElement) {
      void document.exitFullscreen();
      return;
    }
    ref.current?.requestFullscreen().catch((e: unknown) => console.warn('[screen] full screen refused', e));
  }, [ref]);

  return { active, available: document.fullscreenEnabled, toggle };
}
