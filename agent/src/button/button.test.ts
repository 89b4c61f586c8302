import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ButtonConfigError, defaultButtonConfigPath, readButtonConfig, writeButtonConfig, type ButtonConfig } from './config.js';
import { desktopEntry, parseExec, quoteExecArg } from './desktop-file.js';
import { gecosName } from './machine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-button-'));
  dirs.push(d);
  return d;
};

const CONFIG: ButtonConfig = {
  server: 'https://support.example.com', buttonId: 3, credential: 'secret-credential',
  target: { kind: 'team', name: 'Printers' }, queueName: 'the Printers team', expiresAt: 1_900_000_000_000, launchers: [],
};

describe('the support button launcher', () => {
  it('leaves plain arguments alone and quotes reserved characters as the Desktop Entry spec says', () => {
    expect(quoteExecArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteExecArg('/home/a b/x')).toBe('"/home/a b/x"');
    expect(quoteExecArg('say "hi" $HOME `x` \\')).toBe('"say \\"hi\\" \\$HOME \\`x\\` \\\\"');
    expect(quoteExecArg('100%')).toBe('100%%');
    expect(quoteExecArg('')).toBe('""');
    expect(() => quoteExecArg('a\nb')).toThrow(/line break/);
  });

  it('writes a desktop entry whose Exec line runs the same argv back', () => {
    const command = ['/usr/bin/node', '/opt/life line/bin/lifeline-agent.js', 'button-press', '--config', "/home/o'brien/$x/\"c\"\\d 100%.json"];
    const text = desktopEntry({ name: 'Get help', comment: 'Ask the Printers team\\for help', command });
    expect(text.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    expect(text).toContain('Terminal=true\n');
    expect(text).toContain('Comment=Ask the Printers team\\\\for help\n');
    // The backslash escaping a quote is itself escaped once more as a string value.
    expect(text).toContain('"/home/o\'brien/\\\\$x/\\\\"c\\\\"\\\\\\\\d 100%%.json"');
    expect(parseExec(text)).toEqual(command);
  });
});

describe('the support button configuration', () => {
  it('is written 0600 in a 0700 folder whatever the umask, and read back', () => {
    const file = path.join(tmp(), 'nested', 'button.json');
    const old = process.umask(0o000);
    try {
      writeButtonConfig(file, CONFIG);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
    expect(readButtonConfig(file)).toEqual(CONFIG);
    // Rewriting keeps the mode and leaves no temporary file behind.
    writeButtonConfig(file, { ...CONFIG, buttonId: 4 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['button.json']);
  });

  it('says in a sentence when it is missing or damaged', () => {
    const d = tmp();
    expect(() => readButtonConfig(path.join(d, 'none.json'))).toThrow(ButtonConfigError);
    fs.writeFileSync(path.join(d, 'bad.json'), '{');
    expect(() => readButtonConfig(path.join(d, 'bad.json'))).toThrow(/damaged/);
    fs.writeFileSync(path.join(d, 'other.json'), '{"server":"x"}');
    expect(() => readButtonConfig(path.join(d, 'other.json'))).toThrow(/not a support button/);
  });

  it('is kept per target under ~/.config/lifeline', () => {
    expect(defaultButtonConfigPath({ kind: 'team', name: 'Printers & Scanners' }, '/home/u')).toBe('/home/u/.config/lifeline/button-team-printers-scanners.json');
  });
});

describe('the user\'s name', () => {
  it('comes from the GECOS field, else null', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\ndana:x:1000:1000:Dana Example,,,:/home/dana:/bin/bash\nbo:x:1001:1001::/home/bo:/bin/sh\n';
    expect(gecosName(passwd, 'dana')).toBe('Dana Example');
    expect(gecosName(passwd, 'bo')).toBeNull();
    expect(gecosName(passwd, 'nobody')).toBeNull();
  });
});
