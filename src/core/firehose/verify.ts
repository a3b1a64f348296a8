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
import { checkCborRecord, decodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { Cid, CODEC_DAG_CBOR } from '../codec/cid.js';
import { checkSignatureBytes, verifySignature, type PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { FUTURE_REV_TOLERANCE_MS, parseCommit, revTimeMs, unsignedCommitBytes, type Commit } from '../repo/commit.js';
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

/** What the checks that need no account state found (they can run anywhere, in any order). */
export interface ContentResult {
  /** Every stateless check passed. */
  ok: boolean;
  reasons: string[];
  warnings: string[];
  /**
   * `invalid`: the commit did not verify under any candidate key — the caller should re-resolve
   * the account's key once, bypassing caches, and verify again. `unchecked`: the commit
   * could not be read.
   */
  signature: 'valid' | 'invalid' | 'unchecked';
  /** Index in the candidate keys of the key that verified the signature; -1 when none did. */
  keyIndex: number;
  /** The signed commit, once it parsed (whether or not later checks passed). */
  commit?: { cid: Cid; did: string; rev: string; data: Cid };
}

export interface CommitContentResult extends ContentResult {
  ops: VerifiedOp[];
  /**
   * The op list was well-formed. An event without `prevData` (pre-sync-1.1, or the first commit
   * of a repository) is then judged by {@link commitChain}, which depends on the account's state.
   */
  opsUsable: boolean;
}

export interface EventVerifyResult extends ContentResult {
  chain: ChainStatus;
  /** The account's state after this event; set only when `ok`. */
  newState?: Required<AccountState>;
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
  /** The account's signing key (the caller resolves, caches and refreshes it)… */
  key?: PublicKey;
  /**
   * …or the keys to try, in order (history-aware verification: the key in force when the event
   * was sequenced comes first). The result's `keyIndex` says which one verified.
   */
  keys?: readonly PublicKey[];
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
  /** Keep the decoded records in the ops (default true); false checks them without building them. */
  records?: boolean;
}

/**
 * The account state the chain checks compare with, in a form that crosses threads: CIDs as
 * their string form.
 */
export interface ChainState {
  rev: string;
  data: string;
}

/** What the chain check of one event says: its status, and the reasons/warnings it adds. */
export interface ChainResult {
  chain: ChainStatus;
  reasons: string[];
  warnings: string[];
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
  keyIndex: number;
}

function candidateKeys(opts: VerifyEventOptions): readonly PublicKey[] {
  if (opts.keys !== undefined) return opts.keys;
  return opts.key !== undefined ? [opts.key] : [];
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
  const keys = candidateKeys(opts);
  let keyIndex = -1;
  let failure = 'no signing key to check it with';
  if (keys.length > 0) {
    const unsigned = unsignedCommitBytes(parsed.parsed.map);
    for (let i = 0; i < keys.length; i++) {
      const sig = verifySignature(keys[i] as PublicKey, unsigned, c.sig);
      if (sig.ok) {
        keyIndex = i;
        break;
      }
      // A malformed signature fails the same way under every key.
      failure = sig.reason;
      if (i === 0 && checkSignatureBytes(c.sig, (keys[0] as PublicKey).type) !== null) break;
    }
  }
  if (keyIndex < 0) {
    const tried = keys.length === 1 ? `key ${(keys[0] as PublicKey).did()}` : `${keys.length} candidate keys`;
    reasons.push(`bad signature: ${failure} (${tried})`);
  }
  return { commit: c, cid, keyIndex };
}

/** A record block checked (DRISL, a map with a `$type`); decoded only when `keep` asks for the value. */
function checkRecord(bytes: Uint8Array, keep: boolean): { record: CborMap | null; type: string } | { problem: string } {
  if (bytes.length > MAX_RECORD_BYTES) return { problem: `is ${bytes.length} bytes, over the ${MAX_RECORD_BYTES}-byte record limit` };
  let record: CborMap | null = null;
  let type: unknown;
  try {
    if (keep) {
      const value = decodeCbor(bytes);
      if (!isMap(value)) return { problem: 'is not a map' };
      record = value;
      type = value.$type;
    } else {
      const checked = checkCborRecord(bytes);
      if (!checked.isMap) return { problem: 'is not a map' };
      type = checked.type;
    }
  } catch (err) {
    return { problem: `is not canonical DRISL: ${message(err)}` };
  }
  if (typeof type !== 'string' || type.length === 0) return { problem: `has ${type === undefined ? 'no' : 'an invalid'} "$type"` };
  return { record, type };
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

/**
 * The checks of a `#commit` event that need no account state (everything but the chain): they can
 * run in any order, on any thread. Never throws for bad event content.
 */
export function verifyCommitContent(evt: CommitEvent, opts: Omit<VerifyEventOptions, 'state'>): CommitContentResult {
  const strict = opts.strict ?? true;
  const validatePaths = opts.validatePaths ?? true;
  const reasons: string[] = [];
  const warnings: string[] = [...evt.warnings];
  const ops = toVerifiedOps(evt.ops);
  let opsUsable = false;
  const result = (commit?: CommitCheck): CommitContentResult => {
    const ok = reasons.length === 0 && commit !== undefined;
    const signature = commit === undefined ? 'unchecked' : commit.keyIndex >= 0 ? 'valid' : 'invalid';
    const out: CommitContentResult = { ok, reasons, warnings, signature, keyIndex: commit?.keyIndex ?? -1, ops, opsUsable };
    if (commit) out.commit = { cid: commit.cid, did: commit.commit.did, rev: commit.commit.rev, data: commit.commit.data };
    return out;
  };

  // gates on the event itself.
  if (evt.blocks.length > MAX_COMMIT_BLOCKS_BYTES) reasons.push(`blocks is ${evt.blocks.length} bytes, over the ${MAX_COMMIT_BLOCKS_BYTES}-byte limit`);
  if (evt.ops.length > MAX_COMMIT_OPS) reasons.push(`${evt.ops.length} ops, over the limit of ${MAX_COMMIT_OPS}`);
  if (evt.tooBig) reasons.push('tooBig is true (deprecated; must be false)');
  if (evt.rebase) reasons.push('rebase is true (deprecated; must be false)');
  const timeProblem = checkDatetime(evt.time);
  if (timeProblem !== null) reasons.push(`time "${evt.time.slice(0, 64)}" is not a valid datetime: ${timeProblem}`);
  if (reasons.length > 0) return result();

  // op shapes.
  const shapes = checkCommitOps(evt.ops, { validatePaths, strict });
  reasons.push(...shapes.problems);
  warnings.push(...shapes.warnings);
  opsUsable = shapes.problems.length === 0;

  // the CAR slice.
  const slice = readSlice(evt.blocks, MAX_COMMIT_BLOCKS_BYTES, reasons);
  if (slice === null) return result();
  if (!slice.root.equals(evt.commit)) reasons.push(`CAR root ${slice.root.toString()} != commit ${evt.commit.toString()}`);

  // the commit.
  const checked = checkCommit(slice, evt.commit, { did: evt.repo, rev: evt.rev, didField: 'repo' }, opts, reasons, warnings);
  if (checked === null) return result();
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
      const rec = checkRecord(bytes, opts.records ?? true);
      if ('problem' in rec) {
        reasons.push(`${label}: record block ${cid.toString()} ${rec.problem}`);
        continue;
      }
      const out = ops.find((o) => o.path === op.path);
      if (out) {
        if (rec.record !== null) out.record = rec.record;
        if (rec.type !== out.collection) warnings.push(`${label}: record $type "${rec.type}" differs from the collection`);
      }
    }
  }

  // inversion → prevData (an event without prevData is judged with the chain).
  if (opsUsable && evt.prevData !== null && reasons.length === 0) {
    const inverted = invertOps(tree.clone(), evt.ops);
    if (inverted.root === null) reasons.push(...inverted.reasons);
    else if (!inverted.root.equals(evt.prevData)) {
      reasons.push(`inverted root ${inverted.root.toString()} != prevData ${evt.prevData.toString()}${evt.ops.length === 0 ? ' (an empty commit must keep data unchanged)' : ''}`);
    }
  }
  return result(checked);
}

/**
 * and the legacy rules: how a commit continues the account's chain. `prevData` is null
 * when the event carries none; `contentOk` says whether the stateless checks passed (a legacy
 * event is only judged when its op shapes were usable).
 */
export function commitChain(
  evt: { rev: string; since: string | null; prevData: string | null; opsUsable: boolean },
  state: ChainState | undefined,
  strict = true,
): ChainResult {
  const reasons: string[] = [];
  const warnings: string[] = [];
  if (evt.prevData === null && evt.opsUsable) {
    if (evt.since === null && state === undefined) {
      warnings.push('no prevData and no since (first commit of the repository): ops not checked by inversion');
    } else if (strict) {
      reasons.push('prevData missing (pre-sync-1.1 event): the ops cannot be checked by inversion');
    } else {
      warnings.push('prevData missing (pre-sync-1.1 event): inversion skipped');
    }
  }
  let chain: ChainStatus = 'unknown';
  if (state !== undefined) {
    if (!(evt.rev > state.rev)) {
      reasons.push(`rev not newer: ${evt.rev} <= ${state.rev}`);
      chain = 'stale';
    } else if (evt.prevData === null) {
      if (evt.since === null) {
        reasons.push(`prevData does not continue the chain: expected ${state.data}, got none`);
        chain = 'broken';
      }
    } else if (evt.prevData !== state.data) {
      reasons.push(`prevData does not continue the chain: expected ${state.data}, got ${evt.prevData}`);
      chain = 'broken';
    } else {
      chain = 'continuous';
      if (evt.since !== null && evt.since !== state.rev) warnings.push(`since ${evt.since} != last rev ${state.rev}`);
    }
  }
  return { chain, reasons, warnings };
}

/** F23: how a `#sync` (declaring `rev` and MST root `data`) relates to the stored state. */
export function syncChain(evt: { rev: string; data: string }, state: ChainState | undefined): ChainResult & { resync: boolean } {
  if (state === undefined) return { chain: 'unknown', reasons: [], warnings: [], resync: true };
  if (evt.rev < state.rev) return { chain: 'stale', reasons: [`rev not newer: ${evt.rev} < ${state.rev}`], warnings: [], resync: false };
  if (evt.rev === state.rev && evt.data === state.data) return { chain: 'continuous', reasons: [], warnings: [], resync: false };
  return { chain: 'broken', reasons: [], warnings: [], resync: true };
}

const chainStateOf = (state: AccountState | undefined): ChainState | undefined => (state === undefined ? undefined : { rev: state.rev, data: state.data.toString() });

/** Verify a `#commit` event (see the module comment). Never throws for bad event content. */
export function verifyCommitEvent(evt: CommitEvent, opts: VerifyEventOptions): CommitVerifyResult {
  const content = verifyCommitContent(evt, opts);
  const { opsUsable, ...rest } = content;
  const chain = content.commit === undefined
    ? { chain: 'unknown' as const, reasons: [], warnings: [] }
    : commitChain({ rev: evt.rev, since: evt.since, prevData: evt.prevData?.toString() ?? null, opsUsable }, chainStateOf(opts.state), opts.strict ?? true);
  const reasons = [...content.reasons, ...chain.reasons];
  const ok = reasons.length === 0 && content.commit !== undefined;
  const out: CommitVerifyResult = { ...rest, ok, reasons, warnings: [...content.warnings, ...chain.warnings], chain: chain.chain };
  if (ok && content.commit) out.newState = { rev: content.commit.rev, data: content.commit.data, commitCid: content.commit.cid };
  return out;
}

/** The checks of a `#sync` event that need no account state: the CAR holds the signed commit; did/rev match; signature. */
export function verifySyncContent(evt: SyncEvent, opts: Omit<VerifyEventOptions, 'validatePaths' | 'state'>): ContentResult {
  const reasons: string[] = [];
  const warnings: string[] = [...evt.warnings];
  const done = (commit?: CommitCheck): ContentResult => {
    const ok = reasons.length === 0 && commit !== undefined;
    const signature = commit === undefined ? 'unchecked' : commit.keyIndex >= 0 ? 'valid' : 'invalid';
    const out: ContentResult = { ok, reasons, warnings, signature, keyIndex: commit?.keyIndex ?? -1 };
    if (commit) out.commit = { cid: commit.cid, did: commit.commit.did, rev: commit.commit.rev, data: commit.commit.data };
    return out;
  };
  if (evt.blocks.length > MAX_SYNC_BLOCKS_BYTES) {
    reasons.push(`blocks is ${evt.blocks.length} bytes, over the ${MAX_SYNC_BLOCKS_BYTES}-byte limit`);
    return done();
  }
  const timeProblem = checkDatetime(evt.time);
  if (timeProblem !== null) reasons.push(`time "${evt.time.slice(0, 64)}" is not a valid datetime: ${timeProblem}`);
  const slice = readSlice(evt.blocks, MAX_SYNC_BLOCKS_BYTES, reasons);
  if (slice === null) return done();
  const checked = checkCommit(slice, slice.root, { did: evt.did, rev: evt.rev, didField: 'did' }, opts, reasons, warnings);
  if (checked === null) return done();
  if (slice.count > 1) warnings.push(`blocks holds ${slice.count} blocks; a #sync carries only the commit`);
  return done(checked);
}

/** Verify a `#sync` event: the content checks, then how it relates to the stored state. */
export function verifySyncEvent(evt: SyncEvent, opts: Omit<VerifyEventOptions, 'validatePaths'>): SyncVerifyResult {
  const content = verifySyncContent(evt, opts);
  if (content.commit === undefined) return { ...content, chain: 'unknown', resync: false };
  const chain = syncChain({ rev: evt.rev, data: content.commit.data.toString() }, chainStateOf(opts.state));
  const reasons = [...content.reasons, ...chain.reasons];
  const ok = reasons.length === 0;
  const out: SyncVerifyResult = { ...content, ok, reasons, chain: chain.chain, resync: ok && chain.resync };
  if (ok) out.newState = { rev: content.commit.rev, data: content.commit.data, commitCid: content.commit.cid };
  return out;
}
