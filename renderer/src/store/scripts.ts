import type { StateCreator } from 'zustand';
import type { EventOf } from '../../../shared/console-contract.js';
import type { AppState } from './index.js';

/** Each run keeps the tail of its output; the server's run log has all of it. */
export const SCRIPT_OUTPUT_KEPT = 256 * 1024;
/** Runs kept in the console, oldest dropped first. */
export const SCRIPT_RUNS_KEPT = 50;

export interface ScriptRun {
  requestId: string;
  runId: number;
  name: string;
  output: string;
  /** Characters dropped from the start of `output` to keep it within SCRIPT_OUTPUT_KEPT. */
  dropped: number;
  /** Null while it runs; `code` is null when it was stopped by a signal or never started. */
  exit: { code: number | null; error: string | null } | null;
}

export interface ScriptsData {
  /** Runs in the order they started, for every session still on screen. */
  scriptRuns: ScriptRun[];
}

export const initialScripts: ScriptsData = { scriptRuns: [] };

type RunKey = { requestId: string; runId: number };

/** Output or an exit can only follow a start, but a reconnect may lose the start: a run is created by whichever arrives first. */
function update(data: ScriptsData, key: RunKey, change: (run: ScriptRun) => ScriptRun): ScriptsData {
  const i = data.scriptRuns.findIndex((r) => r.runId === key.runId && r.requestId === key.requestId);
  const base: ScriptRun = i >= 0
    ? data.scriptRuns[i]!
    : { requestId: key.requestId, runId: key.runId, name: 'Script', output: '', dropped: 0, exit: null };
  const next = change(base);
  if (i >= 0) return { scriptRuns: data.scriptRuns.map((r, j) => (j === i ? next : r)) };
  const runs = [...data.scriptRuns, next];
  return { scriptRuns: runs.length > SCRIPT_RUNS_KEPT ? runs.slice(runs.length - SCRIPT_RUNS_KEPT) : runs };
}

export function scriptStarted(data: ScriptsData, e: EventOf<'script:started'>): ScriptsData {
  return update(data, e, (run) => ({ ...run, name: e.name }));
}

export function scriptOutputReceived(data: ScriptsData, e: EventOf<'script:output-received'>): ScriptsData {
  if (!e.chunk) return data;
  return update(data, e, (run) => {
    const output = run.output + e.chunk;
    const excess = output.length - SCRIPT_OUTPUT_KEPT;
    return excess > 0 ? { ...run, output: output.slice(excess), dropped: run.dropped + excess } : { ...run, output };
  });
}

export function scriptExited(data: ScriptsData, e: EventOf<'script:exited'>): ScriptsData {
  return update(data, e, (run) => ({ ...run, exit: { code: e.code, error: e.error ?? null } }));
}

export function scriptRunsForgotten(data: ScriptsData, requestId: string): ScriptsData {
  const kept = data.scriptRuns.filter((r) => r.requestId !== requestId);
  return kept.length === data.scriptRuns.length ? data : { scriptRuns: kept };
}

export interface ScriptsSlice extends ScriptsData {
  scriptStarted(e: EventOf<'script:started'>): void;
  scriptOutputReceived(e: EventOf<'script:output-received'>): void;
  scriptExited(e: EventOf<'script:exited'>): void;
  scriptRunsForgotten(requestId: string): void;
}

export const createScriptsSlice: StateCreator<AppState, [], [], ScriptsSlice> = (set) => ({
  ...initialScripts,
  scriptStarted: (e) => set((s) => scriptStarted(s, e)),
  scriptOutputReceived: (e) => set((s) => scriptOutputReceived(s, e)),
  scriptExited: (e) => set((s) => scriptExited(s, e)),
  scriptRunsForgotten: (id) => set((s) => scriptRunsForgotten(s, id)),
});
