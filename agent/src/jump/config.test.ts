import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfigPath, readConfig, removeConfig, writeConfig, type JumpConfig } from './config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-jump-config-'));
  dirs.push(d);
  return d;
};
const CONFIG: JumpConfig = { server: 'https://support.example.com', clientId: 4, credential: 'secret-credential', mode: 'active', unit: null };

describe('the jump client configuration file', () => {
  it('is readable and writable by its owner only, whatever the umask', () => {
    const file = path.join(tmp(), 'nested', 'jump.json');
    const old = process.umask(0o000);
    try {
      writeConfig(file, CONFIG);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
    expect(readConfig(file)).toEqual(CONFIG);
  });

  it('replaces an existing file in one step and leaves no temporary file', () => {
    const dir = tmp();
    const file = path.join(dir, 'jump.json');
    writeConfig(file, CONFIG);
    writeConfig(file, { ...CONFIG, mode: 'passive' });
    expect(readConfig(file).mode).toBe('passive');
    expect(fs.readdirSync(dir)).toEqual(['jump.json']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('says clearly when there is none or it is not a configuration', () => {
    const dir = tmp();
    expect(() => readConfig(path.join(dir, 'missing.json'))).toThrow(ConfigError);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"server": 1}');
    expect(() => readConfig(path.join(dir, 'bad.json'))).toThrow(/not a jump client configuration/);
    fs.writeFileSync(path.join(dir, 'garbage.json'), 'nope');
    expect(() => readConfig(path.join(dir, 'garbage.json'))).toThrow(/not valid JSON/);
  });

  it('is removed once', () => {
    const file = path.join(tmp(), 'jump.json');
    writeConfig(file, CONFIG);
    expect(removeConfig(file)).toBe(true);
    expect(removeConfig(file)).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('lives in /etc for root and in the user\'s config folder otherwise', () => {
    expect(defaultConfigPath(0, '/root')).toBe('/etc/lifeline/jump.json');
    expect(defaultConfigPath(1000, '/home/ann')).toBe('/home/ann/.config/lifeline/jump.json');
  });
});
