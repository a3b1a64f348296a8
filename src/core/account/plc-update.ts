/**
 * Identity updates of a PDS-managed did:plc, signed by the account's host
 * (com.atproto.identity.signPlcOperation) and submitted through it. The host signs the fields it
 * is given on top of the DID's current head; everything decided here is what the next operation
 * will be and whether it is safe to ask for it or to send it:
 * - the requested fields (a partial update, a whole unsigned operation, or an operation file) are
 *   laid over the head of the verified audit log; a `prev` that is not the head is stale;
 * - the resulting operation must pass the directory's build checks (limits, keys, handle, endpoint);
 * - an update that drops every rotation key of the host is allowed but warned about: the host will
 *   refuse to submit it and could never sign for the account again;
 * - a signed update is submitted only when it extends the current head, verifies with one of the
 *   head's rotation keys and is accepted as the next operation; afterwards the head must be it.
 * See https://web.plc.directory/spec/v0.1/did-plc and docs/plc-operation-file.md.
 */
import { authError, invalid, runtime, usage } from '../errors.js';
import type { PlcDirectoryClient } from '../plc/directory.js';
import {
  buildErrors,
  checkOperationForBuild,
  diffOperationData,
  formatBuildIssue,
  operationCid,
  operationFileDid,
  parseOperation,
  parseOperationFile,
  verifyAuditLog,
  type Operation,
  type OperationData,
  type PlcChange,
} from '../plc/index.js';
import type { SessionData, XrpcClient } from '../xrpc/index.js';
import {
  getRecommendedDidCredentials,
  isAppPasswordSession,
  requestPlcOperationSignature,
  signPlcOperation,
  submitPlcOperation,
  type DidCredentials,
} from './admin.js';
import { checkSignedUpdate, type SignedUpdateCheck } from './plc-op.js';

const FIELDS = ['rotationKeys', 'alsoKnownAs', 'verificationMethods', 'services'] as const;

/** What the host is asked to sign: any of the four fields; the ones left out keep their values. */
export interface PdsUpdateRequest {
  fields: Partial<DidCredentials>;
  /** The head the update was built on, when the input says (checked against the current head). */
  prev?: string;
  /** The DID an operation file names (it must be the account's). */
  did?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads an update request from parsed JSON: an object with any of rotationKeys, alsoKnownAs,
 * verificationMethods and services (an unsigned plc_operation is one), or an operation file
 * `{did, operation}`. The field values are checked later, on the whole resulting operation.
 */
export function parsePdsUpdateRequest(json: unknown): PdsUpdateRequest {
  let source: unknown = json;
  let did: string | undefined;
  if (isObject(json) && Object.hasOwn(json, 'operation')) {
    const file = parseOperationFile(json);
    if (file.operation.type !== 'plc_operation') throw invalid('InvalidOperation', `a ${file.operation.type} operation is not an identity update`);
    source = file.operation;
    did = file.did ?? undefined;
  }
  if (!isObject(source)) throw invalid('InvalidOperation', 'the update must be a JSON object with rotationKeys, alsoKnownAs, verificationMethods and/or services');
  const fields: Record<string, unknown> = {};
  for (const k of FIELDS) if (source[k] !== undefined) fields[k] = source[k];
  if (Object.keys(fields).length === 0) throw invalid('InvalidOperation', 'the update names none of rotationKeys, alsoKnownAs, verificationMethods, services: nothing to sign');
  const prev = source['prev'];
  return { fields: fields as Partial<DidCredentials>, ...(typeof prev === 'string' ? { prev } : {}), ...(did !== undefined ? { did } : {}) };
}

function requireSameDid(fileDid: string | undefined, did: string): void {
  if (fileDid !== undefined && fileDid !== did) throw usage('OperationDidMismatch', `the operation file is for ${fileDid}, not the logged-in ${did}`);
}

/** Asks the host to e-mail the confirmation code; an app-password session cannot have one. */
export async function requestPdsUpdateToken(client: XrpcClient, session: SessionData): Promise<void> {
  if (isAppPasswordSession(session)) throw authError('AppPasswordSession', 'identity updates need a session made with the account password, not an app password');
  await requestPlcOperationSignature(client);
}

export interface PdsUpdatePlan {
  did: string;
  /** The current head: the operation the host signs on top of. */
  prev: string;
  /** The fields sent to the host. */
  fields: Partial<DidCredentials>;
  before: OperationData;
  after: OperationData;
  changes: PlcChange[];
  warnings: string[];
}

/**
 * The next operation of `did` if the host signs `request`: decided from the audit log as fetched
 * (`entries`) and, when known, the host's own rotation keys. Throws invalid 'InvalidAuditLog',
 * 'StalePrev' or 'InvalidPlcOperation' when it must not be asked for.
 */
export function planPdsUpdate(did: string, entries: readonly unknown[], request: PdsUpdateRequest, hostRotationKeys?: readonly string[]): PdsUpdatePlan {
  if (!did.startsWith('did:plc:')) throw usage('NotPlcDid', `${did} is not a did:plc: only did:plc identities are updated through the PDS`);
  requireSameDid(request.did, did);
  const log = verifyAuditLog(did, entries);
  if (!log.valid || log.head === undefined) {
    throw invalid('InvalidAuditLog', `the PLC audit log of ${did} does not verify: ${log.problems.slice(0, 2).join('; ') || 'no current operation'}`);
  }
  const head = log.head;
  if (head.data === null) throw invalid('Tombstoned', `${did} is deactivated (tombstoned) in the PLC directory`);
  if (request.prev !== undefined && request.prev !== head.cid) {
    throw invalid('StalePrev', `the update was built on ${request.prev}, but the current head is ${head.cid}`, { hint: 'build it again on the current state' });
  }
  const { rotationKeys, verificationMethods, alsoKnownAs, services } = head.data;
  const before: OperationData = { rotationKeys, verificationMethods, alsoKnownAs, services };
  const after: OperationData = { ...before, ...request.fields };
  const issues = checkOperationForBuild({ type: 'plc_operation', ...after, prev: head.cid });
  const errors = buildErrors(issues);
  if (errors.length > 0) {
    throw invalid('InvalidPlcOperation', `the update would be invalid: ${errors.map((i) => formatBuildIssue(i).replace(/^error: /, '')).join('; ')}`, {
      details: { problems: errors.map((i) => formatBuildIssue(i)) },
    });
  }
  const warnings = issues.filter((i) => i.level === 'warning').map((i) => formatBuildIssue(i).replace(/^warning: /, ''));
  if (hostRotationKeys !== undefined && hostRotationKeys.length > 0 && !hostRotationKeys.some((k) => after.rotationKeys.includes(k))) {
    warnings.push(
      `the update drops the host's own rotation key${hostRotationKeys.length === 1 ? '' : 's'} (${hostRotationKeys.join(', ')}): the host will refuse to submit it, and it could not sign for the account again`,
    );
  }
  return { did, prev: head.cid, fields: request.fields, before, after, changes: diffOperationData(before, after), warnings };
}

/** Fetches the audit log and the host's own keys, then {@link planPdsUpdate}. */
export async function preparePdsUpdate(client: XrpcClient, plc: PlcDirectoryClient, did: string, request: PdsUpdateRequest): Promise<PdsUpdatePlan> {
  const [entries, host] = await Promise.all([plc.getAuditLog(did), getRecommendedDidCredentials(client).catch(() => undefined)]);
  return planPdsUpdate(did, entries, request, host?.rotationKeys);
}

/** Has the host sign the planned update with the e-mailed token; returns the signed operation and its CID. */
export async function signPdsUpdate(client: XrpcClient, plan: PdsUpdatePlan, token: string): Promise<{ operation: Operation; cid: string }> {
  const operation = parseOperation(await signPlcOperation(client, { token: token.trim(), ...plan.fields }));
  return { operation, cid: operationCid(operation) };
}

export interface PdsSubmission {
  /** The signed operation (strictly parsed). */
  operation: unknown;
  /** The DID an operation file names. */
  did?: string;
}

/** Reads a signed update: a bare operation or an operation file `{did, operation}`. */
export function parsePdsSubmission(json: unknown): PdsSubmission {
  const file = parseOperationFile(json, { sig: 'required' });
  const did = operationFileDid(file);
  return { operation: file.operation, ...(did !== undefined ? { did } : {}) };
}

/**
 * Checks a signed update of `did` against the freshly fetched audit log. Throws invalid
 * 'StalePrev' or 'PlcOperationRefused' (with the problems in details) when it must not be
 * submitted; an update that already is the head is returned with `alreadyApplied`.
 */
export async function checkPdsSubmission(plc: PlcDirectoryClient, did: string, submission: PdsSubmission): Promise<SignedUpdateCheck> {
  requireSameDid(submission.did, did);
  const check = checkSignedUpdate(did, await plc.getAuditLog(did), submission.operation);
  if (check.alreadyApplied || check.problems.length === 0) return check;
  throw invalid(check.stale ? 'StalePrev' : 'PlcOperationRefused', `refusing to submit (nothing was sent): ${check.problems.join('; ')}`, {
    hint: check.stale ? 'have it signed again on the current state' : 'fix the operation and have it signed again',
    details: { did, problems: check.problems },
  });
}

/** Submits a checked update through the host, then requires the directory's head to be it. */
export async function submitPdsUpdate(client: XrpcClient, plc: PlcDirectoryClient, check: SignedUpdateCheck): Promise<void> {
  await submitPlcOperation(client, check.operation);
  const last = operationCid(await plc.getLastOperation(check.did));
  if (last !== check.cid) {
    throw runtime('SubmitNotConfirmed', `the host accepted the operation, but the directory's latest operation is ${last}, not ${check.cid}`, {
      hint: "check the DID's PLC history",
      details: { did: check.did },
    });
  }
}
