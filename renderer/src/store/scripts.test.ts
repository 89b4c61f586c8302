import { describe, expect, it } from 'vitest';
import {
  initialScripts, SCRIPT_OUTPUT_KEPT, SCRIPT_RUNS_KEPT, scriptExited, scriptOutputReceived, scriptRunsForgotten, scriptStarted,
} from './scripts.js';

describe('scripts slice', () => {
  it('keeps each run\'s output in order and its exit', () => {
    let s = scriptStarted(initialScripts, { requestId: 'r1', runId: 7, name: 'Flush DNS' });
    s = scriptStarted(s, { requestId: 'r1', runId: 8, name: 'Disk check' });
    s = scriptOutputReceived(s, { requestId: 'r1', runId: 7, chunk: 'one\n' });
    s = scriptOutputReceived(s, { requestId: 'r1', runId: 8, chunk: 'other\n' });
    s = scriptOutputReceived(s, { requestId: 'r1', runId: 7, chunk: 'two\n' });
    s = scriptExited(s, { requestId: 'r1', runId: 7, code: 0 });
    expect(s.scriptRuns).toEqual([
      { requestId: 'r1', runId: 7, name: 'Flush DNS', output: 'one\ntwo\n', dropped: 0, exit: { code: 0, error: null } },
      { requestId: 'r1', runId: 8, name: 'Disk check', output: 'other\n', dropped: 0, exit: null },
    ]);
  });

  it('a run whose start was missed still shows its output and exit', () => {
    let s = scriptOutputReceived(initialScripts, { requestId: 'r1', runId: 3, chunk: 'x' });
    s = scriptExited(s, { requestId: 'r1', runId: 3, code: null, error: 'The shell could not be started.' });
    expect(s.scriptRuns).toEqual([
      { requestId: 'r1', runId: 3, name: 'Script', output: 'x', dropped: 0, exit: { code: null, error: 'The shell could not be started.' } },
    ]);
  });

  it('keeps only the tail of a long output and counts what it dropped', () => {
    let s = scriptStarted(initialScripts, { requestId: 'r1', runId: 1, name: 'yes' });
    const chunk = 'y\n'.repeat(16 * 1024);
    for (let i = 0; i < 10; i++) s = scriptOutputReceived(s, { requestId: 'r1', runId: 1, chunk });
    const run = s.scriptRuns[0]!;
    expect(run.output).toHaveLength(SCRIPT_OUTPUT_KEPT);
    expect(run.dropped).toBe(10 * chunk.length - SCRIPT_OUTPUT_KEPT);
  });

  it('keeps a bounded number of runs', () => {
    let s = initialScripts;
    for (let i = 0; i < SCRIPT_RUNS_KEPT + 5; i++) s = scriptStarted(s, { requestId: 'r1', runId: i, name: `run ${i}` });
    expect(s.scriptRuns).toHaveLength(SCRIPT_RUNS_KEPT);
    expect(s.scriptRuns[0]!.runId).toBe(5);
  });

  it('forgets the runs of a dismissed session only', () => {
    let s = scriptStarted(initialScripts, { requestId: 'r1', runId: 1, name: 'a' });
    s = scriptStarted(s, { requestId: 'r2', runId: 2, name: 'b' });
    expect(scriptRunsForgotten(s, 'r1').scriptRuns.map((r) => r.runId)).toEqual([2]);
    expect(scriptRunsForgotten(s, 'r9')).toBe(s);
  });
});
