/**
 * Who may sign an operation, checked before it is signed: a genesis operation by one of its own
 * rotation keys; an update by a rotation key of the operation its `prev` names, judged against the
 * DID's verified audit log — for a recovery only by a key of higher priority than the one that
 * signed the first operation it would nullify, inside the 72-hour window. See
 * docs/plc-operations.md.
 */
import { usage } from '../errors.js';
import type { PrivateKey } from '../crypto/index.js';
import { capList } from '../util/capped-list.js';
import { authorityForPrev } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import {
  didForGenesis,
  isGenesis,
  isSigned,
  operationCid,
  operationData,
  operationRotationKeys,
  signOperation,
  verifyOperationSignature,
  withoutSig,
} from './operation.js';
import { requireBuildable } from './prepare.js';
import { fetchVerifiedLog, judgementTime, operationInLog, operationLabel, refusal, requireValidLog, type FetchedLog } from './submit.js';
import type { AnyOperation, Operation, OperationData, UnsignedOperation } from './types.js';
import { lockoutProblem } from './validate.js';

export interface SigningAuthority {
  /** The rotation keys of the operation `prev` names (a genesis operation's own), in priority order. */
  rotationKeys: string[];
  /** The keys that may sign it; null when the check is skipped. */
  allowedKeys: string[] | null;
  /** Whose keys `allowedKeys` are, in words. */
  basis: string;
  /** The state the operation changes (that of the operation `prev` names), for the lock-out rule. */
  before: OperationData | null;
  /** Operations it would nullify (a recovery). */
  wouldNullify: string[];
  /** What the check found and was told to let through, and other things to know. */
  warnings: string[];
}

export interface SigningContext {
  /** The DID the operation is for, when known. */
  did: string | undefined;
  /** The DID's audit log; needed to check an update (absent: the DID is not known). */
  log: FetchedLog | undefined;
  /** Sign even when the key cannot be checked or is not authorised (the directory will refuse what it must). */
  skipAuthorityCheck: boolean;
  /** When the operation is judged (default: judgementTime of the log). */
  now?: string;
}

/**
 * Who may sign `op`. Without `skipAuthorityCheck` it refuses an update whose DID is unknown (usage
 * 'MissingDid'), a log that does not verify (invalid 'AuditLogInvalid') and a `prev` nothing may
 * extend now (invalid 'InvalidPrev'); with it, each becomes a warning and `allowedKeys` is null.
 */
export function signingAuthority(op: UnsignedOperation, ctx: SigningContext): SigningAuthority {
  const skip = ctx.skipAuthorityCheck;
  if (isGenesis(op)) {
    const keys = operationRotationKeys(op);
    return { rotationKeys: keys, allowedKeys: keys, basis: 'its own rotation keys (a genesis operation)', before: null, wouldNullify: [], warnings: [] };
  }
  const unchecked = (warning: string): SigningAuthority => ({ rotationKeys: [], allowedKeys: null, basis: 'not checked', before: null, wouldNullify: [], warnings: [warning] });
  if (ctx.did === undefined || ctx.log === undefined) {
    if (!skip) throw usage('MissingDid', 'an update does not name the DID it is for, so the key cannot be checked against its audit log');
    return unchecked('signing without checking the key against the audit log: the DID the update is for is not known');
  }
  const { did, log } = ctx;
  const warnings: string[] = [];
  const logWarning = requireValidLog(log, did, skip);
  if (logWarning !== undefined) warnings.push(logWarning);
  const prev = op.prev as string;
  const auth = authorityForPrev(did, log.entries, prev, ctx.now ?? judgementTime(log));
  const base = operationInLog(log, prev);
  const before = base === undefined ? null : operationData(base.op);
  const label = operationLabel(auth.index, prev);
  if (auth.problem !== undefined) {
    if (!skip) throw refusal('InvalidPrev', `refusing to sign: the operation cannot extend ${prev}`, [auth.problem]);
    return { rotationKeys: auth.rotationKeys, allowedKeys: null, basis: `the rotation keys of ${label}, its prev`, before, wouldNullify: [], warnings: [...warnings, `${auth.problem} (signing anyway; the directory will refuse it)`] };
  }
  if (!auth.isHead) {
    const n = auth.wouldNullify.length;
    warnings.push(`this operation is a RECOVERY: it would nullify ${n} operation${n === 1 ? '' : 's'}`);
  }
  return {
    rotationKeys: auth.rotationKeys,
    allowedKeys: auth.allowedKeys,
    basis: auth.isHead
      ? `the rotation keys of ${label}, its prev`
      : `the rotation keys of ${label} that outrank the signer of the first operation it nullifies (a recovery)`,
    before,
    wouldNullify: auth.wouldNullify,
    warnings,
  };
}

/**
 * The position of `key` (a did:key) among the rotation keys, after checking it may sign: a key
 * that may not is refused (invalid 'UnauthorizedKey') unless the check is skipped, when the reason
 * comes back as a warning.
 */
export function checkSigningKey(authority: SigningAuthority, key: string, skip: boolean): { keyIndex: number | null; warning?: string } {
  const index = authority.rotationKeys.indexOf(key);
  const keyIndex = index >= 0 ? index : null;
  const allowed = authority.allowedKeys;
  if (allowed === null || allowed.includes(key)) return { keyIndex };
  const list = allowed.map((k) => `#${authority.rotationKeys.indexOf(k)} ${k}`).join(', ') || 'none';
  const reason =
    keyIndex !== null
      ? `${key} is rotation key #${keyIndex}, which does not outrank the signer of the operation this one would nullify; allowed: ${list}`
      : `${key} is not one of ${authority.basis}; allowed: ${list}`;
  if (!skip) throw refusal('UnauthorizedKey', 'refusing to sign with a key that is not authorised for this operation', [reason]);
  return { keyIndex, warning: `${reason} (signing anyway; the directory will refuse it)` };
}

export interface SignRequest {
  /** The operation, signed or not (an existing signature is replaced). */
  operation: AnyOperation;
  /** The DID it is for, when known (an update's; a genesis operation creates its own). */
  did: string | undefined;
  skipAuthorityCheck: boolean;
  /** The directory; asked only for an update whose DID is known. */
  directory: () => Promise<PlcDirectoryClient>;
  /** The private rotation key; asked for once every check that needs no key has passed. */
  privateKey: () => Promise<PrivateKey>;
}

export interface SignResult {
  operation: Operation;
  /** The DID: the update's, or the one a genesis operation creates; undefined when not known. */
  did: string | undefined;
  cid: string;
  genesis: boolean;
  signedBy: { key: string; keyIndex: number | null };
  /** The key is authorised to sign it; false when signed anyway, null when not checked. */
  authorized: boolean | null;
  /** Capped. */
  warnings: string[];
  warningsOmitted: number;
}

/**
 * Signs an operation after the build check and the authority check (signingAuthority,
 * checkSigningKey). A signed genesis operation must create the DID given, if one was (invalid
 * 'DidMismatch'). Warns when the signer would hold none of the new rotation keys.
 */
export async function signPlcOperation(req: SignRequest): Promise<SignResult> {
  const warnings: string[] = [];
  if (isSigned(req.operation)) warnings.push('the operation is already signed: its signature will be replaced');
  const unsigned = withoutSig(req.operation);
  warnings.push(...requireBuildable(unsigned, 'to sign this operation'));
  const genesis = isGenesis(unsigned);
  const log = !genesis && req.did !== undefined ? await fetchVerifiedLog(await req.directory(), req.did) : undefined;
  const authority = signingAuthority(unsigned, { did: req.did, log, skipAuthorityCheck: req.skipAuthorityCheck });
  warnings.push(...authority.warnings);
  const key = await req.privateKey();
  const keyDid = key.publicKey.did();
  const judged = checkSigningKey(authority, keyDid, req.skipAuthorityCheck);
  if (judged.warning !== undefined) warnings.push(judged.warning);
  const operation = signOperation(unsigned, key);
  let did = req.did;
  if (genesis) {
    const created = didForGenesis(operation);
    if (did !== undefined && did !== created) throw refusal('DidMismatch', `this genesis operation creates ${created}, not ${did}`);
    did = created;
  }
  const lockout = lockoutProblem(authority.before, operationData(operation), [keyDid]);
  if (lockout !== null) warnings.push(`${lockout}; submitting it is refused unless you also hold one of its new rotation keys`);
  const listed = capList(warnings);
  return {
    operation,
    did,
    cid: operationCid(operation),
    genesis,
    signedBy: { key: keyDid, keyIndex: judged.keyIndex },
    authorized: authority.allowedKeys === null ? null : authority.allowedKeys.includes(keyDid),
    warnings: listed.items,
    warningsOmitted: listed.omitted,
  };
}

export interface GenesisDid {
  did: string;
  cid: string;
  signedBy: { keyIndex: number; key: string };
}

/**
 * The DID a signed genesis operation creates, once its signature by one of its own rotation keys
 * is checked. Throws invalid 'NotGenesisOperation' for any other operation and 'InvalidSignature'.
 */
export function checkedGenesisDid(op: Operation): GenesisDid {
  const did = didForGenesis(op);
  const sig = verifyOperationSignature(op, operationRotationKeys(op));
  if (!sig.ok) throw refusal('InvalidSignature', 'not a valid signed genesis operation: it is not signed by one of its own rotation keys', [sig.reason!]);
  return { did, cid: operationCid(op), signedBy: { keyIndex: sig.keyIndex!, key: sig.key! } };
}
