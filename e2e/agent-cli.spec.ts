/** The agent's command line tells the user what went wrong, in a sentence, and exits. */
import { expect, test } from '@playwright/test';
import { run, startServer, type LifelineServer } from './harness.js';

let server: LifelineServer;
test.beforeAll(async () => { server = await startServer(); });
test.afterAll(async () => server?.stop());

test('an agent started with a wrong code reports it and exits; without arguments it prints its usage', async () => {
  // No display is needed to learn that the code is wrong, but the agent opens
  // the display first; DISPLAY points nowhere so the check order is visible too.
  const noDisplay = run(process.execPath, ['agent/bin/lifeline-agent.js', '--server', server.url, '--code', '1234567890'], { DISPLAY: ':4242' });
  expect(await noDisplay.exited).toBe(3);
  expect(noDisplay.output()).toMatch(/Cannot open the display/);

  const usage = run(process.execPath, ['agent/bin/lifeline-agent.js']);
  expect(await usage.exited).toBe(2);
  expect(usage.output()).toMatch(/usage: lifeline-agent --server/);

  const badCode = run(process.execPath, ['agent/bin/lifeline-agent.js', '--server', server.url, '--code', '12ab']);
  expect(await badCode.exited).toBe(2);
  expect(badCode.output()).toMatch(/10 digits/);
});
