/**
 * What the technician's keyboard and clipboard do on the user's X display,
 * checked on the display itself: the CLIPBOARD selection (with xclip) and
 * the X server's own keyboard state (QueryPointer mask, QueryKeymap).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { remoteToPage, shownText, startAttendedSession, type AttendedSession } from './console.js';
import {
  openXClient, readXClipboard, run, setXClipboard, startServer, startWebConsole, startXterm, startXvfb, waitFor, windowId,
  type LifelineServer, type Proc, type XClient, type XDisplay,
} from './harness.js';

let x: XDisplay;
let xterm: Proc;
let xc: XClient;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;
const owners: Proc[] = [];

const SHIFT_MASK = 0x01;
const CONTROL_MASK = 0x04;

test.beforeAll(async ({ browser }) => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  xc = await openXClient(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Input Check' });
});

test.afterAll(async () => {
  for (const p of owners) await p.stop();
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  xc?.close();
  await xterm?.stop();
  await x?.stop();
});

test('while control is allowed, text copied on the X display shows in the console, and text sent from the console becomes the X clipboard', async () => {
  const { tech } = session!;
  const copied = `copied on the user's machine ${Date.now()} — ünïcode ✓`;
  owners.push(await setXClipboard(x.display, copied));
  await expect.poll(() => shownText(tech.getByTestId('clipboard-remote'))).toBe(copied);

  const sent = `sent by the technician ${Date.now()}\nsecond line`;
  await tech.getByTestId('clipboard-input').fill(sent);
  await tech.getByTestId('clipboard-send').click();
  await waitFor('the X clipboard to hold the sent text', async () => (await readXClipboard(x.display)) === sent);
});

test('a Shift+Control chord held on the canvas is released on the X display when the canvas loses focus', async () => {
  const { tech } = session!;
  const at = await remoteToPage(tech, 200, 200);
  await tech.mouse.click(at.x, at.y);
  await expect(tech.getByTestId('remote-canvas')).toBeFocused();
  await tech.keyboard.down('Shift');
  await tech.keyboard.down('Control');
  // The chord really is held on the display, or the release below would prove nothing.
  await waitFor('Shift and Control to be down on the X display', async () => {
    const { modifiers } = await xc.keyboardState();
    return (modifiers & (SHIFT_MASK | CONTROL_MASK)) === (SHIFT_MASK | CONTROL_MASK);
  });

  // Focus leaves the canvas mid-chord: the keys are still down on the technician's keyboard.
  await tech.getByTestId('chat-input').click();
  await expect(tech.getByTestId('remote-canvas')).not.toBeFocused();
  let state = await xc.keyboardState();
  await waitFor('no key to be held on the X display', async () => {
    state = await xc.keyboardState();
    return state.modifiers === 0 && state.keysDown.length === 0;
  }, 10_000).catch((e: Error) => {
    throw new Error(`${e.message}: modifiers ${state.modifiers}, keycodes down ${state.keysDown.join(',')}`);
  });
  await tech.keyboard.up('Control');
  await tech.keyboard.up('Shift');
});

test('with view only switched on, typing on the canvas reaches nothing on the X display', async () => {
  const { tech } = session!;
  const stamp = Date.now();
  const ignored = path.join(os.tmpdir(), `lifeline-view-only-${stamp}`);
  const typed = path.join(os.tmpdir(), `lifeline-control-again-${stamp}`);
  const typeCommand = async (file: string) => {
    const at = await remoteToPage(tech, 200, 200);
    await tech.mouse.click(at.x, at.y);
    await tech.keyboard.type(`echo typed > ${file}`);
    await tech.keyboard.press('Enter');
  };

  await tech.getByTestId('view-only-toggle').check();
  await typeCommand(ignored);
  await tech.getByTestId('view-only-toggle').uncheck();
  await typeCommand(typed);
  // Input travels in order on one channel: once the later command has run, the earlier one would have too.
  await waitFor('the command typed with control back to run', () => fs.existsSync(typed));
  fs.rmSync(typed);
  expect(fs.existsSync(ignored)).toBe(false);
});

test('the special-keys menu sends Ctrl+Alt+Del, Alt+Tab, Super, Ctrl+Esc and Print Screen to the focused X window as whole chords', async () => {
  const { tech } = session!;
  // xev reports every key event its window gets, as the X server delivered it.
  const probe = run('xev', ['-geometry', '400x300+700+0', '-event', 'keyboard', '-name', 'keys-probe'], { DISPLAY: x.display });
  try {
    await waitFor('the key probe window', () => windowId(x.display, 'keys-probe').catch(() => null));
    const events = () => [...probe.stdout().matchAll(/(KeyPress|KeyRelease) event[\s\S]*?keysym 0x[0-9a-f]+, (\w+)\)/g)]
      .map((m) => `${m[1] === 'KeyPress' ? '+' : '-'}${m[2]}`);
    // A click on the probe gives it the keyboard focus, as a click would with a window manager.
    const at = await remoteToPage(tech, 900, 150);
    await tech.mouse.click(at.x, at.y);

    const chords: Array<[string, string[]]> = [
      ['ctrl-alt-del', ['Control_L', 'Alt_L', 'Delete']],
      ['alt-tab', ['Alt_L', 'Tab']],
      ['super', ['Super_L']],
      ['ctrl-esc', ['Control_L', 'Escape']],
      ['print', ['Print']],
    ];
    for (const [id, keys] of chords) {
      const before = events().length;
      await tech.getByTestId('special-keys').click();
      await tech.getByTestId(`special-key-${id}`).click();
      const expected = [...keys.map((k) => `+${k}`), ...[...keys].reverse().map((k) => `-${k}`)];
      await expect.poll(() => events().slice(before), { message: `key events xev saw for ${id}` }).toEqual(expected);
    }
  } finally {
    await probe.stop();
  }
});
