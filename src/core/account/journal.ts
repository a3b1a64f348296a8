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
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AtcliError, invalid, runtime } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { OperationData } from '../plc/index.js';
import { MIGRATION_STEPS, isMigrationStep, stepIndex, type MigrationStep, type PlanEntry, STEP_TITLES } from './plan.js';

export const JOURNAL_VERSION = 1;
export const JOURNAL_KIND = 'atcli-account-migration';

export type StepStatus = 'pending' | 'done' | 'failed';

export interface StepState {
  status: StepStatus;
  /** When it last changed. */
  at?: string;
  /** A short note (what was found or done). */
  note?: string;
  error?: string;
}

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
  const steps = {} as Record<MigrationStep, StepState>;
  for (const s of MIGRATION_STEPS) steps[s] = { status: 'pending' };
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

const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

function errno(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Writes the journal atomically with mode 0600 (its folder 0700). */
export async function saveJournal(path: string, journal: MigrationJournal, now = new Date()): Promise<void> {
  journal.updatedAt = now.toISOString();
  const text = `${JSON.stringify(journal, null, 2)}\n`;
  // Defence in depth: tokens never belong in the state file.
  if (JWT_RE.test(text)) throw new AtcliError('runtime', 'JournalSecret', 'refusing to write the migration state: it would contain a token');
  const dir = dirname(path);
  try {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined && process.platform !== 'win32') await chmod(dir, 0o700);
    await writeFileAtomic(path, text, { mode: 0o600, overwrite: true });
  } catch (err) {
    if (err instanceof AtcliError) throw err;
    throw runtime('JournalWriteFailed', `cannot write the migration state ${path}: ${errno(err) ?? String(err)}`, { cause: err });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a journal; null when there is none. Throws invalid 'InvalidMigrationState' for a damaged one. */
export async function loadJournal(path: string): Promise<MigrationJournal | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw runtime('JournalReadFailed', `cannot read the migration state ${path}: ${errno(err) ?? String(err)}`);
  }
  const damaged = (why: string): never => {
    throw invalid('InvalidMigrationState', `the migration state ${path} is damaged: ${why}`, {
      hint: 'restore it from a backup, or move it away to start over (check the account status on both hosts first)',
    });
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return damaged('not JSON');
  }
  if (!isRecord(v)) return damaged('not a JSON object');
  if (v['kind'] !== JOURNAL_KIND) return damaged('not an atcli migration state file');
  if (v['version'] !== JOURNAL_VERSION) return damaged(`version ${String(v['version'])} is not supported (this atcli writes ${JOURNAL_VERSION})`);
  for (const k of ['did', 'oldPds', 'newPds', 'newPdsDid', 'newHandle', 'newEmail', 'backupDir', 'status']) {
    if (typeof v[k] !== 'string') return damaged(`"${k}" is missing`);
  }
  if (!isRecord(v['steps'])) return damaged('"steps" is missing');
  const steps = v['steps'];
  for (const s of MIGRATION_STEPS) {
    const st = steps[s];
    if (!isRecord(st) || (st['status'] !== 'pending' && st['status'] !== 'done' && st['status'] !== 'failed')) return damaged(`step "${s}" is missing`);
  }
  for (const k of Object.keys(steps)) if (!isMigrationStep(k)) return damaged(`unknown step "${k}"`);
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
  const state: StepState = { status, at: now.toISOString() };
  if (extra.note !== undefined) state.note = extra.note;
  if (extra.error !== undefined) state.error = extra.error;
  journal.steps[step] = state;
}

/** Sets `from` and every later step back to pending (a redo: the old repo changed, a stale PLC op). */
export function resetFrom(journal: MigrationJournal, from: MigrationStep, until?: MigrationStep): void {
  const start = stepIndex(from);
  const end = until === undefined ? MIGRATION_STEPS.length - 1 : stepIndex(until);
  for (let i = start; i <= end; i++) journal.steps[MIGRATION_STEPS[i]!] = { status: 'pending', at: new Date().toISOString() };
}

/** The first step that is not done (undefined when all are). */
export function firstPending(journal: MigrationJournal): MigrationStep | undefined {
  return MIGRATION_STEPS.find((s) => journal.steps[s].status !== 'done');
}

export function planEntries(journal: MigrationJournal | null): PlanEntry[] {
  return MIGRATION_STEPS.map((name, index) => ({ index: index + 1, name, title: STEP_TITLES[name], status: journal?.steps[name].status ?? 'pending' }));
}

// ------------------------------------------------------------------------------------------
// lock

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/**
 * Exclusive lock `<journal>.lock` holding our pid. A lock whose process is gone is taken over; a
 * live one is an error ('MigrationLocked'). Returns the release function.
 */
export async function lockJournal(path: string): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = `${process.pid} ${randomBytes(6).toString('hex')}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(token, 'utf8');
      } finally {
        await fh.close();
      }
      return async () => {
        try {
          if ((await readFile(lockPath, 'utf8')) === token) await unlink(lockPath);
        } catch {
          /* gone */
        }
      };
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw runtime('JournalLockFailed', `cannot create ${lockPath}: ${errno(err) ?? String(err)}`);
    }
    const held = await readFile(lockPath, 'utf8').catch(() => '');
    const pid = Number.parseInt(held.split(' ')[0] ?? '', 10);
    if (held !== '' && pidAlive(pid) && pid !== process.pid) {
      throw runtime('MigrationLocked', `another process (pid ${pid}) is migrating this account right now`, {
        hint: `wait for it to finish; if no such process exists, delete ${lockPath}`,
        details: { lock: lockPath, pid },
      });
    }
    await unlink(lockPath).catch(() => undefined);
  }
  throw runtime('MigrationLocked', `could not take the lock ${lockPath}`);
}

/** Writes a small file of the backup folder atomically (0600). */
export async function writeBackupFile(dir: string, name: string, data: string | Uint8Array | AsyncIterable<Uint8Array>): Promise<{ path: string; bytes: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const bytes = await writeFileAtomic(path, data, { mode: 0o600, overwrite: true });
  return { path, bytes };
}

