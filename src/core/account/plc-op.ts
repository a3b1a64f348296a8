/**
 * The identity step of a migration (docs/account-migration.md): build the PLC update from the new
 * host's recommended credentials while keeping everything of the user's that is not the old
 * host's own, and check an operation the old host signed before anyone submits it.
 */
import { invalid } from '../errors.js';
import { parseDidKey } from '../crypto/index.js';
import {
  buildErrors,
  checkNextOperation,
  checkOperationForBuild,
  diffOperationData,
  formatBuildIssue,
  operationCid,
  operationData,
  parseOperation,
  verifyAuditLog,
  verifyOperationSignature,
  type AuditLogVerification,
  type OperationData,
  type PlcChange,
  type PlcOperation,
  type PlcService,
} from '../plc/index.js';
import type { DidCredentials } from './admin.js';
import { capList, joinCapped } from '../util/capped-list.js';

export interface MigrationOpInput {
  /** The DID's current state (the head of its verified audit log). */
  current: OperationData;
  /** CID of the current head (the operation the update extends). */
  prev: string;
  /** The old host's own rotation keys (its recommended credentials): these are replaced. */
  oldHostKeys: readonly string[];
  /** The new host's recommended credentials. */
  recommended: DidCredentials;
  /** A user-held rotation key (did:key) to put first, at the highest priority. */
  recoveryKey?: string;
}

export interface MigrationOpPlan {
  /** The fields the old host is asked to sign. */
  planned: OperationData;
  /** Rotation keys of the user's that stay (not the old host's). */
  keptRotationKeys: string[];
  removedRotationKeys: string[];
  addedRotationKeys: string[];
  /** Services other than the PDS entry that stay. */
  keptServices: string[];
  keptVerificationMethods: string[];
  keptAlsoKnownAs: string[];
  changes: PlcChange[];
  warnings: string[];
}

function bad(message: string, hint?: string): never {
  throw invalid('InvalidMigrationIdentity', message, hint === undefined ? undefined : { hint });
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** The PLC update a migration submits. Throws invalid when the recommendation is unusable. */
export function planMigrationOperation(input: MigrationOpInput): MigrationOpPlan {
  const { current, recommended } = input;
  const newKeys = dedupe(recommended.rotationKeys);
  if (newKeys.length === 0) bad('the new host recommends no rotation key; it could not manage the identity');
  const signingKey = recommended.verificationMethods['atproto'];
  if (signingKey === undefined) bad('the new host recommends no atproto signing key');
  const pds = recommended.services['atproto_pds'];
  if (pds === undefined) bad('the new host recommends no atproto_pds service');
  const primary = recommended.alsoKnownAs[0];
  if (primary === undefined || !primary.startsWith('at://')) bad('the new host recommends no at:// handle');
  for (const k of [...newKeys, signingKey, ...(input.recoveryKey !== undefined ? [input.recoveryKey] : [])]) {
    try {
      parseDidKey(k);
    } catch (err) {
      bad(`${k.slice(0, 80)} is not a usable p256/k256 did:key: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Rotation keys: the block of the old host's keys is replaced, in place, by the new host's;
  // the user's own keys keep their positions around it.
  const oldSet = new Set(input.oldHostKeys);
  const rotation: string[] = [];
  let inserted = false;
  for (const k of current.rotationKeys) {
    if (oldSet.has(k)) {
      if (!inserted) rotation.push(...newKeys);
      inserted = true;
      continue;
    }
    rotation.push(k);
  }
  if (!inserted) rotation.push(...newKeys);
  let rotationKeys = dedupe(rotation);
  if (input.recoveryKey !== undefined) rotationKeys = [input.recoveryKey, ...rotationKeys.filter((k) => k !== input.recoveryKey)];

  const verificationMethods: Record<string, string> = { ...current.verificationMethods };
  for (const [k, v] of Object.entries(recommended.verificationMethods)) verificationMethods[k] = v;

  const services: Record<string, PlcService> = {};
  for (const [k, v] of Object.entries(current.services)) services[k] = { type: v.type, endpoint: v.endpoint };
  for (const [k, v] of Object.entries(recommended.services)) services[k] = { type: v.type, endpoint: v.endpoint };

  const oldPrimary = current.alsoKnownAs.find((a) => a.startsWith('at://'));
  const alsoKnownAs = dedupe([primary, ...recommended.alsoKnownAs.slice(1), ...current.alsoKnownAs.filter((a) => a !== oldPrimary)]);

  const planned: OperationData = { rotationKeys, verificationMethods, alsoKnownAs, services };
  const userKeys = current.rotationKeys.filter((k) => !oldSet.has(k) && !newKeys.includes(k));
  const warnings: string[] = [];
  const userHeld = rotationKeys.filter((k) => !newKeys.includes(k));
  if (userHeld.length === 0) {
    warnings.push(
      'after the migration only the new host holds a rotation key for this identity: if it disappears you cannot recover it; ' +
        'consider adding a rotation key you hold, at the highest priority',
    );
  } else if (rotationKeys.indexOf(userHeld[0]!) > rotationKeys.indexOf(newKeys[0]!)) {
    warnings.push('your own rotation keys rank below the new host\'s; a key of yours at the highest priority is the defence against a host that turns hostile');
  }
  const issues = checkOperationForBuild({ type: 'plc_operation', ...planned, prev: input.prev });
  const errors = buildErrors(issues);
  if (errors.length > 0) {
    bad(`the identity update would be invalid: ${joinCapped(capList(errors.map((i) => formatBuildIssue(i).replace(/^error: /, ''))))}`,
      rotationKeys.length > 5 ? 'the directory allows at most 5 rotation keys; remove one of your own from the identity first' : undefined);
  }
  for (const w of issues.filter((i) => i.level === 'warning')) warnings.push(formatBuildIssue(w));
  return {
    planned,
    keptRotationKeys: userKeys.filter((k) => rotationKeys.includes(k)),
    removedRotationKeys: current.rotationKeys.filter((k) => !rotationKeys.includes(k)),
    addedRotationKeys: rotationKeys.filter((k) => !current.rotationKeys.includes(k)),
    keptServices: Object.keys(current.services).filter((k) => !(k in recommended.services)),
    keptVerificationMethods: Object.keys(current.verificationMethods).filter((k) => !(k in recommended.verificationMethods)),
    keptAlsoKnownAs: current.alsoKnownAs.filter((a) => a !== oldPrimary && alsoKnownAs.includes(a)),
    changes: diffOperationData(current, planned),
    warnings,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameMap<T>(a: Record<string, T>, b: Record<string, T>, eq: (x: T, y: T) => boolean): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return sameList(ka, kb) && ka.every((k) => eq(a[k]!, b[k]!));
}

/** Whether two identity states are the same (rotation keys and alsoKnownAs in order; maps by name). */
export function sameOperationData(a: OperationData, b: OperationData): boolean {
  return (
    sameList(a.rotationKeys, b.rotationKeys) &&
    sameList(a.alsoKnownAs, b.alsoKnownAs) &&
    sameMap(a.verificationMethods, b.verificationMethods, (x, y) => x === y) &&
    sameMap(a.services, b.services, (x, y) => x.type === y.type && x.endpoint === y.endpoint)
  );
}

export interface SignedUpdateCheck {
  did: string;
  /** CID of the signed operation. */
  cid: string;
  operation: PlcOperation;
  /** The directory's head already is this operation (it was submitted earlier). */
  alreadyApplied: boolean;
  /** The operation's prev is the current head. */
  prevIsHead: boolean;
  headCid?: string;
  signedBy?: { keyIndex: number; key: string };
  before: OperationData | null;
  after: OperationData | null;
  changes: PlcChange[];
  /** Why it must not be submitted (empty: fine). */
  problems: string[];
  warnings: string[];
  /** When the only problem is a stale prev: sign again on the new head. */
  stale: boolean;
}

/**
 * Everything checked locally before a signed update is submitted: strict shape; prev is the
 * head of a freshly fetched, verified audit log; the signature verifies with a rotation key of
 * that head; the resulting document is well formed (limits, atproto needs); and the directory's
 * rules accept it as the next operation. `entries` is the audit log as fetched.
 */
export function checkSignedUpdate(did: string, entries: readonly unknown[], op: unknown, now: Date = new Date()): SignedUpdateCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  let parsed: PlcOperation;
  try {
    const p = parseOperation(op);
    if (p.type !== 'plc_operation') throw invalid('NotAnUpdate', `a ${p.type} operation is not an identity update`);
    parsed = p;
  } catch (err) {
    throw invalid('InvalidPlcOperation', `the signed operation is not a valid plc_operation: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cid = operationCid(parsed);
  const log: AuditLogVerification = verifyAuditLog(did, entries);
  if (!log.valid) problems.push(`the audit log of ${did} does not verify: ${log.problems.slice(0, 3).join('; ')}`);
  const head = log.head;
  const after = operationData(parsed);
  const out: SignedUpdateCheck = {
    did,
    cid,
    operation: parsed,
    alreadyApplied: head?.cid === cid,
    prevIsHead: head !== undefined && parsed.prev === head.cid,
    ...(head !== undefined ? { headCid: head.cid } : {}),
    before: head?.data ?? null,
    after,
    changes: [],
    problems,
    warnings,
    stale: false,
  };
  if (head === undefined) {
    problems.push(`${did} has no current operation`);
    return out;
  }
  if (out.alreadyApplied) {
    // Already the head: describe it against the state before it.
    const prevEntry = log.operations.find((o) => o.cid === parsed.prev);
    out.before = null;
    if (prevEntry !== undefined) {
      const entry = entries[prevEntry.index] as { operation?: unknown } | undefined;
      try {
        out.before = entry?.operation !== undefined ? operationData(parseOperation(entry.operation)) : null;
      } catch {
        out.before = null;
      }
    }
    out.changes = diffOperationData(out.before, after);
    return out;
  }
  out.changes = diffOperationData(head.data, after);
  if (head.tombstoned) {
    problems.push(`${did} is deactivated (tombstoned)`);
    return out;
  }
  if (!out.prevIsHead) {
    problems.push(`its prev ${parsed.prev ?? 'null'} is not the current head ${head.cid} (another operation landed first): it must be signed again`);
    out.stale = true;
    return out;
  }
  const sig = verifyOperationSignature(parsed, head.data?.rotationKeys ?? []);
  if (!sig.ok) problems.push(`the signature does not verify with a rotation key of the current head: ${sig.reason ?? 'unknown reason'}`);
  else out.signedBy = { keyIndex: sig.keyIndex!, key: sig.key! };
  const issues = checkOperationForBuild(parsed);
  for (const i of issues) (i.level === 'error' ? problems : warnings).push(formatBuildIssue(i).replace(/^(error|warning): /, ''));
  if (problems.length === 0) {
    const next = checkNextOperation(did, entries, parsed, now);
    if (!next.report.valid) problems.push(...next.report.problems);
  }
  return out;
}

/**
 * The migration's own gate on top of {@link checkSignedUpdate}: the old host signed exactly the
 * planned fields (so nothing was dropped or added behind our back), and the plan's promises hold:
 * the user's kept keys, services, verification methods and handles are all there.
 */
export function checkSignedMigrationOp(
  did: string,
  entries: readonly unknown[],
  op: unknown,
  plan: { planned: OperationData; keptRotationKeys: readonly string[]; keptServices: readonly string[]; recoveryKey?: string },
  now: Date = new Date(),
): SignedUpdateCheck {
  const check = checkSignedUpdate(did, entries, op, now);
  const after = check.after;
  if (after === null) {
    check.problems.push('the signed operation is a tombstone');
    return check;
  }
  if (!sameOperationData(after, plan.planned)) {
    const diff = diffOperationData(plan.planned, after).map((c) => c.message);
    check.problems.push(`the old host signed something other than what was planned: ${diff.join('; ') || 'the order of entries differs'}`);
  }
  for (const k of plan.keptRotationKeys) if (!after.rotationKeys.includes(k)) check.problems.push(`your rotation key ${k} would be dropped`);
  for (const s of plan.keptServices) if (!(s in after.services)) check.problems.push(`your service "${s}" would be dropped`);
  if (plan.recoveryKey !== undefined && after.rotationKeys[0] !== plan.recoveryKey) check.problems.push(`the recovery key ${plan.recoveryKey} is not at the highest priority`);
  return check;
}
