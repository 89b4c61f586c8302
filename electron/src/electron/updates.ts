/**
 * Auto-update from the customer's own server (electron-updater's generic
 * provider, set at packaging time): a check at start and every 4 hours. An
 * update is downloaded in the background and installed on quit; a failure is
 * one log line, never a crash or a dialog.
 */
import type { Disposer } from '../../../shared/console-contract.js';

export const UPDATE_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;

/** The parts of electron-updater's autoUpdater used here. */
export interface UpdaterLike {
  logger: unknown;
  checkForUpdatesAndNotify(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export function scheduleUpdateChecks(updater: UpdaterLike, log: (line: string) => void, intervalMs = UPDATE_CHECK_INTERVAL_MS): Disposer {
  // electron-updater logs every step, and errors with their stack, to the console; ours is one line per failure.
  updater.logger = null;
  // Every failure, in a check or in the background download, is emitted here; an EventEmitter's
  // 'error' without a listener would throw.
  updater.on('error', (e) => log(`update failed: ${firstLine(e)}`));
  const check = () => {
    try {
      // A rejection has already been reported through 'error'.
      updater.checkForUpdatesAndNotify().catch(() => undefined);
    } catch (e) {
      log(`update failed: ${firstLine(e)}`);
    }
  };
  check();
  const timer = setInterval(check, intervalMs);
  return () => clearInterval(timer);
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n', 1)[0]!;
}
