/**
 * The step machinery shared by long account operations (migrate, restore): a fixed plan of named
 * steps run in order, the journal saved after every step so that an interrupted or failed run
 * continues where it stopped, steps that may send the run back to an earlier step (a redo) or
 * stop it until the user can supply something (an e-mailed token), and caller hooks around each
 * step (a test injects faults or kills the process there).
 */
import { AtcliError, type ErrorCode } from '../../errors.js';

export type StepStatus = 'pending' | 'done' | 'failed';

export interface StepState {
  status: StepStatus;
  /** When it last changed. */
  at?: string;
  /** A short note (what was found or done). */
  note?: string;
  error?: string;
}

/** The part of a journal the step machinery reads and writes. */
export interface StepJournal<S extends string> {
  status: string;
  steps: Record<S, StepState>;
  lastError?: { step: S; code: string; message: string; at: string };
}

/** What a step asks the runner to do next. */
export type StepOutcome<S extends string = string> =
  | { kind: 'done'; note?: string }
  | { kind: 'restart'; from: S; note: string }
  | { kind: 'stop'; reason: string; note: string };

export const done = (note?: string): { kind: 'done'; note?: string } => ({ kind: 'done', ...(note !== undefined ? { note } : {}) });

export interface StepHooks<S extends string> {
  /** Called before a step runs (a test may throw to simulate a server failure). */
  beforeStep?(step: S): void | Promise<void>;
  /** Called once a step is done and the journal is on disk (a test may kill the process). */
  afterStep?(step: S): void | Promise<void>;
}

export type StepEvent<S extends string> =
  | { kind: 'step-start'; step: S; index: number; total: number; title: string }
  | { kind: 'step-done'; step: S; index: number; total: number; note?: string }
  | { kind: 'info'; step: S; message: string };

export interface PlanEntry<S extends string = string> {
  index: number;
  name: S;
  title: string;
  status: StepStatus;
}

export function newSteps<S extends string>(steps: readonly S[]): Record<S, StepState> {
  const out = {} as Record<S, StepState>;
  for (const s of steps) out[s] = { status: 'pending' };
  return out;
}

export function markStep<S extends string>(journal: StepJournal<S>, step: S, status: StepStatus, extra: { note?: string; error?: string } = {}, now = new Date()): void {
  const state: StepState = { status, at: now.toISOString() };
  if (extra.note !== undefined) state.note = extra.note;
  if (extra.error !== undefined) state.error = extra.error;
  journal.steps[step] = state;
}

/** Sets `from` and every later step (up to `until`) back to pending: a redo. */
export function resetSteps<S extends string>(journal: StepJournal<S>, steps: readonly S[], from: S, until?: S): void {
  const start = steps.indexOf(from);
  const end = until === undefined ? steps.length - 1 : steps.indexOf(until);
  for (let i = start; i <= end; i++) journal.steps[steps[i]!] = { status: 'pending', at: new Date().toISOString() };
}

/** The first step that is not done (undefined when all are). */
export function firstPendingStep<S extends string>(journal: StepJournal<S>, steps: readonly S[]): S | undefined {
  return steps.find((s) => journal.steps[s].status !== 'done');
}

export function stepPlanEntries<S extends string>(journal: StepJournal<S> | null, steps: readonly S[], titles: Readonly<Record<S, string>>): PlanEntry<S>[] {
  return steps.map((name, index) => ({ index: index + 1, name, title: titles[name], status: journal?.steps[name].status ?? 'pending' }));
}

export interface RunStepsOptions<S extends string, R> {
  steps: readonly S[];
  titles: Readonly<Record<S, string>>;
  journal: StepJournal<S>;
  /** The step functions; steps without one (done before the loop, like a preflight) are skipped. */
  fns: Partial<Record<S, (run: R) => Promise<StepOutcome<S>>>>;
  run: R;
  save(): Promise<void>;
  /** Told which step is about to run (the caller keeps it for its error report). */
  onStep?(step: S): void;
  event?(e: StepEvent<S>): void;
  hooks?: StepHooks<S> | undefined;
  signal?: AbortSignal | undefined;
  /** How often one run may go back to earlier steps before it gives up (default 8). */
  maxRestarts?: number;
}

export type RunStepsResult<S extends string> = { kind: 'completed' } | { kind: 'stopped'; step: S; reason: string; note: string };

/**
 * Runs every pending step in order, saving the journal after each. A step's 'stop' leaves it
 * pending and returns; 'restart' resets the steps from `from` up to it and carries on. Errors
 * propagate as they are (record them with {@link failStep}).
 */
export async function runSteps<S extends string, R>(opts: RunStepsOptions<S, R>): Promise<RunStepsResult<S>> {
  const { journal, steps } = opts;
  const total = steps.length;
  const maxRestarts = opts.maxRestarts ?? 8;
  let restarts = 0;
  for (let step = firstPendingStep(journal, steps); step !== undefined; step = firstPendingStep(journal, steps)) {
    const fn = opts.fns[step];
    if (fn === undefined) {
      markStep(journal, step, 'done');
      continue;
    }
    opts.onStep?.(step);
    if (opts.signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', `interrupted before ${step}`);
    const index = steps.indexOf(step) + 1;
    opts.event?.({ kind: 'step-start', step, index, total, title: opts.titles[step] });
    await opts.hooks?.beforeStep?.(step);
    const outcome = await fn(opts.run);
    if (outcome.kind === 'stop') {
      markStep(journal, step, 'pending', { note: outcome.note });
      await opts.save();
      return { kind: 'stopped', step, reason: outcome.reason, note: outcome.note };
    }
    if (outcome.kind === 'restart') {
      if (++restarts > maxRestarts) throw new AtcliError('runtime', 'StepLoop', `the run went back to earlier steps ${maxRestarts} times (${outcome.note})`);
      resetSteps(journal, steps, outcome.from, step);
      await opts.save();
      opts.event?.({ kind: 'info', step, message: outcome.note });
      continue;
    }
    markStep(journal, step, 'done', outcome.note !== undefined ? { note: outcome.note } : {});
    await opts.save();
    opts.event?.({ kind: 'step-done', step, index, total, ...(outcome.note !== undefined ? { note: outcome.note } : {}) });
    await opts.hooks?.afterStep?.(step);
  }
  return { kind: 'completed' };
}

/**
 * Records a failure of `step` in the journal (not saved): an interruption or a usage problem
 * leaves the step pending, anything else marks it failed. Returns the error as an AtcliError.
 */
export function failStep<S extends string>(journal: StepJournal<S>, step: S, err: unknown, fallbackCode: ErrorCode): AtcliError {
  const e = err instanceof AtcliError ? err : new AtcliError('runtime', fallbackCode, err instanceof Error ? err.message : String(err), { cause: err });
  journal.lastError = { step, code: e.code, message: e.message, at: new Date().toISOString() };
  if (e.kind === 'interrupted' || e.kind === 'usage') {
    markStep(journal, step, 'pending', { note: e.kind === 'interrupted' ? 'interrupted' : e.message });
    journal.status = 'in-progress';
  } else {
    markStep(journal, step, 'failed', { error: e.message });
    journal.status = 'failed';
  }
  return e;
}
