/** Administrators add technicians from the command line; the new account can sign in at once. */
import { expect, test } from '@playwright/test';
import { run, startServer, startWebConsole, type LifelineServer, type Proc } from './harness.js';
import { signIn } from './console.js';

let server: LifelineServer;
let web: { url: string; proc: Proc };
test.beforeAll(async () => {
  server = await startServer();
  web = await startWebConsole(server.url);
});
test.afterAll(async () => {
  await web?.proc.stop();
  await server?.stop();
});

test('lifeline-admin add-technician creates an account that signs in to the console; a duplicate is refused', async ({ page }) => {
  const add = () => {
    const p = run('node_modules/.bin/tsx', ['server/src/cli.ts', 'add-technician', 'bob', '--name', 'Bob Builder', '--data', server.dataDir]);
    return p;
  };
  const first = add();
  expect(await first.exited).toBe(0);
  const password = first.output().match(/password: (\S+)/)?.[1];
  expect(password).toBeTruthy();
  expect(first.output()).toContain('Added technician "bob" (Bob Builder)');

  await signIn(page, web.url, 'bob', password!);
  await expect(page.getByText('Bob Builder')).toBeVisible();

  const again = add();
  expect(await again.exited).toBe(1);
  expect(again.output()).toMatch(/already exists/);

  // A wrong password gets a sentence, not a stack trace.
  const other = await page.context().browser()!.newPage();
  await other.goto(web.url);
  await other.getByTestId('login-username').fill('bob');
  await other.getByTestId('login-password').fill('not-his-password');
  await other.getByTestId('login-submit').click();
  await expect(other.getByTestId('login-error')).toHaveText('Wrong user name or password.');
});
