import { describe, expect, it, vi } from 'vitest';
import { LifelineError } from '../../../shared/errors.js';
import { FakeApi, technician } from '../test/fixtures.js';
import { errorSentence, guardApi, toLifelineError } from './validate.js';

describe('bridge validation', () => {
  it('keeps a known error code and its sentence, and hides anything else behind ERR_INTERNAL', () => {
    expect(toLifelineError({ code: 'ERR_PERMISSION', message: 'No.' })).toMatchObject({ code: 'ERR_PERMISSION', message: 'No.' });
    expect(toLifelineError({ code: 'ERR_MADE_UP', message: 'stack trace here' })).toMatchObject({ code: 'ERR_INTERNAL' });
    expect(toLifelineError(new TypeError('x is undefined'))).toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('a person sees the error\'s sentence, never an internal message', () => {
    expect(errorSentence(new LifelineError('ERR_ALREADY_TAKEN'))).toBe('Another technician has already taken this request.');
    expect(errorSentence(new Error('ECONNRESET at socket.js:12'))).toBe('Something went wrong on our side. It has been logged.');
  });

  it('guardApi checks results and events from an API it did not build', async () => {
    const raw = new FakeApi();
    raw.handlers['auth:status'] = () => ({ technician });
    raw.handlers['code:create'] = () => ({ code: 1 });
    raw.handlers['queue:accept'] = () => {
      throw Object.assign(new Error('x'), { code: 'ERR_ALREADY_TAKEN', message: 'Taken.' });
    };
    const api = guardApi(raw, { warn: vi.fn() });
    await expect(api.invoke('auth:status', {})).resolves.toEqual({ technician });
    await expect(api.invoke('code:create', {})).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
    await expect(api.invoke('queue:accept', { requestId: 'r1' })).rejects.toMatchObject({ code: 'ERR_ALREADY_TAKEN', message: 'Taken.' });

    const got = vi.fn();
    api.on('queue:changed', got);
    raw.emit('queue:changed', { items: [] });
    raw.emit('queue:changed', { items: 'lots' } as never);
    expect(got).toHaveBeenCalledTimes(1);
  });
});
