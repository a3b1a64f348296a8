/**
 * A DID's state at the directory, and the checks every operation passes before it is sent
 * (invariants P10, P12; the local-first rule of `plc submit`): a verified audit log, a signature
 * by a rotation key authorised for `prev`, `prev` being the head (or a permitted recovery), the
 * full replay with the operation appended, and the lock-out rule.
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
 * Refuses to build on a log that does not verify; with `force`, returns the warning instead.
 */
export function requireValidLog(log: FetchedLog, did: string, force = false): string | undefined {
  if (log.verification.valid) return undefined;
  const problems = log.verification.problems;
  if (force) return `the audit log of ${did} does not verify (${problems.length} problem${problems.length === 1 ? '' : 's'}); continuing because of --force`;
  throw refusal('AuditLogInvalid', `the audit log of ${did} does not verify, so nothing is built or sent on top of it`, problems, `see the details with: atcli plc verify ${did}`);
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

export interface SubmissionCheck {
  did: string;
  cid: string;
  op: Operation;
  signer: { keyIndex: number; key: string };
  prevLabel: string;
  /** The state the directory serves now (the head), to show what the operation changes. */
  changes: PlcChange[];
  /** Operations a recovery would nullify. */
  nullifies: Array<{ index: number | undefined; cid: string; label: string }>;
  /** Things `force` let through, to be shown to the user. */
  forced: string[];
}

/**
 * Every check `plc submit` makes before anything is sent. Throws a refusal (exit 3) naming the
 * reason; `force` lets an unverifiable log, a lock-out or a tombstone through as `forced` notes.
 * `heldKeys` are the rotation keys (did:key) the submitter holds besides the signer.
 */
export async function checkSubmission(
  client: PlcDirectoryClient,
  op: Operation,
  opts: { did?: string; force?: boolean; heldKeys?: string[] },
): Promise<SubmissionCheck> {
  const force = opts.force === true;
  const forced: string[] = [];
  const cid = operationCid(op);
  let did: string;
  let before: OperationData | null = null;
  let current: OperationData | null = null;
  let signer: { keyIndex: number; key: string };
  let nullifies: SubmissionCheck['nullifies'] = [];
  let prevLabel = 'none (genesis)';
  if (isGenesis(op)) {
    did = didForGenesis(op);
    if (opts.did !== undefined && opts.did !== did) throw refusal('DidMismatch', `this genesis operation creates ${did}, not ${opts.did}`);
    const sig = verifyOperationSignature(op, operationRotationKeys(op));
    if (!sig.ok) throw refusal('InvalidSignature', 'refusing to submit: the genesis operation is not signed by one of its own rotation keys', [sig.reason!]);
    signer = { keyIndex: sig.keyIndex!, key: sig.key! };
    let existing: unknown[] | undefined;
    try {
      existing = await client.getAuditLog(did);
    } catch (err) {
      if (!isAtcliError(err) || err.code !== 'DidNotFound') throw err;
    }
    if (existing !== undefined) {
      throw refusal('DidExists', `${did} is already registered (${existing.length} operation${existing.length === 1 ? '' : 's'}); a genesis operation can only be submitted once`, [], `see it with: atcli plc history ${did}`);
    }
  } else {
    if (opts.did === undefined) {
      throw usage('MissingDid', 'an update does not name its DID: give it with --did <did>', { hint: 'the DID was printed by "atcli plc update"' });
    }
    did = opts.did;
    const log = await fetchVerifiedLog(client, did);
    const logWarning = requireValidLog(log, did, force);
    if (logWarning !== undefined) forced.push(logWarning);
    const head = log.verification.head;
    const prev = op.prev!;
    const auth = authorityForPrev(did, log.entries, prev, judgementTime(log));
    const base = operationInLog(log, prev);
    prevLabel = operationLabel(auth.index, prev);
    before = base === undefined ? null : operationData(base.op);
    const headOp = head === undefined ? undefined : operationInLog(log, head.cid);
    current = headOp === undefined ? before : operationData(headOp.op);
    const headLabel = head ? operationLabel(head.index, head.cid) : 'none';
    // A signature by a rotation key of the operation prev names (strict: 64 bytes, low-S).
    if (auth.index === undefined) {
      throw refusal('InvalidPrev', `refusing to submit: prev ${prev} is not an operation of ${did}`, [auth.problem ?? 'unknown prev'], `build it on the current state: atcli plc update ${did} …`);
    }
    const sig = verifyOperationSignature(op, auth.rotationKeys);
    if (!sig.ok) {
      throw refusal('InvalidSignature', `refusing to submit: the operation is not validly signed by a rotation key of ${prevLabel}`, [sig.reason!], 'sign it with one of those rotation keys: atcli plc sign');
    }
    signer = { keyIndex: sig.keyIndex!, key: sig.key! };
    // prev is the current head, or a recovery by a key of higher priority inside the window.
    if (!auth.isHead) {
      if (auth.problem !== undefined || !auth.allowedKeys.includes(sig.key!)) {
        const why =
          auth.problem ??
          `as a recovery it would nullify ${auth.wouldNullify.length} operation${auth.wouldNullify.length === 1 ? '' : 's'}, which needs a rotation key of higher priority than the one that signed the first of them; this one is signed by key #${sig.keyIndex}`;
        throw refusal('StalePrev', `refusing to submit: prev ${prev} is not the current head of ${did} (the head is ${headLabel})`, [why], `build the operation again on the current state: atcli plc update ${did} …`);
      }
      nullifies = auth.wouldNullify.map((c) => {
        const index = log.verification.operations.find((o) => o.cid === c)?.index;
        return { index, cid: c, label: operationLabel(index, c) };
      });
    } else if (auth.problem !== undefined) {
      throw refusal('InvalidPrev', `refusing to submit: the operation cannot extend ${prevLabel}`, [auth.problem]);
    }
    // The full replay with the operation appended (timestamps, windows, everything else).
    const next = checkNextOperation(did, log.entries, op, judgementTime(log));
    if (!next.report.valid) throw refusal('OperationRefused', 'refusing to submit: the directory would not accept this operation', next.report.problems);
  }

  // Lock-out: the submitter keeps a rotation key it holds.
  const after = operationData(op);
  const held = [signer.key, ...(opts.heldKeys ?? [])];
  const lockout = after === null ? `this operation is a TOMBSTONE: it deactivates ${did}` : lockoutProblem(before, after, held);
  if (lockout !== null) {
    if (!force) {
      throw refusal(
        after === null ? 'Tombstone' : 'Lockout',
        'refusing to submit',
        [lockout],
        after === null
          ? 'pass --force to deactivate the DID (it can be recovered only within 72 hours)'
          : 'keep one of your rotation keys in the operation; if you hold one of the new keys, give it with --key-file (or ATCLI_PLC_SIGNING_KEY); --force submits anyway',
      );
    }
    forced.push(`${lockout} (submitting anyway because of --force)`);
  }
  return { did, cid, op, signer, prevLabel, changes: diffOperationData(current, after), nullifies, forced };
}

/** Sends a checked operation and confirms the directory's latest operation is now this one. */
export async function submitChecked(client: PlcDirectoryClient, check: SubmissionCheck): Promise<void> {
  await client.submitOperation(check.did, check.op);
  const last = await client.getLastOperation(check.did);
  const lastCid = operationCid(last);
  if (lastCid !== check.cid) {
    throw runtime('SubmitNotConfirmed', `the directory accepted the operation, but its latest operation for ${check.did} is ${lastCid}, not ${check.cid}`, {
      hint: `check with: atcli plc history ${check.did}`,
    });
  }
}
