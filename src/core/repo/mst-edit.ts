/**
 * A mutable Merkle Search Tree over a *partial* block set, for sync 1.1 inversion and for
 * building covering proofs.
 *
 * Nodes are loaded lazily from a `Map<cidKey, bytes>` the first time an operation touches them.
 * A node that is needed but absent throws {@link IncompleteProofError} naming its CID (a proof
 * never fetches anything). Every loaded node is checked strictly: canonical DRISL, exact node
 * shape and maximal prefix compression (`parseMstNode`), every key at the node's layer,
 * keys inside the bounds its parent gives it, no empty leaf below the root and no
 * pointer-only root, no subtree link on layer 0, and at most `maxNodeEntries` entries.
 * Violations throw {@link InvalidMstError}. The block map must hold blocks whose hashes were
 * already checked (as `readCarBytes` does).
 *
 * Operations keep the canonical shape, i.e. the tree after any sequence of inserts and removes is
 * node for node the tree `buildMst` builds from the same key set: inserting a key above the root
 * pushes the old tree down (splitting it around the key and adding empty intermediate layers),
 * inserting into a layer splits the subtree that spans the key, removing a key merges the two
 * subtrees it separated (recursively down the seam), empty subtrees disappear, and the root is
 * trimmed while it is only a pointer. Nodes are never mutated in place: an edit builds new nodes
 * along its path and shares the rest, so {@link MutableMst.clone} is free.
 */
import { Cid, cidForCbor } from '../codec/cid.js';
import { decodeCbor } from '../codec/cbor.js';
import { AtcliError, invalid, isAtcliError } from '../errors.js';
import {
  MAX_MST_KEY_BYTES,
  MstNodeError,
  compareKeys,
  encodeMstNode,
  keyBytes,
  keyHeight,
  keyToString,
  parseMstNode,
  type MstBlock,
  type MstNode,
} from './mst.js';

/** A node the operation needs is not in the block set. */
export class IncompleteProofError extends AtcliError {
  readonly cid: Cid;
  constructor(cid: Cid) {
    super('invalid', 'IncompleteProof', `incomplete proof: MST node ${cid.toString()} is missing from the blocks`, {
      details: { cid: cid.toString() },
    });
    this.name = 'IncompleteProofError';
    this.cid = cid;
  }
}

/** A node in the block set breaks an MST rule. */
export class InvalidMstError extends AtcliError {
  readonly cid: Cid | null;
  constructor(cid: Cid | null, problem: string) {
    super('invalid', 'InvalidMst', cid ? `MST node ${cid.toString()}: ${problem}` : problem, {
      details: cid ? { cid: cid.toString() } : {},
    });
    this.name = 'InvalidMstError';
    this.cid = cid;
  }
}

/** Anything with `get(cidKey)`, e.g. a `Map<string, Uint8Array>` keyed by `Cid.key`. */
export interface MstBlockSource {
  get(cidKey: string): Uint8Array | undefined;
}

export interface MutableMstOptions {
  /** A node with more entries is invalid (M11 key-mining limit). Default 1024. */
  maxNodeEntries?: number;
}

interface LeafEntry {
  readonly kind: 'leaf';
  readonly key: Uint8Array;
  readonly value: Cid;
}

interface TreeEntry {
  readonly kind: 'tree';
  readonly tree: Tree;
}

type Entry = LeafEntry | TreeEntry;

/**
 * One node: either loaded (`entries` set) or a reference to a block (`cid` set, `entries` null).
 * `cid === null` means the node was built by an edit and is not hashed yet.
 */
class Tree {
  /** −1 until the root is loaded (its layer comes from its keys). */
  layer: number;
  cid: Cid | null;
  entries: Entry[] | null;
  bytes: Uint8Array | null;
  /** Exclusive key bounds the parent imposes (checked on load). */
  readonly lo: Uint8Array | null;
  readonly hi: Uint8Array | null;

  constructor(layer: number, cid: Cid | null, entries: Entry[] | null, lo: Uint8Array | null = null, hi: Uint8Array | null = null) {
    this.layer = layer;
    this.cid = cid;
    this.entries = entries;
    this.bytes = null;
    this.lo = lo;
    this.hi = hi;
  }
}

function leafOf(key: Uint8Array, value: Cid): LeafEntry {
  return { kind: 'leaf', key, value };
}

function treeOf(tree: Tree): TreeEntry {
  return { kind: 'tree', tree };
}

function built(layer: number, entries: Entry[]): Tree {
  return new Tree(layer, null, entries);
}

/** Index of the first leaf whose key is ≥ `key` (entries.length if none). */
function gteIndex(entries: Entry[], key: Uint8Array): number {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry;
    if (e.kind === 'leaf' && compareKeys(e.key, key) >= 0) return i;
  }
  return entries.length;
}

function isLeafWithKey(e: Entry | undefined, key: Uint8Array): e is LeafEntry {
  return e !== undefined && e.kind === 'leaf' && compareKeys(e.key, key) === 0;
}

function checkKey(key: Uint8Array): void {
  if (key.length === 0 || key.length > MAX_MST_KEY_BYTES) {
    throw invalid('InvalidMstKey', `MST key "${keyToString(key)}" must be 1 to ${MAX_MST_KEY_BYTES} bytes`);
  }
}

interface EditResult {
  tree: Tree;
  /** Value the key had before (null: absent). */
  prev: Cid | null;
  /** False when nothing changed. */
  changed: boolean;
}

export class MutableMst {
  private readonly blocks: MstBlockSource;
  private readonly maxNodeEntries: number;
  private root: Tree;

  private constructor(blocks: MstBlockSource, root: Tree, maxNodeEntries: number) {
    this.blocks = blocks;
    this.root = root;
    this.maxNodeEntries = maxNodeEntries;
  }

  /** A tree rooted at `root`, read lazily from `blocks` (nothing is read until an operation needs it). */
  static load(blocks: MstBlockSource, root: Cid, options: MutableMstOptions = {}): MutableMst {
    return new MutableMst(blocks, new Tree(-1, root, null), options.maxNodeEntries ?? 1024);
  }

  /** The empty tree. */
  static empty(options: MutableMstOptions = {}): MutableMst {
    return new MutableMst(new Map<string, Uint8Array>(), built(0, []), options.maxNodeEntries ?? 1024);
  }

  /** An independent copy (edits to one do not affect the other). O(1): nodes are immutable. */
  clone(): MutableMst {
    return new MutableMst(this.blocks, this.root, this.maxNodeEntries);
  }

  /** The value stored under `key`, or null. Loads only the nodes on the key's path. */
  get(key: string | Uint8Array): Cid | null {
    const k = keyBytes(key);
    checkKey(k);
    const h = keyHeight(k);
    let t = this.root;
    for (;;) {
      const entries = this.load(t);
      if (h > t.layer) return null;
      const i = gteIndex(entries, k);
      if (h === t.layer) {
        const found = entries[i];
        return isLeafWithKey(found, k) ? found.value : null;
      }
      const prev = entries[i - 1];
      if (prev === undefined || prev.kind !== 'tree') return null;
      t = prev.tree;
    }
  }

  /** Sets `key` to `value`; returns the previous value (null if the key was absent). */
  insert(key: string | Uint8Array, value: Cid): Cid | null {
    const k = keyBytes(key);
    checkKey(k);
    this.load(this.root);
    const res = this.add(this.root, k, keyHeight(k), value);
    if (res.changed) this.root = res.tree;
    return res.prev;
  }

  /** Removes `key`; returns the removed value (null if the key was absent, and nothing changes). */
  remove(key: string | Uint8Array): Cid | null {
    const k = keyBytes(key);
    checkKey(k);
    this.load(this.root);
    const res = this.del(this.root, k, keyHeight(k));
    if (!res.changed) return null;
    this.root = this.trimTop(res.tree);
    return res.prev;
  }

  /** The root CID, hashing every node changed since the last call (canonical encoding). */
  rootCid(): Cid {
    return this.seal(this.root);
  }

  /**
   * The nodes proving each key's value or absence together with its left and right neighbours
   * (the path to the key, plus the paths down the adjacent subtrees: TS `MST.getCoveringProof`).
   * The union over `keys` is what a commit must carry for its operations to be inverted.
   * Touches only those nodes; each must be available.
   */
  coveringProof(keys: Iterable<string | Uint8Array>): Map<string, MstBlock> {
    this.rootCid();
    const out = new Map<string, MstBlock>();
    for (const key of keys) {
      const k = keyBytes(key);
      checkKey(k);
      this.proofForKey(this.root, k, out);
      this.proofForLeftSib(this.root, k, out);
      this.proofForRightSib(this.root, k, out);
    }
    return out;
  }

  /** Every (key, value) in order. Loads the whole tree. */
  *entries(): Generator<[Uint8Array, Cid], void, undefined> {
    const stack: Array<{ entries: Entry[]; i: number }> = [{ entries: this.load(this.root), i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { entries: Entry[]; i: number };
      if (top.i >= top.entries.length) {
        stack.pop();
        continue;
      }
      const e = top.entries[top.i++] as Entry;
      if (e.kind === 'leaf') yield [e.key, e.value];
      else stack.push({ entries: this.load(e.tree), i: 0 });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Loading

  private load(t: Tree): Entry[] {
    if (t.entries !== null) return t.entries;
    const cid = t.cid as Cid;
    const bytes = this.blocks.get(cid.key);
    if (bytes === undefined) throw new IncompleteProofError(cid);
    let node: MstNode;
    try {
      node = parseMstNode(decodeCbor(bytes)).node;
    } catch (err) {
      const reason = err instanceof MstNodeError || isAtcliError(err) ? err.message : String(err);
      throw new InvalidMstError(cid, reason);
    }
    const isRoot = t.layer < 0;
    let layer = t.layer;
    const n = node.entries.length;
    if (n > this.maxNodeEntries) throw new InvalidMstError(cid, `${n} entries exceed the limit of ${this.maxNodeEntries} per node`);
    if (n > 0) {
      if (isRoot) layer = keyHeight(node.entries[0]!.key);
      for (const e of node.entries) {
        const h = keyHeight(e.key);
        if (h !== layer) throw new InvalidMstError(cid, `key "${keyToString(e.key)}" has height ${h} but sits in a layer-${layer} node`);
      }
    } else if (isRoot) {
      if (node.left !== null) throw new InvalidMstError(cid, 'the root is only a pointer ({e: [], l: link}); a canonical tree trims it');
      layer = 0;
    } else if (node.left === null) {
      throw new InvalidMstError(cid, 'empty node ({e: [], l: null}) below the root');
    }
    if (layer === 0 && (node.left !== null || node.entries.some((e) => e.right !== null))) {
      throw new InvalidMstError(cid, 'a layer-0 node has a subtree link');
    }
    if (n > 0) {
      const first = node.entries[0]!.key;
      const last = node.entries[n - 1]!.key;
      if (t.lo !== null && compareKeys(first, t.lo) <= 0) {
        throw new InvalidMstError(cid, `key "${keyToString(first)}" is not after "${keyToString(t.lo)}", the parent key before this subtree`);
      }
      if (t.hi !== null && compareKeys(last, t.hi) >= 0) {
        throw new InvalidMstError(cid, `key "${keyToString(last)}" is not before "${keyToString(t.hi)}", the parent key after this subtree`);
      }
    }
    const entries: Entry[] = [];
    const childLayer = layer - 1;
    if (node.left !== null) entries.push(treeOf(new Tree(childLayer, node.left, null, t.lo, n > 0 ? node.entries[0]!.key : t.hi)));
    for (let i = 0; i < n; i++) {
      const e = node.entries[i]!;
      entries.push(leafOf(e.key, e.value));
      if (e.right !== null) {
        const next = i + 1 < n ? node.entries[i + 1]!.key : t.hi;
        entries.push(treeOf(new Tree(childLayer, e.right, null, e.key, next)));
      }
    }
    t.layer = layer;
    t.bytes = bytes;
    t.entries = entries;
    return entries;
  }

  // ------------------------------------------------------------------------------------------
  // Insert

  private add(t: Tree, key: Uint8Array, h: number, value: Cid): EditResult {
    const entries = this.load(t);
    if (h > t.layer) {
      // The key goes above this (root) node: push the tree down, split around the key.
      let [left, right] = this.splitAround(t, key);
      for (let layer = t.layer + 1; layer < h; layer++) {
        if (left !== null) left = built(layer, [treeOf(left)]);
        if (right !== null) right = built(layer, [treeOf(right)]);
      }
      const top: Entry[] = [];
      if (left !== null) top.push(treeOf(left));
      top.push(leafOf(key, value));
      if (right !== null) top.push(treeOf(right));
      return { tree: built(h, top), prev: null, changed: true };
    }
    const i = gteIndex(entries, key);
    const before = entries[i - 1];
    if (h === t.layer) {
      const found = entries[i];
      if (isLeafWithKey(found, key)) {
        if (found.value.equals(value)) return { tree: t, prev: found.value, changed: false };
        const next = entries.slice();
        next[i] = leafOf(found.key, value);
        return { tree: built(t.layer, next), prev: found.value, changed: true };
      }
      if (before !== undefined && before.kind === 'tree') {
        const [left, right] = this.splitAround(before.tree, key);
        const next = entries.slice(0, i - 1);
        if (left !== null) next.push(treeOf(left));
        next.push(leafOf(key, value));
        if (right !== null) next.push(treeOf(right));
        for (let j = i; j < entries.length; j++) next.push(entries[j] as Entry);
        return { tree: built(t.layer, next), prev: null, changed: true };
      }
      const next = entries.slice();
      next.splice(i, 0, leafOf(key, value));
      return { tree: built(t.layer, next), prev: null, changed: true };
    }
    // h < layer: into the subtree spanning the key, or a new one.
    if (before !== undefined && before.kind === 'tree') {
      const res = this.add(before.tree, key, h, value);
      if (!res.changed) return { tree: t, prev: res.prev, changed: false };
      const next = entries.slice();
      next[i - 1] = treeOf(res.tree);
      return { tree: built(t.layer, next), prev: res.prev, changed: true };
    }
    const child = this.add(built(t.layer - 1, []), key, h, value);
    const next = entries.slice();
    next.splice(i, 0, treeOf(child.tree));
    return { tree: built(t.layer, next), prev: null, changed: true };
  }

  /** Splits a subtree into the parts before and after `key` (null for an empty part). */
  private splitAround(t: Tree, key: Uint8Array): [Tree | null, Tree | null] {
    const entries = this.load(t);
    const i = gteIndex(entries, key);
    const left = entries.slice(0, i);
    const right = entries.slice(i);
    const last = left[left.length - 1];
    if (last !== undefined && last.kind === 'tree') {
      left.pop();
      const [l, r] = this.splitAround(last.tree, key);
      if (l !== null) left.push(treeOf(l));
      if (r !== null) right.unshift(treeOf(r));
    }
    return [left.length > 0 ? built(t.layer, left) : null, right.length > 0 ? built(t.layer, right) : null];
  }

  // ------------------------------------------------------------------------------------------
  // Remove

  private del(t: Tree, key: Uint8Array, h: number): EditResult {
    const entries = this.load(t);
    if (h > t.layer) return { tree: t, prev: null, changed: false };
    const i = gteIndex(entries, key);
    if (h === t.layer) {
      const found = entries[i];
      if (!isLeafWithKey(found, key)) return { tree: t, prev: null, changed: false };
      const before = entries[i - 1];
      const after = entries[i + 1];
      let next: Entry[];
      if (before !== undefined && before.kind === 'tree' && after !== undefined && after.kind === 'tree') {
        next = entries.slice(0, i - 1);
        next.push(treeOf(this.merge(before.tree, after.tree)));
        for (let j = i + 2; j < entries.length; j++) next.push(entries[j] as Entry);
      } else {
        next = entries.slice();
        next.splice(i, 1);
      }
      return { tree: built(t.layer, next), prev: found.value, changed: true };
    }
    const before = entries[i - 1];
    if (before === undefined || before.kind !== 'tree') return { tree: t, prev: null, changed: false };
    const res = this.del(before.tree, key, h);
    if (!res.changed) return { tree: t, prev: null, changed: false };
    const next = entries.slice();
    if ((res.tree.entries as Entry[]).length === 0) next.splice(i - 1, 1);
    else next[i - 1] = treeOf(res.tree);
    return { tree: built(t.layer, next), prev: res.prev, changed: true };
  }

  /** Joins two adjacent subtrees of one layer (every key of `a` sorts before every key of `b`). */
  private merge(a: Tree, b: Tree): Tree {
    const ea = this.load(a);
    const eb = this.load(b);
    const last = ea[ea.length - 1];
    const first = eb[0];
    if (last !== undefined && last.kind === 'tree' && first !== undefined && first.kind === 'tree') {
      const next = ea.slice(0, -1);
      next.push(treeOf(this.merge(last.tree, first.tree)));
      for (let j = 1; j < eb.length; j++) next.push(eb[j] as Entry);
      return built(a.layer, next);
    }
    return built(a.layer, [...ea, ...eb]);
  }

  /**
   * Removes pointer-only nodes from the top. A child that is not in the block set is kept as the
   * root unloaded (like the Go reference): it cannot be a pointer-only node of a canonical tree
   * unless the result is wrong anyway, in which case the root cannot match any canonical root.
   */
  private trimTop(t: Tree): Tree {
    let cur = t;
    for (;;) {
      let entries: Entry[];
      try {
        entries = this.load(cur);
      } catch (err) {
        if (err instanceof IncompleteProofError && cur !== t) return cur;
        throw err;
      }
      if (entries.length === 0) return cur.layer === 0 ? cur : built(0, []);
      const only = entries[0] as Entry;
      if (entries.length !== 1 || only.kind !== 'tree') return cur;
      cur = only.tree;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Hashing

  private seal(t: Tree): Cid {
    if (t.cid !== null) return t.cid;
    const entries = t.entries as Entry[];
    const node: MstNode = { left: null, entries: [] };
    let prevWasTree = false;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.kind === 'tree') {
        if (prevWasTree) throw new InvalidMstError(null, 'internal error: two adjacent subtrees');
        const cid = this.seal(e.tree);
        if (i === 0) node.left = cid;
        else node.entries[node.entries.length - 1]!.right = cid;
        prevWasTree = true;
      } else {
        node.entries.push({ key: e.key, value: e.value, right: null });
        prevWasTree = false;
      }
    }
    const bytes = encodeMstNode(node);
    const cid = cidForCbor(bytes);
    t.cid = cid;
    t.bytes = bytes;
    return cid;
  }

  // ------------------------------------------------------------------------------------------
  // Covering proofs (TS MST.proofForKey / proofForLeftSib / proofForRightSib)

  private addProof(t: Tree, out: Map<string, MstBlock>): void {
    const cid = this.seal(t);
    if (!out.has(cid.key)) out.set(cid.key, { cid, bytes: t.bytes as Uint8Array });
  }

  private proofForKey(t: Tree, key: Uint8Array, out: Map<string, MstBlock>): void {
    const entries = this.load(t);
    const i = gteIndex(entries, key);
    if (!isLeafWithKey(entries[i], key)) {
      const before = entries[i - 1];
      if (before !== undefined && before.kind === 'tree') this.proofForKey(before.tree, key, out);
    }
    this.addProof(t, out);
  }

  private proofForLeftSib(t: Tree, key: Uint8Array, out: Map<string, MstBlock>): void {
    const entries = this.load(t);
    const before = entries[gteIndex(entries, key) - 1];
    if (before !== undefined && before.kind === 'tree') this.proofForLeftSib(before.tree, key, out);
    this.addProof(t, out);
  }

  private proofForRightSib(t: Tree, key: Uint8Array, out: Map<string, MstBlock>): void {
    const entries = this.load(t);
    const i = gteIndex(entries, key);
    const found = entries[i] ?? entries[i - 1];
    if (found !== undefined) {
      if (found.kind === 'tree') {
        this.proofForRightSib(found.tree, key, out);
      } else {
        const next = compareKeys(found.key, key) === 0 ? entries[i + 1] : entries[i - 1];
        if (next !== undefined && next.kind === 'tree') this.proofForRightSib(next.tree, key, out);
      }
    }
    this.addProof(t, out);
  }
}
