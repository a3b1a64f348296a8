import { describe, expect, it } from 'vitest';
import { cidForCbor, cidForRaw, parseCid } from '../../../src/core/codec/index.js';
import { ByteArena, CidIndex } from '../../../src/core/repo/cid-index.js';

describe('CidIndex', () => {
  it('behaves like a Map for 100,000 blessed CIDs and for other CIDs, through growth and rehashing', () => {
    const index = new CidIndex();
    const reference = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const cid = i % 10 === 0 ? cidForRaw(new TextEncoder().encode(`blob ${i}`)) : cidForCbor(new TextEncoder().encode(`record ${i}`));
      index.set(cid.key, i);
      reference.set(cid.key, i);
      if (i % 7 === 0) {
        index.set(cid.key, i * 2);
        reference.set(cid.key, i * 2);
      }
    }
    expect(index.size).toBe(reference.size);
    for (const [k, v] of reference) expect(index.get(k)).toBe(v);
    expect(index.get(cidForCbor(new Uint8Array([1, 2, 3])).key)).toBeUndefined();
    expect(index.has(parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm').key)).toBe(false);
  });
});

describe('ByteArena', () => {
  it('returns independent copies that survive changes to the source', () => {
    const arena = new ByteArena();
    const copies: Array<[Uint8Array, number]> = [];
    for (let i = 0; i < 10_000; i++) {
      const src = new Uint8Array(300).fill(i & 0xff);
      copies.push([arena.copy(src), i & 0xff]);
      src.fill(0xee);
    }
    const big = new Uint8Array(600_000).fill(7);
    const bigCopy = arena.copy(big);
    big.fill(1);
    for (const [c, v] of copies) expect(c.every((b) => b === v)).toBe(true);
    expect(bigCopy.every((b) => b === 7)).toBe(true);
  });
});
