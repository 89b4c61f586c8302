// npm run package: the desktop console's installers (AppImage and deb, NSIS,
// dmg, for the platform it runs on) in dist/packages, with electron-builder.
// Fuses, protocol and update feed are security-relevant (README, "The desktop
// console"). The console updates from the customer's own Lifeline server, so
// its address is an input of each packaging run: build/electron-builder.json's
// publish.url is ${env.LIFELINE_UPDATE_URL}. Arguments go to electron-builder
// (e.g. --win, --mac).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const updateUrl = process.env.LIFELINE_UPDATE_URL ?? '';
// HTTPS only (plain HTTP just for a server on this machine): Linux and unsigned
// macOS builds check an update only against the sha512 in latest*.yml, which
// comes over the same connection.
const LOOPBACK_HTTP = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//;
if (!/^https?:\/\/[^/]+\/(.+\/)?updates\/$/.test(updateUrl) || (updateUrl.startsWith('http:') && !LOOPBACK_HTTP.test(updateUrl))) {
  console.error(`npm run package: set LIFELINE_UPDATE_URL to your Lifeline server's https /updates/ address, e.g. LIFELINE_UPDATE_URL=https://support.example.com/updates/ npm run package${updateUrl ? ` (not ${JSON.stringify(updateUrl)})` : ''}`);
  process.exit(2);
}

const run = (command, args) => {
  const { status, error } = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1);
};
run('npm', ['run', 'build']);
run(process.execPath, [createRequire(import.meta.url).resolve('electron-builder/cli.js'), '--config', 'build/electron-builder.json', ...process.argv.slice(2)]);
