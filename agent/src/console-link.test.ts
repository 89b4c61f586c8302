import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeChannelMessage, encodeControl, encodeControls, PROTOCOL_VERSION, type ControlMessage } from '../../shared/channel.js';
import { LIMITS } from '../../shared/limits.js';
import { ConsoleLink } from './console-link.js';
import { XConnection } from './platform/x11/connection.js';
import { openX11, type X11Backend } from './platform/x11/index.js';
import { startXvfb, stopProcess, type Xvfb } from './platform/x11/xvfb.js';
import { TestConsole } from './testing/console.js';

const run = promisify(execFile);

async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Requests the backend does not use, so its typings leave them out. */
interface DrawingRequests {
  AllocID(): number;
  CreatePixmap(pid: number, drawable: number, depth: number, w: number, h: number): void;
  CreateGC(gc: number, drawable: number, values: { foreground: number }): void;
  PolyFillRectangle(drawable: number, gc: number, coords: number[]): void;
  CreateCursor(cid: number, source: number, mask: number, fore: object, back: object, x: number, y: number): void;
  ChangeWindowAttributes(wid: number, values: { cursor: number }): void;
}

describe('ConsoleLink on a real X server with two monitors', () => {
  let xvfb: Xvfb;
  let desktop: X11Backend;
  let probe: XConnection; // another X client: sets the pointer shape
  const children: ChildProcess[] = [];
  let link: ConsoleLink | null = null;

  const env = () => ({ ...process.env, DISPLAY: xvfb.display, LANG: 'C.UTF-8' });
  const spawnX = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { env: env(), stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    return child;
  };
  /** Another application copies `text`: xclip owns the selection until someone else takes it. */
  const userCopies = (selection: string, text: string) => {
    const xclip = spawnX('xclip', ['-selection', selection, '-in', '-quiet']);
    xclip.stdin!.end(text);
  };
  const userPastes = async (selection: string, target = 'UTF8_STRING') =>
    (await run('xclip', ['-selection', selection, '-out', '-target', target], { env: env(), encoding: 'latin1' })).stdout;

  /** A console connected through a link (acking what it paints), with the user's consent. */
  const connect = (consent: { view: boolean; control: boolean }) => {
    const console = new TestConsole();
    const l = new ConsoleLink({ desktop, send: console.receive, log: () => {} });
    void l.receive(encodeControl({ t: 'hello', version: PROTOCOL_VERSION }));
    console.onPainted = (frame) => void l.receive(encodeControl({ t: 'ack', frame }));
    l.setConsent(consent);
    link = l;
    return { console, link: l, send: (msg: ControlMessage) => l.receive(encodeControl(msg)) };
  };

  /** The console's picture equals the screen's pixels in `area`. */
  const shows = async (console: TestConsole, area: { x: number; y: number; w: number; h: number }) => {
    await console.painted();
    if (console.width !== area.w || console.height !== area.h) return false;
    return (await desktop.screen.capture(area)).rgba.equals(console.canvas);
  };

  beforeAll(async () => {
    xvfb = await startXvfb(3840, 1080);
    await run('xrandr', ['--setmonitor', 'LEFT', '1920/508x1080/286+0+0', 'none'], { env: env() });
    await run('xrandr', ['--setmonitor', 'RIGHT', '1920/508x1080/286+1920+0', 'none'], { env: env() });
    await run('xsetroot', ['-solid', '#203040'], { env: env() });
    spawnX('xterm', ['-geometry', '60x20+40+40', '-bg', '#ffffff', '-fg', '#000000', '-e', 'bash', '-c', 'echo left monitor; exec sleep 600']);
    spawnX('xterm', ['-geometry', '60x20+2000+100', '-bg', '#fdf6e3', '-fg', '#333333', '-e', 'bash', '-c', 'echo right monitor; exec sleep 600']);
    desktop = await openX11(xvfb.display, { clipboardBytes: 4 * LIMITS.clipboardChars });
    probe = await XConnection.open(xvfb.display);
  });

  afterEach(() => {
    link?.close();
    link = null;
  });

  afterAll(async () => {
    await desktop?.close();
    await probe?.close();
    await Promise.all(children.map(stopProcess));
    await xvfb?.stop();
  });

  it('shows nothing of the screen without view: no size, no monitors, no pointer', async () => {
    const { console, send } = connect({ view: false, control: false });
    await send({ t: 'refresh' });
    await send({ t: 'monitor', id: 'RIGHT' });
    await desktop.input.pointerMove(100, 100);
    await sleep(300);
    expect(console.controls).toEqual([{ t: 'hello', version: PROTOCOL_VERSION }, { t: 'consent', view: false, control: false }]);
    expect(console.cursors).toEqual([]);
    expect(console.frames).toEqual([]);
  });

  it('lists both RandR monitors and streams exactly the chosen one', async () => {
    const { console, send } = connect({ view: true, control: false });
    const monitors = await until('the monitor list', () => console.sent('monitors')[0]);
    expect(monitors).toEqual({
      t: 'monitors',
      selected: 'all',
      monitors: [
        { id: 'LEFT', name: 'LEFT', x: 0, y: 0, width: 1920, height: 1080, primary: false },
        { id: 'RIGHT', name: 'RIGHT', x: 1920, y: 0, width: 1920, height: 1080, primary: false },
      ],
    });
    await until('the whole screen', () => shows(console, { x: 0, y: 0, w: 3840, h: 1080 }), 15_000);

    await send({ t: 'monitor', id: 'RIGHT' });
    expect(console.sent('monitors').at(-1)).toMatchObject({ selected: 'RIGHT' });
    expect(console.sent('screen').at(-1)).toEqual({ t: 'screen', width: 1920, height: 1080 });
    await until('the right monitor', () => shows(console, { x: 1920, y: 0, w: 1920, h: 1080 }), 15_000);

    await send({ t: 'monitor', id: 'MIDDLE' });
    expect(console.sent('error').at(-1)).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(console.sent('monitors').at(-1)).toMatchObject({ selected: 'RIGHT' });
  });

  it('sends the pointer shape (size and hotspot) when it changes, and its position on the chosen monitor', async () => {
    const { console, send } = connect({ view: true, control: true });
    await until('the first frame', () => console.frames.length > 0);
    await send({ t: 'monitor', id: 'RIGHT' });

    // A 20x12 pointer: black top half, white bottom half, hotspot (3, 5).
    const X = probe.X as unknown as DrawingRequests;
    const root = probe.screen.root;
    const [source, mask, gc, cursor] = [X.AllocID(), X.AllocID(), X.AllocID(), X.AllocID()];
    X.CreatePixmap(source, root, 1, 20, 12);
    X.CreatePixmap(mask, root, 1, 20, 12);
    X.CreateGC(gc, source, { foreground: 0 });
    X.PolyFillRectangle(source, gc, [0, 0, 20, 12]);
    X.PolyFillRectangle(mask, gc, [0, 0, 20, 12]);
    const inked = X.AllocID();
    X.CreateGC(inked, source, { foreground: 1 });
    X.PolyFillRectangle(source, inked, [0, 0, 20, 6]);
    X.PolyFillRectangle(mask, inked, [0, 0, 20, 12]);
    X.CreateCursor(cursor, source, mask, { R: 0, G: 0, B: 0 }, { R: 0xffff, G: 0xffff, B: 0xffff }, 3, 5);
    X.ChangeWindowAttributes(root, { cursor });

    await send({ t: 'pointer', x: 700, y: 900 }); // over the root window, on the right monitor
    const shape = await until('the new shape', () => console.cursors.find((c) => c.w === 20 && c.h === 12));
    expect([shape.hotX, shape.hotY]).toEqual([3, 5]);
    const { data } = await sharp(shape.png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...data.subarray((11 * 20 + 19) * 4)]).toEqual([255, 255, 255, 255]);
    await until('the position', () => console.sent('cursor-pos').find((p) => p.x === 700 && p.y === 900 && p.serial === shape.serial && p.visible));

    // Each shape once: back and forth between two shapes sends no new pixels.
    const shapes = console.cursors.length;
    await send({ t: 'pointer', x: 800, y: 900 });
    await until('the move', () => console.sent('cursor-pos').find((p) => p.x === 800));
    expect(console.cursors).toHaveLength(shapes);
  });

  it('does not capture the pointer into the picture', async () => {
    const { console, send } = connect({ view: true, control: true });
    await send({ t: 'monitor', id: 'LEFT' });
    await send({ t: 'pointer', x: 1500, y: 800 }); // over the plain root background
    await until('the left monitor', () => shows(console, { x: 0, y: 0, w: 1920, h: 1080 }), 15_000);
    const around = await desktop.screen.capture({ x: 1480, y: 780, w: 60, h: 60 });
    expect(new Set(new Uint32Array(around.rgba.buffer, around.rgba.byteOffset, 3600)).size).toBe(1);
  });

  it('sends nothing at all while nothing changes, pointer included', async () => {
    const { console } = connect({ view: true, control: true });
    await until('the whole screen', () => shows(console, { x: 0, y: 0, w: 3840, h: 1080 }), 15_000);
    let seen = console.messages.length;
    await until('the stream to settle', async () => {
      const before = seen;
      await sleep(300);
      seen = console.messages.length;
      return seen === before;
    });
    await sleep(2000);
    expect(console.messages.length).toBe(seen);
  });

  it('shares the clipboard both ways while control is allowed, never echoing', async () => {
    const { console, send } = connect({ view: true, control: true });
    await until('the stream', () => console.frames.length > 0);

    userCopies('clipboard', 'copied by the user: naïve ✓');
    await until('the copied text', () => console.sent('clipboard').find((m) => m.selection === 'clipboard' && m.text === 'copied by the user: naïve ✓'));
    userCopies('primary', 'selected text');
    await until('the selection', () => console.sent('clipboard').find((m) => m.selection === 'primary' && m.text === 'selected text'));

    await send({ t: 'clipboard', selection: 'clipboard', text: 'from the technician: café ✓' });
    expect(Buffer.from(await userPastes('clipboard'), 'latin1').toString('utf8')).toBe('from the technician: café ✓');
    expect(await userPastes('clipboard', 'STRING')).toBe('from the technician: café ?');
    expect(await userPastes('clipboard', 'TARGETS')).toMatch(/UTF8_STRING[\s\S]*STRING|STRING[\s\S]*UTF8_STRING/);
    await send({ t: 'clipboard', selection: 'primary', text: 'pasted with the middle button' });
    expect(await userPastes('primary')).toBe('pasted with the middle button');
    await sleep(200);
    expect(console.sent('clipboard').filter((m) => m.text.includes('technician') || m.text.includes('middle'))).toEqual([]);

    // Too long to share: refused whole, with a reason.
    userCopies('clipboard', 'x'.repeat(LIMITS.clipboardChars + 1));
    await until('the refusal', () => console.sent('error').find((m) => m.code === 'ERR_MESSAGE_TOO_LARGE'));
    expect(console.sent('clipboard').some((m) => m.text.length > LIMITS.clipboardChars)).toBe(false);
  });

  it('shares no clipboard without control, and stops everything the moment consent is taken back', async () => {
    const { console, link, send } = connect({ view: true, control: false });
    await until('the stream', () => console.frames.length > 0);
    userCopies('clipboard', 'not for the technician');
    await send({ t: 'clipboard', selection: 'clipboard', text: 'should not land' });
    expect(console.sent('error').at(-1)).toMatchObject({ code: 'ERR_CONSENT' });
    await sleep(300);
    expect(console.sent('clipboard')).toEqual([]);
    expect(await userPastes('clipboard')).toBe('not for the technician');

    link.setConsent({ view: false, control: false });
    const after = console.messages.length;
    await run('xsetroot', ['-solid', '#405060'], { env: env() });
    await desktop.input.pointerMove(10, 10);
    await sleep(300);
    expect(console.messages.length).toBe(after);
  });

  it('serves two consoles at once on one desktop (a shared session): both see every change; the viewer\'s input is refused', async () => {
    const holder = connect({ view: true, control: true });
    const viewer = connect({ view: true, control: false });
    viewer.link.setConsent({ view: true, control: false }, true);
    link = null;
    try {
      const whole = { x: 0, y: 0, w: 3840, h: 1080 };
      await until('the holder\'s picture', () => shows(holder.console, whole), 15_000);
      await until('the viewer\'s picture', () => shows(viewer.console, whole), 15_000);
      await run('xsetroot', ['-solid', '#a05020'], { env: env() });
      await until('the change at the holder', () => shows(holder.console, whole), 15_000);
      await until('the change at the viewer', () => shows(viewer.console, whole), 15_000);

      await viewer.send({ t: 'key', keysym: 0x61, down: true });
      expect(viewer.console.sent('error').at(-1)).toMatchObject({ code: 'ERR_PERMISSION', message: 'Another technician has control of this session.' });
      // The viewer leaving stops his stream only.
      viewer.link.close();
      const seen = viewer.console.frames.length;
      await run('xsetroot', ['-solid', '#203040'], { env: env() });
      await until('the holder still streams', () => shows(holder.console, whole), 15_000);
      expect(viewer.console.frames.length).toBe(seen);
    } finally {
      holder.link.close();
      viewer.link.close();
    }
  });
});

describe('ConsoleLink version check', () => {
  /** No view or control ever starts in these tests, so the desktop is never touched. */
  const desktop = {} as ConstructorParameters<typeof ConsoleLink>[0]['desktop'];
  const controls = (sent: Uint8Array[]) =>
    sent.map((m) => decodeChannelMessage(m)).flatMap((d) => (d.kind === 'control' ? [d.msg] : []));

  it('says hello first, and starts nothing before the console has said hello in the same version', async () => {
    const sent: Uint8Array[] = [];
    const l = new ConsoleLink({ desktop, send: (m) => sent.push(m), log: () => {} });
    l.setConsent({ view: false, control: false });
    expect(controls(sent)).toEqual([{ t: 'hello', version: PROTOCOL_VERSION }, { t: 'consent', view: false, control: false }]);
    await l.receive(encodeControl({ t: 'hello', version: PROTOCOL_VERSION }));
    expect(controls(sent)).toHaveLength(2);
    l.close();
  });

  it('a console of another version gets an error naming both versions, the agent logs it, and the link ends', async () => {
    const sent: Uint8Array[] = [];
    const logs: string[] = [];
    const l = new ConsoleLink({ desktop, send: (m) => sent.push(m), log: (m) => logs.push(m) });
    l.setConsent({ view: true, control: false });
    await l.receive(encodeControl({ t: 'hello', version: PROTOCOL_VERSION + 1 }));
    const error = controls(sent).at(-1);
    expect(error).toMatchObject({ t: 'error', code: 'ERR_PROTOCOL_VERSION', message: expect.stringMatching(`version ${PROTOCOL_VERSION + 1}; this agent speaks version ${PROTOCOL_VERSION}`) });
    expect(logs.join('\n')).toMatch(/console link closed: The console speaks screen protocol version/);
    // Nothing more: neither the screen (it never started) nor answers to later messages.
    const before = sent.length;
    await l.receive(encodeControl({ t: 'refresh' }));
    l.setConsent({ view: true, control: true });
    expect(sent).toHaveLength(before);
  });

  it('a console from before hellos (its first message is anything else) is told so', async () => {
    const sent: Uint8Array[] = [];
    const l = new ConsoleLink({ desktop, send: (m) => sent.push(m), log: () => {} });
    await l.receive(encodeControl({ t: 'quality', mode: 'auto' }));
    // A code it knows: one from before hellos would drop ERR_PROTOCOL_VERSION as an unknown code.
    expect(controls(sent).at(-1)).toMatchObject({ t: 'error', code: 'ERR_BAD_MESSAGE', message: expect.stringMatching(/older screen protocol than version/) });
  });

  it('a console that says nothing is told, once its time to say hello is up', async () => {
    const sent: Uint8Array[] = [];
    const l = new ConsoleLink({ desktop, send: (m) => sent.push(m), log: () => {}, helloTimeoutMs: 20 });
    await until('the error', () => controls(sent).some((m) => m.t === 'error'));
    expect(controls(sent).at(-1)).toMatchObject({ t: 'error', message: expect.stringMatching(/sent no hello within 20 ms/) });
    l.close();
  });
});

describe('ConsoleLink input order', () => {
  it('a key press that waits on the X server is not overtaken by its release, within a batch or from the next message', async () => {
    const done: string[] = [];
    const desktop = {
      clipboard: { onCopy: () => () => {} },
      input: {
        // A press looks up the keymap first (the first one slowest); a release is quick.
        key: async (keysym: number, down: boolean) => {
          if (down) await new Promise((r) => setTimeout(r, keysym === 97 ? 30 : 5));
          done.push(`${keysym} ${down ? 'down' : 'up'}`);
        },
        releaseAll: async () => {},
      },
    } as unknown as ConstructorParameters<typeof ConsoleLink>[0]['desktop'];
    const l = new ConsoleLink({ desktop, send: () => {}, log: () => {} });
    l.setConsent({ view: false, control: true });
    await l.receive(encodeControl({ t: 'hello', version: PROTOCOL_VERSION }));
    const first = l.receive(encodeControls([{ t: 'key', keysym: 97, down: true }, { t: 'key', keysym: 97, down: false }]));
    const second = l.receive(encodeControls([{ t: 'key', keysym: 98, down: true }, { t: 'key', keysym: 98, down: false }]));
    await Promise.all([first, second]);
    expect(done).toEqual(['97 down', '97 up', '98 down', '98 up']);
    l.close();
  });
});
