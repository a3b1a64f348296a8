/**
 * The migration journal (docs/account-migration.md): a 0600 JSON state file written atomically after every
 * step, holding only what a resume needs — the DID, both hosts, the new handle and e-mail, step
 * statuses, counts, CIDs, and the signed PLC operation once it exists. Never a password, a
 * session token, a service-auth token, an invite code or the PLC e-mail token: `saveJournal`
 * refuses to write anything that looks like a JWT.
 *
 * An exclusive lock file next to it keeps two processes from migrating the same account at once;
 * the lock of a process that died (SIGKILL) is taken over.
 */
import type { OperationData } from '../plc/index.js';
import { MIGRATION_STEPS, type MigrationStep, type PlanEntry, STEP_TITLES } from './plan.js';
import { loadStateFile, lockStateFile, saveStateFile, writePrivateFile } from './state-file.js';
import { firstPendingStep, markStep as markAnyStep, newSteps, resetSteps, stepPlanEntries, type StepState, type StepStatus } from './steps/runner.js';

export type { StepState, StepStatus };

export const JOURNAL_VERSION = 1;
export const JOURNAL_KIND = 'atcli-account-migration';

export type JournalStatus = 'in-progress' | 'waiting-for-plc-token' | 'failed' | 'completed';

/** The repository CAR as exported from the old host (kept in the backup folder). */
export interface ExportedCar {
  carFile: string;
  carBytes: number;
  carSha256: string;
  at: string;
}

/** What the verified export holds. */
export interface SourceSnapshot {
  rev: string;
  commit: string;
  records: number;
  blocks: number;
  collections: Record<string, number>;
  /** The key the commit signature was verified with. */
  signingKey: string;
}

export interface BlobProgress {
  transferred: number;
  bytes: number;
  rounds: number;
  failed: Array<{ cid: string; error: string }>;
  mimeTypes: Record<string, number>;
}

export interface CopyGate {
  sourceRecords: number;
  indexedRecords: number;
  expectedBlobs: number;
  importedBlobs: number;
  missingBlobs: number;
  oldLatestRev: string;
  at: string;
}

export interface PlcProgress {
  tokenRequestedAt?: string;
  tokenRequests: number;
  oldHostKeys?: string[];
  prev?: string;
  planned?: OperationData;
  keptRotationKeys?: string[];
  keptServices?: string[];
  changes?: string[];
  warnings?: string[];
  /** The operation the old host signed (public data: it is published once submitted). */
  signedOp?: unknown;
  opCid?: string;
  signedAt?: string;
  submittedAt?: string;
  newSigningKey?: string;
}

export interface SideSummary {
  pds: string;
  active: boolean | null;
  status?: string;
  records: number | null;
  blobs: number | null;
  repoRev?: string;
}

export interface MigrationReport {
  did: string;
  handle: string;
  old: SideSummary;
  new: SideSummary;
  records: { source: number; new: number; missingOnNew: number; extraOnNew: number; identical: boolean };
  blobs: { old: number | null; new: number; missingOnNew: number; expected: number; imported: number };
  preferences: { count: number; identical: boolean | null };
  identity: {
    pds: string | null;
    signingKey: string | null;
    rotationKeys: string[];
    keptRotationKeys: string[];
    services: string[];
    keptServices: string[];
    alsoKnownAs: string[];
  };
  backupDir: string;
  at: string;
}

export interface MigrationJournal {
  version: number;
  kind: string;
  did: string;
  oldPds: string;
  oldHandle: string;
  newPds: string;
  newPdsDid: string;
  newHandle: string;
  newEmail: string;
  recoveryKey?: string;
  /** Where the verified CAR, preferences and PLC audit log are kept. */
  backupDir: string;
  startedAt: string;
  updatedAt: string;
  status: JournalStatus;
  runs: number;
  steps: Record<MigrationStep, StepState>;
  /** The identity before the migration (from the verified audit log). */
  oldIdentity?: { plcHead: string; signingKey: string; data: OperationData };
  newAccount?: { createdAt: string; existed: boolean };
  catchUpRounds: number;
  exported?: ExportedCar;
  source?: SourceSnapshot;
  imported?: { indexedRecords: number; repoRev: string; at: string };
  blobs?: BlobProgress;
  preferences?: { count: number; file: string; sha256: string };
  gate?: CopyGate;
  plc: PlcProgress;
  activation?: { activatedAt?: string; oldDeactivatedAt?: string };
  verifyNew?: { records: number; missingOnNew: number; blobsChecked: number; at: string };
  report?: MigrationReport;
  lastError?: { step: MigrationStep; code: string; message: string; at: string };
}

export interface NewJournalInput {
  did: string;
  oldPds: string;
  oldHandle: string;
  newPds: string;
  newPdsDid: string;
  newHandle: string;
  newEmail: string;
  recoveryKey?: string;
  backupDir: string;
}

export function newJournal(input: NewJournalInput, now = new Date()): MigrationJournal {
  const at = now.toISOString();
  const steps = newSteps(MIGRATION_STEPS);
  return {
    version: JOURNAL_VERSION,
    kind: JOURNAL_KIND,
    did: input.did,
    oldPds: input.oldPds,
    oldHandle: input.oldHandle,
    newPds: input.newPds,
    newPdsDid: input.newPdsDid,
    newHandle: input.newHandle,
    newEmail: input.newEmail,
    ...(input.recoveryKey !== undefined ? { recoveryKey: input.recoveryKey } : {}),
    backupDir: input.backupDir,
    startedAt: at,
    updatedAt: at,
    status: 'in-progress',
    runs: 0,
    steps,
    catchUpRounds: 0,
    plc: { tokenRequests: 0 },
  };
}

/** `migrate-<did>.json` (colons become "_" on Windows, where they are not allowed in names). */
export function journalFileName(did: string): string {
  const safe = process.platform === 'win32' ? did.replace(/:/g, '_') : did;
  return `migrate-${safe}.json`;
}

/** The backup folder that goes with a journal: `<journal without .json>.backup/`. */
export function backupDirFor(journalPath: string): string {
  return `${journalPath.replace(/\.json$/, '')}.backup`;
}

const LABEL = 'the migration state';

/** Writes the journal atomically with mode 0600 (its folder 0700). */
export async function saveJournal(path: string, journal: MigrationJournal, now = new Date()): Promise<void> {
  journal.updatedAt = now.toISOString();
  await saveStateFile(path, journal, LABEL);
}

/** Reads a journal; null when there is none. Throws invalid 'InvalidMigrationState' for a damaged one. */
export async function loadJournal(path: string): Promise<MigrationJournal | null> {
  const v = await loadStateFile(path, {
    kind: JOURNAL_KIND,
    version: JOURNAL_VERSION,
    steps: MIGRATION_STEPS,
    strings: ['did', 'oldPds', 'newPds', 'newPdsDid', 'newHandle', 'newEmail', 'backupDir', 'status'],
    label: LABEL,
    damagedCode: 'InvalidMigrationState',
    hint: 'restore it from a backup, or move it away to start over (check the account status on both hosts first)',
  });
  if (v === null) return null;
  const j = v as unknown as MigrationJournal;
  j.plc ??= { tokenRequests: 0 };
  j.catchUpRounds ??= 0;
  j.runs ??= 0;
  return j;
}

export function isDone(journal: MigrationJournal, step: MigrationStep): boolean {
  return journal.steps[step].status === 'done';
}

export function markStep(journal: MigrationJournal, step: MigrationStep, status: StepStatus, extra: { note?: string; error?: string } = {}, now = new Date()): void {
  markAnyStep(journal, step, status, extra, now);
}

/** Sets `from` and every later step back to pending (a redo: the old repo changed, a stale PLC op). */
export function resetFrom(journal: MigrationJournal, from: MigrationStep, until?: MigrationStep): void {
  resetSteps(journal, MIGRATION_STEPS, from, until);
}

/** The first step that is not done (undefined when all are). */
export function firstPending(journal: MigrationJournal): MigrationStep | undefined {
  return firstPendingStep(journal, MIGRATION_STEPS);
}

export function planEntries(journal: MigrationJournal | null): PlanEntry[] {
  return stepPlanEntries(journal, MIGRATION_STEPS, STEP_TITLES);
}

/**
 * Exclusive lock `<journal>.lock` holding our pid. A lock whose process is gone is taken over; a
 * live one is an error ('MigrationLocked'). Returns the release function.
 */
export async function lockJournal(path: string): Promise<() => Promise<void>> {
  return lockStateFile(path, { code: 'MigrationLocked', activity: 'migrating this account' });
}

/** Writes a small file of the backup folder atomically (0600). */
export const writeBackupFile = writePrivateFile;
