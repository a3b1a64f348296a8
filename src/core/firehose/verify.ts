/**
 * Verification of `#commit` and `#sync` events.
 *
 * `verifyCommitEvent` runs, in order: the size gates; `tooBig`/`rebase` false and a valid
 * `time`; op shapes and unique, valid paths; the CAR slice, parsed strictly with every
 * block's hash checked, `roots[0] == evt.commit`, the commit block present; the commit
 * (version 3, `did == repo`, `rev == evt.rev`, not in the future, signature over the whole map
 * minus `sig`); the forward check of every op on the partial MST rooted at
 * `commit.data`, with each created/updated record block present, at most 1,000,000 bytes and a
 * DRISL map with a `$type`; the inversion of the ops on a copy of the tree, whose root
 * must equal `prevData`; then, when the account's state is known, the chain: `rev`
 * newer than the stored rev and `prevData` equal to the stored `data`.
 *
 * Nothing throws for bad input: every failure is a short reason naming what failed. `ok` means
 * every check passed; `newState` is then the account's state after this commit. `ops` are
 * returned whatever the outcome, but only trust them (and their records) when `ok` is true.
 */
import { readCarBytes } from '../codec/car.js';
import { decodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { Cid, CODEC_DAG_CBOR } from '../codec/cid.js';
import type { PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { FUTURE_REV_TOLERANCE_MS, parseCommit, revTimeMs, verifyCommitSignature, type Commit } from '../repo/commit.js';
import { IncompleteProofError, MutableMst } from '../repo/mst-edit.js';
import { checkDatetime } from '../syntax/datetime.js';
import {
  MAX_COMMIT_BLOCKS_BYTES,
  MAX_COMMIT_OPS,
  MAX_RECORD_BYTES,
  MAX_SYNC_BLOCKS_BYTES,
  checkCommitOps,
  opLabel,
  splitRepoPath,
  type CommitEvent,
  type RepoOp,
  type RepoOpAction,
  type SyncEvent,
} from './events.js';
import { isMap } from './frame.js';
import { invertOps } from './invert.js';

/** What is remembered per account between events. */
export interface AccountState {
  rev: string;
  /** MST root of the last verified commit. */
  data: Cid;
  commitCid?: Cid;
}

export interface VerifiedOp {
  action: RepoOpAction;
  path: string;
  collection: string;
  rkey: string;
  cid: Cid | null;
  prev: Cid | null;
  /** The decoded record (create/update) when its block was present and valid. */
  record?: CborMap;
}

/**
 * How the event relates to the stored state: `unknown` (no state, or no `prevData` to compare),
 * `continuous`, `stale` (rev not newer: ignore, no state change), or `broken` (the account needs a
 * resync; the event may still be internally valid).
 */
export type ChainStatus = 'unknown' | 'continuous' | 'stale' | 'broken';

export interface EventVerifyResult {
  ok: boolean;
  reasons: string[];
  warnings: string[];
  chain: ChainStatus;
  /**
   * `invalid`: the commit did not verify under `key` — the caller should re-resolve the account's
   * key once, bypassing caches, and verify again. `unchecked`: the commit could not be read.
   */
  signature: 'valid' | 'invalid' | 'unchecked';
  /** The account's state after this event; set only when `ok`. */
  newState?: Required<AccountState>;
  /** The signed commit, once it parsed (whether or not later checks passed). */
  commit?: { cid: Cid; did: string; rev: string; data: Cid };
}

export interface CommitVerifyResult extends EventVerifyResult {
  ops: VerifiedOp[];
}

export interface SyncVerifyResult extends EventVerifyResult {
  /**
   * The event declares a state different from the stored one (or there is none): the account
   * must be re-synchronised from a full `getRepo`.
   */
  resync: boolean;
}

export interface VerifyEventOptions {
  /** The account's signing key (the caller resolves, caches and refreshes it). */
  key: PublicKey;
  /** The last verified state of the account, if any. */
  state?: AccountState;
  /**
   * Strict (default): a legacy event without `prevData`, or an update/delete without `prev`, fails.
   * Lenient: those become warnings (and the inversion check is skipped).
   */
  strict?: boolean;
  /** Check op paths as `<NSID>/<rkey>` (default true). */
  validatePaths?: boolean;
  /** Current time (ms since epoch) for the future-rev check. Default `Date.now()`. */
  now?: number;
}

function message(err: unknown): string {
  return isAtcliError(err) || err instanceof Error ? err.message : String(err);
}

interface CarSlice {
  root: Cid;
  blocks: Map<string, Uint8Array>;
  count: number;
}

function readSlice(bytes: Uint8Array, maxBlockBytes: number, reasons: string[]): CarSlice | null {
  try {
    const car = readCarBytes(bytes, { maxBlockBytes });
    const blocks = new Map<string, Uint8Array>();
    let count = 0;
    for (const b of car) {
      blocks.set(b.cid.key, b.bytes);
      count++;
    }
    return { root: car.header.roots[0] as Cid, blocks, count };
  } catch (err) {
    reasons.push(`blocks: ${message(err)}`);
    return null;
  }
}

interface CommitCheck {
  commit: Commit;
  cid: Cid;
  signatureValid: boolean;
}

/** K1–K9 on the commit block `cid` of `slice`: shape, DID, rev, future rev, signature. */
function checkCommit(
  slice: CarSlice,
  cid: Cid,
  expected: { did: string; rev: string; didField: string },
  opts: VerifyEventOptions,
  reasons: string[],
  warnings: string[],
): CommitCheck | null {
  const bytes = slice.blocks.get(cid.key);
  if (bytes === undefined) {
    reasons.push(`commit block ${cid.toString()} missing from blocks`);
    return null;
  }
  if (!cid.isBlessed) {
    reasons.push(`commit CID ${cid.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
    return null;
  }
  let value: CborValue;
  try {
    value = decodeCbor(bytes);
  } catch (err) {
    reasons.push(`commit block is not canonical DRISL: ${message(err)}`);
    return null;
  }
  const parsed = parseCommit(value);
  if (!parsed.parsed) {
    for (const p of parsed.problems) reasons.push(`commit: ${p}`);
    return null;
  }
  const c = parsed.parsed.commit;
  if (parsed.parsed.unknownFields.length > 0) {
    warnings.push(`commit carries unknown field(s) ${parsed.parsed.unknownFields.map((f) => `"${f}"`).join(', ')} (covered by the signature)`);
  }
  if (c.did !== expected.did) reasons.push(`commit did ${c.did} != ${expected.didField} ${expected.did}`);
  if (c.rev !== expected.rev) reasons.push(`commit rev ${c.rev} != event rev ${expected.rev}`);
  const now = opts.now ?? Date.now();
  const revMs = revTimeMs(c.rev);
  if (revMs > now + FUTURE_REV_TOLERANCE_MS) reasons.push(`commit rev ${c.rev} is in the future (${new Date(revMs).toISOString()})`);
  const sig = verifyCommitSignature(parsed.parsed, opts.key);
  if (!sig.ok) reasons.push(`bad signature: ${sig.reason} (key ${opts.key.did()})`);
  return { commit: c, cid, signatureValid: sig.ok };
}

function decodeRecord(bytes: Uint8Array): { record: CborMap } | { problem: string } {
  if (bytes.length > MAX_RECORD_BYTES) return { problem: `is ${bytes.length} bytes, over the ${MAX_RECORD_BYTES}-byte record limit` };
  let value: CborValue;
  try {
    value = decodeCbor(bytes);
  } catch (err) {
    return { problem: `is not canonical DRISL: ${message(err)}` };
  }
  if (!isMap(value)) return { problem: 'is not a map' };
  const type = value.$type;
  if (typeof type !== 'string' || type.length === 0) return { problem: `has ${type === undefined ? 'no' : 'an invalid'} "$type"` };
  return { record: value };
}

function toVerifiedOps(ops: readonly RepoOp[]): VerifiedOp[] {
  const out: VerifiedOp[] = [];
  for (const op of ops) {
    if (op.action !== 'create' && op.action !== 'update' && op.action !== 'delete') continue;
    const split = splitRepoPath(op.path, false);
    const { collection, rkey } = 'problem' in split ? { collection: op.path, rkey: '' } : split;
    out.push({ action: op.action, path: op.path, collection, rkey, cid: op.cid, prev: op.prev });
  }
  return out;
}

/** Verify a `#commit` event (see the module comment). Never throws for bad event content. */
export function verifyCommitEvent(evt: CommitEvent, opts: VerifyEventOptions): CommitVerifyResult {
  const strict = opts.strict ?? true;
  const validatePaths = opts.validatePaths ?? true;
  const reasons: string[] = [];
  const warnings: string[] = [...evt.warnings];
  const ops = toVerifiedOps(evt.ops);
  const result = (chain: ChainStatus, commit?: CommitCheck): CommitVerifyResult => {
    const ok = reasons.length === 0 && commit !== undefined;
    const signature = commit === undefined ? 'unchecked' : commit.signatureValid ? 'valid' : 'invalid';
    const out: CommitVerifyResult = { ok, reasons, warnings, chain, signature, ops };
    if (commit) out.commit = { cid: commit.cid, did: commit.commit.did, rev: commit.commit.rev, data: commit.commit.data };
    if (ok && commit) out.newState = { rev: commit.commit.rev, data: commit.commit.data, commitCid: commit.cid };
    return out;
  };

  // gates on the event itself.
  if (evt.blocks.length > MAX_COMMIT_BLOCKS_BYTES) reasons.push(`blocks is ${evt.blocks.length} bytes, over the ${MAX_COMMIT_BLOCKS_BYTES}-byte limit`);
  if (evt.ops.length > MAX_COMMIT_OPS) reasons.push(`${evt.ops.length} ops, over the limit of ${MAX_COMMIT_OPS}`);
  if (evt.tooBig) reasons.push('tooBig is true (deprecated; must be false)');
  if (evt.rebase) reasons.push('rebase is true (deprecated; must be false)');
  const timeProblem = checkDatetime(evt.time);
  if (timeProblem !== null) reasons.push(`time "${evt.time.slice(0, 64)}" is not a valid datetime: ${timeProblem}`);
  if (reasons.length > 0) return result('unknown');

  // op shapes.
  const shapes = checkCommitOps(evt.ops, { validatePaths, strict });
  reasons.push(...shapes.problems);
  warnings.push(...shapes.warnings);
  const opsUsable = shapes.problems.length === 0;

  // the CAR slice.
  const slice = readSlice(evt.blocks, MAX_COMMIT_BLOCKS_BYTES, reasons);
  if (slice === null) return result('unknown');
  if (!slice.root.equals(evt.commit)) reasons.push(`CAR root ${slice.root.toString()} != commit ${evt.commit.toString()}`);

  // the commit.
  const checked = checkCommit(slice, evt.commit, { did: evt.repo, rev: evt.rev, didField: 'repo' }, opts, reasons, warnings);
  if (checked === null) return result('unknown');
  const data = checked.commit.data;

  // Forward check of every op against the new tree, and the records.
  const tree = MutableMst.load(slice.blocks, data);
  if (opsUsable) {
    for (let i = 0; i < evt.ops.length; i++) {
      const op = evt.ops[i] as RepoOp;
      const label = opLabel(op);
      let got: Cid | null;
      try {
        got = tree.get(op.path);
      } catch (err) {
        reasons.push(`${label}: ${err instanceof IncompleteProofError ? `incomplete proof: MST node ${err.cid.toString()} is missing from blocks` : message(err)}`);
        continue;
      }
      if (op.action === 'delete') {
        if (got !== null) reasons.push(`${label}: the record is still in the tree (${got.toString()})`);
        continue;
      }
      const cid = op.cid as Cid;
      if (got === null) reasons.push(`${label}: not in the tree (the op says ${cid.toString()})`);
      else if (!got.equals(cid)) reasons.push(`${label}: the tree has ${got.toString()}, the op says ${cid.toString()}`);
      const bytes = slice.blocks.get(cid.key);
      if (bytes === undefined) {
        reasons.push(`${label}: record block ${cid.toString()} missing`);
        continue;
      }
      if (cid.codec !== CODEC_DAG_CBOR) {
        reasons.push(`${label}: record CID ${cid.toString()} does not use the dag-cbor codec`);
        continue;
      }
      const rec = decodeRecord(bytes);
      if ('problem' in rec) {
        reasons.push(`${label}: record block ${cid.toString()} ${rec.problem}`);
        continue;
      }
      const out = ops.find((o) => o.path === op.path);
      if (out) {
        out.record = rec.record;
        if (rec.record.$type !== out.collection) warnings.push(`${label}: record $type "${String(rec.record.$type)}" differs from the collection`);
      }
    }
  }

  // inversion → prevData.
  if (opsUsable) {
    if (evt.prevData === null) {
      if (evt.since === null && opts.state === undefined) {
        warnings.push('no prevData and no since (first commit of the repository): ops not checked by inversion');
      } else if (strict) {
        reasons.push('prevData missing (pre-sync-1.1 event): the ops cannot be checked by inversion');
      } else {
        warnings.push('prevData missing (pre-sync-1.1 event): inversion skipped');
      }
    } else if (reasons.length === 0) {
      const inverted = invertOps(tree.clone(), evt.ops);
      if (inverted.root === null) reasons.push(...inverted.reasons);
      else if (!inverted.root.equals(evt.prevData)) {
        reasons.push(`inverted root ${inverted.root.toString()} != prevData ${evt.prevData.toString()}${evt.ops.length === 0 ? ' (an empty commit must keep data unchanged)' : ''}`);
      }
    }
  }

  // the chain.
  let chain: ChainStatus = 'unknown';
  const state = opts.state;
  if (state !== undefined) {
    if (!(evt.rev > state.rev)) {
      reasons.push(`rev not newer: ${evt.rev} <= ${state.rev}`);
      chain = 'stale';
    } else if (evt.prevData === null) {
      if (evt.since === null) {
        reasons.push(`prevData does not continue the chain: expected ${state.data.toString()}, got none`);
        chain = 'broken';
      }
    } else if (!evt.prevData.equals(state.data)) {
      reasons.push(`prevData does not continue the chain: expected ${state.data.toString()}, got ${evt.prevData.toString()}`);
      chain = 'broken';
    } else {
      chain = 'continuous';
      if (evt.since !== null && evt.since !== state.rev) warnings.push(`since ${evt.since} != last rev ${state.rev}`);
    }
  }
  return result(chain, checked);
}

/** Verify a `#sync` event: the CAR holds the signed commit; did/rev match; signature. */
export function verifySyncEvent(evt: SyncEvent, opts: Omit<VerifyEventOptions, 'validatePaths'>): SyncVerifyResult {
  const reasons: string[] = [];
  const warnings: string[] = [...evt.warnings];
  const done = (chain: ChainStatus, resync: boolean, commit?: CommitCheck): SyncVerifyResult => {
    const ok = reasons.length === 0 && commit !== undefined;
    const signature = commit === undefined ? 'unchecked' : commit.signatureValid ? 'valid' : 'invalid';
    const out: SyncVerifyResult = { ok, reasons, warnings, chain, signature, resync: ok && resync };
    if (commit) out.commit = { cid: commit.cid, did: commit.commit.did, rev: commit.commit.rev, data: commit.commit.data };
    if (ok && commit) out.newState = { rev: commit.commit.rev, data: commit.commit.data, commitCid: commit.cid };
    return out;
  };
  if (evt.blocks.length > MAX_SYNC_BLOCKS_BYTES) {
    reasons.push(`blocks is ${evt.blocks.length} bytes, over the ${MAX_SYNC_BLOCKS_BYTES}-byte limit`);
    return done('unknown', false);
  }
  const timeProblem = checkDatetime(evt.time);
  if (timeProblem !== null) reasons.push(`time "${evt.time.slice(0, 64)}" is not a valid datetime: ${timeProblem}`);
  const slice = readSlice(evt.blocks, MAX_SYNC_BLOCKS_BYTES, reasons);
  if (slice === null) return done('unknown', false);
  const checked = checkCommit(slice, slice.root, { did: evt.did, rev: evt.rev, didField: 'did' }, opts, reasons, warnings);
  if (checked === null) return done('unknown', false);
  if (slice.count > 1) warnings.push(`blocks holds ${slice.count} blocks; a #sync carries only the commit`);
  const state = opts.state;
  if (state === undefined) return done('unknown', true, checked);
  if (evt.rev < state.rev) {
    reasons.push(`rev not newer: ${evt.rev} < ${state.rev}`);
    return done('stale', false, checked);
  }
  if (evt.rev === state.rev && checked.commit.data.equals(state.data)) return done('continuous', false, checked);
  return done('broken', true, checked);
}
