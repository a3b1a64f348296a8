/**
 * `account migrate` (docs/account-migration.md): moves a PDS-managed did:plc account
 * from its host to another, as the explicit plan of named steps in plan.ts, journalled after every
 * step (journal.ts) so that an interrupted or failed run continues with `resume` and repeats
 * nothing that would duplicate or lose data: each step checks the real remote state first.
 *
 * Guarantees: the repository is verified against the current key before import; every record and
 * blob is on the new host before the e-mail token is even requested; the PLC update keeps the
 * user's own keys and services and is checked locally before it is submitted; the new account is
 * verified active before the old one is deactivated; a failure before activation leaves the old
 * account active and fully usable, and the error says what to do.
 */
import { AtcliError, usage } from '../errors.js';
import type { HttpConfig } from '../net/http.js';
import type { IdentityConfig } from '../identity/index.js';
import type { SessionAuth, SessionData, XrpcClient } from '../xrpc/index.js';
import {
  backupDirFor,
  isDone,
  loadJournal,
  lockJournal,
  markStep,
  newJournal,
  planEntries,
  saveJournal,
  type MigrationJournal,
  type MigrationReport,
} from './journal.js';
import { MIGRATION_STEPS, STEP_TITLES, stepIndex, type MigrationStep, type PlanEntry } from './plan.js';
import { createAccountStep, serviceAuthStep } from './steps/account.js';
import { blobsStep } from './steps/blobs.js';
import { MigrationRun, type MigrationCallbacks, type StepOutcome } from './steps/context.js';
import { failStep, runSteps } from './steps/runner.js';
import { activateStep, deactivateOldStep, reportStep } from './steps/finalize.js';
import { buildPlcOpStep, checkPlcOpStep, requestPlcTokenStep, signPlcOpStep, submitPlcOpStep, verifyIdentityStep } from './steps/identity.js';
import { preferencesStep } from './steps/preferences.js';
import { preflight, type PreflightReport } from './steps/preflight.js';
import { exportRepoStep, importRepoStep, verifyRepoStep } from './steps/repo.js';
import { verifyCopyStep, verifyNewStep } from './steps/verify.js';

export type { MigrationCallbacks, MigrationEvent, MigrationHooks, IdentityConfirmation } from './steps/context.js';
export type { PreflightReport, PreflightCheck } from './steps/preflight.js';

export interface MigrateOptions {
  http: HttpConfig;
  identity: IdentityConfig;
  /** Development mode (http:// loopback PDS endpoints). */
  dev: boolean;
  /** The state file. */
  journalPath: string;
  /** The logged-in account on its current (old) host. */
  oldClient: XrpcClient;
  oldAuth: SessionAuth;
  /** The new host's URL (required unless resuming). */
  to?: string;
  newHandle?: string;
  newEmail?: string;
  inviteCode?: string;
  recoveryKey?: string;
  /** The e-mailed PLC token, when already at hand. */
  plcToken?: string;
  dryRun: boolean;
  resume: boolean;
  blobConcurrency?: number;
  signal?: AbortSignal;
  callbacks: MigrationCallbacks;
}

export interface MigrationResult {
  status: 'dry-run' | 'completed' | 'waiting-for-plc-token';
  did: string;
  oldPds: string;
  newPds: string;
  newHandle: string;
  stateFile: string;
  backupDir: string;
  /** Dry run: whether every preflight check passed. */
  ok?: boolean;
  preflight?: PreflightReport;
  plan: PlanEntry[];
  identity?: {
    replaceRotationKeys?: string[];
    keepRotationKeys?: string[];
    keepServices?: string[];
    changes?: string[];
    warnings?: string[];
    recoveryKey?: string;
  };
  report?: MigrationReport;
}

export interface MigrationOutcome {
  result: MigrationResult;
  /** The new host's session once the migration completed in this run (tokens: never printed). */
  newSession?: SessionData;
}

type StepFn = (run: MigrationRun) => Promise<StepOutcome>;

const STEP_FNS: Partial<Record<MigrationStep, StepFn>> = {
  'service-auth': serviceAuthStep,
  'create-account': createAccountStep,
  'export-repo': exportRepoStep,
  'verify-repo': verifyRepoStep,
  'import-repo': importRepoStep,
  blobs: blobsStep,
  preferences: preferencesStep,
  'verify-copy': verifyCopyStep,
  'request-plc-token': requestPlcTokenStep,
  'build-plc-op': buildPlcOpStep,
  'sign-plc-op': signPlcOpStep,
  'check-plc-op': checkPlcOpStep,
  'submit-plc-op': submitPlcOpStep,
  'verify-identity': verifyIdentityStep,
  activate: activateStep,
  'verify-new': verifyNewStep,
  'deactivate-old': deactivateOldStep,
  report: reportStep,
};

const MAX_RESTARTS = 8;

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Where a stopped migration stands and what resuming it does (for error hints and reports), in
 * protocol terms; the caller names its own way of resuming.
 */
export function whatToDo(journal: MigrationJournal, statePath: string): string {
  const oldHost = host(journal.oldPds);
  const newHost = host(journal.newPds);
  if (!isDone(journal, 'submit-plc-op')) {
    return (
      `nothing about your identity changed: your account on ${oldHost} is still active and fully usable. ` +
      `Resuming continues the migration from its state file ${statePath}; or give it up by deleting that file` +
      (isDone(journal, 'create-account') ? ` — the deactivated copy on ${newHost} is not used by anyone, and resuming later reuses it` : '')
    );
  }
  if (!isDone(journal, 'activate')) {
    return `your DID already points at ${newHost}, but the account there is not active yet; resuming finishes the move (the old account on ${oldHost} is still active)`;
  }
  if (!isDone(journal, 'deactivate-old')) {
    return `the new account on ${newHost} is active; the old account on ${oldHost} has not been deactivated yet: resuming finishes`;
  }
  return 'the migration itself is done; resuming writes the final report';
}

function stepResult(journal: MigrationJournal, statePath: string, status: MigrationResult['status'], extra: Partial<MigrationResult> = {}): MigrationResult {
  return {
    status,
    did: journal.did,
    oldPds: journal.oldPds,
    newPds: journal.newPds,
    newHandle: journal.newHandle,
    stateFile: statePath,
    backupDir: journal.backupDir,
    plan: planEntries(journal),
    ...(journal.plc.changes !== undefined
      ? {
          identity: {
            changes: journal.plc.changes,
            keepRotationKeys: journal.plc.keptRotationKeys ?? [],
            keepServices: journal.plc.keptServices ?? [],
            warnings: journal.plc.warnings ?? [],
            ...(journal.recoveryKey !== undefined ? { recoveryKey: journal.recoveryKey } : {}),
          },
        }
      : {}),
    ...(journal.report !== undefined ? { report: journal.report } : {}),
    ...extra,
  };
}

export async function migrateAccount(opts: MigrateOptions): Promise<MigrationOutcome> {
  const path = opts.journalPath;
  const existing = await loadJournal(path);
  if (!opts.resume && existing !== null && !opts.dryRun) {
    if (existing.status === 'completed') {
      throw usage('AlreadyMigrated', `${existing.did} was already migrated to ${existing.newPds} (state file ${path})`, {
        hint: 'resuming it shows the report; move the state file away to migrate again',
        details: { stateFile: path },
      });
    }
    throw usage('MigrationInProgress', `a migration of ${existing.did} to ${existing.newPds} is already under way (state file ${path})`, {
      hint: 'resume it, or move the state file away to start over',
      details: { stateFile: path },
    });
  }
  if (opts.resume && existing === null) {
    throw usage('NoMigrationState', `there is no migration to resume (no state file ${path})`, { hint: 'start a new migration', details: { stateFile: path } });
  }
  if (opts.resume && existing !== null && existing.status === 'completed') {
    return { result: stepResult(existing, path, 'completed') };
  }
  if (existing !== null && opts.recoveryKey !== undefined && existing.recoveryKey !== opts.recoveryKey && isDone(existing, 'build-plc-op')) {
    throw usage('RecoveryKeyMismatch', 'the identity update of this migration is already planned without that recovery key', { hint: 'resume without a new recovery key' });
  }
  const journalForChecks = opts.resume ? existing : null;
  const settings = {
    http: opts.http,
    identity: opts.identity,
    dev: opts.dev,
    journalPath: path,
    ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode } : {}),
    ...(opts.plcToken !== undefined ? { plcToken: opts.plcToken } : {}),
    blobConcurrency: Math.max(1, Math.min(16, opts.blobConcurrency ?? 4)),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  };
  const pfInput = {
    settings,
    oldClient: opts.oldClient,
    oldAuth: opts.oldAuth,
    journal: journalForChecks,
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    ...(opts.newHandle !== undefined ? { newHandle: opts.newHandle } : {}),
    ...(opts.newEmail !== undefined ? { newEmail: opts.newEmail } : {}),
    ...((opts.recoveryKey ?? journalForChecks?.recoveryKey) !== undefined ? { recoveryKey: (opts.recoveryKey ?? journalForChecks?.recoveryKey)! } : {}),
    dryRun: opts.dryRun,
  };

  if (opts.dryRun) {
    const pf = await preflight(pfInput);
    const r = pf.report;
    const pseudo = journalForChecks ?? newJournal({
      did: r.account.did,
      oldPds: pf.oldPds,
      oldHandle: r.account.handle,
      newPds: pf.newPds,
      newPdsDid: pf.newPdsDid ?? '',
      newHandle: r.newHandle,
      newEmail: r.newEmail ?? '',
      backupDir: backupDirFor(path),
    });
    const result = stepResult(pseudo, path, 'dry-run', {
      ok: r.ok,
      preflight: r,
      identity: {
        ...(r.identity?.replaceRotationKeys !== undefined ? { replaceRotationKeys: r.identity.replaceRotationKeys } : {}),
        ...(r.identity?.keepRotationKeys !== undefined ? { keepRotationKeys: r.identity.keepRotationKeys } : {}),
        keepServices: r.identity?.keepServices ?? [],
        ...(journalForChecks?.plc.changes !== undefined ? { changes: journalForChecks.plc.changes } : {}),
        ...(pfInput.recoveryKey !== undefined ? { recoveryKey: pfInput.recoveryKey } : {}),
      },
    });
    return { result };
  }

  const release = await lockJournal(path);
  let journal: MigrationJournal | null = journalForChecks;
  let run: MigrationRun | undefined;
  let current: MigrationStep = 'preflight';
  try {
    const pf = await preflight(pfInput);
    if (pf.error !== undefined) throw pf.error;
    const r = pf.report;
    if (journal === null) {
      if (pf.newPdsDid === undefined) throw usage('NewHostUnreachable', `${pf.newPds} did not describe itself`);
      journal = newJournal({
        did: r.account.did,
        oldPds: pf.oldPds,
        oldHandle: r.account.handle,
        newPds: pf.newPds,
        newPdsDid: pf.newPdsDid,
        newHandle: r.newHandle,
        newEmail: r.newEmail ?? '',
        ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {}),
        backupDir: backupDirFor(path),
      });
    } else if (opts.recoveryKey !== undefined) {
      journal.recoveryKey = opts.recoveryKey;
    }
    if (journal.oldIdentity === undefined && r.identity !== undefined && r.identity.signingKey !== undefined) {
      journal.oldIdentity = { plcHead: r.identity.head, signingKey: r.identity.signingKey, data: r.identity.data };
    }
    journal.runs++;
    journal.status = 'in-progress';
    delete journal.lastError;
    run = new MigrationRun(journal, opts.oldClient, opts.oldAuth, settings, opts.callbacks);
    const total = MIGRATION_STEPS.length;
    const hooks = opts.callbacks.hooks;
    if (!isDone(journal, 'preflight')) {
      markStep(journal, 'preflight', 'done', { note: `${r.checks.filter((c) => c.ok).length} checks passed` });
      await saveJournal(path, journal);
      opts.callbacks.event?.({ kind: 'step-done', step: 'preflight', index: 1, total, note: 'all checks passed' });
      await hooks?.afterStep?.('preflight');
    } else {
      await saveJournal(path, journal);
    }

    const outcome = await runSteps({
      steps: MIGRATION_STEPS,
      titles: STEP_TITLES,
      journal,
      fns: STEP_FNS,
      run,
      save: () => saveJournal(path, journal!),
      onStep: (step) => {
        current = step;
        run!.current = step;
      },
      event: (e) => opts.callbacks.event?.(e),
      hooks,
      signal: opts.signal,
      maxRestarts: MAX_RESTARTS,
    });
    if (outcome.kind === 'stopped') {
      journal.status = 'waiting-for-plc-token';
      await saveJournal(path, journal);
      return { result: stepResult(journal, path, 'waiting-for-plc-token') };
    }
    journal.status = 'completed';
    await saveJournal(path, journal);
    const newSession = run.newAuth ? await run.newAuth.session() : undefined;
    return { result: stepResult(journal, path, 'completed'), ...(newSession !== undefined ? { newSession } : {}) };
  } catch (err) {
    if (journal === null) throw err;
    const e = failStep(journal, current, err, 'MigrationFailed');
    try {
      await saveJournal(path, journal);
    } catch {
      /* the original error matters more */
    }
    const index = stepIndex(current) + 1;
    const todo = whatToDo(journal, path);
    if (e.kind === 'interrupted') {
      throw new AtcliError('interrupted', 'Interrupted', `interrupted during step ${index}/${MIGRATION_STEPS.length} (${current})`, {
        hint: todo,
        details: { step: current, stateFile: path },
      });
    }
    throw new AtcliError(e.kind, e.code, `migration stopped at step ${index}/${MIGRATION_STEPS.length} (${current}): ${e.message}`, {
      hint: e.hint !== undefined ? `${e.hint.replace(/[.;:\s]+$/, '')}. ${todo[0]!.toUpperCase()}${todo.slice(1)}` : todo,
      details: { ...(e.details ?? {}), step: current, stateFile: path, identityMoved: isDone(journal, 'submit-plc-op'), oldAccountActive: !isDone(journal, 'deactivate-old') },
      cause: err,
    });
  } finally {
    await release();
  }
}
