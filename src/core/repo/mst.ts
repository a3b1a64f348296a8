/**
 * Merkle Search Tree (spec:repository "MST Structure"): key heights, strict node parsing,
 * canonical node encoding and construction from a key → CID set.
 *
 * Heights use 2-bit leading-zero counting of SHA-256(key) (fanout 4). A node at layer h holds
 * only keys of height h; its child links (`l`, each `t`) point at layer h−1 nodes. Keys inside a
 * node are prefix-compressed against the previous key with the *maximal* common prefix, so the
 * structure, and every node's bytes, is a pure function of the key set.
 */
import { Cid, cidForCbor, sha256 } from '../codec/cid.js';
import { encodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';

export const MAX_MST_KEY_BYTES = 1024;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? utf8.encode(key) : key;
}

/** Height of a key: ⌊leading zero bits of SHA-256(key) / 2⌋. */
export function keyHeight(key: string | Uint8Array): number {
  const digest = sha256(keyBytes(key));
  let zeros = 0;
  for (let i = 0; i < digest.length; i++) {
    const byte = digest[i] as number;
    if (byte === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(byte) - 24;
    break;
  }
  return zeros >> 1;
}

export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Bytewise comparison of two keys (the MST's order). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export interface MstEntry {
  /** The full (decompressed) key. */
  key: Uint8Array;
  value: Cid;
  /** Subtree with keys between this entry and the next one. */
  right: Cid | null;
}

export interface MstNode {
  left: Cid | null;
  entries: MstEntry[];
}

export interface ParsedMstNode {
  node: MstNode;
  /** Leaf links that are not blessed dag-cbor/sha256 CIDs (M2 allows them, with a warning). */
  warnings: string[];
}

/** Thrown by {@link parseMstNode} with a message naming the rule broken. */
export class MstNodeError extends Error {
  override readonly name = 'MstNodeError';
}

function fail(message: string): never {
  throw new MstNodeError(message);
}

function isMap(v: CborValue): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

function exactKeys(map: CborMap, expected: readonly string[], what: string): void {
  const keys = Object.keys(map);
  for (const k of expected) if (!(k in map)) fail(`${what} has no "${k}" field`);
  if (keys.length !== expected.length) {
    const extra = keys.filter((k) => !expected.includes(k));
    fail(`${what} has unexpected field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`);
  }
}

function nodeLink(v: CborValue, what: string): Cid | null {
  if (v === null) return null;
  if (!(v instanceof Cid)) fail(`${what} is not a link or null`);
  if (!v.isBlessed) fail(`${what} ${v.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
  return v;
}

/**
 * Parses a decoded MST node strictly (M1–M4 at node level): exact fields, blessed child links,
 * maximal prefix compression, keys non-empty, ≤ 1024 bytes, strictly increasing. The layer and
 * cross-node rules need the tree and are checked by the walker.
 */
export function parseMstNode(value: CborValue): ParsedMstNode {
  if (!isMap(value)) fail('MST node is not a map');
  exactKeys(value, ['e', 'l'], 'MST node');
  const left = nodeLink(value.l as CborValue, 'left link "l"');
  const rawEntries = value.e as CborValue;
  if (!Array.isArray(rawEntries)) fail('entries "e" is not an array');
  const entries: MstEntry[] = [];
  const warnings: string[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < rawEntries.length; i++) {
    const raw = rawEntries[i] as CborValue;
    const what = `entry ${i}`;
    if (!isMap(raw)) fail(`${what} is not a map`);
    exactKeys(raw, ['k', 'p', 't', 'v'], what);
    const p = raw.p as CborValue;
    const suffix = raw.k as CborValue;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) fail(`${what} prefix length "p" is not a non-negative integer`);
    if (!(suffix instanceof Uint8Array)) fail(`${what} key suffix "k" is not a byte string`);
    if (i === 0 && p !== 0) fail(`${what} has prefix length ${p}; the first entry of a node must have 0`);
    if (p > prev.length) fail(`${what} prefix length ${p} is longer than the previous key (${prev.length} bytes)`);
    const key = new Uint8Array(p + suffix.length);
    key.set(prev.subarray(0, p), 0);
    key.set(suffix, p);
    if (key.length === 0) fail(`${what} has an empty key`);
    if (key.length > MAX_MST_KEY_BYTES) fail(`${what} key is ${key.length} bytes (at most ${MAX_MST_KEY_BYTES})`);
    if (i > 0) {
      const order = compareKeys(prev, key);
      if (order === 0) fail(`${what} repeats the key "${keyToString(key)}"`);
      if (order > 0) fail(`${what} key "${keyToString(key)}" sorts before the previous key "${keyToString(prev)}"`);
      const maximal = commonPrefixLength(prev, key);
      if (p !== maximal) fail(`${what} key "${keyToString(key)}" uses prefix length ${p}, but shares ${maximal} bytes with the previous key (compression must be maximal)`);
    }
    const v = raw.v as CborValue;
    if (!(v instanceof Cid)) fail(`${what} value "v" is not a link`);
    if (!v.isBlessed && !v.isRawBlob) warnings.push(`${what} record link ${v.toString()} is not a blessed CID`);
    const right = nodeLink(raw.t as CborValue, `${what} subtree link "t"`);
    entries.push({ key, value: v, right });
    prev = key;
  }
  return { node: { left, entries }, warnings };
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** Keys are usually UTF-8 repo paths (and almost always ASCII); anything else is shown escaped. */
export function keyToString(key: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < key.length; i++) {
    if ((key[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1Slice.call(key, 0, key.length);
  try {
    return utf8Decoder.decode(key);
  } catch {
    return Buffer.from(key).toString('hex');
  }
}

/** The canonical bytes of a node (maximal prefix compression, fields in DAG-CBOR order). */
export function encodeMstNode(node: MstNode): Uint8Array {
  const e: CborValue[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < node.entries.length; i++) {
    const entry = node.entries[i] as MstEntry;
    const p = i === 0 ? 0 : commonPrefixLength(prev, entry.key);
    e.push({ k: entry.key.subarray(p), p, t: entry.right, v: entry.value });
    prev = entry.key;
  }
  return encodeCbor({ e, l: node.left });
}

export interface MstBlock {
  cid: Cid;
  bytes: Uint8Array;
}

export interface BuiltMst {
  root: Cid;
  /** Every node of the tree, keyed by {@link Cid.key}. */
  nodes: Map<string, MstBlock>;
  /** Layer of the root node. */
  rootLayer: number;
}

interface KeyedEntry {
  key: Uint8Array;
  value: Cid;
  height: number;
}

/**
 * Builds the canonical MST for a key → CID set. Used to recompute `data` roots, to produce
 * nodes for proofs, and by tests. Keys must be unique.
 */
export function buildMst(pairs: Iterable<readonly [string | Uint8Array, Cid]>): BuiltMst {
  const entries: KeyedEntry[] = [];
  for (const [k, value] of pairs) {
    const key = keyBytes(k);
    if (key.length === 0 || key.length > MAX_MST_KEY_BYTES) throw new MstNodeError(`key "${keyToString(key)}" must be 1 to ${MAX_MST_KEY_BYTES} bytes`);
    entries.push({ key, value, height: keyHeight(key) });
  }
  entries.sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < entries.length; i++) {
    if (compareKeys((entries[i - 1] as KeyedEntry).key, (entries[i] as KeyedEntry).key) === 0) {
      throw new MstNodeError(`duplicate key "${keyToString((entries[i] as KeyedEntry).key)}"`);
    }
  }
  const nodes = new Map<string, MstBlock>();
  let rootLayer = 0;
  for (const e of entries) if (e.height > rootLayer) rootLayer = e.height;
  const root = buildLayer(entries, 0, entries.length, rootLayer, nodes);
  return { root, nodes, rootLayer };
}

function store(node: MstNode, nodes: Map<string, MstBlock>): Cid {
  const bytes = encodeMstNode(node);
  const cid = cidForCbor(bytes);
  nodes.set(cid.key, { cid, bytes });
  return cid;
}

/** The node at `layer` holding entries[from, to); all of them have height ≤ layer. */
function buildLayer(entries: KeyedEntry[], from: number, to: number, layer: number, nodes: Map<string, MstBlock>): Cid {
  if (layer === 0) {
    const node: MstNode = { left: null, entries: [] };
    for (let i = from; i < to; i++) {
      const e = entries[i] as KeyedEntry;
      node.entries.push({ key: e.key, value: e.value, right: null });
    }
    return store(node, nodes);
  }
  const node: MstNode = { left: null, entries: [] };
  let gapStart = from;
  let first = true;
  for (let i = from; i <= to; i++) {
    if (i < to && (entries[i] as KeyedEntry).height !== layer) continue;
    const sub = i > gapStart ? buildLayer(entries, gapStart, i, layer - 1, nodes) : null;
    if (first) node.left = sub;
    else (node.entries[node.entries.length - 1] as MstEntry).right = sub;
    first = false;
    if (i < to) {
      const e = entries[i] as KeyedEntry;
      node.entries.push({ key: e.key, value: e.value, right: null });
    }
    gapStart = i + 1;
  }
  return store(node, nodes);
}

/** CID of the empty tree's root node `{e: [], l: null}`. */
export const EMPTY_MST_ROOT = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
