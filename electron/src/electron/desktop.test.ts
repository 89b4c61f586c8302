import { describe, expect, it } from 'vitest';
import type { QueueItem } from '../../../shared/protocol.js';
import path from 'node:path';
import {
  createLinkDelivery, createQueueWatch, deepLinkFromArgv, devProtocolClient, parseDeepLink, restoreBounds, trayMenu, trayTooltip, waitingCount, type DeepLink,
} from './desktop.js';

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

describe('deep link delivery', () => {
  it('holds a link that arrives before the renderer has loaded and delivers it once, when it has', () => {
    const got: DeepLink[] = [];
    const links = createLinkDelivery((l) => got.push(l));
    links.push({ target: 'session', id: 'a' });
    links.push(null);
    expect(got).toEqual([]);
    links.rendererReady();
    links.rendererReady();
    expect(got).toEqual([{ target: 'session', id: 'a' }]);
  });
  it('delivers at once to a loaded renderer, and holds again while it reloads or is closed', () => {
    const got: DeepLink[] = [];
    const links = createLinkDelivery((l) => got.push(l));
    links.rendererReady();
    links.push({ target: 'jump', id: '1' });
    links.rendererGone();
    links.push({ target: 'jump', id: '2' });
    links.push({ target: 'jump', id: '3' });
    expect(got.map((l) => l.id)).toEqual(['1']);
    links.rendererReady();
    expect(got.map((l) => l.id)).toEqual(['1', '3']);
  });
});

describe('the protocol client registration', () => {
  it('starts Electron with the app\'s folder when run from source, and the app itself when installed', () => {
    expect(devProtocolClient({ defaultApp: true, execPath: '/x/electron', argv: ['/x/electron', '.'] })).toEqual({ execPath: '/x/electron', args: [path.resolve('.')] });
    expect(devProtocolClient({ execPath: '/opt/Lifeline/lifeline', argv: ['/opt/Lifeline/lifeline'] })).toBeNull();
  });
});

describe('tray and notifications', () => {
  it('the tray counts waiting requests only, in its tooltip and its menu\'s first line', () => {
    expect(waitingCount([item('a'), item('b', 'active'), item('c')])).toBe(2);
    expect(trayTooltip(0)).toBe('Lifeline: No waiting requests');
    expect(trayTooltip(1)).toBe('Lifeline: 1 waiting request');
    const open = () => undefined;
    const quit = () => undefined;
    expect(trayMenu(3, { open, quit })).toEqual([
      { label: '3 waiting requests', enabled: false },
      { type: 'separator' },
      { label: 'Open console', click: open },
      { type: 'separator' },
      { label: 'Quit', click: quit },
    ]);
  });
  it('what is already waiting at sign-in is not announced; a request is announced once, when it starts waiting', () => {
    const watch = createQueueWatch();
    const ids = (items: { requestId: string }[]) => items.map((i) => i.requestId);
    expect(watch.changed([item('a'), item('b')])).toEqual([]);
    expect(ids(watch.changed([item('a'), item('b'), item('c'), item('d', 'active')]))).toEqual(['c']);
    expect(watch.changed([item('a'), item('b'), item('c')])).toEqual([]);
    // Taken and transferred back: it waits anew.
    watch.changed([item('a', 'active')]);
    expect(ids(watch.changed([item('a')]))).toEqual(['a']);
    watch.signedOut();
    expect(watch.changed([item('a'), item('e')])).toEqual([]);
    expect(ids(watch.changed([item('a'), item('e'), item('f')]))).toEqual(['f']);
  });
});
