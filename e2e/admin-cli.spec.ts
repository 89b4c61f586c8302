/**
 * Administrators add technicians and reset passwords from the command line;
 * every printed password is one-time: the console asks for a new one before
 * anything else.
 */
import { expect, test, type Page } from '@playwright/test';
import { adminCli, run, startFirstRunServer, startServer, startWebConsole, type LifelineServer, type Proc } from './harness.js';
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

async function submitLogin(page: Page, consoleUrl: string, username: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** On the "choose your password" screen after signing in with a one-time password: chooses `password` and reaches the queue. */
async function chooseOwnPassword(page: Page, password: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await page.getByTestId('password-new').fill(password);
  await page.getByTestId('password-again').fill(password);
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('code-create')).toBeVisible();
}

test('the first-run administrator signs in with the printed password, must choose his own, and then only his own works', async ({ browser }) => {
  const fresh = await startFirstRunServer();
  const freshWeb = await startWebConsole(fresh.url);
  try {
    const page = await browser.newPage();
    await submitLogin(page, freshWeb.url, 'admin', fresh.adminPassword);
    await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
    // Nothing else is on offer until then.
    await expect(page.getByTestId('code-create')).toHaveCount(0);
    await expect(page.getByTestId('password-current')).toHaveCount(0);

    await page.getByTestId('password-new').fill('short one');
    await page.getByTestId('password-again').fill('short one');
    await page.getByTestId('password-submit').click();
    await expect(page.getByTestId('password-error')).toHaveText('The new password needs at least 12 characters.');
    await page.getByTestId('password-new').fill(fresh.adminPassword);
    await page.getByTestId('password-again').fill(fresh.adminPassword);
    await page.getByTestId('password-submit').click();
    await expect(page.getByTestId('password-error')).toHaveText('The new password must differ from the current one.');

    await chooseOwnPassword(page, 'the admin chose this');
    await expect(page.getByTestId('server-status')).toHaveText('Server online');
    await expect(page.getByText('Administrator')).toBeVisible();

    const again = await browser.newPage();
    await submitLogin(again, freshWeb.url, 'admin', fresh.adminPassword);
    await expect(again.getByTestId('login-error')).toHaveText('Wrong user name or password.');
    await again.getByTestId('login-password').fill('the admin chose this');
    await again.getByTestId('login-submit').click();
    // No change asked this time: straight to the queue.
    await expect(again.getByTestId('code-create')).toBeVisible();
    await expect(again.getByTestId('password-form')).toHaveCount(0);
  } finally {
    await freshWeb.proc.stop();
    await fresh.stop();
  }
});

test('lifeline-admin add-technician creates an account that signs in to the console after choosing a password; a duplicate is refused', async ({ page }) => {
  const add = () => run('node_modules/.bin/tsx', ['server/src/cli.ts', 'add-technician', 'bob', '--name', 'Bob Builder', '--data', server.dataDir]);
  const first = add();
  expect(await first.exited).toBe(0);
  const password = first.output().match(/one-time password: (\S+)/)?.[1];
  expect(password).toBeTruthy();
  expect(first.output()).toContain('Added technician "bob" (Bob Builder)');

  await submitLogin(page, web.url, 'bob', password!);
  await chooseOwnPassword(page, 'bobs own password');
  await expect(page.getByText('Bob Builder')).toBeVisible();

  const again = add();
  expect(await again.exited).toBe(1);
  expect(again.output()).toMatch(/already exists/);

  // A wrong password gets a sentence, not a stack trace.
  const other = await page.context().browser()!.newPage();
  await submitLogin(other, web.url, 'bob', 'not-his-password');
  await expect(other.getByTestId('login-error')).toHaveText('Wrong user name or password.');
});

test('a technician changes his password from the console; after reset-password he signs in with the new one-time password and chooses again', async ({ browser }) => {
  const printed = /one-time password: (\S+)/.exec(await adminCli(server.dataDir, 'add-technician', 'cleo', '--name', 'Cleo Clark'))![1]!;
  const page = await browser.newPage();
  await submitLogin(page, web.url, 'cleo', printed);
  await chooseOwnPassword(page, 'cleos first password');

  await page.getByTestId('password-change-open').click();
  await page.getByTestId('password-current').fill('not her password');
  await page.getByTestId('password-new').fill('cleos second password');
  await page.getByTestId('password-again').fill('cleos second password');
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-error')).toHaveText('The current password is wrong.');
  await page.getByTestId('password-current').fill('cleos first password');
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-changed')).toBeVisible();

  const other = await browser.newPage();
  await submitLogin(other, web.url, 'cleo', 'cleos first password');
  await expect(other.getByTestId('login-error')).toHaveText('Wrong user name or password.');
  await signIn(other, web.url, 'cleo', 'cleos second password');

  const reset = await adminCli(server.dataDir, 'reset-password', 'cleo');
  const oneTime = /one-time password: (\S+)/.exec(reset)![1]!;
  const later = await browser.newPage();
  await submitLogin(later, web.url, 'cleo', 'cleos second password');
  await expect(later.getByTestId('login-error')).toHaveText('Wrong user name or password.');
  await submitLogin(later, web.url, 'cleo', oneTime);
  await chooseOwnPassword(later, 'cleos third password');
});
