/**
 * Which atproto signing key a did:plc had in force at a given time, from its audit log.
 *
 * Keys change for legitimate reasons (migrations, rotations), so a commit or firehose event must
 * be judged by the key that was in force when it was made, not today's. Each operation that the
 * replay accepts puts its `verificationMethods.atproto` key in force from its `createdAt` until
 * the `createdAt` of the next accepted operation. Operations that were later nullified were still
 * served by the directory in between, so they get a window too, flagged `nullified`.
 * See docs/key-history.md.
 */
import { verifyAuditLog } from './audit.js';
import { operationData, parseOperation } from './operation.js';

export interface SigningKeyWindow {
  /** The atproto signing key (did:key) in force, or null (tombstone, or no atproto key). */
  key: string | null;
  /** createdAt of the operation that put the key in force. */
  from: string;
  /** createdAt of the next accepted operation; null while the key is still in force. */
  until: string | null;
  /** The operation (CID, index in the audit log) that set the key. */
  cid: string;
  index: number;
  /** The operation was nullified later by a recovery. */
  nullified: boolean;
}

export interface SigningKeyHistory {
  did: string;
  /** Accepted operations in log order, each with the period its signing key was in force. */
  windows: SigningKeyWindow[];
  /** The signing key in force now (null when deactivated or none). */
  current: string | null;
  /** Whether the audit log verified; windows come only from the operations the replay accepted. */
  logValid: boolean;
}

function createdAtMs(value: string): number {
  return Date.parse(value);
}

/** Replays an audit log (`/log/audit` entries) and derives the signing-key windows. */
export function signingKeyHistory(did: string, entries: readonly unknown[]): SigningKeyHistory {
  const verification = verifyAuditLog(did, entries);
  const accepted = verification.operations.filter((r) => r.valid);
  const windows: SigningKeyWindow[] = [];
  for (const report of accepted) {
    const entry = entries[report.index] as { operation?: unknown };
    const data = operationData(parseOperation(entry.operation));
    windows.push({
      key: data?.verificationMethods['atproto'] ?? null,
      from: report.createdAt,
      until: null,
      cid: report.cid,
      index: report.index,
      nullified: report.nullified,
    });
  }
  windows.sort((a, b) => createdAtMs(a.from) - createdAtMs(b.from));
  for (let i = 0; i + 1 < windows.length; i++) windows[i]!.until = windows[i + 1]!.from;
  const head = verification.head;
  return {
    did,
    windows,
    current: head?.data ? (head.data.verificationMethods['atproto'] ?? null) : null,
    logValid: verification.valid,
  };
}

/** The window whose key was in force at `at` (an ISO datetime or Date); undefined before genesis. */
export function keyWindowAt(history: SigningKeyHistory, at: string | Date): SigningKeyWindow | undefined {
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(t)) return undefined;
  let found: SigningKeyWindow | undefined;
  for (const w of history.windows) {
    if (createdAtMs(w.from) <= t) found = w;
    else break;
  }
  return found;
}

/** Every window in which `key` (did:key) was the signing key, oldest first. */
export function windowsOfKey(history: SigningKeyHistory, key: string): SigningKeyWindow[] {
  return history.windows.filter((w) => w.key === key);
}
