/**
 * `restore`: recreates an account on a new PDS from a backup when its old PDS is gone or refuses
 * to help, using a rotation key the user holds (docs/backup.md "Restore"). The plan and its
 * journal are in journal.ts, the steps in steps.ts; the step machinery (resume after a kill, a
 * failure recorded with what to do) is the one `account migrate` uses.
 *
 * Nothing irreversible happens before the backup verified offline, the DID's audit log replayed,
 * and the user's rotation key was found among the DID's rotation keys; each of the two identity
 * updates is shown and confirmed before it is signed.
 */
import { AtcliError, invalid, usage } from '../../errors.js';
import { generatePrivateKey, readPrivateKeyFile, writePrivateKeyFile, type KeyType, type PrivateKey } from '../../crypto/index.js';
import type { IdentityConfig } from '../../identity/index.js';
import type { HttpConfig } from '../../net/http.js';
import { PlcDirectoryClient } from '../../plc/directory.js';
import { checkHandle } from '../../syntax/index.js';
import { fileExists } from '../../util/atomic-file.js';
import { XrpcClient } from '../../xrpc/index.js';
import { verifyBackup, type BackupVerifyResult } from '../../backup/verify.js';
import { readManifest } from '../../backup/manifest.js';
import { describeServer, findRepoStatus, handleInDomains } from '../admin.js';
import { Checklist, type PreflightCheck } from '../steps/checklist.js';
import { failStep, markStep, runSteps, type PlanEntry } from '../steps/runner.js';
import {
  IRREVERSIBLE_STEPS,
  RESTORE_STEPS,
  RESTORE_STEP_TITLES,
  loadRestoreJournal,
  lockRestoreJournal,
  newRestoreJournal,
  restorePlanEntries,
  saveRestoreJournal,
  type RestoreJournal,
  type RestoreReport,
  type RestoreStep,
} from './journal.js';
import { RESTORE_STEP_FNS, RestoreRun, currentIdentity, planTakeOver, type RestoreCallbacks, type RestoreSettings } from './steps.js';

export type { RestoreCallbacks, RestoreConfirmation, RestoreEvent } from './steps.js';

export interface RestoreOptions {
  http: HttpConfig;
  identity: IdentityConfig;
  /** Development mode (http:// loopback PDS endpoints). */
  dev: boolean;
  backupDir: string;
  /** The state file. */
  journalPath: string;
  /** The new host's URL (required unless resuming). */
  to?: string;
  /** Default: the backup's handle. */
  newHandle?: string;
  /** Required to create the account. */
  newEmail?: string;
  inviteCode?: string;
  /** A rotation key of the DID that the user holds (memory only). */
  rotationKey: PrivateKey;
  /**
   * The signing key the user holds: given, or kept in a file (created 0600 with a new key when
   * missing). On resume it may be left out when the first run generated it into a file.
   */
  signingKey?: { key: PrivateKey } | { file: string; type?: KeyType };
  /** Rotation keys to drop in the hand-over (e.g. the old host's). */
  dropRotationKeys?: string[];
  dryRun: boolean;
  resume: boolean;
  blobConcurrency?: number;
  signal?: AbortSignal;
  callbacks: RestoreCallbacks;
}

export type RestorePreflightCheck = PreflightCheck;

export interface RestorePreflight {
  ok: boolean;
  checks: RestorePreflightCheck[];
  backup: { did: string; handle: string; rev: string; records: number; blobs: number; preferences: number | null; takenAt: string; verdict: BackupVerifyResult['status'] };
  identity?: { head: string; pds: string | null; signingKey: string | null; rotationKeys: string[]; yourKeyIndex: number };
  newHost: { url: string; did?: string; inviteCodeRequired?: boolean; availableUserDomains?: string[]; accountExists: boolean | null };
  newHandle: string;
  newEmail?: string;
  /** The first identity update (exact, against the state the directory serves now). */
  takeOver?: { changes: string[]; warnings: string[]; operation: unknown };
  /** The second (exact only once the account exists on the new host). */
  handOver: string[];
  irreversible: Array<{ step: RestoreStep; title: string }>;
  warnings: string[];
}

export interface RestoreResult {
  status: 'dry-run' | 'completed';
  did: string;
  newPds: string;
  newHandle: string;
  stateFile: string;
  backupDir: string;
  plan: PlanEntry<RestoreStep>[];
  signingKey: { publicKey: string; file?: string; generated: boolean };
  ok?: boolean;
  preflight?: RestorePreflight;
  takeOver?: { changes: string[]; cid?: string };
  handOver?: { changes: string[]; cid?: string };
  report?: RestoreReport;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function done(journal: RestoreJournal | null, step: RestoreStep): boolean {
  return journal?.steps[step].status === 'done';
}

interface PreflightInput {
  settings: RestoreSettings;
  backupDir: string;
  to: string;
  newHandle?: string | undefined;
  newEmail?: string | undefined;
  inviteCode?: string | undefined;
  rotationKey: string;
  signingKey: string;
  journal: RestoreJournal | null;
}

async function preflight(input: PreflightInput): Promise<{ report: RestorePreflight; error?: AtcliError; newPdsDid?: string; backup: RestoreJournal['backup']; did: string }> {
  const list = new Checklist();
  const { checks, warnings, pass, warn, fail } = list;
  const { journal } = input;

  // --- the backup, offline
  const verdict = await verifyBackup(input.backupDir);
  const manifest = (await readManifest(input.backupDir))!;
  const did = manifest.did;
  if (verdict.status === 'valid') {
    pass('backup', `${verdict.repo.records} records, ${verdict.blobs.checked} blobs, rev ${verdict.rev}; ${verdict.repo.signature?.detail ?? 'signature not judged'}`);
    for (const w of verdict.warnings) warnings.push(`backup: ${w}`);
  } else {
    fail('backup', invalid('BackupInvalid', `the backup in ${input.backupDir} does not verify (${verdict.status}): ${verdict.errors.slice(0, 3).join('; ') || (verdict.repo.signature?.detail ?? 'signature not judged')}`, { details: { missing: verdict.missing.slice(0, 20), damaged: verdict.damaged.slice(0, 20) } }));
  }
  if (journal !== null && journal.backup.repoSha256 !== manifest.repo.sha256) {
    fail('backup', invalid('BackupChanged', `the backup in ${input.backupDir} is not the one this restore started from (its repository changed)`));
  }
  const backup: RestoreJournal['backup'] = {
    rev: manifest.repo.rev,
    commit: manifest.repo.commit,
    records: manifest.repo.records,
    repoSha256: manifest.repo.sha256,
    repoSigningKey: manifest.repo.signingKey,
    blobs: manifest.blobs.items.length,
    preferences: manifest.preferences?.count ?? null,
  };

  // --- the identity, live
  let identity: RestorePreflight['identity'];
  let takeOver: RestorePreflight['takeOver'];
  if (!did.startsWith('did:plc:')) {
    fail('identity', usage('NotDidPlc', `${did} is not a did:plc: only a did:plc has rotation keys a restore can use (a did:web is moved by editing its document)`));
  } else {
    try {
      const plc = new PlcDirectoryClient({ http: input.settings.http, plcUrl: input.settings.identity.plcUrl });
      const now = await currentIdentity(plc, did);
      const index = now.data.rotationKeys.indexOf(input.rotationKey);
      identity = {
        head: now.head,
        pds: now.data.services['atproto_pds']?.endpoint ?? null,
        signingKey: now.data.verificationMethods['atproto'] ?? null,
        rotationKeys: now.data.rotationKeys,
        yourKeyIndex: index,
      };
      pass('identity', `the audit log of ${did} replays; it points at ${identity.pds ?? 'no PDS'}`);
      if (index < 0) {
        fail('rotation key', invalid('RotationKeyNotAuthorized', `the rotation key given (${input.rotationKey}) is not one of the rotation keys of ${did}`, { details: { rotationKeys: now.data.rotationKeys } }));
      } else {
        pass('rotation key', `your key is rotation key #${index}`);
        if (index > 0 && !done(journal, 'submit-take-over')) {
          warn('rotation key', `rotation key${index === 1 ? '' : 's'} ${now.data.rotationKeys.slice(0, index).map((k, i) => `#${i} ${k}`).join(', ')} rank${index === 1 ? 's' : ''} above yours: whoever holds ${index === 1 ? 'it' : 'one'} can undo the restore's identity updates for 72 hours`);
        }
      }
      if (manifest.auditLog !== null && manifest.auditLog.head !== now.head && !done(journal, 'build-take-over')) {
        warn('identity since the backup', `the identity changed since the backup was taken (the backup's audit log ends at ${manifest.auditLog.head}, the directory's at ${now.head})`);
      }
      if (!done(journal, 'submit-take-over') && index >= 0) {
        const plan = planTakeOver(now.data, now.head, { rotationKey: input.rotationKey, signingKey: input.signingKey, newPds: input.to });
        takeOver = { changes: plan.changes, warnings: plan.warnings, operation: { type: 'plc_operation', ...plan.planned, prev: plan.prev } };
      }
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      fail('identity', err instanceof AtcliError ? err : invalid('IdentityUnchecked', message(err)));
    }
  }

  // --- the new host
  const newHandle = input.newHandle ?? journal?.newHandle ?? manifest.handle;
  const newEmail = input.newEmail ?? (journal?.newEmail !== '' ? journal?.newEmail : undefined);
  const newHost: RestorePreflight['newHost'] = { url: input.to, accountExists: null };
  let newPdsDid: string | undefined;
  try {
    const client = new XrpcClient({ service: input.to, http: input.settings.http });
    const server = await describeServer(client);
    newPdsDid = server.did;
    Object.assign(newHost, { did: server.did, inviteCodeRequired: server.inviteCodeRequired, availableUserDomains: server.availableUserDomains });
    const existing = await findRepoStatus(client, did);
    newHost.accountExists = existing !== null;
    pass('new host', `${new URL(input.to).host} (${server.did})${existing !== null ? `; it already has an account for ${did} (${existing.active ? 'active' : 'deactivated'}), which is reused` : ''}`);
    if (existing === null) {
      if (server.inviteCodeRequired && input.inviteCode === undefined) fail('invite', usage('InviteCodeRequired', `${new URL(input.to).host} requires an invite code`));
      if (newEmail === undefined || newEmail === '') fail('e-mail', usage('EmailRequired', 'creating the account on the new host needs an e-mail address'));
    }
    const handleProblem = checkHandle(newHandle);
    if (handleProblem !== null) fail('handle', usage('InvalidHandle', `invalid handle ${newHandle}: ${handleProblem}`));
    else if (handleInDomains(newHandle, server.availableUserDomains)) pass('handle', `${newHandle} is under the new host's domains`);
    else warn('handle', `${newHandle} is not under the new host's domains (${server.availableUserDomains.join(', ')}): it must be set up (DNS TXT _atproto or https well-known) to name ${did}`);
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    fail('new host', usage('NewHostUnreachable', `${input.to} did not answer as a PDS: ${message(err)}`));
  }

  const report: RestorePreflight = {
    ok: list.firstError === undefined,
    checks,
    backup: { did, handle: manifest.handle, rev: manifest.repo.rev, records: manifest.repo.records, blobs: manifest.blobs.items.length, preferences: manifest.preferences?.count ?? null, takenAt: manifest.repo.takenAt, verdict: verdict.status },
    ...(identity !== undefined ? { identity } : {}),
    newHost,
    newHandle,
    ...(newEmail !== undefined ? { newEmail } : {}),
    ...(takeOver !== undefined ? { takeOver } : {}),
    handOver: [
      `rotation keys: yours stays #0; the new host's recommended keys are added${input.journal?.dropRotationKeys.length ? `; dropped: ${input.journal.dropRotationKeys.join(', ')}` : ''}`,
      "signing key: the new host's recommended key (yours is no longer used after it)",
      `handle: at://${newHandle}`,
      `PDS: the new host's public URL (${input.to})`,
    ],
    irreversible: IRREVERSIBLE_STEPS.map((step) => ({ step, title: RESTORE_STEP_TITLES[step] })),
    warnings,
  };
  return { report, ...(list.firstError !== undefined ? { error: list.firstError } : {}), ...(newPdsDid !== undefined ? { newPdsDid } : {}), backup, did };
}

/** What the user should do after a run stopped (for error hints). */
export function restoreWhatToDo(journal: RestoreJournal): string {
  const host = new URL(journal.newPds).host;
  if (!done(journal, 'submit-take-over')) {
    return 'nothing about the identity changed yet; resume the restore with the same keys, or give it up by deleting the state file';
  }
  if (!done(journal, 'submit-hand-over')) {
    return `the DID now points at ${host} with your signing key (${journal.signingKey.publicKey})${journal.signingKey.file !== undefined ? `, kept in ${journal.signingKey.file}` : ''}, but the account there is not finished: resume the restore with the same keys`;
  }
  if (!done(journal, 'activate')) return `the identity is handed to ${host}; resume the restore to activate the account`;
  return 'the account is restored; resuming writes the final report';
}

function result(journal: RestoreJournal, path: string, status: RestoreResult['status'], extra: Partial<RestoreResult> = {}): RestoreResult {
  return {
    status,
    did: journal.did,
    newPds: journal.newPds,
    newHandle: journal.newHandle,
    stateFile: path,
    backupDir: journal.backupDir,
    plan: restorePlanEntries(journal),
    signingKey: { publicKey: journal.signingKey.publicKey, ...(journal.signingKey.file !== undefined ? { file: journal.signingKey.file } : {}), generated: journal.signingKey.file !== undefined },
    ...(journal.takeOver !== undefined ? { takeOver: { changes: journal.takeOver.changes, ...(journal.takeOver.cid !== undefined ? { cid: journal.takeOver.cid } : {}) } } : {}),
    ...(journal.handOver !== undefined ? { handOver: { changes: journal.handOver.changes, ...(journal.handOver.cid !== undefined ? { cid: journal.handOver.cid } : {}) } } : {}),
    ...(journal.report !== undefined ? { report: journal.report } : {}),
    ...extra,
  };
}

/** The signing key: given, read from its file, or (not in a dry run) generated into it. */
async function signingKeyFor(opts: RestoreOptions, journal: RestoreJournal | null): Promise<{ key: PrivateKey; file?: string; create: boolean }> {
  const given = opts.signingKey;
  let out: { key: PrivateKey; file?: string; create: boolean };
  if (given !== undefined && 'key' in given) out = { key: given.key, create: false };
  else {
    const file = given?.file ?? journal?.signingKey.file;
    if (file === undefined) throw usage('SigningKeyRequired', 'a restore needs a signing key the user holds: one given, or a file to generate it into');
    if (await fileExists(file)) out = { key: await readPrivateKeyFile(file, given?.type), file, create: false };
    else if (journal !== null) throw usage('SigningKeyMissing', `the signing key file ${file} of this restore is gone`, { hint: 'the identity may already name that key; without it the account cannot be created on the new host' });
    else out = { key: generatePrivateKey(given?.type ?? 'k256'), file, create: true };
  }
  if (journal !== null && out.key.publicKey.did() !== journal.signingKey.publicKey) {
    throw usage('SigningKeyMismatch', `this restore uses the signing key ${journal.signingKey.publicKey}, not ${out.key.publicKey.did()}`);
  }
  return out;
}

export async function restoreAccount(opts: RestoreOptions): Promise<RestoreResult> {
  const path = opts.journalPath;
  const existing = await loadRestoreJournal(path);
  if (!opts.resume && existing !== null && !opts.dryRun) {
    if (existing.status === 'completed') throw usage('AlreadyRestored', `${existing.did} was already restored to ${existing.newPds} (state file ${path})`);
    throw usage('RestoreInProgress', `a restore of ${existing.did} to ${existing.newPds} is under way (state file ${path})`, { hint: 'resume it, or move the state file away to start over' });
  }
  if (opts.resume && existing === null) throw usage('NoRestoreState', `there is no restore to resume (no state file ${path})`);
  if (opts.resume && existing !== null && existing.status === 'completed') return result(existing, path, 'completed');
  const journal0 = opts.resume ? existing : null;
  const rotationDid = opts.rotationKey.publicKey.did();
  if (journal0 !== null && journal0.rotationKey !== rotationDid) {
    throw usage('RotationKeyMismatch', `this restore signs with the rotation key ${journal0.rotationKey}, not ${rotationDid}`);
  }
  const to = opts.to ?? journal0?.newPds;
  if (to === undefined) throw usage('MissingNewHost', 'the new host is required');
  const newPds = new URL(to).origin;
  const signing = await signingKeyFor(opts, journal0);
  const settings: RestoreSettings = {
    http: opts.http,
    identity: opts.identity,
    dev: opts.dev,
    journalPath: path,
    inviteCode: opts.inviteCode,
    blobConcurrency: Math.max(1, Math.min(16, opts.blobConcurrency ?? 4)),
    signal: opts.signal,
  };
  const pfInput: PreflightInput = {
    settings,
    backupDir: opts.backupDir,
    to: newPds,
    newHandle: opts.newHandle,
    newEmail: opts.newEmail,
    inviteCode: opts.inviteCode,
    rotationKey: rotationDid,
    signingKey: signing.key.publicKey.did(),
    journal: journal0,
  };

  if (opts.dryRun) {
    const pf = await preflight(pfInput);
    const r = pf.report;
    const preview = journal0 ?? newRestoreJournal({
      did: pf.did,
      backupDir: opts.backupDir,
      newPds,
      newPdsDid: pf.newPdsDid ?? '',
      newHandle: r.newHandle,
      newEmail: r.newEmail ?? '',
      rotationKey: rotationDid,
      signingKey: { publicKey: signing.key.publicKey.did(), ...(signing.file !== undefined ? { file: signing.file } : {}) },
      dropRotationKeys: opts.dropRotationKeys ?? [],
      backup: pf.backup,
    });
    if (signing.create) r.warnings.push(`the signing key shown is an example: the real one is generated into ${signing.file} when the restore runs`);
    return result(preview, path, 'dry-run', { ok: r.ok, preflight: r });
  }

  const release = await lockRestoreJournal(path);
  let journal: RestoreJournal | null = journal0;
  let current: RestoreStep = 'preflight';
  try {
    const pf = await preflight(pfInput);
    if (pf.error !== undefined) throw pf.error;
    if (journal === null) {
      if (pf.newPdsDid === undefined) throw usage('NewHostUnreachable', `${newPds} did not describe itself`);
      if (signing.create) await writePrivateKeyFile(signing.file!, signing.key);
      journal = newRestoreJournal({
        did: pf.did,
        backupDir: opts.backupDir,
        newPds,
        newPdsDid: pf.newPdsDid,
        newHandle: pf.report.newHandle,
        newEmail: pf.report.newEmail ?? '',
        rotationKey: rotationDid,
        signingKey: { publicKey: signing.key.publicKey.did(), ...(signing.file !== undefined ? { file: signing.file } : {}) },
        dropRotationKeys: opts.dropRotationKeys ?? [],
        backup: pf.backup,
      });
    } else if (!done(journal, 'create-account')) {
      // Until the account exists, a resume may correct what it will be created with.
      journal.newHandle = pf.report.newHandle;
      if (pf.report.newEmail !== undefined) journal.newEmail = pf.report.newEmail;
    }
    journal.runs++;
    journal.status = 'in-progress';
    delete journal.lastError;
    const hooks = opts.callbacks.hooks;
    const firstRun = !done(journal, 'preflight');
    markStep(journal, 'preflight', 'done', { note: `${pf.report.checks.filter((c) => c.ok).length} checks passed` });
    await saveRestoreJournal(path, journal);
    if (firstRun) {
      opts.callbacks.event?.({ kind: 'step-done', step: 'preflight', index: 1, total: RESTORE_STEPS.length, note: 'all checks passed' });
      await hooks?.afterStep?.('preflight');
    }
    for (const w of pf.report.warnings) opts.callbacks.event?.({ kind: 'warning', step: 'preflight', message: w });
    const run = new RestoreRun(journal, settings, opts.callbacks, { rotation: opts.rotationKey, signing: signing.key });
    const j = journal;
    await runSteps({
      steps: RESTORE_STEPS,
      titles: RESTORE_STEP_TITLES,
      journal: j,
      fns: RESTORE_STEP_FNS,
      run,
      save: () => saveRestoreJournal(path, j),
      onStep: (step) => {
        current = step;
        run.current = step;
      },
      event: (e) => opts.callbacks.event?.(e),
      hooks,
      signal: opts.signal,
    });
    j.status = 'completed';
    await saveRestoreJournal(path, j);
    return result(j, path, 'completed');
  } catch (err) {
    if (journal === null) throw err;
    const e = failStep(journal, current, err, 'RestoreFailed');
    await saveRestoreJournal(path, journal).catch(() => undefined);
    const index = RESTORE_STEPS.indexOf(current) + 1;
    const todo = restoreWhatToDo(journal);
    const details = { ...(e.details ?? {}), step: current, stateFile: path, identityTakenOver: done(journal, 'submit-take-over'), identityHandedOver: done(journal, 'submit-hand-over') };
    if (e.kind === 'interrupted') {
      throw new AtcliError('interrupted', 'Interrupted', `interrupted during step ${index}/${RESTORE_STEPS.length} (${current})`, { hint: todo, details });
    }
    throw new AtcliError(e.kind, e.code, `restore stopped at step ${index}/${RESTORE_STEPS.length} (${current}): ${e.message}`, {
      hint: e.hint !== undefined ? `${e.hint.replace(/[.;:\s]+$/, '')}. ${todo[0]!.toUpperCase()}${todo.slice(1)}` : todo,
      details,
      cause: err,
    });
  } finally {
    await release();
  }
}
