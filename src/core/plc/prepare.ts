/**
 * Preparing operations before they are signed: a genesis operation from its inputs, and an update
 * built on the state of the operation it extends — the head, or an earlier operation for a
 * recovery — judged against the DID's verified audit log. Each is run through the build check
 * (validate.ts). The results say what the operation changes, who may sign it and what to watch
 * out for. See docs/plc-operations.md.
 */
import { usage } from '../errors.js';
import { capList } from '../util/capped-list.js';
import { authorityForPrev } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import { checkOperationCid, operationData } from './operation.js';
import {
  fetchVerifiedLog,
  judgementTime,
  operationInLog,
  operationIndexes,
  operationLabel,
  refusal,
  requireValidLog,
  type FetchedLog,
} from './submit.js';
import type { UnsignedPlcOperation } from './types.js';
import { buildGenesis, buildUpdate, diffOperationData, type PlcChange, type PlcGenesisInput, type PlcUpdateEdits } from './update.js';
import { ATPROTO_PDS_SERVICE, ATPROTO_PDS_TYPE, ATPROTO_VERIFICATION_METHOD, buildErrors, checkOperationForBuild, type BuildIssue } from './validate.js';

function issueText(i: BuildIssue): string {
  return i.field === '' ? i.message : `${i.field}: ${i.message}`;
}

/**
 * The build check of an operation about to be built, signed or sent: its errors refuse it (invalid
 * 'InvalidPlcOperation', "refusing <what>" with the errors listed, capped); its warnings are
 * returned for the caller to show.
 */
export function requireBuildable(op: unknown, what: string): string[] {
  const issues = checkOperationForBuild(op);
  const errors = buildErrors(issues);
  if (errors.length > 0) throw refusal('InvalidPlcOperation', `refusing ${what}`, errors.map(issueText));
  return issues.filter((i) => i.level === 'warning').map(issueText);
}

export interface PreparedGenesis {
  operation: UnsignedPlcOperation;
  /** What it sets up (everything is new); capped. */
  changes: PlcChange[];
  changesOmitted: number;
  /** Build-check warnings; capped. */
  warnings: string[];
  warningsOmitted: number;
}

/**
 * An unsigned genesis operation for a new atproto identity, checked. When the inputs have several
 * problems, all of them are reported at once (invalid 'InvalidPlcOperation'), not only the first.
 */
export function prepareGenesis(input: PlcGenesisInput): PreparedGenesis {
  const what = 'to build this genesis operation';
  let operation: UnsignedPlcOperation;
  try {
    operation = buildGenesis(input);
  } catch (err) {
    const raw = {
      type: 'plc_operation',
      rotationKeys: input.rotationKeys,
      verificationMethods: { [ATPROTO_VERIFICATION_METHOD]: input.signingKey },
      alsoKnownAs: [`at://${input.handle.replace(/^(at:\/\/|@)/, '')}`],
      services: { [ATPROTO_PDS_SERVICE]: { type: ATPROTO_PDS_TYPE, endpoint: input.pds } },
      prev: null,
    };
    if (buildErrors(checkOperationForBuild(raw)).length > 1) requireBuildable(raw, what);
    throw err;
  }
  const warnings = capList(requireBuildable(operation, what));
  const changes = capList(diffOperationData(null, operationData(operation)));
  return { operation, changes: changes.items, changesOmitted: changes.omitted, warnings: warnings.items, warningsOmitted: warnings.omitted };
}

/** The edits of an update; `prev` defaults to the head (another `prev` makes it a recovery). */
export interface PlcUpdateRequest extends Omit<PlcUpdateEdits, 'prev'> {
  prev?: string;
}

export interface UpdatePlan {
  did: string;
  operation: UnsignedPlcOperation;
  /** The operation it extends. */
  base: { index: number; cid: string };
  /** The current head; the same as `base` unless this is a recovery. */
  head: { index: number; cid: string };
  /** Operations it would nullify (a recovery; empty for a regular update); capped. */
  nullifies: Array<{ index: number | undefined; cid: string; label: string }>;
  nullifiesOmitted: number;
  /** What it changes in the current state (the head's; for a recovery that is not the fork point); capped. */
  changes: PlcChange[];
  changesOmitted: number;
  /** The rotation keys that may sign it, with their position in `base`'s list. */
  signers: Array<{ keyIndex: number; key: string }>;
  /** Build-check warnings, and a warning when no current rotation key remains; capped. */
  warnings: string[];
  warningsOmitted: number;
}

function hasEdits(r: PlcUpdateRequest): boolean {
  return (
    r.handle !== undefined ||
    r.pds !== undefined ||
    r.signingKey !== undefined ||
    (r.addRotationKeys ?? []).length > 0 ||
    (r.removeRotationKeys ?? []).length > 0
  );
}

/**
 * The update `request` makes to `did`, built on the verified audit log `log` and judged at `now`.
 * Refuses (invalid) a log that does not verify ('AuditLogInvalid'), a deactivated DID when no
 * earlier `prev` is named ('PlcDeactivated'), a `prev` nothing may extend now ('InvalidPrev'),
 * a malformed edit ('InvalidPlcUpdate') and a result that fails the build check.
 */
export function planUpdate(did: string, log: FetchedLog, request: PlcUpdateRequest, now: string): UpdatePlan {
  requireValidLog(log, did);
  const head = log.verification.head;
  if (head === undefined) throw refusal('AuditLogInvalid', `the audit log of ${did} has no active operation to build on`);
  if (head.tombstoned && (request.prev === undefined || request.prev === head.cid)) {
    throw refusal('PlcDeactivated', `${did} is deactivated: its latest operation ${operationLabel(head.index, head.cid)} is a tombstone, and nothing may extend it`);
  }
  const prev = request.prev ?? head.cid;
  const auth = authorityForPrev(did, log.entries, prev, now);
  if (auth.problem !== undefined) throw refusal('InvalidPrev', `cannot build on ${prev}`, [auth.problem]);
  const base = operationInLog(log, prev);
  const state = base === undefined ? null : operationData(base.op);
  if (base === undefined || state === null) throw refusal('InvalidPrev', `cannot build on ${prev}: it is not an active operation of ${did}`);

  const operation = buildUpdate(state, { ...request, prev });
  const warnings = requireBuildable(operation, 'to build this operation');
  if (!operation.rotationKeys.some((k) => state.rotationKeys.includes(k))) {
    warnings.push('none of the current rotation keys remain: you must hold the private key of one of the new ones, or you lose control of this identity');
  }
  const headOp = operationInLog(log, head.cid);
  const current = (headOp === undefined ? null : operationData(headOp.op)) ?? state;
  const changes = capList(diffOperationData(current, operationData(operation)));
  const indexes = operationIndexes(log);
  const nullifies = capList(auth.wouldNullify.map((cid) => ({ index: indexes.get(cid), cid, label: operationLabel(indexes.get(cid), cid) })));
  const cappedWarnings = capList(warnings);
  return {
    did,
    operation,
    base: { index: base.index, cid: prev },
    head: { index: head.index, cid: head.cid },
    nullifies: nullifies.items,
    nullifiesOmitted: nullifies.omitted,
    changes: changes.items,
    changesOmitted: changes.omitted,
    signers: auth.allowedKeys.map((key) => ({ keyIndex: auth.rotationKeys.indexOf(key), key })),
    warnings: cappedWarnings.items,
    warningsOmitted: cappedWarnings.omitted,
  };
}

/**
 * Fetches and verifies the audit log of `did` and plans the update (planUpdate). An update that
 * changes nothing is refused first (usage 'NothingToChange'), and so is a malformed `prev` (usage
 * 'InvalidCid'), before any request.
 */
export async function prepareUpdate(client: PlcDirectoryClient, did: string, request: PlcUpdateRequest): Promise<UpdatePlan> {
  if (!hasEdits(request)) throw usage('NothingToChange', 'nothing to change: the update sets no new handle, PDS, signing key or rotation key', { details: { did } });
  if (request.prev !== undefined) {
    const reason = checkOperationCid(request.prev);
    if (reason !== null) throw usage('InvalidCid', `prev: ${reason}`);
  }
  const log = await fetchVerifiedLog(client, did);
  return planUpdate(did, log, request, judgementTime(log));
}
