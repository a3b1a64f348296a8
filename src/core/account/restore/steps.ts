/**
 * The steps of a restore (journal.ts has the plan). Each step checks the real remote state first,
 * so a step repeated after an interruption finds its own earlier work instead of doing it twice.
 * Private keys live in memory only; the journal gets public keys and signed operations.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid, notFound, runtime, usage } from '../../errors.js';
import { BlobStore, OCTET_STREAM, blobCid, listBlobs } from '../../blob/index.js';
import { cidForRaw } from '../../codec/index.js';
import type { PrivateKey } from '../../crypto/index.js';
import type { IdentityConfig } from '../../identity/index.js';
import type { HttpConfig } from '../../net/http.js';
import { PlcDirectoryClient } from '../../plc/directory.js';
import { checkOperationForBuild, buildErrors, buildUpdate, diffOperationData, formatBuildIssue, operationCid, signOperation, type OperationData } from '../../plc/index.js';
import { checkSubmission, fetchVerifiedLog, requireValidLog, submitChecked } from '../../plc/submit.js';
import { listRepoEntries } from '../../repo/read.js';
import { fileChunks, fileSha256 } from '../../util/file-chunks.js';
import { XrpcClient } from '../../xrpc/index.js';
import { BLOB_DIR, PREFERENCES_FILE, REPO_FILE } from '../../backup/manifest.js';
import { checkAccountStatus, getPreferences, getRecommendedDidCredentials, missingBlobCids } from '../admin.js';
import { planMigrationOperation, sameOperationData } from '../plc-op.js';
import { signServiceAuth } from '../service-auth.js';
import { createOrFindAccount } from '../steps/account.js';
import { BLOB_MAX_BYTES, copyBlobsOfRun } from '../steps/blobs.js';
import { HostSession } from '../steps/context.js';
import { activateOnHost } from '../steps/finalize.js';
import { waitForIdentity } from '../steps/identity.js';
import { importPreferences, planPreferencesImport } from '../preferences.js';
import { checkImported, importCarFile } from '../steps/repo.js';
import { done, type StepEvent, type StepHooks, type StepOutcome } from '../steps/runner.js';
import { checkCopyGate, checkHostCopy } from '../steps/verify.js';
import { RESTORE_STEP_TITLES, saveRestoreJournal, type RestoreJournal, type RestoreOperation, type RestoreReport, type RestoreStep } from './journal.js';

export interface RestoreConfirmation {
  step: RestoreStep;
  title: string;
  did: string;
  newPds: string;
  /** The change, line by line, against the state the directory serves now. */
  changes: string[];
  warnings: string[];
  /** The operation that will be signed (unsigned). */
  operation: unknown;
}

export type RestoreEvent =
  | StepEvent<RestoreStep>
  | { kind: 'warning'; step: RestoreStep; message: string }
  | { kind: 'blobs'; done: number; total: number; bytes: number; failed: number }
  | { kind: 'plc-diff'; step: RestoreStep; changes: string[]; warnings: string[] };

export interface RestoreCallbacks {
  /** The new account's password; called only when a step needs it (creating or logging in). */
  newPassword(): Promise<string>;
  /** Each irreversible step, before anything is signed; false cancels the run (nothing signed). */
  confirm(info: RestoreConfirmation): Promise<boolean>;
  event?(event: RestoreEvent): void;
  /** Called around each step (tests inject faults here). */
  hooks?: StepHooks<RestoreStep>;
}

export interface RestoreSettings {
  http: HttpConfig;
  identity: IdentityConfig;
  dev: boolean;
  journalPath: string;
  inviteCode?: string | undefined;
  blobConcurrency: number;
  signal?: AbortSignal | undefined;
}

export interface RestoreKeys {
  /** The user's rotation key: signs both identity updates. */
  rotation: PrivateKey;
  /** The signing key the user holds: signs the createAccount service auth. */
  signing: PrivateKey;
}

const CREATE_ACCOUNT = 'com.atproto.server.createAccount';
const SERVICE_AUTH_SECONDS = 180;

export class RestoreRun {
  readonly newPublic: XrpcClient;
  readonly plc: PlcDirectoryClient;
  readonly newHost: HostSession;
  current: RestoreStep = 'preflight';

  constructor(
    readonly journal: RestoreJournal,
    readonly settings: RestoreSettings,
    readonly callbacks: RestoreCallbacks,
    readonly keys: RestoreKeys,
  ) {
    this.newPublic = new XrpcClient({ service: journal.newPds, http: settings.http });
    this.plc = new PlcDirectoryClient({ http: settings.http, plcUrl: settings.identity.plcUrl });
    this.newHost = new HostSession(journal.newPds, journal.did, settings.http, () => callbacks.newPassword());
  }

  get did(): string {
    return this.journal.did;
  }

  save(): Promise<void> {
    return saveRestoreJournal(this.settings.journalPath, this.journal);
  }

  warn(message: string): void {
    this.callbacks.event?.({ kind: 'warning', step: this.current, message });
  }
}

/** The state a did:plc has now (its verified audit log's head), without the DID. */
export async function currentIdentity(plc: PlcDirectoryClient, did: string): Promise<{ entries: unknown[]; head: string; data: OperationData }> {
  const log = await fetchVerifiedLog(plc, did);
  requireValidLog(log, did);
  const head = log.verification.head!;
  if (head.data === null) throw invalid('PlcDeactivated', `${did} is deactivated (its latest operation is a tombstone): it can be brought back only by a recovery within 72 hours`);
  const { rotationKeys, verificationMethods, alsoKnownAs, services } = head.data;
  return { entries: log.entries, head: head.cid, data: { rotationKeys, verificationMethods, alsoKnownAs, services } };
}

/**
 * The take-over: the current state with the user's signing key, the new host as PDS, and the
 * user's rotation key first (so that nothing signed later with it can be undone by a lower key).
 */
export function planTakeOver(current: OperationData, prev: string, input: { rotationKey: string; signingKey: string; newPds: string }): RestoreOperation {
  const unsigned = buildUpdate(current, { prev, signingKey: input.signingKey, pds: new URL(input.newPds).origin });
  const planned: OperationData = {
    rotationKeys: [input.rotationKey, ...unsigned.rotationKeys.filter((k) => k !== input.rotationKey)],
    verificationMethods: unsigned.verificationMethods,
    alsoKnownAs: unsigned.alsoKnownAs,
    services: unsigned.services,
  };
  const issues = checkOperationForBuild({ type: 'plc_operation', ...planned, prev });
  const errors = buildErrors(issues);
  if (errors.length > 0) throw invalid('InvalidPlcUpdate', `the identity update would be invalid: ${errors.map((i) => formatBuildIssue(i).replace(/^error: /, '')).join('; ')}`);
  const others = current.rotationKeys.filter((k) => k !== input.rotationKey);
  const warnings = issues.filter((i) => i.level === 'warning').map((i) => formatBuildIssue(i));
  if (others.length > 0) warnings.push(`the other rotation keys stay (${others.join(', ')}); whoever holds one of them ranks below your key after this update`);
  return { prev, planned, changes: diffOperationData(current, planned).map((c) => c.message), warnings };
}

export async function buildTakeOverStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  if (j.takeOver?.cid !== undefined) return done('already signed');
  const now = await currentIdentity(run.plc, run.did);
  j.takeOver = planTakeOver(now.data, now.head, { rotationKey: j.rotationKey, signingKey: j.signingKey.publicKey, newPds: j.newPds });
  for (const w of j.takeOver.warnings) run.warn(w);
  return done(`${j.takeOver.changes.length} changes on top of ${now.head}`);
}

/** Confirm, sign with the user's rotation key, check locally, submit to the directory, confirm it landed. */
async function submitOwn(run: RestoreRun, which: 'takeOver' | 'handOver', buildStep: RestoreStep): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  const op = j[which];
  const redo = (note: string): StepOutcome<RestoreStep> => {
    delete j[which];
    return { kind: 'restart', from: buildStep, note };
  };
  if (op === undefined) return redo('no planned operation: building it');
  const log = await fetchVerifiedLog(run.plc, run.did);
  requireValidLog(log, run.did);
  if (op.cid !== undefined) {
    const r = log.verification.operations.find((o) => o.cid === op.cid);
    if (r !== undefined && r.valid && !r.nullified) {
      op.submittedAt ??= new Date().toISOString();
      return done(`already in the directory (${op.cid})`);
    }
  }
  const head = log.verification.head!;
  if (head.data !== null && sameOperationData(head.data, op.planned)) return done('the directory already serves this state');
  if (head.cid !== op.prev) return redo(`the identity changed since the update was planned (head ${head.cid}): planning again`);
  run.callbacks.event?.({ kind: 'plc-diff', step: run.current, changes: op.changes, warnings: op.warnings });
  const unsigned = { type: 'plc_operation' as const, ...op.planned, prev: op.prev };
  const ok = await run.callbacks.confirm({
    step: run.current,
    title: RESTORE_STEP_TITLES[run.current],
    did: run.did,
    newPds: j.newPds,
    changes: op.changes,
    warnings: op.warnings,
    operation: unsigned,
  });
  if (!ok) throw usage('Cancelled', `cancelled at the confirmation of ${run.current}: nothing was signed`);
  const signed = signOperation(unsigned, run.keys.rotation);
  op.signedOp = signed;
  op.cid = operationCid(signed);
  await run.save();
  const check = await checkSubmission(run.plc, signed, { did: run.did, heldKeys: [j.rotationKey] });
  await submitChecked(run.plc, check);
  op.submittedAt = new Date().toISOString();
  return done(`signed by your rotation key #${check.signer.keyIndex}; the directory's head is now ${check.cid}`);
}

export function submitTakeOverStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  return submitOwn(run, 'takeOver', 'build-take-over');
}

export async function createAccountStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  // Signed offline with the key the take-over put in the DID document.
  const outcome = await createOrFindAccount(run, async () => signServiceAuth(run.keys.signing, { iss: run.did, aud: j.newPdsDid, lxm: CREATE_ACCOUNT, expSeconds: SERVICE_AUTH_SECONDS }).token);
  j.account ??= { createdAt: new Date().toISOString(), existed: outcome.existed };
  return done(outcome.existed ? `found the account created earlier (${outcome.activated ? 'active' : 'deactivated'}, ${outcome.indexedRecords} records)` : `created ${outcome.handle} on ${new URL(j.newPds).host} (deactivated)`);
}

/** The backup's CAR, unchanged since it was verified. */
async function backupCar(run: RestoreRun): Promise<string> {
  const file = join(run.journal.backupDir, REPO_FILE);
  const sum = await fileSha256(file).catch(() => undefined);
  if (sum?.sha256 !== run.journal.backup.repoSha256) {
    throw runtime('BackupChanged', `the backup's repository ${file} ${sum === undefined ? 'is gone' : 'changed'} since it was verified`, { hint: 'check the backup folder (backup verify) before going on' });
  }
  return file;
}

export async function importRepoStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  const file = await backupCar(run);
  const client = await run.newHost.client();
  const st = await importCarFile(client, file);
  j.imported = { indexedRecords: st.indexedRecords, repoRev: st.repoRev, at: new Date().toISOString() };
  checkImported(client, st, j.backup.records, 'the import can be repeated safely: resume the restore');
  return done(`${st.indexedRecords} records indexed by the new host (${st.expectedBlobs} blobs referenced)`);
}

/** One blob of the backup, checked against its CID. */
async function readBackupBlob(store: BlobStore, cid: string): Promise<{ bytes: Uint8Array; mimeType: string }> {
  const c = blobCid(cid);
  const path = store.path(c);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw notFound('BlobNotInBackup', `the backup has no blob ${cid}`);
  if (info.size > BLOB_MAX_BYTES) throw invalid('BlobTooLarge', `blob ${cid} in the backup is ${info.size} bytes`);
  const bytes = new Uint8Array(await readFile(path));
  if (cidForRaw(bytes).toString() !== c.toString()) throw invalid('BlobHashMismatch', `the backup's blob ${cid} does not hash to its CID`);
  return { bytes, mimeType: (await store.mimeType(c)) ?? OCTET_STREAM };
}

export async function blobsStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const store = new BlobStore(join(run.journal.backupDir, BLOB_DIR));
  const source = { name: 'the backup', read: (cid: string) => readBackupBlob(store, cid) };
  const copied = await copyBlobsOfRun(run, await run.newHost.client(), source, 'fix the cause, then resume the restore: only what is still missing is uploaded');
  const progress = run.journal.blobs!;
  return done(`${copied} uploaded this run (${progress.transferred} in all, ${progress.bytes} bytes); the new host misses none`);
}

export async function preferencesStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  if (j.backup.preferences === null) return done('the backup has no preferences (it was taken without a session of the account)');
  const text = await readFile(join(j.backupDir, PREFERENCES_FILE), 'utf8');
  const parsed = JSON.parse(text) as { preferences?: unknown };
  if (!Array.isArray(parsed.preferences)) throw invalid('InvalidBackupPreferences', `${PREFERENCES_FILE} of the backup has no "preferences" list`);
  const client = await run.newHost.client();
  await importPreferences(client, await planPreferencesImport(client, parsed.preferences));
  j.preferences = { count: parsed.preferences.length, at: new Date().toISOString() };
  return done(`${parsed.preferences.length} preference entr${parsed.preferences.length === 1 ? 'y' : 'ies'} imported and read back`);
}

export async function verifyCopyStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const client = await run.newHost.client();
  const st = await checkAccountStatus(client);
  const missing = await missingBlobCids(client);
  checkCopyGate(st, missing, run.journal.backup.records, 'resume the restore to copy what is missing');
  return done(`the new host holds ${st.indexedRecords}/${run.journal.backup.records} records and ${st.importedBlobs}/${st.expectedBlobs} blobs; none missing`);
}

export async function buildHandOverStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  if (j.handOver?.cid !== undefined) return done('already signed');
  const now = await currentIdentity(run.plc, run.did);
  const recommended = await getRecommendedDidCredentials(await run.newHost.client());
  const plan = planMigrationOperation({ current: now.data, prev: now.head, oldHostKeys: j.dropRotationKeys, recommended, recoveryKey: j.rotationKey });
  const newSigningKey = plan.planned.verificationMethods['atproto'];
  j.handOver = { prev: now.head, planned: plan.planned, changes: plan.changes.map((c) => c.message), warnings: plan.warnings, ...(newSigningKey !== undefined ? { newSigningKey } : {}) };
  for (const w of plan.warnings) run.warn(w);
  return done(`${plan.changes.length} changes; your rotation key stays first`);
}

export function submitHandOverStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  return submitOwn(run, 'handOver', 'build-hand-over');
}

export async function verifyIdentityStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const planned = run.journal.handOver?.planned;
  if (planned === undefined) throw runtime('NoPlan', 'the planned identity is not known');
  return done(await waitForIdentity(run.settings, run.plc, run.did, planned, 'the update is in the directory; resolvers may lag for a moment: resume the restore'));
}

export async function activateStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const already = await activateOnHost(await run.newHost.client(), 'resume the restore to try again');
  run.journal.activation = { activatedAt: new Date().toISOString() };
  return done(already ? 'already active' : 'active (checkAccountStatus: activated, validDid)');
}

export async function verifyNewStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  const hostKey = j.handOver?.newSigningKey;
  if (hostKey === undefined) throw runtime('NoSigningKey', "the new host's signing key is not known");
  const source = await listRepoEntries(fileChunks(await backupCar(run)), 'the backup');
  const checked = await checkHostCopy({
    public: run.newPublic,
    client: await run.newHost.client(),
    did: run.did,
    source: source.entries,
    imported: j.backup.repoSigningKey !== null ? { commit: j.backup.commit, signingKey: j.backup.repoSigningKey } : undefined,
    hostKey,
    concurrency: run.settings.blobConcurrency,
    signal: run.settings.signal,
    failureHint: 'resume the restore once the new host has what is missing',
  });
  j.verifyNew = { records: checked.records, blobsChecked: checked.blobsChecked, at: new Date().toISOString() };
  return done(`${checked.records} records (backup ${source.entries.length}, none missing); ${checked.blobsChecked} blobs fetched with matching hashes`);
}

export async function reportStep(run: RestoreRun): Promise<StepOutcome<RestoreStep>> {
  const j = run.journal;
  const client = await run.newHost.client();
  const st = await checkAccountStatus(client);
  const missing = await missingBlobCids(client);
  let blobs = 0;
  for await (const _cid of listBlobs(run.newPublic, run.did)) blobs++;
  const prefs = j.backup.preferences !== null ? (await getPreferences(client)).length : null;
  const data = await run.plc.getData(run.did);
  const report: RestoreReport = {
    did: run.did,
    handle: j.newHandle,
    pds: j.newPds,
    active: st.activated,
    records: { backup: j.backup.records, restored: st.indexedRecords, missing: Math.max(0, j.backup.records - st.indexedRecords) },
    blobs: { backup: j.backup.blobs, restored: blobs, missing: missing.length },
    preferences: { backup: j.backup.preferences, restored: prefs },
    identity: {
      pds: data.services['atproto_pds']?.endpoint ?? null,
      signingKey: data.verificationMethods['atproto'] ?? null,
      rotationKeys: data.rotationKeys,
      alsoKnownAs: data.alsoKnownAs,
    },
    at: new Date().toISOString(),
  };
  j.report = report;
  return done(`${report.records.restored}/${report.records.backup} records, ${report.blobs.restored} blobs, account ${report.active ? 'active' : 'NOT active'} on ${new URL(j.newPds).host}`);
}

export const RESTORE_STEP_FNS: Partial<Record<RestoreStep, (run: RestoreRun) => Promise<StepOutcome<RestoreStep>>>> = {
  'build-take-over': buildTakeOverStep,
  'submit-take-over': submitTakeOverStep,
  'create-account': createAccountStep,
  'import-repo': importRepoStep,
  blobs: blobsStep,
  preferences: preferencesStep,
  'verify-copy': verifyCopyStep,
  'build-hand-over': buildHandOverStep,
  'submit-hand-over': submitHandOverStep,
  'verify-identity': verifyIdentityStep,
  activate: activateStep,
  'verify-new': verifyNewStep,
  report: reportStep,
};
