/** The agent's command line tells the user what went wrong, in a sentence, and exits. */
import { expect, test } from '@playwright/test';
import { run, startServer, startXvfb, type LifelineServer, type XDisplay } from './harness.js';

let server: LifelineServer;
let x: XDisplay;
test.beforeAll(async () => {
  server = await startServer();
  x = await startXvfb(['1024x768x24']);
});
test.afterAll(async () => {
  await x?.stop();
  await server?.stop();
});

const agent = (args: string[], display = x.display) => run(process.execPath, ['agent/bin/lifeline-agent.js', ...args], { DISPLAY: display });

test('an agent started with a wrong code on a real display says the code is not valid and exits', async () => {
  const p = agent(['--server', server.url, '--code', '123 456 7890']);
  expect(await p.exited).toBe(2);
  expect(p.output()).toMatch(/This session code is not valid/);
});

test('an agent without a display, without arguments, or with a malformed code explains itself and exits', async () => {
  const noDisplay = agent(['--server', server.url, '--code', '1234567890'], ':4242');
  expect(await noDisplay.exited).toBe(3);
  expect(noDisplay.output()).toMatch(/Cannot open the display/);

  const usage = agent([]);
  expect(await usage.exited).toBe(2);
  expect(usage.output()).toMatch(/usage: lifeline-agent --server/);

  const badCode = agent(['--server', server.url, '--code', '12ab']);
  expect(await badCode.exited).toBe(2);
  expect(badCode.output()).toMatch(/10 digits/);
});
