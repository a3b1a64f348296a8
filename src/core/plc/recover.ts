/**
 * `plc recover --nullify`: undoes an unwanted operation of a did:plc within its 72-hour recovery
 * window (PLC spec "Account Recovery"). The new operation forks at the operation before the
 * unwanted one (its prev) and restores the state it had; the directory then marks the unwanted
 * operation — and everything built on it — nullified. It must be signed by a rotation key of that
 * earlier operation with strictly higher priority than the key that signed the unwanted one.
 *
 * Every rule is checked locally first (submit.ts runs the full replay as well), the operation is
 * signed with the user's key, submitted to the directory, and the audit log is fetched and
 * replayed again: the unwanted operation must now be nullified and the new one the head.
 */
import { invalid, notFound, runtime, usage } from '../errors.js';
import type { PrivateKey } from '../crypto/index.js';
import { authorityForPrev, verifyAuditLog } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import { operationData, signOperation } from './operation.js';
import { checkSubmission, fetchVerifiedLog, judgementTime, operationInLog, requireValidLog, submitChecked } from './submit.js';
import type { Operation } from './types.js';
import { buildUpdate } from './update.js';
import { RECOVERY_WINDOW_MS } from './validate.js';

export interface RecoverOptions {
  plc: PlcDirectoryClient;
  did: string;
  /** CID of the operation to undo. */
  nullify: string;
  /** A rotation key of the user's (never printed or kept). */
  key: PrivateKey;
  /** Rotation keys to drop from the restored state at the same time (e.g. the key that signed the unwanted operation). */
  removeRotationKeys?: readonly string[];
  /** Build, check and sign, but do not submit. */
  dryRun?: boolean;
}

export interface RecoverResult {
  status: 'dry-run' | 'recovered' | 'already-nullified';
  did: string;
  /** The operation undone, and when its window closes. */
  target: { cid: string; index: number; createdAt: string; signedBy: { keyIndex: number; key: string } | null; window: { endsAt: string; remainingMs: number } };
  /** Everything the new operation nullifies (the target and what was built on it). */
  nullifies: string[];
  prev: string;
  /** The new operation (signed; public once submitted) and its CID. */
  operation?: Operation;
  cid?: string;
  signedBy?: { keyIndex: number; key: string };
  /** What it changes compared with the state the directory serves now. */
  changes: string[];
  /** After submitting: the replayed log's head and what it shows nullified. */
  verified?: { head: string; nullified: string[]; logValid: boolean };
  warnings: string[];
}

export async function recoverPlc(opts: RecoverOptions): Promise<RecoverResult> {
  const { did } = opts;
  const log = await fetchVerifiedLog(opts.plc, did);
  requireValidLog(log, did);
  const report = log.verification.operations.find((o) => o.cid === opts.nullify);
  if (report === undefined) throw notFound('OperationNotFound', `${opts.nullify} is not an operation of ${did}`);
  const created = Date.parse(report.createdAt);
  const endsAt = created + RECOVERY_WINDOW_MS;
  const target = {
    cid: report.cid,
    index: report.index,
    createdAt: report.createdAt,
    signedBy: report.signedBy ?? null,
    window: { endsAt: new Date(endsAt).toISOString(), remainingMs: Math.max(0, endsAt - Date.now()) },
  };
  if (report.prev === null || report.prev === undefined) throw usage('CannotNullifyGenesis', `${opts.nullify} is the genesis operation of ${did}: it cannot be nullified`);
  if (report.nullified) {
    return { status: 'already-nullified', did, target, nullifies: [], prev: report.prev, changes: [], warnings: [] };
  }
  const prev = report.prev;
  const prevOp = operationInLog(log, prev);
  const before = prevOp === undefined ? null : operationData(prevOp.op);
  if (before === null) throw invalid('InvalidPrev', `the operation before ${opts.nullify} (${prev}) has no state to restore`);

  // The rules, in the words the user needs (submit.ts checks them again with the full replay).
  const mine = opts.key.publicKey.did();
  const now = judgementTime(log);
  const auth = authorityForPrev(did, log.entries, prev, now);
  const myIndex = auth.rotationKeys.indexOf(mine);
  if (myIndex < 0) {
    throw invalid('KeyNotAuthorized', `the key given (${mine}) is not a rotation key of the operation before ${opts.nullify}, so it cannot sign its nullification`, {
      details: { rotationKeys: auth.rotationKeys },
    });
  }
  if (!auth.wouldNullify.includes(opts.nullify)) {
    throw invalid('InvalidPrev', `a new operation on ${prev} would not nullify ${opts.nullify}`);
  }
  if (endsAt < Date.parse(now)) {
    throw invalid('RecoveryWindowClosed', `${opts.nullify} was created ${report.createdAt}; its 72-hour recovery window closed ${target.window.endsAt}`);
  }
  const signerIndex = report.signedBy?.keyIndex;
  if (signerIndex !== undefined && myIndex >= signerIndex) {
    throw invalid('InsufficientPriority', `${opts.nullify} was signed by rotation key #${signerIndex}; the key given is #${myIndex}, and only a strictly higher-priority key (a lower number) can nullify it`);
  }
  if (auth.problem !== undefined) throw invalid('RecoveryRefused', `the recovery is not possible: ${auth.problem}`);

  const unsigned = buildUpdate(before, { prev, ...(opts.removeRotationKeys !== undefined && opts.removeRotationKeys.length > 0 ? { removeRotationKeys: opts.removeRotationKeys } : {}) });
  const signed = signOperation(unsigned, opts.key);
  const check = await checkSubmission(opts.plc, signed, { did });
  const warnings = [...check.overridden];
  const signer = report.signedBy?.key;
  if (signer !== undefined && signer !== mine && (operationData(signed)?.rotationKeys ?? []).includes(signer)) {
    warnings.push(`the key that signed the unwanted operation (${signer}) stays a rotation key: whoever holds it can do the same again (and you can undo it again within 72 hours)`);
  }
  const base = {
    did,
    target,
    nullifies: check.nullifies.map((n) => n.cid),
    prev,
    operation: signed,
    cid: check.cid,
    signedBy: check.signer,
    changes: check.changes.map((c) => c.message),
    warnings,
  };
  if (opts.dryRun) return { status: 'dry-run', ...base };

  await submitChecked(opts.plc, check);
  const after = await opts.plc.getAuditLog(did);
  const replay = verifyAuditLog(did, after);
  const nullified = replay.operations.filter((o) => o.nullified).map((o) => o.cid);
  if (replay.head?.cid !== check.cid || !nullified.includes(opts.nullify)) {
    throw runtime('RecoveryNotConfirmed', `the directory accepted the operation, but its audit log does not show ${opts.nullify} nullified with ${check.cid} as the head`, {
      details: { head: replay.head?.cid, nullified },
    });
  }
  return { status: 'recovered', ...base, verified: { head: replay.head.cid, nullified, logValid: replay.valid } };
}

