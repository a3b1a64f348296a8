/**
 * The commit signature of a saved repository, judged by the key history of the saved audit log
 * (docs/key-history.md): `valid` when it verifies with the key in force when the snapshot was
 * taken, `historical` when it verifies with a key that was in force at another time (a host serves an imported commit signed with the old host's key
 * until the account's next write), `invalid` when no key the DID ever had verifies it,
 * `unchecked` when no key is known at all.
 *
 * Kept apart from the repository check on purpose: the structure is verified by verifyRepoCar
 * with the signature skipped, and this is the one place that decides about the signature.
 */
import { openCarFile } from '../codec/car.js';
import { decodeCbor } from '../codec/cbor.js';
import { parseDidKey } from '../crypto/index.js';
import { keyWindowAt, type SigningKeyHistory } from '../plc/key-history.js';
import { parseCommit, revTimeMs, verifyCommitSignature, type ParsedCommit } from '../repo/commit.js';

export type SignatureStatus = 'valid' | 'historical' | 'invalid' | 'unchecked';

export interface CommitKeyCheck {
  status: SignatureStatus;
  /** The key the signature verifies with (did:key), when one does. */
  key: string | null;
  /** When that key was in force (did:plc). */
  window?: { from: string; until: string | null; nullified: boolean };
  detail: string;
}

/** Keys tried at most (a DID with more key changes than this is suspicious anyway). */
const MAX_CANDIDATES = 64;

async function readCommit(carPath: string): Promise<ParsedCommit | string> {
  const car = await openCarFile(carPath);
  const root = car.header.roots[0];
  if (root === undefined) return 'the CAR names no root';
  for await (const block of car) {
    if (block.cid.key !== root.key) continue;
    const parsed = parseCommit(decodeCbor(block.bytes));
    return parsed.parsed ?? `the commit is malformed: ${parsed.problems.join('; ')}`;
  }
  return `the commit block ${root.toString()} is not in the CAR`;
}

export interface CommitKeyInput {
  /** The DID's signing-key history from its audit log (did:plc); null for did:web. */
  history: SigningKeyHistory | null;
  /** The signing key of the saved DID document (did:web, or a fallback). */
  documentKey: string | null;
  /** When the snapshot was taken. */
  at: string;
}

export async function checkCommitSignature(carPath: string, input: CommitKeyInput): Promise<CommitKeyCheck> {
  let commit: ParsedCommit | string;
  try {
    commit = await readCommit(carPath);
  } catch (err) {
    return { status: 'invalid', key: null, detail: `cannot read the commit: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof commit === 'string') return { status: 'invalid', key: null, detail: commit };
  // "Now" for a snapshot is when it was taken; the rev is chosen by the signer, so it only
  // describes a historical signature (docs/key-history.md).
  const history = input.history;
  const inForce = history !== null ? (keyWindowAt(history, input.at)?.key ?? null) : input.documentKey;
  const candidates: string[] = [];
  const add = (k: string | null): void => {
    if (k !== null && !candidates.includes(k) && candidates.length < MAX_CANDIDATES) candidates.push(k);
  };
  add(inForce);
  for (const w of history?.windows ?? []) add(w.key);
  add(input.documentKey);
  if (candidates.length === 0) return { status: 'unchecked', key: null, detail: 'no signing key of the DID is known' };
  for (const k of candidates) {
    let ok = false;
    try {
      ok = verifyCommitSignature(commit, parseDidKey(k)).ok;
    } catch {
      ok = false;
    }
    if (!ok) continue;
    const windows = input.history?.windows.filter((w) => w.key === k) ?? [];
    const last = windows[windows.length - 1];
    const window = last !== undefined ? { window: { from: last.from, until: last.until, nullified: last.nullified } } : {};
    if (k === inForce) return { status: 'valid', key: k, ...window, detail: `signed by ${k}, the key in force when the snapshot was taken` };
    if (last !== undefined) {
      const revAt = revTimeMs(commit.commit.rev);
      const revInside = revAt >= Date.parse(last.from) && (last.until === null || revAt < Date.parse(last.until));
      return {
        status: 'historical',
        key: k,
        ...window,
        detail: `signed by ${k}, a key in force from ${last.from} until ${last.until ?? 'now'} but not when the snapshot was taken${revInside ? ` (the commit's rev ${commit.commit.rev} falls in that period)` : ''}`,
      };
    }
    return { status: 'valid', key: k, detail: `signed by ${k}, the key of the saved DID document` };
  }
  return { status: 'invalid', key: null, detail: `the signature verifies with none of the ${candidates.length} signing key${candidates.length === 1 ? '' : 's'} the DID ever had` };
}
