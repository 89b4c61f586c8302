import { describe, expect, it } from 'vitest';
import { systemdQuote, unitPath, unitText } from './service-unit.js';

describe('the jump client systemd unit', () => {
  it('starts the client after the network is up and restarts it always, except when it must not', () => {
    const text = unitText({ command: ['/usr/bin/node', '/opt/lifeline/agent/bin/lifeline-agent.js', 'jump', '--config', '/etc/lifeline/jump.json'], display: ':0' });
    expect(text).toBe([
      '[Unit]',
      'Description=Lifeline jump client (unattended remote support)',
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=simple',
      'ExecStart=/usr/bin/node /opt/lifeline/agent/bin/lifeline-agent.js jump --config /etc/lifeline/jump.json',
      'Environment=DISPLAY=:0',
      'Restart=always',
      'RestartSec=5',
      'RestartPreventExitStatus=78',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'));
  });

  it('a user unit is wanted by the user\'s default target', () => {
    const text = unitText({ command: ['node', 'a.js'], user: true });
    expect(text).toContain('WantedBy=default.target');
    expect(text).not.toContain('Environment=');
  });

  it('quotes arguments with spaces, quotes, specifiers and variables', () => {
    expect(systemdQuote('/opt/life line/agent.js')).toBe('"/opt/life line/agent.js"');
    expect(systemdQuote('say "hi"')).toBe('"say \\"hi\\""');
    expect(systemdQuote('100%')).toBe('"100%%"');
    expect(systemdQuote('$HOME')).toBe('"$$HOME"');
    expect(systemdQuote('back\\slash')).toBe('"back\\\\slash"');
    expect(unitText({ command: ['/usr/bin/node', '/home/ann/My Apps/lifeline-agent.js'] })).toContain(
      'ExecStart=/usr/bin/node "/home/ann/My Apps/lifeline-agent.js"',
    );
  });

  it('goes to the system unit folder for root and the user\'s otherwise', () => {
    expect(unitPath(true)).toBe('/etc/systemd/system/lifeline-jump.service');
    expect(unitPath(false, '/home/ann')).toBe('/home/ann/.config/systemd/user/lifeline-jump.service');
  });
});
