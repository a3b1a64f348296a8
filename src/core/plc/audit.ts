/**
 * Audit-log replay: the rules of the did:plc spec (https://web.plc.directory/spec/v0.1/did-plc) as
 * the reference directory applies them (`assureValidNextOp` in packages/lib/src/data.ts of the
 * reference implementation, github.com/did-method-plc/did-method-plc); see docs/plc-operations.md.
 *
 * Every entry is replayed in order against the operations accepted so far:
 * - same DID; strict operation shape; recomputed CID == the entry's `cid`;
 * - a genesis operation hashes to the DID and is signed by one of its own rotation keys
 *   (`[recoveryKey, signingKey]` for a legacy create); there is exactly one;
 * - any other operation names in `prev` an earlier, accepted, non-nullified, non-tombstone
 *   operation of this DID, and is signed by a rotation key *of that operation* (the fork point);
 * - if the fork point already has a child, the new operation nullifies that child and all its
 *   descendants: it must be signed by a key of strictly higher priority (lower index) than the
 *   key that signed the first nullified operation, its `createdAt` must be after the current
 *   head's, and at most 72 h after the first nullified operation's (exactly 72 h is allowed);
 * - a regular update's `createdAt` must be strictly after its `prev`'s;
 * - finally each entry's `nullified` flag is compared with the replay's.
 *
 * An entry that fails a check is reported and left out of the replay (as the directory would
 * have refused it), so later entries are judged against the history that remains. A CID or
 * genesis-DID mismatch is reported but the entry still takes part, so one doctored field is
 * named once instead of cascading.
 */
import { invalid } from '../errors.js';
import { checkDidPlc } from '../syntax/index.js';
import {
  compareTimestamps,
  formatDuration,
  nanosBetween,
  parseTimestamp,
  type Timestamp,
} from './encoding.js';
import { dataFromOperation } from './document.js';
import { redactSecrets } from './keys.js';
import {
  didForGenesis,
  isGenesis,
  operationCid,
  operationData,
  operationRotationKeys,
  parseOperation,
  quoteValue,
  signedBytes,
  verifyOperationSignature,
} from './operation.js';
import type { Operation, OperationType, PlcData } from './types.js';
import { CappedList, capList } from '../util/capped-list.js';
import {
  DIRECTORY_MAX_ROTATION_KEYS,
  PLC_LIMITS,
  RECOVERY_WINDOW_MS,
  SPEC_MAX_OPERATION_BYTES,
  checkOperationDataLimits,
} from './validate.js';

const RECOVERY_WINDOW_NS = RECOVERY_WINDOW_MS * 1_000_000;

export interface AuditOperationReport {
  /** Position in the audit log (0-based). */
  index: number;
  /** The recomputed CID when the operation could be parsed, else the entry's `cid` as given. */
  cid: string;
  createdAt: string;
  /** Operation type, or 'unknown' when the operation could not be parsed. */
  type: OperationType | 'unknown';
  /** `prev` of the operation (null for genesis; undefined when it could not be parsed). */
  prev?: string | null;
  /** Whether the replay finds this operation nullified (the entry's own flag when it was rejected). */
  nullified: boolean;
  /** The entry's `nullified` flag as given by the directory. */
  claimedNullified: boolean;
  /** True when the operation passed every check. */
  valid: boolean;
  /** Which rotation key (of the operation `prev` names, or its own for genesis) signed it. */
  signedBy?: { keyIndex: number; key: string };
  /** CIDs this operation nullified when it was accepted. */
  nullifies?: string[];
  /** The first problems (capped); `problemsOmitted` counts the rest. */
  problems: string[];
  problemsOmitted: number;
  /** Deviations the directory historically accepted (limits atcli would refuse when building); capped like `problems`. */
  warnings: string[];
  warningsOmitted: number;
}

export interface AuditHead {
  cid: string;
  index: number;
  createdAt: string;
  type: OperationType;
  /** True when the current operation is a tombstone (the DID is deactivated). */
  tombstoned: boolean;
  /** The current state; null when tombstoned. */
  data: PlcData | null;
}

export interface AuditLogVerification {
  did: string;
  valid: boolean;
  operations: AuditOperationReport[];
  /** The last accepted, non-nullified operation. Absent when nothing could be accepted. */
  head?: AuditHead;
  /** The first problems (capped), each naming the operation (index and CID) it concerns; `problemsOmitted` counts the rest. */
  problems: string[];
  problemsOmitted: number;
  /** The first warnings (capped), each naming its operation. */
  warnings: string[];
  warningsOmitted: number;
}

interface Node {
  index: number;
  cid: string;
  op: Operation;
  createdAt: Timestamp;
  rotationKeys: string[];
  tombstone: boolean;
  nullified: boolean;
  /** Key index (within the `prev` operation's rotation keys, or its own for genesis) that signed it. */
  keyIndex: number;
  /** CID of the most recent accepted operation whose `prev` is this one. */
  lastChild?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function label(index: number, cid: string | undefined): string {
  return `operation #${index}${cid === undefined || cid === '' ? '' : ` (${cid})`}`;
}

/**
 * Verify a DID's audit log (`GET /{did}/log/audit`, or a file of it) offline. Never throws for
 * bad log content: everything wrong is reported in the result. Throws invalid 'InvalidDid' when
 * `did` is not a well-formed did:plc, and 'InvalidAuditLog' when `entries` is not an array.
 */
export function verifyAuditLog(did: string, entries: readonly unknown[]): AuditLogVerification {
  return replay(did, entries).result;
}

interface ReplayState {
  result: AuditLogVerification;
  nodes: Map<string, Node>;
  head: Node | undefined;
}

function replay(did: string, entries: readonly unknown[]): ReplayState {
  const didProblem = checkDidPlc(did);
  if (didProblem !== null) throw invalid('InvalidDid', `not a did:plc: ${didProblem}`);
  if (!Array.isArray(entries)) throw invalid('InvalidAuditLog', 'an audit log must be a JSON array of entries');

  const reports: AuditOperationReport[] = [];
  const nodes = new Map<string, Node>();
  /** CIDs of entries that were rejected, for clearer messages when something builds on them. */
  const rejected = new Map<string, number>();
  let head: Node | undefined;
  const logProblems: string[] = [];

  if (entries.length === 0) logProblems.push('the audit log is empty');

  entries.forEach((raw, index) => {
    const report: AuditOperationReport = {
      index,
      cid: '',
      createdAt: '',
      type: 'unknown',
      nullified: false,
      claimedNullified: false,
      valid: true,
      problems: [],
      problemsOmitted: 0,
      warnings: [],
      warningsOmitted: 0,
    };
    reports.push(report);
    const problem = (msg: string): void => {
      report.problems.push(msg);
      report.valid = false;
    };

    if (!isRecord(raw)) {
      problem('the entry is not a JSON object');
      return;
    }
    const claimedCid = raw['cid'];
    if (typeof claimedCid === 'string') report.cid = redactSecrets(claimedCid);
    else problem(`the entry's "cid" is not a string (${quoteValue(claimedCid)})`);
    const createdAtRaw = raw['createdAt'];
    if (typeof createdAtRaw === 'string') report.createdAt = redactSecrets(createdAtRaw);
    const claimedNullified = raw['nullified'];
    if (typeof claimedNullified === 'boolean') {
      report.claimedNullified = claimedNullified;
      report.nullified = claimedNullified;
    } else {
      problem(`the entry's "nullified" is not a boolean (${quoteValue(claimedNullified)})`);
    }
    let fatal = false;
    if (raw['did'] !== did) {
      problem(`the entry belongs to ${quoteValue(raw['did'])}, not ${did}`);
      fatal = true;
    }
    for (const key of Object.keys(raw)) {
      if (!['did', 'operation', 'cid', 'nullified', 'createdAt'].includes(key)) {
        report.warnings.push(`the entry has an unexpected field ${quoteValue(key)}`);
      }
    }

    // createdAt
    let createdAt: Timestamp | undefined;
    const ts = parseTimestamp(createdAtRaw as string);
    if (typeof createdAtRaw !== 'string') {
      problem(`the entry's "createdAt" is not a string (${quoteValue(createdAtRaw)})`);
    } else if (!ts.ok) {
      problem(`createdAt ${quoteValue(createdAtRaw)} is not a valid datetime: ${ts.reason}`);
    } else {
      createdAt = ts.value;
    }

    // operation shape
    let op: Operation;
    try {
      op = parseOperation(raw['operation']);
    } catch (err) {
      problem(err instanceof Error ? err.message : String(err));
      if (typeof claimedCid === 'string') rejected.set(claimedCid, index);
      return;
    }
    report.type = op.type;
    report.prev = op.prev;

    // CID
    const cid = operationCid(op);
    report.cid = cid;
    if (typeof claimedCid === 'string' && claimedCid !== cid) {
      problem(`the entry's cid ${claimedCid} does not match the operation, whose CID is ${cid}`);
    }

    // Historical limits: warnings only (docs/plc-operations.md, "Limits atcli builds to").
    const size = signedBytes(op).length;
    if (size > PLC_LIMITS.maxOperationBytes) {
      report.warnings.push(
        `the operation is ${size} bytes of DAG-CBOR, over the directory's ${PLC_LIMITS.maxOperationBytes}` +
          (size > SPEC_MAX_OPERATION_BYTES ? ` and the spec's ${SPEC_MAX_OPERATION_BYTES}` : ''),
      );
    }
    const data = operationData(op);
    if (data !== null) {
      for (const i of checkOperationDataLimits(data)) {
        // An unusable rotation key is an error even in history: the directory always parsed them.
        if (i.field.startsWith('rotationKeys[') && !i.message.includes('duplicates')) problem(`${i.field}: ${i.message}`);
        else report.warnings.push(`${i.field}: ${i.message}`);
      }
      if (data.rotationKeys.length > DIRECTORY_MAX_ROTATION_KEYS) {
        problem(`rotationKeys: has ${data.rotationKeys.length} keys, more than even the directory's ${DIRECTORY_MAX_ROTATION_KEYS}`);
      }
    }

    if (fatal || createdAt === undefined || (!report.valid && !onlyCidMismatch(report, claimedCid, cid))) {
      rejected.set(cid, index);
      return;
    }

    let keyIndex: number;
    let nullifies: Node[] = [];
    if (isGenesis(op)) {
      if (head !== undefined || nodes.size > 0) {
        problem('a second genesis operation (prev: null); the DID already exists, so only updates may follow');
        rejected.set(cid, index);
        return;
      }
      const expected = didForGenesis(op);
      if (expected !== did) problem(`the genesis operation hashes to ${expected}, not ${did}`);
      const keys = operationRotationKeys(op);
      const sig = verifyOperationSignature(op, keys);
      if (!sig.ok) {
        problem(`the genesis operation is not signed by one of its own rotation keys: ${sig.reason}`);
        rejected.set(cid, index);
        return;
      }
      keyIndex = sig.keyIndex!;
      report.signedBy = { keyIndex, key: sig.key! };
    } else {
      if (nodes.size === 0) {
        problem('the log does not start with a genesis operation (prev: null)');
        rejected.set(cid, index);
        return;
      }
      const prevCid = op.prev!;
      const prevNode = nodes.get(prevCid);
      if (prevNode === undefined) {
        const rejectedAt = rejected.get(prevCid);
        problem(
          rejectedAt !== undefined
            ? `prev ${prevCid} names operation #${rejectedAt}, which is itself invalid`
            : `prev ${prevCid} does not name an earlier operation of ${did}`,
        );
        rejected.set(cid, index);
        return;
      }
      const prevLabel = label(prevNode.index, prevNode.cid);
      if (prevNode.nullified) {
        problem(`prev names ${prevLabel}, which has been nullified; only the active history can be extended`);
        rejected.set(cid, index);
        return;
      }
      if (prevNode.tombstone) {
        problem(`prev names ${prevLabel}, a tombstone; nothing may extend a deactivated DID`);
        rejected.set(cid, index);
        return;
      }
      const sig = verifyOperationSignature(op, prevNode.rotationKeys);
      if (!sig.ok) {
        problem(`not signed by a rotation key of ${prevLabel} (the operation its prev names): ${sig.reason}`);
        rejected.set(cid, index);
        return;
      }
      keyIndex = sig.keyIndex!;
      report.signedBy = { keyIndex, key: sig.key! };

      if (prevNode.lastChild === undefined) {
        // Regular update: prev is the head.
        if (compareTimestamps(createdAt, prevNode.createdAt) <= 0) {
          problem(
            `createdAt ${report.createdAt} is not after that of ${prevLabel} (${reports[prevNode.index]!.createdAt}); ` +
              'timestamps must increase',
          );
          rejected.set(cid, index);
          return;
        }
      } else {
        // Nullification: the fork point already has a (non-nullified) child.
        const first = nodes.get(prevNode.lastChild)!;
        const firstLabel = label(first.index, first.cid);
        if (keyIndex >= first.keyIndex) {
          problem(
            `forks at ${prevLabel} and would nullify ${firstLabel}, which was signed by its rotation key #${first.keyIndex}; ` +
              `a nullifying operation must be signed by a strictly higher-priority key (index < ${first.keyIndex}), ` +
              `but this one is signed by key #${keyIndex}`,
          );
          rejected.set(cid, index);
          return;
        }
        if (head !== undefined && compareTimestamps(createdAt, head.createdAt) <= 0) {
          problem(
            `createdAt ${report.createdAt} is not after that of the current head ${label(head.index, head.cid)} ` +
              `(${reports[head.index]!.createdAt})`,
          );
          rejected.set(cid, index);
          return;
        }
        const elapsed = nanosBetween(first.createdAt, createdAt);
        if (elapsed > RECOVERY_WINDOW_NS) {
          problem(
            `nullifies ${firstLabel} ${formatDuration(elapsed)} after it was created; the recovery window is 72h ` +
              '(exactly 72h is the last moment allowed)',
          );
          rejected.set(cid, index);
          return;
        }
        for (let c: string | undefined = first.cid; c !== undefined; ) {
          const n: Node = nodes.get(c)!;
          nullifies.push(n);
          c = n.lastChild;
        }
      }
    }

    // Commit.
    for (const n of nullifies) n.nullified = true;
    if (nullifies.length > 0) report.nullifies = nullifies.map((n) => n.cid);
    const node: Node = {
      index,
      cid,
      op,
      createdAt,
      rotationKeys: operationRotationKeys(op),
      tombstone: op.type === 'plc_tombstone',
      nullified: false,
      keyIndex,
    };
    if (!isGenesis(op)) nodes.get(op.prev!)!.lastChild = cid;
    nodes.set(cid, node);
    head = node;
    if (node.rotationKeys.length === 0 && !node.tombstone) {
      report.warnings.push('this operation has no rotation keys: nothing can ever follow it');
    }
  });

  // Nullification flags: compare with the replay, for every entry the replay accepted.
  for (const report of reports) {
    const node = nodes.get(report.cid);
    if (node === undefined || node.index !== report.index) continue;
    report.nullified = node.nullified;
    if (node.nullified !== report.claimedNullified) {
      const msg =
        report.index === 0 && report.claimedNullified
          ? 'the entry is marked nullified, but a genesis operation can never be nullified'
          : `the entry says nullified: ${report.claimedNullified}, but the replay finds it ${
              node.nullified ? 'nullified' : 'active'
            }`;
      report.problems.push(msg);
      report.valid = false;
    }
  }

  const problems = new CappedList<string>();
  const warnings = new CappedList<string>();
  for (const p of logProblems) problems.add(p);
  for (const r of reports) {
    for (const p of r.problems) problems.add(`${label(r.index, r.cid)}: ${redactSecrets(p)}`);
    for (const w of r.warnings) warnings.add(`${label(r.index, r.cid)}: ${redactSecrets(w)}`);
    const ownProblems = capList(r.problems);
    const ownWarnings = capList(r.warnings);
    r.problems = ownProblems.items.map(redactSecrets);
    r.problemsOmitted = ownProblems.omitted;
    r.warnings = ownWarnings.items.map(redactSecrets);
    r.warningsOmitted = ownWarnings.omitted;
  }

  const result: AuditLogVerification = {
    did,
    valid: problems.count === 0,
    operations: reports,
    problems: problems.items,
    problemsOmitted: problems.omitted,
    warnings: warnings.items,
    warningsOmitted: warnings.omitted,
  };
  if (head !== undefined) {
    result.head = {
      cid: head.cid,
      index: head.index,
      createdAt: reports[head.index]!.createdAt,
      type: head.op.type,
      tombstoned: head.tombstone,
      data: dataFromOperation(did, head.op),
    };
  }
  return { result, nodes, head };
}

function toTimestamp(now: Date | string): Timestamp {
  const text = typeof now === 'string' ? now : now.toISOString();
  const ts = parseTimestamp(text);
  if (!ts.ok) throw invalid('InvalidDatetime', `invalid time ${quoteValue(text)}: ${ts.reason}`);
  return ts.value;
}

export interface PrevAuthority {
  /** The CID asked about. */
  prev: string;
  /** Index of that operation in the log (when it is there). */
  index?: number;
  /** True when `prev` is the current head (a regular update). */
  isHead: boolean;
  /** Rotation keys of the operation `prev` names, in priority order. */
  rotationKeys: string[];
  /**
   * The keys that may sign a new operation with this `prev` right now: all of `rotationKeys` for
   * the head; for a fork point only those of strictly higher priority than the signer of the first
   * operation it would nullify; none when `problem` is set.
   */
  allowedKeys: string[];
  /** CIDs a new operation with this `prev` would nullify (non-empty means a recovery fork). */
  wouldNullify: string[];
  /** Why nothing may extend `prev` now (unknown, nullified, tombstone, window over, …). */
  problem?: string;
}

/**
 * Who may sign the next operation of `did` if it names `prev`, judged against the audit log and
 * the time `now` (default: the current time). This is what `plc sign` checks before signing and
 * `plc submit` before sending: an unauthorised key, a stale `prev` that is not a permitted
 * recovery, a tombstone or nullified `prev`, or a recovery after 72 h are all reported.
 * Throws like {@link verifyAuditLog}; problems inside the log itself are in `verifyAuditLog`.
 */
export function authorityForPrev(did: string, entries: readonly unknown[], prev: string, now: Date | string = new Date()): PrevAuthority {
  const { nodes, head } = replay(did, entries);
  const at = toTimestamp(now);
  const out: PrevAuthority = { prev, isHead: false, rotationKeys: [], allowedKeys: [], wouldNullify: [] };
  const node = nodes.get(prev);
  if (node === undefined) {
    out.problem = `${prev} is not an accepted operation of ${did}`;
    return out;
  }
  out.index = node.index;
  out.rotationKeys = [...node.rotationKeys];
  out.isHead = head !== undefined && head.cid === node.cid;
  const where = label(node.index, node.cid);
  if (node.nullified) {
    out.problem = `${where} has been nullified; only the active history can be extended`;
    return out;
  }
  if (node.tombstone) {
    out.problem = `${where} is a tombstone: the DID is deactivated and nothing may extend it`;
    return out;
  }
  if (node.lastChild === undefined) {
    out.allowedKeys = [...node.rotationKeys];
    if (head !== undefined && compareTimestamps(at, head.createdAt) <= 0) {
      out.problem = `the time given is not after the head's createdAt`;
      out.allowedKeys = [];
    }
    return out;
  }
  const first = nodes.get(node.lastChild)!;
  for (let c: string | undefined = first.cid; c !== undefined; ) {
    const n: Node = nodes.get(c)!;
    out.wouldNullify.push(n.cid);
    c = n.lastChild;
  }
  if (head !== undefined && compareTimestamps(at, head.createdAt) <= 0) {
    out.problem = `the time given is not after the head's createdAt`;
    return out;
  }
  const elapsed = nanosBetween(first.createdAt, at);
  if (elapsed > RECOVERY_WINDOW_NS) {
    out.problem =
      `${where} is not the head: a new operation on it would nullify ${label(first.index, first.cid)}, ` +
      `but that was created ${formatDuration(elapsed)} ago and the recovery window is 72h`;
    return out;
  }
  out.allowedKeys = node.rotationKeys.slice(0, first.keyIndex);
  if (out.allowedKeys.length === 0) {
    out.problem =
      `${where} is not the head: a new operation on it would nullify ${label(first.index, first.cid)}, which was ` +
      `signed by rotation key #${first.keyIndex}, and no key has a higher priority`;
  }
  return out;
}

/**
 * Replay the audit log with `operation` appended as if the directory accepted it at `now`
 * (default: the current time): the report for the new operation says whether it would be
 * accepted (signature authority, prev freshness or permitted recovery, timestamps) and what it
 * would nullify. `log` is the verification of the log with the new operation appended.
 */
export function checkNextOperation(
  did: string,
  entries: readonly unknown[],
  operation: unknown,
  now: Date | string = new Date(),
): { report: AuditOperationReport; log: AuditLogVerification } {
  const createdAt = typeof now === 'string' ? now : now.toISOString();
  toTimestamp(createdAt);
  let cid = '';
  try {
    cid = operationCid(parseOperation(operation));
  } catch {
    /* the replay reports the shape problem */
  }
  const log = verifyAuditLog(did, [...entries, { did, operation, cid, nullified: false, createdAt }]);
  return { report: log.operations[log.operations.length - 1]!, log };
}

/** True when the only problem so far is the CID mismatch (the entry still takes part). */
function onlyCidMismatch(report: AuditOperationReport, claimedCid: unknown, cid: string): boolean {
  return (
    typeof claimedCid === 'string' &&
    claimedCid !== cid &&
    report.problems.length === 1 &&
    report.problems[0]!.startsWith("the entry's cid ")
  );
}
