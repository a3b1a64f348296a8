import { describe, expect, it } from 'vitest';
import { cidForCbor, cidForRaw, encodeCbor } from '../../../src/core/codec/index.js';
import { AtcliError, runtime } from '../../../src/core/errors.js';
import { forEachLink } from '../../../src/core/repo/reach.js';
import { verifyRepoCar, type RepoVerifyOptions } from '../../../src/core/repo/verify.js';
import { buildRepo, carOf, chunks, type Block } from './repo-builder.js';

const repo = buildRepo();
const verify = (car: Uint8Array, opts: RepoVerifyOptions = {}) => verifyRepoCar(chunks(car, 4096), { key: repo.key.publicKey, expectedDid: repo.did, ...opts });

/** Distinct, hash-valid blocks that nothing references: raw bytes, records, and blocks shaped like MST nodes. */
function junk(n: number): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) {
      const bytes = new TextEncoder().encode(`junk ${i}`);
      out.push({ cid: cidForRaw(bytes), bytes });
    } else if (i % 3 === 1) {
      const bytes = encodeCbor({ $type: 'app.bsky.feed.post', text: `junk ${i}` });
      out.push({ cid: cidForCbor(bytes), bytes });
    } else {
      // Shaped like an MST node ({e, l}), so the verifier would set its bytes aside.
      const node = encodeCbor({ e: [{ k: new TextEncoder().encode(`k${i}`), p: 0, t: null, v: repo.data }], l: null });
      out.push({ cid: cidForCbor(node), bytes: node });
    }
  }
  return out;
}

/** `mib` MiB of distinct raw blocks (1 KiB each) that nothing references: enough to pass the first checkpoint. */
function rawJunk(mib: number): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < mib * 1024; i++) {
    const bytes = new Uint8Array(1024);
    new DataView(bytes.buffer).setUint32(0, i);
    out.push({ cid: cidForRaw(bytes), bytes });
  }
  return out;
}

function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('repository limits', () => {
  it('stops reading once blocks outside a complete tree pass the unreferenced limit (could not check, exit 1)', async () => {
    const car = carOf(repo.commit.cid, [...repo.blocks, ...rawJunk(36)]);
    const err = await verify(car, { limits: { maxUnreferencedBlocks: 1000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).code).toBe('RepoTooLarge');
    expect((err as AtcliError).exitCode).toBe(1);
    expect((err as AtcliError).details?.limit).toBe('unreferencedBlocks');
    const err2 = await verify(car, { limits: { maxUnreferencedBytes: 1_000_000 } }).catch((e: unknown) => e);
    expect((err2 as AtcliError).details?.limit).toBe('unreferencedBytes');
    // The same junk with the tree incomplete (its commit last) is kept, so it is only counted at the end.
    const commitLast = carOf(repo.commit.cid, [...repo.blocks.slice(1), ...rawJunk(36), repo.commit]);
    const report = await verify(commitLast, { limits: { maxUnreferencedBlocks: 1000 } });
    expect(report.valid).toBe(true);
    expect(report.checks.find((c) => c.name === 'unreferenced')?.detail).toMatch(/^36864 blocks/);
  });

  it('within the limits, a valid repository followed by unreferenced blocks is valid with a warning that counts them', async () => {
    const car = carOf(repo.commit.cid, [...repo.blocks, ...junk(300)]);
    const report = await verify(car);
    expect(report.valid).toBe(true);
    expect(report.checks.find((c) => c.name === 'unreferenced')?.detail).toMatch(/^300 blocks are not referenced/);
  });

  it('a CAR in any order verifies the same (children before parents, the commit last)', async () => {
    for (const seed of [1, 2, 3]) {
      const blocks = shuffled([...repo.blocks, ...junk(30)], seed);
      const report = await verify(carOf(repo.commit.cid, blocks));
      expect(report.valid).toBe(true);
      expect(report.records).toBe(repo.records.size);
      expect(report.checks.find((c) => c.name === 'unreferenced')?.detail).toMatch(/^30 blocks/);
    }
    const commitLast = [...repo.blocks.filter((b) => b !== repo.commit), repo.commit];
    expect((await verify(carOf(repo.commit.cid, commitLast))).valid).toBe(true);
  });

  it('blocks that arrive before the tree is complete are kept: junk first is only a warning', async () => {
    const car = carOf(repo.commit.cid, [...junk(300), ...repo.blocks]);
    const report = await verify(car, { limits: { maxUnreferencedBlocks: 100 } });
    expect(report.valid).toBe(true);
    expect(report.checks.find((c) => c.name === 'unreferenced')?.detail).toMatch(/^300 blocks/);
  });

  it('caps the blocks and bytes read', async () => {
    const e1 = await verify(repo.car, { limits: { maxBlocks: 5 } }).catch((e: unknown) => e);
    expect((e1 as AtcliError).code).toBe('RepoTooLarge');
    expect((e1 as AtcliError).details?.limit).toBe('blocks');
    const e2 = await verify(repo.car, { limits: { maxBytes: 1000 } }).catch((e: unknown) => e);
    expect((e2 as AtcliError).details?.limit).toBe('bytes');
    expect((await verify(repo.car, { limits: { maxBlocks: repo.blocks.length, maxBytes: repo.car.length } })).valid).toBe(true);
  });

  it('a failed download is "could not check", not an invalid repository', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield repo.car.subarray(0, 500);
      throw runtime('TransferTooSlow', 'the server is too slow');
    }
    const err = await verifyRepoCar(broken(), { key: repo.key.publicKey }).catch((e: unknown) => e);
    expect((err as AtcliError).code).toBe('TransferTooSlow');
  });
});

describe('forEachLink', () => {
  it('finds every link of an MST node and nothing in its keys', () => {
    const node = repo.nodes[0] as Block;
    const found: string[] = [];
    forEachLink(node.bytes, (k) => found.push(k));
    expect(found.length).toBeGreaterThan(0);
    const tricky = encodeCbor({ e: [{ k: new Uint8Array([0xd8, 0x2a, 0x58, 0x25, 0x00]), p: 0, t: null, v: repo.data }], l: repo.data });
    const keys: string[] = [];
    forEachLink(tricky, (k) => keys.push(k));
    expect(keys).toEqual([repo.data.key, repo.data.key]);
  });

  it('stops quietly on malformed input', () => {
    for (const bad of [new Uint8Array([0xa2]), new Uint8Array([0xbf, 0x61, 0x65]), new Uint8Array([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
      expect(() => forEachLink(bad, () => undefined)).not.toThrow();
    }
  });
});
