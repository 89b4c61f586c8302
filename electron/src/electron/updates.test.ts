import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleUpdateChecks, UPDATE_CHECK_INTERVAL_MS, type UpdaterLike } from './updates.js';

/** electron-updater's autoUpdater as far as the console uses it: checks answer with `outcome`. */
function fakeUpdater(outcome: () => Promise<unknown>) {
  const emitter = new EventEmitter();
  const updater = {
    logger: console as unknown,
    checks: 0,
    checkForUpdatesAndNotify() {
      updater.checks++;
      return outcome().catch((e: Error) => {
        // Like electron-updater: every failure is emitted as 'error' and then rethrown.
        emitter.emit('error', e);
        throw e;
      });
    },
    on: (event: 'error', listener: (e: Error) => void) => emitter.on(event, listener),
    emit: (e: Error) => emitter.emit('error', e),
  };
  return updater satisfies UpdaterLike;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('auto-update', () => {
  it('checks at start and then every 4 hours, until disposed', () => {
    vi.useFakeTimers();
    const updater = fakeUpdater(async () => null);
    const stop = scheduleUpdateChecks(updater, () => undefined);
    expect(updater.checks).toBe(1);
    vi.advanceTimersByTime(UPDATE_CHECK_INTERVAL_MS - 1);
    expect(updater.checks).toBe(1);
    vi.advanceTimersByTime(1);
    expect(updater.checks).toBe(2);
    vi.advanceTimersByTime(2 * UPDATE_CHECK_INTERVAL_MS);
    expect(updater.checks).toBe(4);
    stop();
    vi.advanceTimersByTime(UPDATE_CHECK_INTERVAL_MS);
    expect(updater.checks).toBe(4);
    expect(UPDATE_CHECK_INTERVAL_MS).toBe(4 * 60 * 60 * 1000);
  });

  it('logs a failed check, or a failed background download, in one line and carries on', async () => {
    const lines: string[] = [];
    const updater = fakeUpdater(async () => {
      throw new Error('net::ERR_CONNECTION_REFUSED\n    at SimpleURLLoaderWrapper.<anonymous>');
    });
    const stop = scheduleUpdateChecks(updater, (l) => lines.push(l));
    await vi.waitFor(() => expect(lines).toEqual(['update failed: net::ERR_CONNECTION_REFUSED']));
    updater.emit(new Error('sha512 checksum mismatch\nstack...'));
    expect(lines).toEqual(['update failed: net::ERR_CONNECTION_REFUSED', 'update failed: sha512 checksum mismatch']);
    // electron-updater's own multi-line logging is off.
    expect(updater.logger).toBeNull();
    stop();
  });

  it('survives a check that throws instead of rejecting', () => {
    const lines: string[] = [];
    const updater = fakeUpdater(async () => null);
    updater.checkForUpdatesAndNotify = () => {
      throw new Error('app-update.yml is missing');
    };
    const stop = scheduleUpdateChecks(updater, (l) => lines.push(l));
    expect(lines).toEqual(['update failed: app-update.yml is missing']);
    stop();
  });
});
