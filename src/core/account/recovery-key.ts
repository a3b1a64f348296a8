/**
 * `account recovery-key add`: puts a rotation key the user holds at the top of a PDS-managed
 * did:plc's rotation keys (the highest priority), so that the user can undo, within 72 hours, any
 * operation the host or anyone holding a lower key makes (docs/backup.md "Recovery keys").
 *
 * The host signs — it holds the rotation key that may change the identity — after the user
 * confirms with the code it e-mails (requestPlcOperationSignature, then signPlcOperation). The
 * signed operation is checked locally before anything is sent: signed by a rotation key of the
 * current head, exactly the planned change (the new key first, every other key, service,
 * verification method and handle kept). It is submitted through the host, and the directory's
 * latest operation must then be it.
 */
import { AtcliError, invalid, runtime, usage } from '../errors.js';
import { parseDidKey } from '../crypto/index.js';
import type { PlcDirectoryClient } from '../plc/directory.js';
import { buildErrors, checkOperationForBuild, diffOperationData, formatBuildIssue, operationCid, verifyAuditLog, type OperationData } from '../plc/index.js';
import type { XrpcClient } from '../xrpc/index.js';
import { requestPlcOperationSignature, signPlcOperation, submitPlcOperation } from './admin.js';
import { checkSignedMigrationOp } from './plc-op.js';

export interface RecoveryKeyPlan {
  did: string;
  key: string;
  prev: string;
  before: OperationData;
  planned: OperationData;
  changes: string[];
  warnings: string[];
}

export interface AddRecoveryKeyOptions {
  /** A session of the account on its PDS (made with the account password). */
  client: XrpcClient;
  plc: PlcDirectoryClient;
  /** The rotation key to add (did:key). */
  key: string;
  /** The e-mailed code, when already at hand (no new one is requested). */
  token?: string;
  dryRun?: boolean;
  /** The e-mailed code once requested; undefined when it cannot be had now (the run stops). */
  askToken(info: { did: string; requestedAt: string }): Promise<string | undefined>;
  /** Shown before the host is asked to sign; false cancels. */
  confirm(plan: RecoveryKeyPlan): Promise<boolean>;
}

export interface RecoveryKeyResult {
  status: 'added' | 'already-first' | 'dry-run' | 'waiting-for-token';
  did: string;
  key: string;
  rotationKeys: { before: string[]; after: string[] };
  changes: string[];
  warnings: string[];
  /** The submitted operation (public once submitted). */
  operation?: { cid: string; prev: string; signedBy: { keyIndex: number; key: string } };
  tokenRequestedAt?: string;
}

async function currentState(plc: PlcDirectoryClient, did: string): Promise<{ entries: unknown[]; head: string; data: OperationData }> {
  const entries = await plc.getAuditLog(did);
  const log = verifyAuditLog(did, entries);
  if (!log.valid || log.head === undefined) {
    throw invalid('AuditLogInvalid', `the audit log of ${did} does not verify, so nothing is changed on top of it: ${log.problems.slice(0, 3).join('; ')}`, { details: { problems: log.problems.slice(0, 20) } });
  }
  const d = log.head.data;
  if (d === null) throw invalid('PlcDeactivated', `${did} is deactivated (its latest operation is a tombstone)`);
  return { entries, head: log.head.cid, data: { rotationKeys: d.rotationKeys, verificationMethods: d.verificationMethods, alsoKnownAs: d.alsoKnownAs, services: d.services } };
}

/** The plan: the key first, everything else as it is. Throws when the result would be invalid. */
export function planRecoveryKey(did: string, prev: string, before: OperationData, key: string): RecoveryKeyPlan {
  try {
    parseDidKey(key);
  } catch (err) {
    throw usage('InvalidRecoveryKey', `${key.slice(0, 100)} is not a p256/k256 did:key: ${err instanceof Error ? err.message : String(err)}`);
  }
  const planned: OperationData = { ...before, rotationKeys: [key, ...before.rotationKeys.filter((k) => k !== key)] };
  const issues = checkOperationForBuild({ type: 'plc_operation', ...planned, prev });
  const errors = buildErrors(issues);
  if (errors.length > 0) {
    throw invalid('InvalidPlcUpdate', `adding the key would make an invalid identity: ${errors.map((i) => formatBuildIssue(i).replace(/^error: /, '')).join('; ')}`, {
      hint: before.rotationKeys.length >= 5 ? 'the identity already has the most rotation keys the directory allows: one must go first' : undefined,
    });
  }
  const warnings = issues.filter((i) => i.level === 'warning').map((i) => formatBuildIssue(i));
  if (before.rotationKeys.includes(key)) warnings.push(`${key} is already a rotation key (#${before.rotationKeys.indexOf(key)}); it moves to the top`);
  return { did, key, prev, before, planned, changes: diffOperationData(before, planned).map((c) => c.message), warnings };
}

export async function addRecoveryKey(opts: AddRecoveryKeyOptions): Promise<RecoveryKeyResult> {
  const session = opts.client.auth ? await opts.client.auth.session() : undefined;
  if (session === undefined) throw usage('LoginRequired', 'adding a recovery key needs a session of the account');
  const did = session.did;
  if (!did.startsWith('did:plc:')) throw usage('NotDidPlc', `${did} is not a did:plc: only did:plc identities have rotation keys`);
  const state = await currentState(opts.plc, did);
  const base = { did, key: opts.key };
  if (state.data.rotationKeys[0] === opts.key) {
    return { status: 'already-first', ...base, rotationKeys: { before: state.data.rotationKeys, after: state.data.rotationKeys }, changes: [], warnings: [] };
  }
  const plan = planRecoveryKey(did, state.head, state.data, opts.key);
  const summary = { ...base, rotationKeys: { before: state.data.rotationKeys, after: plan.planned.rotationKeys }, changes: plan.changes, warnings: plan.warnings };
  if (opts.dryRun) return { status: 'dry-run', ...summary };

  let token = opts.token?.trim();
  let requestedAt: string | undefined;
  if (token === undefined || token === '') {
    await requestPlcOperationSignature(opts.client);
    requestedAt = new Date().toISOString();
    token = (await opts.askToken({ did, requestedAt }))?.trim();
    if (token === undefined || token === '') return { status: 'waiting-for-token', ...summary, tokenRequestedAt: requestedAt };
  }
  if (!(await opts.confirm(plan))) throw usage('Cancelled', 'cancelled at the confirmation: nothing was signed and the identity is unchanged');

  const signed = await signPlcOperation(opts.client, { token, rotationKeys: plan.planned.rotationKeys });
  // Checked against a fresh log: the host signs on top of whatever its head is now.
  const fresh = await currentState(opts.plc, did);
  const check = checkSignedMigrationOp(did, fresh.entries, signed, {
    planned: plan.planned,
    keptRotationKeys: state.data.rotationKeys,
    keptServices: Object.keys(state.data.services),
    recoveryKey: opts.key,
  });
  if (check.problems.length > 0) {
    throw invalid('PlcOperationRefused', `the operation the host signed fails the local checks and was NOT submitted: ${check.problems.join('; ')}`, {
      hint: check.stale ? 'the identity changed while this ran; start again' : 'the identity is unchanged; the host signed something other than what was asked',
      details: { problems: check.problems },
    });
  }
  try {
    await submitPlcOperation(opts.client, check.operation);
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    const last = await opts.plc.getLastOperation(did).catch(() => undefined);
    if (last === undefined || operationCid(last) !== check.cid) throw err;
  }
  const last = await opts.plc.getLastOperation(did);
  const lastCid = operationCid(last);
  if (lastCid !== check.cid) {
    throw runtime('SubmitNotConfirmed', `the host accepted the operation, but the directory's latest operation for ${did} is ${lastCid}, not ${check.cid}`);
  }
  const data = await opts.plc.getData(did);
  if (data.rotationKeys[0] !== opts.key) throw runtime('SubmitNotConfirmed', `the directory's rotation keys for ${did} do not start with ${opts.key}`);
  return {
    status: 'added',
    ...summary,
    rotationKeys: { before: state.data.rotationKeys, after: data.rotationKeys },
    operation: { cid: check.cid, prev: check.operation.prev ?? '', signedBy: check.signedBy! },
    ...(requestedAt !== undefined ? { tokenRequestedAt: requestedAt } : {}),
  };
}
