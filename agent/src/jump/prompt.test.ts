import { describe, expect, it } from 'vitest';
import { answerOf, promptText } from './prompt.js';

const PROMPT = { timeoutSeconds: 30, defaultAnswer: 'deny' as const, technician: 'Alice' };

describe('the consent prompt', () => {
  it('tells a click from a timeout, and a timeout takes the policy\'s default', () => {
    expect(answerOf(101, PROMPT)).toEqual({ answer: 'allow', timedOut: false });
    expect(answerOf(102, PROMPT)).toEqual({ answer: 'deny', timedOut: false });
    expect(answerOf(0, PROMPT)).toEqual({ answer: 'deny', timedOut: true });
    expect(answerOf(0, { ...PROMPT, defaultAnswer: 'allow' })).toEqual({ answer: 'allow', timedOut: true });
  });

  it('does not count a dialog that could not be shown as an answer', () => {
    expect(answerOf(1, PROMPT)).toBeNull();
    expect(answerOf(null, PROMPT)).toBeNull();
  });

  it('says who asks and what happens without an answer', () => {
    const text = promptText(PROMPT);
    expect(text).toContain('Alice');
    expect(text).toContain('30 seconds it is refused');
  });
});
