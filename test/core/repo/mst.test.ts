import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Cid, parseCid } from '../../../src/core/codec/cid.js';
import { decodeCbor } from '../../../src/core/codec/cbor.js';
import {
  EMPTY_MST_ROOT,
  buildMst,
  commonPrefixLength,
  encodeMstNode,
  keyBytes,
  keyHeight,
  parseMstNode,
  MstNodeError,
  type MstNode,
} from '../../../src/core/repo/mst.js';

const fixture = (name: string) => new URL(`../../fixtures/interop/${name}`, import.meta.url);
const keyHeights = JSON.parse(readFileSync(fixture('mst/key_heights.json'), 'utf8')) as Array<{ key: string; height: number }>;
const commonPrefix = JSON.parse(readFileSync(fixture('mst/common_prefix.json'), 'utf8')) as Array<{ left: string; right: string; len: number }>;
const exampleKeys = readFileSync(fixture('mst/example_keys.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const proofFixtures = JSON.parse(readFileSync(fixture('firehose/commit-proof-fixtures.json'), 'utf8')) as Array<{
  comment: string;
  leafValue: string;
  keys: string[];
  adds: string[];
  dels: string[];
  rootBeforeCommit: string;
  rootAfterCommit: string;
}>;

const leaf = parseCid('bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454');

describe('MST interop vectors', () => {
  it.each(keyHeights)('key_heights: "$key" has height $height', ({ key, height }) => {
    expect(keyHeight(key)).toBe(height);
  });

  it.each(commonPrefix)('common_prefix: "$left" / "$right" share $len bytes', ({ left, right, len }) => {
    expect(commonPrefixLength(keyBytes(left), keyBytes(right))).toBe(len);
  });

  it.each(exampleKeys)('example_keys: %s builds, parses back strictly and is found at its height', (key) => {
    const built = buildMst(exampleKeys.map((k) => [k, leaf] as const));
    const found = [...built.nodes.values()].some((block) =>
      parseMstNode(decodeCbor(block.bytes)).node.entries.some((e) => Buffer.from(e.key).toString() === key),
    );
    expect(found).toBe(true);
    expect(keyHeight(key)).toBeGreaterThanOrEqual(0);
  });

  it.each(proofFixtures)('commit-proof roots: $comment', (f) => {
    const value = parseCid(f.leafValue);
    expect(buildMst(f.keys.map((k) => [k, value] as const)).root.toString()).toBe(f.rootBeforeCommit);
    const after = new Set(f.keys);
    for (const k of f.adds) after.add(k);
    for (const k of f.dels) after.delete(k);
    expect(buildMst([...after].map((k) => [k, value] as const)).root.toString()).toBe(f.rootAfterCommit);
  });
});

describe('MST construction', () => {
  it('the empty tree has the well-known root', () => {
    expect(buildMst([]).root.toString()).toBe(EMPTY_MST_ROOT);
  });

  it('is independent of insertion order', () => {
    const keys = exampleKeys.map((k) => [k, leaf] as const);
    const a = buildMst(keys).root;
    const b = buildMst([...keys].reverse()).root;
    expect(a.equals(b)).toBe(true);
  });

  it('places every key on the layer of its height, children one layer down', () => {
    const built = buildMst(exampleKeys.map((k) => [k, leaf] as const));
    const byKey = new Map([...built.nodes.values()].map((b) => [b.cid.key, parseMstNode(decodeCbor(b.bytes)).node]));
    const visit = (cid: Cid, layer: number): number => {
      const node = byKey.get(cid.key) as MstNode;
      let count = 0;
      for (const e of node.entries) expect(keyHeight(e.key)).toBe(layer);
      const children = [node.left, ...node.entries.map((e) => e.right)].filter((c): c is Cid => c !== null);
      if (layer === 0) expect(children).toHaveLength(0);
      for (const c of children) count += visit(c, layer - 1);
      return count + node.entries.length;
    };
    expect(visit(built.root, built.rootLayer)).toBe(exampleKeys.length);
  });

  it('rejects duplicate keys', () => {
    expect(() => buildMst([['a/b', leaf], ['a/b', leaf]])).toThrow(MstNodeError);
  });
});

describe('MST node parsing (strict)', () => {
  const node = (e: unknown[], l: unknown = null) => ({ e, l }) as never;
  const entry = (k: string, p: number, v: Cid = leaf, t: Cid | null = null) => ({ k: keyBytes(k), p, t, v });

  it('accepts a canonical node and decompresses keys', () => {
    const parsed = parseMstNode(node([entry('app.bsky.feed.post/aaa', 0), entry('bbb', 19)]));
    expect(parsed.node.entries.map((e) => Buffer.from(e.key).toString())).toEqual(['app.bsky.feed.post/aaa', 'app.bsky.feed.post/bbb']);
  });

  it.each([
    ['first entry with p=1', node([entry('abc', 1)]), /first entry/],
    ['p longer than the previous key', node([entry('ab', 0), entry('c', 5)]), /longer than the previous key/],
    ['non-maximal compression', node([entry('abc', 0), entry('bd', 1)]), /compression must be maximal/],
    ['keys out of order', node([entry('b', 0), entry('a', 0)]), /sorts before/],
    ['duplicate key', node([entry('ab', 0), entry('', 2)]), /repeats the key/],
    ['missing l', { e: [] } as never, /no "l" field/],
    ['extra field', { e: [], l: null, x: 1 } as never, /unexpected field "x"/],
    ['entry without t', node([{ k: keyBytes('a'), p: 0, v: leaf }]), /no "t" field/],
    ['float-like p', node([{ k: keyBytes('a'), p: 0.5, t: null, v: leaf }]), /not a non-negative integer/],
    ['empty key', node([entry('', 0)]), /empty key/],
    ['1025-byte key', node([entry('a'.repeat(1025), 0)]), /1025 bytes/],
    ['raw-codec child link', node([], parseCid('bafkreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454')), /not a CIDv1 dag-cbor/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => parseMstNode(value)).toThrow(message);
  });

  it('re-encodes a parsed node to the same bytes', () => {
    const built = buildMst(exampleKeys.map((k) => [k, leaf] as const));
    for (const block of built.nodes.values()) {
      expect(Buffer.from(encodeMstNode(parseMstNode(decodeCbor(block.bytes)).node)).equals(Buffer.from(block.bytes))).toBe(true);
    }
  });
});
