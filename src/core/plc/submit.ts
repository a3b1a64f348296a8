/**
 * A DID's state at the directory, and the checks every operation passes before it is sent (all of
 * them locally, before any request that changes something): a verified audit log, a signature by
 * a rotation key authorised for `prev`, `prev` being the head (or a permitted recovery), the full
 * replay with the operation appended, and the lock-out rule. See docs/plc-operations.md.
 */
import { AtcliError, invalid, isAtcliError, runtime, usage } from '../errors.js';
import { authorityForPrev, checkNextOperation, verifyAuditLog, type AuditLogVerification } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import { redactSecrets } from './keys.js';
import {
  didForGenesis,
  isGenesis,
  operationCid,
  operationData,
  operationRotationKeys,
  parseOperation,
  verifyOperationSignature,
} from './operation.js';
import type { Operation, OperationData } from './types.js';
import { diffOperationData, type PlcChange } from './update.js';
import { lockoutProblem } from './validate.js';
import { capList } from '../util/capped-list.js';

/** An exit-3 refusal: the operation was checked and is not sent. Messages never carry private keys. */
export function refusal(code: string, message: string, problems: readonly string[] = [], hint?: string): AtcliError {
  const listed = capList(problems);
  const list = listed.items.map(redactSecrets);
  const count = problems.length;
  const full = count === 1 ? `${message}: ${list[0]}` : count > 1 ? `${message} (${count} problems):` : message;
  return invalid(code, redactSecrets(full), {
    ...(hint !== undefined ? { hint } : {}),
    ...(count > 1 ? { details: { problems: list, problemsOmitted: listed.omitted } } : count === 1 ? { details: { problem: list[0] } } : {}),
  });
}

/** "operation #3 (bafy…)" when the index is known. */
export function operationLabel(index: number | undefined, cid: string): string {
  return index === undefined ? cid : `operation #${index} (${cid})`;
}

export interface FetchedLog {
  entries: unknown[];
  verification: AuditLogVerification;
}

export async function fetchVerifiedLog(client: PlcDirectoryClient, did: string): Promise<FetchedLog> {
  const entries = await client.getAuditLog(did);
  return { entries, verification: verifyAuditLog(did, entries) };
}

/** The operation with CID `cid` in an audit log (strictly parsed), when it is there. */
export function operationInLog(log: FetchedLog, cid: string): { index: number; op: Operation } | undefined {
  const report = log.verification.operations.find((r) => r.cid === cid);
  if (report === undefined) return undefined;
  const entry = log.entries[report.index] as { operation?: unknown } | undefined;
  try {
    return { index: report.index, op: parseOperation(entry?.operation) };
  } catch {
    return undefined;
  }
}

/**
 * Refuses to build on a log that does not verify (invalid 'AuditLogInvalid'); with `allowInvalid`,
 * returns a warning instead.
 */
export function requireValidLog(log: FetchedLog, did: string, allowInvalid = false): string | undefined {
  const v = log.verification;
  if (v.valid) return undefined;
  const count = v.problems.length + v.problemsOmitted;
  if (allowInvalid) return `the audit log of ${did} does not verify (${count} problem${count === 1 ? '' : 's'}); continuing without a verified log`;
  throw refusal('AuditLogInvalid', `the audit log of ${did} does not verify, so nothing is built or sent on top of it`, v.problems);
}

/**
 * "Now" for judging a new operation: the local clock, but never before the head's createdAt (the
 * directory stamps operations with its own clock, so a local clock a little behind it must not
 * make a valid update look out of order). Later than the real time only shrinks a recovery window.
 */
export function judgementTime(log: FetchedLog): string {
  const now = Date.now();
  const head = log.verification.head;
  const headMs = head === undefined ? Number.NaN : Date.parse(head.createdAt);
  return new Date(Number.isFinite(headMs) && headMs >= now ? headMs + 1 : now).toISOString();
}

export interface SubmissionOptions {
  /** The DID an update is for (a genesis operation names its own; a different one is refused). */
  did?: string;
  /** Rotation keys (did:key) the submitter holds besides the one that signed the operation. */
  heldKeys?: readonly string[];
  /** Submit even though the DID's audit log does not verify. */
  allowInvalidLog?: boolean;
  /** Submit even though the submitter would hold none of the new rotation keys. */
  allowLosingKeys?: boolean;
  /** Submit a tombstone (it deactivates the DID). */
  allowTombstone?: boolean;
}

export interface SubmissionCheck {
  did: string;
  cid: string;
  op: Operation;
  signer: { keyIndex: number; key: string };
  prevLabel: string;
  /** What the operation changes in the state the directory serves now (the head); capped. */
  changes: PlcChange[];
  changesOmitted: number;
  /** Operations a recovery would nullify; capped. */
  nullifies: Array<{ index: number | undefined; cid: string; label: string }>;
  nullifiesOmitted: number;
  /** Checks that failed but were let through by an allow option, to be shown to the user. */
  overridden: string[];
}

/** Position in the log of each accepted operation, by CID. */
export function operationIndexes(log: FetchedLog): Map<string, number> {
  return new Map(log.verification.operations.map((o) => [o.cid, o.index]));
}

/**
 * Every check made before an operation is sent, in this order: the DID (a genesis operation's own,
 * else the one given), its audit log verifies, the signature is by a rotation key of the
 * operation `prev` names, `prev` is the head (or a recovery by a key of higher priority inside the
 * window), the full replay with the operation appended, and the submitter keeps a rotation key it
 * holds. Throws a refusal (invalid) naming the reason, or usage 'MissingDid' for an update without
 * a DID. The allow options turn an invalid log, a lock-out or a tombstone into `overridden` notes.
 */
export async function checkSubmission(client: PlcDirectoryClient, op: Operation, opts: SubmissionOptions = {}): Promise<SubmissionCheck> {
  const cid = operationCid(op);
  const overridden: string[] = [];
  const state = isGenesis(op) ? await genesisState(client, op, opts.did) : await updateState(client, op, opts, overridden);
  const { did, before, current, signer } = state;

  // Lock-out: the submitter keeps a rotation key it holds.
  const after = operationData(op);
  if (after === null) {
    const tombstone = `this operation is a TOMBSTONE: it deactivates ${did}`;
    if (opts.allowTombstone !== true) throw refusal('Tombstone', 'refusing to submit', [tombstone]);
    overridden.push(`${tombstone} (submitting it, as allowed)`);
  } else {
    const lockout = lockoutProblem(before, after, [signer.key, ...(opts.heldKeys ?? [])]);
    if (lockout !== null) {
      if (opts.allowLosingKeys !== true) throw refusal('Lockout', 'refusing to submit', [lockout]);
      overridden.push(`${lockout} (submitting it, as allowed)`);
    }
  }
  const changes = capList(diffOperationData(current, after));
  const nullifies = capList(state.nullifies);
  return {
    did,
    cid,
    op,
    signer,
    prevLabel: state.prevLabel,
    changes: changes.items,
    changesOmitted: changes.omitted,
    nullifies: nullifies.items,
    nullifiesOmitted: nullifies.omitted,
    overridden,
  };
}

interface StateBefore {
  did: string;
  /** The state of the operation `prev` names (null for a genesis). */
  before: OperationData | null;
  /** The state the directory serves now. */
  current: OperationData | null;
  signer: { keyIndex: number; key: string };
  prevLabel: string;
  nullifies: SubmissionCheck['nullifies'];
}

async function genesisState(client: PlcDirectoryClient, op: Operation, given: string | undefined): Promise<StateBefore> {
  const did = didForGenesis(op);
  if (given !== undefined && given !== did) throw refusal('DidMismatch', `this genesis operation creates ${did}, not ${given}`);
  const sig = verifyOperationSignature(op, operationRotationKeys(op));
  if (!sig.ok) throw refusal('InvalidSignature', 'refusing to submit: the genesis operation is not signed by one of its own rotation keys', [sig.reason!]);
  let existing: unknown[] | undefined;
  try {
    existing = await client.getAuditLog(did);
  } catch (err) {
    if (!isAtcliError(err) || err.code !== 'DidNotFound') throw err;
  }
  if (existing !== undefined) {
    throw refusal('DidExists', `${did} is already registered (${existing.length} operation${existing.length === 1 ? '' : 's'}); a genesis operation can only be submitted once`);
  }
  return { did, before: null, current: null, signer: { keyIndex: sig.keyIndex!, key: sig.key! }, prevLabel: 'none (genesis)', nullifies: [] };
}

async function updateState(client: PlcDirectoryClient, op: Operation, opts: SubmissionOptions, overridden: string[]): Promise<StateBefore> {
  if (opts.did === undefined) throw usage('MissingDid', 'an update does not name the DID it is for, and none was given');
  const did = opts.did;
  const log = await fetchVerifiedLog(client, did);
  const logWarning = requireValidLog(log, did, opts.allowInvalidLog === true);
  if (logWarning !== undefined) overridden.push(logWarning);
  const head = log.verification.head;
  const prev = op.prev!;
  const now = judgementTime(log);
  const auth = authorityForPrev(did, log.entries, prev, now);
  const base = operationInLog(log, prev);
  const prevLabel = operationLabel(auth.index, prev);
  const before = base === undefined ? null : operationData(base.op);
  const headOp = head === undefined ? undefined : operationInLog(log, head.cid);
  const current = headOp === undefined ? before : operationData(headOp.op);
  if (auth.index === undefined) {
    throw refusal('InvalidPrev', `refusing to submit: prev ${prev} is not an operation of ${did}`, [auth.problem ?? 'unknown prev']);
  }
  // A signature by a rotation key of the operation prev names (strict: 64 bytes, low-S).
  const sig = verifyOperationSignature(op, auth.rotationKeys);
  if (!sig.ok) throw refusal('InvalidSignature', `refusing to submit: the operation is not validly signed by a rotation key of ${prevLabel}`, [sig.reason!]);
  let nullifies: SubmissionCheck['nullifies'] = [];
  // prev is the current head, or a recovery by a key of higher priority inside the window.
  if (!auth.isHead) {
    if (auth.problem !== undefined || !auth.allowedKeys.includes(sig.key!)) {
      const n = auth.wouldNullify.length;
      const why =
        auth.problem ??
        `as a recovery it would nullify ${n} operation${n === 1 ? '' : 's'}, which needs a rotation key of higher priority than the one that signed the first of them; this one is signed by key #${sig.keyIndex}`;
      const headLabel = head ? operationLabel(head.index, head.cid) : 'none';
      throw refusal('StalePrev', `refusing to submit: prev ${prev} is not the current head of ${did} (the head is ${headLabel})`, [why]);
    }
    const indexes = operationIndexes(log);
    nullifies = auth.wouldNullify.map((c) => ({ index: indexes.get(c), cid: c, label: operationLabel(indexes.get(c), c) }));
  } else if (auth.problem !== undefined) {
    throw refusal('InvalidPrev', `refusing to submit: the operation cannot extend ${prevLabel}`, [auth.problem]);
  }
  // The full replay with the operation appended (timestamps, windows, everything else).
  const next = checkNextOperation(did, log.entries, op, now);
  if (!next.report.valid) throw refusal('OperationRefused', 'refusing to submit: the directory would not accept this operation', next.report.problems);
  return { did, before, current, signer: { keyIndex: sig.keyIndex!, key: sig.key! }, prevLabel, nullifies };
}

/** Sends a checked operation and confirms the directory's latest operation is now this one. */
export async function submitChecked(client: PlcDirectoryClient, check: SubmissionCheck): Promise<void> {
  await client.submitOperation(check.did, check.op);
  const last = await client.getLastOperation(check.did);
  const lastCid = operationCid(last);
  if (lastCid !== check.cid) {
    throw runtime('SubmitNotConfirmed', `the directory accepted the operation, but its latest operation for ${check.did} is ${lastCid}, not ${check.cid}`, {
      details: { did: check.did },
    });
  }
}
