/**
 * The restore as a plan of named steps, and its journal (docs/backup.md "Restore"): the order is
 * the contract. The identity is taken over (a PLC operation signed with the user's rotation key
 * that names a signing key the user holds and the new host) before the account can be created
 * with the existing DID; data is copied and checked before the identity is handed to the new
 * host's own keys; the account is activated last.
 *
 * The journal holds what a resume needs and nothing secret: public keys, CIDs, counts, the signed
 * PLC operations (public once submitted), the path of a generated signing-key file.
 */
import type { OperationData } from '../../plc/index.js';
import type { BlobProgress } from '../journal.js';
import { loadStateFile, lockStateFile, saveStateFile } from '../state-file.js';
import { newSteps, stepPlanEntries, type PlanEntry, type StepJournal } from '../steps/runner.js';

export const RESTORE_STEPS = [
  'preflight',
  'build-take-over',
  'submit-take-over',
  'create-account',
  'import-repo',
  'blobs',
  'preferences',
  'verify-copy',
  'build-hand-over',
  'submit-hand-over',
  'verify-identity',
  'activate',
  'verify-new',
  'report',
] as const;

export type RestoreStep = (typeof RESTORE_STEPS)[number];

export const RESTORE_STEP_TITLES: Readonly<Record<RestoreStep, string>> = {
  preflight: 'verify the backup offline; check the identity (did:plc, your rotation key may sign), the new host, the handle',
  'build-take-over': 'build the identity update that names your signing key and the new host (your rotation key first)',
  'submit-take-over': 'IRREVERSIBLE: show the update, confirm, sign it with your rotation key, check it locally, submit it to the directory',
  'create-account': 'create the account for the existing DID on the new host (deactivated), with service auth signed by your signing key',
  'import-repo': 'import the repository from the backup',
  blobs: 'upload every blob the new host lists as missing, from the backup, with its MIME type',
  preferences: 'import the private preferences from the backup',
  'verify-copy': 'check the new host holds every record and blob of the backup',
  'build-hand-over': "build the identity update from the new host's recommended credentials, keeping your rotation key first",
  'submit-hand-over': 'IRREVERSIBLE: show the update, confirm, sign it with your rotation key, check it locally, submit it to the directory',
  'verify-identity': "resolve the DID without cache: it must name the new host and the new host's signing key",
  activate: 'activate the account on the new host',
  'verify-new': 'verify the new host: its repository holds every record of the backup; every blob is there with the right hash',
  report: 'final report',
};

/** The steps that change something nobody can take back; each is shown and confirmed first. */
export const IRREVERSIBLE_STEPS: readonly RestoreStep[] = ['submit-take-over', 'submit-hand-over'];

export const RESTORE_JOURNAL_KIND = 'atcli-account-restore';
export const RESTORE_JOURNAL_VERSION = 1;

/** One of the two identity updates a restore makes. */
export interface RestoreOperation {
  prev: string;
  planned: OperationData;
  changes: string[];
  warnings: string[];
  /** Signed with the user's rotation key (public data once submitted). */
  signedOp?: unknown;
  cid?: string;
  submittedAt?: string;
}

export interface RestoreReport {
  did: string;
  handle: string;
  pds: string;
  active: boolean;
  records: { backup: number; restored: number; missing: number };
  blobs: { backup: number; restored: number; missing: number };
  preferences: { backup: number | null; restored: number | null };
  identity: { pds: string | null; signingKey: string | null; rotationKeys: string[]; alsoKnownAs: string[] };
  at: string;
}

export interface RestoreJournal extends StepJournal<RestoreStep> {
  version: number;
  kind: string;
  did: string;
  backupDir: string;
  newPds: string;
  newPdsDid: string;
  newHandle: string;
  newEmail: string;
  /** Public half of the user's rotation key that signs both updates. */
  rotationKey: string;
  /** The signing key the user holds (public half), and the file it was generated into. */
  signingKey: { publicKey: string; file?: string };
  /** Rotation keys dropped by the hand-over. */
  dropRotationKeys: string[];
  startedAt: string;
  updatedAt: string;
  status: 'in-progress' | 'failed' | 'completed';
  runs: number;
  /** What the verified backup holds. */
  backup: { rev: string; commit: string; records: number; repoSha256: string; repoSigningKey: string | null; blobs: number; preferences: number | null };
  takeOver?: RestoreOperation;
  handOver?: RestoreOperation & { newSigningKey?: string };
  account?: { createdAt: string; existed: boolean };
  imported?: { indexedRecords: number; repoRev: string; at: string };
  blobs?: BlobProgress;
  preferences?: { count: number; at: string };
  activation?: { activatedAt?: string };
  verifyNew?: { records: number; blobsChecked: number; at: string };
  report?: RestoreReport;
}

export type NewRestoreJournal = Omit<RestoreJournal, 'version' | 'kind' | 'startedAt' | 'updatedAt' | 'status' | 'runs' | 'steps'>;

export function newRestoreJournal(input: NewRestoreJournal, now = new Date()): RestoreJournal {
  const at = now.toISOString();
  return { version: RESTORE_JOURNAL_VERSION, kind: RESTORE_JOURNAL_KIND, ...input, startedAt: at, updatedAt: at, status: 'in-progress', runs: 0, steps: newSteps(RESTORE_STEPS) };
}

/** `restore-<did>.json` (colons become "_" on Windows). */
export function restoreJournalFileName(did: string): string {
  return `restore-${process.platform === 'win32' ? did.replace(/:/g, '_') : did}.json`;
}

const LABEL = 'the restore state';

export async function saveRestoreJournal(path: string, journal: RestoreJournal, now = new Date()): Promise<void> {
  journal.updatedAt = now.toISOString();
  await saveStateFile(path, journal, LABEL);
}

export async function loadRestoreJournal(path: string): Promise<RestoreJournal | null> {
  const v = await loadStateFile(path, {
    kind: RESTORE_JOURNAL_KIND,
    version: RESTORE_JOURNAL_VERSION,
    steps: RESTORE_STEPS,
    strings: ['did', 'backupDir', 'newPds', 'newPdsDid', 'newHandle', 'newEmail', 'rotationKey', 'status'],
    label: LABEL,
    damagedCode: 'InvalidRestoreState',
    hint: 'move it away to start over; check where the DID points first (the identity may already have been taken over)',
  });
  return v as unknown as RestoreJournal | null;
}

export function lockRestoreJournal(path: string): Promise<() => Promise<void>> {
  return lockStateFile(path, { code: 'RestoreLocked', activity: 'restoring this account' });
}

export function restorePlanEntries(journal: RestoreJournal | null): PlanEntry<RestoreStep>[] {
  return stepPlanEntries(journal, RESTORE_STEPS, RESTORE_STEP_TITLES);
}
