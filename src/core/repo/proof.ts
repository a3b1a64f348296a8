/**
 * Record inclusion (and exclusion) proofs: the CAR `com.atproto.sync.getRecord` serves — a signed
 * commit plus the MST nodes on the path from `data` to one key, plus the record block.
 *
 * The check: a strict CAR read with every block's hash verified; the root is a well-formed v3
 * commit of the expected DID, signed (over the whole decoded map minus `sig`) by the given key;
 * then the key is followed from `data` down the partial tree. Every node on the path is parsed
 * strictly, every key in it must have the node's layer (2-bit leading zeros of its SHA-256), a
 * child sits exactly one layer below its parent, and its keys lie inside the parent's gap. The
 * walk stops at the entry holding the key, or at the place the key would be: a gap without a
 * subtree, or a node whose layer is not above the key's own height — that is a proof of absence.
 * A present key's record block must be in the CAR, hash to its CID, decode, and carry
 * `$type` equal to the collection.
 */
import { Cid, CODEC_DAG_CBOR, MH_SHA256, digestEquals, sha256 } from '../codec/cid.js';
import { decodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { readCarBytes, type CarReadOptions } from '../codec/car.js';
import type { PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { FUTURE_REV_TOLERANCE_MS, parseCommit, revTimeMs, verifyCommitSignature, type ParsedCommit } from './commit.js';
import { compareKeys, keyBytes, keyHeight, keyToString, MstNodeError, parseMstNode, type MstNode } from './mst.js';

export interface ProofCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RecordProofOptions {
  /** The repository the proof must belong to (the commit's `did`). */
  did: string;
  collection: string;
  rkey: string;
  /** The account's signing key (from its DID document). */
  key: PublicKey;
  /** Current time for the future-rev check (ms since epoch). */
  now?: number;
  car?: CarReadOptions;
}

export interface RecordProofResult {
  /** Every check passed: the commit is authentic and the path proves presence (`cid`) or absence (`cid: null`). */
  valid: boolean;
  /** The record's CID as the tree holds it; null when the proof shows absence (or the path could not be followed). */
  cid: string | null;
  /** The record (decoded) when present and its block checks out. */
  record?: CborValue;
  /** True when the path ends at the key, false when it proves the key absent, null when the walk failed. */
  present: boolean | null;
  commit: { did: string; rev: string; data: string } | null;
  checks: ProofCheck[];
  errors: string[];
}

/** An MST is at most this deep (a 256-bit hash has 128 two-bit digits; real trees stay far below). */
const MAX_PATH_NODES = 129;

function isMap(v: CborValue): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

function message(err: unknown): string {
  return err instanceof MstNodeError || isAtcliError(err) || err instanceof Error ? err.message : String(err);
}

function q(key: Uint8Array): string {
  return JSON.stringify(keyToString(key));
}

/** "between "a" and "b"", "before "b"", "after "a"", or "" for an unbounded range. */
function range(lo: Uint8Array | null, hi: Uint8Array | null): string {
  if (lo && hi) return `between ${q(lo)} and ${q(hi)}`;
  if (lo) return `after ${q(lo)}`;
  if (hi) return `before ${q(hi)}`;
  return 'spanning all keys';
}

export function verifyRecordProof(car: Uint8Array, opts: RecordProofOptions): RecordProofResult {
  const result: RecordProofResult = { valid: false, cid: null, present: null, commit: null, checks: [], errors: [] };
  const check = (name: string, ok: boolean, detail: string): void => {
    result.checks.push({ name, ok, detail });
    if (!ok) result.errors.push(`${name}: ${detail}`);
  };
  const finish = (): RecordProofResult => {
    result.valid = result.checks.length > 0 && result.checks.every((c) => c.ok);
    return result;
  };

  // --- CAR structure (hashes are checked below, block by block, so failures can be named) ---
  let root: Cid;
  const blocks = new Map<string, Uint8Array>();
  const corrupt = new Map<string, string>();
  let count = 0;
  try {
    const reader = readCarBytes(car, { maxBlocks: 100_000, ...opts.car, verifyHashes: false });
    root = reader.header.roots[0] as Cid;
    for (const block of reader) {
      count++;
      const cid = block.cid;
      const key = cid.key;
      let problem: string | undefined;
      if (cid.version !== 1 || cid.multihashCode !== MH_SHA256 || cid.bytes.length - cid.digestOffset !== 32) {
        problem = `block ${cid.toString()} is not addressed by a CIDv1 sha2-256 hash`;
      } else if (!digestEquals(sha256(block.bytes), cid.bytes, cid.digestOffset)) {
        problem = `block ${cid.toString()} (at byte ${block.offset}) does not match its hash`;
      }
      if (problem !== undefined) {
        if (!blocks.has(key)) corrupt.set(key, problem);
        continue;
      }
      blocks.set(key, block.bytes);
      corrupt.delete(key);
    }
  } catch (err) {
    check('car', false, message(err));
    return finish();
  }
  check('car', true, `CAR v1, root ${root.toString()}, ${count} block${count === 1 ? '' : 's'}, ${car.length} bytes`);
  check('hashes', corrupt.size === 0, corrupt.size === 0 ? `all ${count} blocks match their CIDs (sha2-256)` : [...corrupt.values()].join('; '));

  // --- commit ---
  let parsed: ParsedCommit | undefined;
  const commitBytes = blocks.get(root.key);
  if (!root.isBlessed) {
    check('commit', false, `the root CID ${root.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
  } else if (commitBytes === undefined) {
    check('commit', false, corrupt.has(root.key) ? `the commit block ${root.toString()} fails its hash check` : `the root block ${root.toString()} (the commit) is not in the CAR`);
  } else {
    let value: CborValue | undefined;
    try {
      value = decodeCbor(commitBytes);
    } catch (err) {
      check('commit', false, `the commit block ${root.toString()} does not decode as canonical DAG-CBOR: ${message(err)}`);
    }
    if (value !== undefined) {
      const r = parseCommit(value);
      if (!r.parsed) {
        check('commit', false, `the root block ${root.toString()} is not a valid commit: ${r.problems.join('; ')}`);
      } else {
        parsed = r.parsed;
        const c = parsed.commit;
        result.commit = { did: c.did, rev: c.rev, data: c.data.toString() };
        const problems: string[] = [];
        if (parsed.unknownFields.length > 0) {
          problems.push(`commit carries unknown field${parsed.unknownFields.length > 1 ? 's' : ''} ${parsed.unknownFields.map((f) => `"${f}"`).join(', ')}`);
        }
        const now = opts.now ?? Date.now();
        if (revTimeMs(c.rev) > now + FUTURE_REV_TOLERANCE_MS) problems.push(`commit rev ${c.rev} is in the future (${new Date(revTimeMs(c.rev)).toISOString()})`);
        check('commit', problems.length === 0, problems.length === 0 ? `commit ${root.toString()}: version 3, rev ${c.rev}, data ${c.data.toString()}` : problems.join('; '));
      }
    }
  }
  if (!parsed) return finish();

  check('did', parsed.commit.did === opts.did, parsed.commit.did === opts.did ? `commit belongs to ${opts.did}` : `commit belongs to ${parsed.commit.did}, expected ${opts.did}`);
  const sig = verifyCommitSignature(parsed, opts.key);
  check('signature', sig.ok, sig.ok ? `valid ${opts.key.type} signature by ${opts.key.did()}` : `${sig.reason} (key ${opts.key.did()})`);

  // --- the path from `data` to the key ---
  const path = `${opts.collection}/${opts.rkey}`;
  const target = keyBytes(path);
  const targetHeight = keyHeight(target);
  const walk = walkPath(parsed.commit.data, target, targetHeight, blocks, corrupt);
  if (!walk.ok) {
    check('mst', false, walk.problem);
    return finish();
  }
  const layers = walk.layers.length > 1 ? `layers ${walk.layers[0]} → ${walk.layers[walk.layers.length - 1]}` : `layer ${walk.layers[0]}`;
  const nodes = `${walk.layers.length} node${walk.layers.length === 1 ? '' : 's'} (${layers})`;

  if (walk.value === null) {
    result.present = false;
    check('mst', true, `${nodes} from data ${parsed.commit.data.toString()}; keys on their layers, in order, inside their parent's range`);
    check('record', true, `${path} is not in the repository: ${walk.absence}`);
    return finish();
  }

  const value = walk.value;
  result.present = true;
  result.cid = value.toString();
  check('mst', true, `${nodes} from data ${parsed.commit.data.toString()} to ${path}, found in node ${walk.node.toString()}; keys on their layers, in order, inside their parent's range`);

  // --- the record block ---
  const what = `record ${path} (${value.toString()})`;
  const bytes = blocks.get(value.key);
  if (bytes === undefined) {
    check('record', false, corrupt.has(value.key) ? `${what} fails its hash check` : `${what} is missing from the proof`);
  } else if (value.codec !== CODEC_DAG_CBOR) {
    check('record', false, `${what} uses codec 0x${value.codec.toString(16)}, not dag-cbor`);
  } else {
    let record: CborValue | undefined;
    try {
      record = decodeCbor(bytes);
    } catch (err) {
      check('record', false, `${what} does not decode as canonical DAG-CBOR: ${message(err)}`);
    }
    if (record !== undefined) {
      if (!isMap(record)) check('record', false, `${what} is not a map`);
      else if (typeof record.$type !== 'string' || record.$type === '') check('record', false, `${what} has no "$type"`);
      else if (record.$type !== opts.collection) check('record', false, `${what} has $type "${record.$type}", not its collection "${opts.collection}"`);
      else {
        result.record = record;
        check('record', true, `${path} → ${value.toString()}, hash matches, $type ${opts.collection}`);
      }
    }
  }
  return finish();
}

type Walk =
  | { ok: true; value: Cid; node: Cid; layers: number[] }
  | { ok: true; value: null; absence: string; layers: number[] }
  | { ok: false; problem: string };

function walkPath(data: Cid, target: Uint8Array, targetHeight: number, blocks: Map<string, Uint8Array>, corrupt: Map<string, string>): Walk {
  const layers: number[] = [];
  let cid = data;
  let expectedLayer: number | undefined;
  let lo: Uint8Array | null = null;
  let hi: Uint8Array | null = null;
  let where = '(the data root)';
  const fail = (problem: string): Walk => ({ ok: false, problem });

  for (let step = 0; step < MAX_PATH_NODES; step++) {
    const name = `MST node ${cid.toString()} ${where}`;
    const bytes = blocks.get(cid.key);
    if (bytes === undefined) return fail(corrupt.has(cid.key) ? `${name} fails its hash check` : `${name} is missing from the proof`);
    let node: MstNode;
    try {
      node = parseMstNode(decodeCbor(bytes)).node;
    } catch (err) {
      return fail(`${name}: ${message(err)}`);
    }
    const isRoot = expectedLayer === undefined;
    const entries = node.entries;
    let layer: number;
    if (entries.length > 0) {
      layer = expectedLayer ?? keyHeight((entries[0] as MstNode['entries'][number]).key);
      for (const e of entries) {
        const h = keyHeight(e.key);
        if (h !== layer) return fail(`key ${q(e.key)} has height ${h} but sits in layer-${layer} ${name}`);
      }
      const first = (entries[0] as MstNode['entries'][number]).key;
      const last = (entries[entries.length - 1] as MstNode['entries'][number]).key;
      if (lo && compareKeys(first, lo) <= 0) return fail(`${name} holds key ${q(first)}, which is not after ${q(lo)} (outside its parent's range)`);
      if (hi && compareKeys(last, hi) >= 0) return fail(`${name} holds key ${q(last)}, which is not before ${q(hi)} (outside its parent's range)`);
    } else if (isRoot) {
      if (node.left !== null) return fail(`the root ${name} has no entries but points to a subtree (the root must not be a pointer-only node)`);
      layers.push(0);
      return { ok: true, value: null, absence: `the tree is empty (data ${cid.toString()} has no entries)`, layers };
    } else {
      if (node.left === null) return fail(`${name} is empty (only the root of an empty repository may be)`);
      layer = expectedLayer as number;
    }
    if (layer < 0) return fail(`${name} sits below layer 0`);
    if (layer === 0 && (node.left !== null || entries.some((e) => e.right !== null))) return fail(`layer-0 ${name} has a subtree link`);
    layers.push(layer);

    // First entry whose key is ≥ the target.
    let i = 0;
    while (i < entries.length && compareKeys((entries[i] as MstNode['entries'][number]).key, target) < 0) i++;
    const at = entries[i];
    if (at && compareKeys(at.key, target) === 0) return { ok: true, value: at.value, node: cid, layers };

    const prev = i > 0 ? (entries[i - 1] as MstNode['entries'][number]) : undefined;
    const gapLo: Uint8Array | null = prev ? prev.key : lo;
    const gapHi: Uint8Array | null = at ? at.key : hi;
    const gap = range(gapLo, gapHi);
    if (targetHeight > layer) {
      return { ok: true, value: null, absence: `its key has height ${targetHeight}, above the top layer ${layer} of the tree (root ${cid.toString()})`, layers };
    }
    if (targetHeight === layer) {
      return { ok: true, value: null, absence: `its key has height ${layer}, so it could only be an entry of layer-${layer} node ${cid.toString()}, and it is not one (the node has nothing ${gap})`, layers };
    }
    const link = prev ? prev.right : node.left;
    if (link === null) {
      return { ok: true, value: null, absence: `layer-${layer} node ${cid.toString()} has no subtree ${gap}, where the key would be`, layers };
    }
    where = `(layer ${layer - 1}, the subtree ${gap} of node ${cid.toString()})`;
    cid = link;
    expectedLayer = layer - 1;
    lo = gapLo;
    hi = gapHi;
  }
  return fail(`the path from data ${data.toString()} is deeper than ${MAX_PATH_NODES} nodes`);
}
