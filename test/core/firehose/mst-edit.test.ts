// The mutable partial MST (src/core/repo/mst-edit.ts): canonical shape under random edits,
// sync 1.1 proofs (covering proof → inversion in any order), lazy loading, strict node checks.
import { describe, expect, it } from 'vitest';
import { Cid, cidForCbor, encodeCbor, type CborMap } from '../../../src/core/codec/index.js';
import { EMPTY_MST_ROOT, buildMst, encodeMstNode, keyBytes, keyHeight, parseMstNode, type BuiltMst } from '../../../src/core/repo/mst.js';
import { decodeCbor } from '../../../src/core/codec/index.js';
import { IncompleteProofError, InvalidMstError, MutableMst } from '../../../src/core/repo/mst-edit.js';
import { invertOps, type RepoOp } from '../../../src/core/firehose/index.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const value = (i: number): Cid => cidForCbor(encodeCbor({ $type: 'test.value', i }));

function blockMap(built: BuiltMst): Map<string, Uint8Array> {
  return new Map([...built.nodes.values()].map((b) => [b.cid.key, b.bytes] as const));
}

function keyFor(rand: () => number, style: number): string {
  const n = Math.floor(rand() * 1e9);
  if (style === 0) return `app.bsky.feed.post/3k${n.toString(36).padStart(11, 'a')}`;
  if (style === 1) return `${String.fromCharCode(65 + Math.floor(rand() * 8))}${n % 10}/${n}`;
  return `com.example.${['a', 'b', 'c'][n % 3]}/${n.toString(16)}`;
}

describe('MutableMst keeps the canonical shape', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random inserts, updates and removes match buildMst (seed %i)', (seed) => {
    const rand = rng(seed);
    const style = seed % 3;
    const model = new Map<string, Cid>();
    const tree = MutableMst.empty();
    for (let step = 0; step < 400; step++) {
      const r = rand();
      const existing = [...model.keys()];
      if (r < 0.55 || existing.length === 0) {
        const k = keyFor(rand, style);
        const v = value(step);
        expect(tree.insert(k, v)?.toString() ?? null).toBe(model.get(k)?.toString() ?? null);
        model.set(k, v);
      } else if (r < 0.7) {
        const k = existing[Math.floor(rand() * existing.length)] as string;
        const v = value(step);
        expect(tree.insert(k, v)?.toString()).toBe(model.get(k)?.toString());
        model.set(k, v);
      } else {
        const k = existing[Math.floor(rand() * existing.length)] as string;
        expect(tree.remove(k)?.toString()).toBe(model.get(k)?.toString());
        model.delete(k);
      }
      if (step % 20 === 19 || model.size < 4) {
        expect(tree.rootCid().toString()).toBe(buildMst([...model]).root.toString());
      }
    }
    // Draining the tree ends at the canonical empty root.
    for (const k of [...model.keys()]) expect(tree.remove(k)).not.toBeNull();
    expect(tree.rootCid().toString()).toBe(EMPTY_MST_ROOT);
  });

  it('edits a tree loaded lazily from blocks and agrees with a rebuild', () => {
    const rand = rng(99);
    const model = new Map<string, Cid>();
    for (let i = 0; i < 300; i++) model.set(keyFor(rand, 0), value(i));
    const built = buildMst([...model]);
    const tree = MutableMst.load(blockMap(built), built.root);
    expect(tree.rootCid().equals(built.root)).toBe(true);
    for (const [k, v] of model) expect(tree.get(k)?.equals(v)).toBe(true);
    expect(tree.get('app.bsky.feed.post/absent')).toBeNull();
    const keys = [...model.keys()];
    for (let i = 0; i < 60; i++) {
      const k = keys[i * 5] as string;
      tree.remove(k);
      model.delete(k);
      const n = keyFor(rand, 0);
      tree.insert(n, value(1000 + i));
      model.set(n, value(1000 + i));
    }
    expect(tree.rootCid().toString()).toBe(buildMst([...model]).root.toString());
    expect([...tree.entries()].map(([k]) => Buffer.from(k).toString())).toEqual([...model.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('handles keys far above the root (several intermediate layers) and removing them again', () => {
    const high = ['2a92d355', '884976f5', 'app.bsky.feed.post/9adeb165882c']; // heights 4, 6, 8
    const low = ['asdf', 'blue', '88bfafc7', 'zzz', 'aaa'];
    for (const h of high) expect(keyHeight(h)).toBeGreaterThanOrEqual(4);
    const tree = MutableMst.empty();
    const model = new Map<string, Cid>();
    for (const [i, k] of [...low, ...high].entries()) {
      tree.insert(k, value(i));
      model.set(k, value(i));
      expect(tree.rootCid().toString()).toBe(buildMst([...model]).root.toString());
    }
    for (const k of [...high].reverse()) {
      tree.remove(k);
      model.delete(k);
      expect(tree.rootCid().toString()).toBe(buildMst([...model]).root.toString());
    }
  });

  it('clone() is independent, and no-op edits change nothing', () => {
    const tree = MutableMst.empty();
    tree.insert('a/1', value(1));
    tree.insert('a/2', value(2));
    const before = tree.rootCid();
    const copy = tree.clone();
    copy.remove('a/1');
    expect(tree.rootCid().equals(before)).toBe(true);
    expect(copy.rootCid().equals(before)).toBe(false);
    expect(tree.insert('a/2', value(2))?.equals(value(2))).toBe(true);
    expect(tree.remove('a/3')).toBeNull();
    expect(tree.rootCid().equals(before)).toBe(true);
  });

  it('rejects empty and over-long keys', () => {
    const tree = MutableMst.empty();
    expect(() => tree.insert('', value(1))).toThrow(/1 to 1024 bytes/);
    expect(() => tree.get('x'.repeat(1025))).toThrow(/1 to 1024 bytes/);
  });
});

describe('sync 1.1 proofs: covering proof → inversion in any order', () => {
  it.each([11, 12, 13, 14, 15, 16, 17, 18, 19, 20])('random commits over a 200-key tree invert to the old root (seed %i)', (seed) => {
    const rand = rng(seed);
    const style = seed % 3;
    const model = new Map<string, Cid>();
    for (let i = 0; i < 200; i++) model.set(keyFor(rand, style), value(i));
    const base = buildMst([...model]);
    for (let commit = 0; commit < 6; commit++) {
      const tree = MutableMst.load(blockMap(base), base.root);
      const before = tree.rootCid();
      const keys = [...model.keys()];
      const ops: RepoOp[] = [];
      const touched = new Set<string>();
      const nOps = 1 + Math.floor(rand() * 8);
      for (let j = 0; j < nOps; j++) {
        const r = rand();
        if (r < 0.4) {
          const path = keyFor(rand, style);
          if (touched.has(path) || model.has(path)) continue;
          const cid = value(10_000 + commit * 100 + j);
          expect(tree.insert(path, cid)).toBeNull();
          ops.push({ action: 'create', path, cid, prev: null });
          touched.add(path);
        } else {
          const path = keys[Math.floor(rand() * keys.length)] as string;
          if (touched.has(path)) continue;
          touched.add(path);
          const prev = model.get(path) as Cid;
          if (r < 0.7) {
            const cid = value(20_000 + commit * 100 + j);
            expect(tree.insert(path, cid)?.equals(prev)).toBe(true);
            ops.push({ action: 'update', path, cid, prev });
          } else {
            expect(tree.remove(path)?.equals(prev)).toBe(true);
            ops.push({ action: 'delete', path, cid: null, prev });
          }
        }
      }
      const after = tree.rootCid();
      const proof = tree.coveringProof(ops.map((o) => o.path));
      const proofBlocks = new Map([...proof.values()].map((b) => [b.cid.key, b.bytes] as const));
      // Three orders: as applied, reversed, shuffled.
      const shuffled = [...ops].sort(() => rand() - 0.5);
      for (const order of [ops, [...ops].reverse(), shuffled]) {
        const inv = invertOps(MutableMst.load(proofBlocks, after), order);
        expect(inv.reasons).toEqual([]);
        expect(inv.root?.equals(before)).toBe(true);
      }
      // Omitting any op from the inversion misses the old root.
      if (ops.length > 1) {
        const partial = invertOps(MutableMst.load(proofBlocks, after), ops.slice(1));
        expect(partial.root?.equals(before) ?? false).toBe(false);
      }
    }
  });
});

describe('MutableMst on partial and hostile block sets', () => {
  const model = new Map<string, Cid>();
  const rand = rng(7);
  for (let i = 0; i < 120; i++) model.set(keyFor(rand, 0), value(i));
  const built = buildMst([...model]);

  it('throws IncompleteProofError naming the missing node, only when the node is needed', () => {
    const blocks = blockMap(built);
    // Drop one non-root node.
    const victim = [...built.nodes.values()].find((b) => !b.cid.equals(built.root)) as { cid: Cid; bytes: Uint8Array };
    blocks.delete(victim.cid.key);
    const victimKeys = parseMstNode(decodeCbor(victim.bytes)).node.entries.map((e) => Buffer.from(e.key).toString());
    const tree = MutableMst.load(blocks, built.root);
    let caught: unknown;
    try {
      tree.get(victimKeys[0] ?? 'x');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IncompleteProofError);
    expect((caught as IncompleteProofError).cid.equals(victim.cid)).toBe(true);
    expect((caught as Error).message).toContain(victim.cid.toString());
    // The root's own keys need no other node.
    const rootKeys = parseMstNode(decodeCbor(blocks.get(built.root.key) as Uint8Array)).node.entries;
    expect(tree.get(rootKeys[0]!.key)).not.toBeNull();
    // With nothing at all, even the root is missing.
    expect(() => MutableMst.load(new Map(), built.root).get('a/b')).toThrow(IncompleteProofError);
  });

  /** A height-0 key sorting after "blue" (so a lookup descends into blue's right subtree). */
  const afterBlue = ['c', 'd', 'e', 'f', 'g', 'h', 'zzz', 'c0', 'c1', 'c2'].find((k) => keyHeight(k) === 0) as string;

  function single(node: CborMap): { blocks: Map<string, Uint8Array>; cid: Cid } {
    const bytes = encodeCbor(node);
    const cid = cidForCbor(bytes);
    return { blocks: new Map([[cid.key, bytes]]), cid };
  }

  it('rejects a pointer-only root', () => {
    const child = value(1); // any blessed link
    const { blocks, cid } = single({ e: [], l: child });
    expect(() => MutableMst.load(blocks, cid).get('a/b')).toThrow(/only a pointer/);
  });

  it('rejects a key sitting at the wrong layer', () => {
    // "asdf" has height 0, "blue" height 1: they cannot share a node.
    const node = { left: null, entries: [{ key: keyBytes('asdf'), value: value(1), right: null }, { key: keyBytes('blue'), value: value(2), right: null }] };
    const bytes = encodeMstNode(node);
    const cid = cidForCbor(bytes);
    expect(() => MutableMst.load(new Map([[cid.key, bytes]]), cid).get('asdf')).toThrow(InvalidMstError);
    expect(() => MutableMst.load(new Map([[cid.key, bytes]]), cid).get('asdf')).toThrow(/height 1 but sits in a layer-0 node/);
  });

  it('rejects a subtree key outside the bounds its parent gives it', () => {
    // Layer-1 root ["blue"] whose right subtree holds "asdf" (< "blue").
    const leafBytes = encodeMstNode({ left: null, entries: [{ key: keyBytes('asdf'), value: value(1), right: null }] });
    const leafCid = cidForCbor(leafBytes);
    const rootBytes = encodeMstNode({ left: null, entries: [{ key: keyBytes('blue'), value: value(2), right: leafCid }] });
    const rootCid = cidForCbor(rootBytes);
    const blocks = new Map([[leafCid.key, leafBytes], [rootCid.key, rootBytes]]);
    expect(() => MutableMst.load(blocks, rootCid).get(afterBlue)).toThrow(/not after "blue"/);
  });

  it('rejects an empty node below the root and non-canonical bytes', () => {
    const emptyBytes = encodeCbor({ e: [], l: null });
    const emptyCid = cidForCbor(emptyBytes);
    const rootBytes = encodeMstNode({ left: null, entries: [{ key: keyBytes('blue'), value: value(2), right: emptyCid }] });
    const rootCid = cidForCbor(rootBytes);
    const blocks = new Map([[emptyCid.key, emptyBytes], [rootCid.key, rootBytes]]);
    expect(() => MutableMst.load(blocks, rootCid).get(afterBlue)).toThrow(/empty node/);
    // A node map with an extra field.
    const { blocks: b2, cid: c2 } = single({ e: [], l: null, x: 1 });
    expect(() => MutableMst.load(b2, c2).get('a')).toThrow(InvalidMstError);
  });

  it('the empty root loads and grows', () => {
    const { blocks, cid } = single({ e: [], l: null });
    expect(cid.toString()).toBe(EMPTY_MST_ROOT);
    const tree = MutableMst.load(blocks, cid);
    expect(tree.get('a/b')).toBeNull();
    tree.insert('a/b', value(1));
    expect(tree.rootCid().toString()).toBe(buildMst([['a/b', value(1)]]).root.toString());
  });
});
