/**
 * Asks the logged-in user whether a technician may connect, with a small
 * X dialog (xmessage, from x11-utils): Allow or Deny, and the policy's
 * default when nobody answers in time.
 */
import { spawn } from 'node:child_process';
import type { JumpPrompt, PromptAnswer } from '../../../shared/jump.js';

export const PROMPT_TITLE = 'Lifeline remote support';

// xmessage exits 0 on -timeout, so the buttons need other codes to tell a click from silence.
const ALLOW = 101;
const DENY = 102;

export interface PromptResult {
  answer: PromptAnswer;
  timedOut: boolean;
}

export function promptText(prompt: JumpPrompt): string {
  const then = prompt.defaultAnswer === 'allow' ? 'allowed' : 'refused';
  return [
    `${prompt.technician} (IT support) wants to connect to this computer`,
    'to see the screen and work on it.',
    '',
    `Allow the session? Without an answer in ${prompt.timeoutSeconds} seconds it is ${then}.`,
  ].join('\n');
}

/** What an xmessage exit status means; null when the dialog could not be shown at all. */
export function answerOf(status: number | null, prompt: JumpPrompt): PromptResult | null {
  if (status === ALLOW) return { answer: 'allow', timedOut: false };
  if (status === DENY) return { answer: 'deny', timedOut: false };
  if (status === 0) return { answer: prompt.defaultAnswer, timedOut: true };
  return null;
}

/**
 * Shows the dialog on `display` and resolves with the answer. Rejects when
 * the dialog cannot be shown (no display, xmessage missing): then nobody was
 * asked, which is not the same as nobody answering. `signal` takes the dialog
 * down (the session ended before the user answered).
 */
export function askUser(display: string, prompt: JumpPrompt, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<PromptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmessage', [
      '-center', '-title', PROMPT_TITLE, '-timeout', String(prompt.timeoutSeconds),
      '-buttons', `Allow:${ALLOW},Deny:${DENY}`, promptText(prompt),
    ], { env: { ...env, DISPLAY: display }, stdio: ['ignore', 'ignore', 'pipe'], ...(signal ? { signal } : {}) });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('error', (e) => reject(new Error(`cannot show the prompt: ${e.message}`)));
    child.once('exit', (status) => {
      const result = answerOf(status, prompt);
      if (result) resolve(result);
      else reject(new Error(`cannot show the prompt: ${stderr.trim().split('\n')[0] || `xmessage exited with ${status}`}`));
    });
  });
}
