import { describe, expect, it } from 'vitest';
import { ScriptRunner, type ScriptRunnerOptions } from './script-runner.js';

type Sent = Parameters<ScriptRunnerOptions['send']>[0];

function runner(timeoutMs?: number) {
  const sent: Sent[] = [];
  let exited: (m: Sent) => void = () => undefined;
  const done = new Promise<Sent>((r) => (exited = r));
  const r = new ScriptRunner({ send: (m) => { sent.push(m); if (m.type === 'script:exit') exited(m); }, ...(timeoutMs ? { timeoutMs } : {}) });
  const output = () => sent.filter((m) => m.type === 'script:output').map((m) => (m as { chunk: string }).chunk).join('');
  return { r, sent, done, output };
}

describe('script runner', () => {
  it('streams a real shell script\'s output and exit code', async () => {
    const t = runner();
    t.r.run(1, 'bash', 'echo "hello from $0"; echo oops >&2; exit 3');
    expect(await t.done).toMatchObject({ type: 'script:exit', runId: 1, code: 3 });
    expect(t.output()).toContain('hello from bash');
    expect(t.output()).toContain('oops');
  });

  it('splits large output into bounded chunks', async () => {
    const t = runner();
    t.r.run(2, 'sh', 'head -c 100000 /dev/zero | tr "\\0" a');
    await t.done;
    const chunks = t.sent.filter((m) => m.type === 'script:output') as { chunk: string }[];
    expect(chunks.every((c) => c.chunk.length <= 16 * 1024)).toBe(true);
    expect(t.output()).toBe('a'.repeat(100000));
  });

  it('refuses a second run while one is going, a shell this system lacks, and stops on request', async () => {
    const t = runner();
    t.r.run(3, 'bash', 'sleep 30');
    t.r.run(4, 'bash', 'echo no');
    expect(t.sent).toContainEqual(expect.objectContaining({ type: 'script:exit', runId: 4, code: null }));
    t.r.stop();
    expect(await t.done).toMatchObject({ runId: 4 });
    await new Promise<void>((resolve) => {
      const check = () => (t.sent.some((m) => m.type === 'script:exit' && m.runId === 3) ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(t.sent.find((m) => m.type === 'script:exit' && m.runId === 3)).toMatchObject({ error: expect.stringMatching(/Stopped/) });
    const u = runner();
    u.r.run(5, 'powershell', 'Get-Date');
    expect(await u.done).toMatchObject({ runId: 5, code: null, error: expect.stringMatching(/cannot run/) });
  });

  it('stops a script that runs past its time limit', async () => {
    const t = runner(300);
    t.r.run(6, 'bash', 'sleep 30');
    expect(await t.done).toMatchObject({ runId: 6, error: expect.stringMatching(/SIGKILL/) });
  });
});
