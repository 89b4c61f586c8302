import { describe, expect, it } from 'vitest';
import type { QueueItem } from '../../../shared/protocol.js';
import { deepLinkFromArgv, isOpenableExternally, newlyWaiting, parseDeepLink, restoreBounds, trayLabel } from './desktop.js';

const item = (requestId: string, status: QueueItem['status'] = 'waiting'): QueueItem => ({
  requestId, customerName: `c-${requestId}`, createdAt: 0, status, agentOnline: false, portalOnline: false, agent: null,
});

describe('deep links', () => {
  it('open a session or a jump client by id', () => {
    expect(parseDeepLink('lifeline://session/6f1c2a9e-0b1d-4c1e-9a55-2f1a3c4d5e6f')).toEqual({ target: 'session', id: '6f1c2a9e-0b1d-4c1e-9a55-2f1a3c4d5e6f' });
    expect(parseDeepLink('lifeline://jump/42')).toEqual({ target: 'jump', id: '42' });
  });
  it('refuse other schemes, targets and ids that are not plain identifiers', () => {
    for (const bad of ['https://session/1', 'lifeline://admin/1', 'lifeline://session/', 'lifeline://session/..%2F..%2Fetc', 'lifeline://session/a b', 'not a url']) {
      expect(parseDeepLink(bad)).toBeNull();
    }
  });
  it('are found among a second instance\'s arguments', () => {
    expect(deepLinkFromArgv(['/opt/lifeline', '--no-sandbox', 'lifeline://jump/7'])).toEqual({ target: 'jump', id: '7' });
    expect(deepLinkFromArgv(['/opt/lifeline'])).toBeNull();
  });
});

describe('remembered window bounds', () => {
  const display = { x: 0, y: 0, width: 1920, height: 1080 };
  it('are restored when still on a display', () => {
    expect(restoreBounds({ x: 100, y: 50, width: 1200, height: 800 }, [display])).toEqual({ x: 100, y: 50, width: 1200, height: 800 });
  });
  it('keep only the size when the display they were on is gone', () => {
    expect(restoreBounds({ x: 2500, y: 50, width: 1200, height: 800 }, [display])).toEqual({ width: 1200, height: 800 });
  });
  it('fall back to a default for missing or absurd values', () => {
    expect(restoreBounds(null, [display])).toEqual({ width: 1400, height: 900 });
    expect(restoreBounds({ x: 0, y: 0, width: 10, height: 10 }, [display])).toEqual({ width: 1400, height: 900 });
    expect(restoreBounds({ x: 'a' }, [display])).toEqual({ width: 1400, height: 900 });
  });
});

describe('tray and notifications', () => {
  it('the tray counts waiting requests only', () => {
    expect(trayLabel([])).toBe('Lifeline: no requests waiting');
    expect(trayLabel([item('a'), item('b', 'active')])).toBe('Lifeline: 1 request waiting');
    expect(trayLabel([item('a'), item('b')])).toBe('Lifeline: 2 requests waiting');
  });
  it('a request is announced once, when it starts waiting', () => {
    expect(newlyWaiting(new Set(), [item('a'), item('b', 'active')]).map((i) => i.requestId)).toEqual(['a']);
    expect(newlyWaiting(new Set(['a']), [item('a'), item('c')]).map((i) => i.requestId)).toEqual(['c']);
  });
});

describe('external links from chat', () => {
  it('only plain https links may be opened', () => {
    expect(isOpenableExternally('https://example.com/help')).toBe(true);
    for (const bad of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com', 'nonsense']) {
      expect(isOpenableExternally(bad)).toBe(false);
    }
  });
});
