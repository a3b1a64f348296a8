import { describe, expect, it } from 'vitest';
import { Cid, cidForCbor, encodeCar, encodeCbor, type CborMap } from '../../../src/core/codec/index.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { verifyRepoCar, type RepoVerifyOptions, type RepoVerifyReport } from '../../../src/core/repo/verify.js';
import { keyHeight } from '../../../src/core/repo/mst.js';
import { block, buildRepo, carOf, chunks, post, rewriteTree, signCommit, tid, type Block } from './repo-builder.js';

const repo = buildRepo();
const verify = (car: Uint8Array, opts: RepoVerifyOptions = {}): Promise<RepoVerifyReport> =>
  verifyRepoCar(chunks(car, 1000), { key: repo.key.publicKey, expectedDid: repo.did, ...opts });

function failed(report: RepoVerifyReport): Record<string, string> {
  return Object.fromEntries(report.checks.filter((c) => !c.ok && c.level !== 'warning').map((c) => [c.name, c.detail]));
}

function flipByte(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

function replaceBlock(blocks: Block[], target: Block, bytes: Uint8Array): Block[] {
  return blocks.map((b) => (b === target ? { cid: b.cid, bytes } : b));
}

describe('verifyRepoCar: a valid repository', () => {
  it('passes every check, with counts', async () => {
    const report = await verify(repo.car);
    expect(failed(report)).toEqual({});
    expect(report.valid).toBe(true);
    expect(report.records).toBe(repo.records.size);
    expect(report.did).toBe(repo.did);
    expect(report.data).toBe(repo.data.toString());
    expect(report.collections['app.bsky.feed.post']).toBeGreaterThan(0);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['car', 'hashes', 'commit', 'did', 'signature', 'mst', 'complete', 'records']));
  });

  it('verifies with the key from a resolver, and the empty repository', async () => {
    const empty = buildRepo({ records: [] });
    const report = await verifyRepoCar(chunks(empty.car), { resolveKey: async () => empty.key.publicKey });
    expect(failed(report)).toEqual({});
    expect(report.records).toBe(0);
    expect(report.data).toBe('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm');
  });

  it('accepts p256 keys, any block order, duplicate blocks and one-byte chunks', async () => {
    const p = buildRepo({ key: generatePrivateKey('p256'), records: [['app.bsky.feed.post/3jzfcijpj2z2a', post('hi')]] });
    const shuffled = [...p.blocks].reverse();
    const car = carOf(p.commit.cid, [...shuffled, shuffled[0] as Block]);
    const report = await verifyRepoCar(chunks(car, 1), { key: p.key.publicKey });
    expect(failed(report)).toEqual({});
  });

  it('reports progress and every entry in key order', async () => {
    const paths: string[] = [];
    let progress = 0;
    await verifyRepoCar(chunks(repo.car), { key: repo.key.publicKey, onEntry: (e) => paths.push(e.path), onProgress: () => progress++ });
    expect(paths).toEqual([...repo.records.keys()].sort());
    expect(progress).toBeGreaterThan(0);
  });

  it('warns about unreferenced blocks without failing', async () => {
    const extra = block(post('not in the tree'));
    const report = await verify(carOf(repo.commit.cid, [...repo.blocks, extra]));
    expect(report.valid).toBe(true);
    expect(report.warnings.join()).toContain('1 block is not referenced');
  });
});

describe('verifyRepoCar: tampering is caught and named', () => {
  const recordBlock = [...repo.records.values()][0] as Block;
  const nodeBlock = repo.nodes[0] as Block;

  it('a flipped byte in a record block', async () => {
    const report = await verify(carOf(repo.commit.cid, replaceBlock(repo.blocks, recordBlock, flipByte(recordBlock.bytes, 5))));
    expect(report.valid).toBe(false);
    expect(failed(report).hashes).toContain(recordBlock.cid.toString());
    expect(failed(report).records).toMatch(/fails its hash check/);
  });

  it('a flipped byte in an MST node', async () => {
    const report = await verify(carOf(repo.commit.cid, replaceBlock(repo.blocks, nodeBlock, flipByte(nodeBlock.bytes, 10))));
    expect(failed(report).hashes).toContain(nodeBlock.cid.toString());
    expect(failed(report).mst).toMatch(/fails its hash check/);
  });

  it('a flipped byte in the commit', async () => {
    const report = await verify(carOf(repo.commit.cid, replaceBlock(repo.blocks, repo.commit, flipByte(repo.commit.bytes, 8))));
    expect(failed(report).hashes).toContain(repo.commit.cid.toString());
    expect(failed(report).commit).toMatch(/fails its hash check/);
  });

  it('a replaced signature', async () => {
    const other = generatePrivateKey('k256');
    const forged = signCommit(repo.commitMap, other);
    const report = await verify(carOf(forged.cid, [forged, ...repo.blocks.slice(1)]));
    expect(failed(report).signature).toMatch(/signature/);
  });

  it('a high-S signature', async () => {
    const { n } = { n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n };
    const sig = repo.commitMap.sig as Uint8Array;
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
    const highS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
    const map: CborMap = { ...repo.commitMap, sig: new Uint8Array([...sig.subarray(0, 32), ...highS]) };
    const b = block(map);
    const report = await verify(carOf(b.cid, [b, ...repo.blocks.slice(1)]));
    expect(failed(report).signature).toMatch(/high-S/);
  });

  it('the wrong key', async () => {
    const report = await verify(repo.car, { key: generatePrivateKey('k256').publicKey });
    expect(failed(report).signature).toBeTruthy();
  });

  it('a commit signed correctly but carrying an extra unknown field', async () => {
    const signed = signCommit({ ...repo.commitMap, x: 1 }, repo.key);
    const report = await verify(carOf(signed.cid, [signed, ...repo.blocks.slice(1)]));
    expect(failed(report).commit).toMatch(/unknown field "x"/);
  });

  it('an unknown field added after signing (the signature does not cover it)', async () => {
    const b = block({ ...repo.commitMap, x: 1 });
    const report = await verify(carOf(b.cid, [b, ...repo.blocks.slice(1)]));
    expect(failed(report).commit).toMatch(/unknown field/);
    expect(failed(report).signature).toBeTruthy();
  });

  it('a DID other than the expected one', async () => {
    const report = await verify(repo.car, { expectedDid: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(failed(report).did).toContain('expected did:plc:aaaaaaaaaaaaaaaaaaaaaaaa');
  });

  it('swapped MST entries', async () => {
    const bad = rewriteTree(repo, (node) => {
      const e = node.e as CborMap[];
      if (e.length < 2 || (e[0] as CborMap).t !== null || (e[1] as CborMap).t !== null) return undefined;
      const [a, b] = [e[0] as CborMap, e[1] as CborMap];
      const keyA = a.k as Uint8Array;
      const keyB = new Uint8Array([...keyA.subarray(0, b.p as number), ...(b.k as Uint8Array)]);
      e[0] = { ...b, k: keyB, p: 0 };
      e[1] = { ...a, k: keyA, p: 0 };
      return node;
    });
    const report = await verify(bad.car);
    expect(failed(report).mst).toMatch(/sorts before|out of order/);
  });

  it('wrong prefix compression', async () => {
    const bad = rewriteTree(repo, (node) => {
      const e = node.e as CborMap[];
      const second = e[1];
      if (!second || (second.p as number) === 0) return undefined;
      const first = e[0] as CborMap;
      const full = new Uint8Array([...(first.k as Uint8Array).subarray(0, second.p as number), ...(second.k as Uint8Array)]);
      e[1] = { ...second, p: 1, k: full.subarray(1) };
      return node;
    });
    const report = await verify(bad.car);
    expect(failed(report).mst).toMatch(/compression must be maximal/);
  });

  it('a key on the wrong layer', async () => {
    const paths = Array.from({ length: 40 }, (_, i) => `app.bsky.feed.post/${tid(i)}`);
    const low = paths.find((p) => keyHeight(p) === 0) as string;
    const high = paths.find((p) => keyHeight(p) === 1) as string;
    const rec = block(post('x'));
    const [first, second] = [low, high].sort() as [string, string];
    const enc = new TextEncoder();
    const firstKey = enc.encode(first);
    const secondKey = enc.encode(second);
    let p = 0;
    while (firstKey[p] === secondKey[p]) p++;
    const root = block({ e: [{ k: firstKey, p: 0, t: null, v: rec.cid }, { k: secondKey.subarray(p), p, t: null, v: rec.cid }], l: null });
    const commit = signCommit({ did: repo.did, version: 3, data: root.cid, rev: tid(5), prev: null }, repo.key);
    const report = await verify(carOf(commit.cid, [commit, root, rec]));
    expect(failed(report).mst).toMatch(/has height \d but sits in a layer-\d node/);
  });

  it('a missing record block', async () => {
    const report = await verify(carOf(repo.commit.cid, repo.blocks.filter((b) => b !== recordBlock)));
    expect(failed(report).complete).toMatch(/record .* is missing/);
  });

  it('a missing MST node', async () => {
    const leafNode = repo.nodes.find((n) => n.cid.key !== repo.data.key) as Block;
    const report = await verify(carOf(repo.commit.cid, repo.blocks.filter((b) => b !== leafNode)));
    expect(failed(report).complete).toMatch(/MST node .* is missing/);
  });

  it('a non-canonical CBOR encoding of a node', async () => {
    const bad = rewriteTree(repo, (node, depth) => {
      if (depth !== 0) return undefined;
      const bytes = encodeCbor(node);
      // The map header 0xa2 written as 0xb8 0x02: a non-minimal length, same meaning.
      return new Uint8Array([0xb8, 0x02, ...bytes.subarray(1)]);
    });
    const report = await verify(bad.car);
    expect(failed(report).mst).toMatch(/not canonical DAG-CBOR/);
  });

  it('a CAR whose root is not a commit', async () => {
    const report = await verify(carOf(repo.data, repo.blocks));
    expect(failed(report).commit).toMatch(/MST node, not a commit|not in the CAR/);
  });

  it('a truncated file', async () => {
    const report = await verify(repo.car.subarray(0, repo.car.length - 7));
    expect(failed(report).car).toMatch(/truncated|end of input|ends/i);
    expect(report.valid).toBe(false);
  });

  it('trailing garbage', async () => {
    const report = await verify(new Uint8Array([...repo.car, 0x05, 0x01, 0x02]));
    expect(failed(report).car).toBeTruthy();
  });

  it('a pointer-only root, an empty leaf, and a layer-0 node with a subtree link', async () => {
    const rec = block(post('x'));
    const leaf = block({ e: [], l: null });
    for (const data of [block({ e: [], l: leaf.cid }), block({ e: [{ k: new TextEncoder().encode(`app.bsky.feed.post/${tid(1)}`), p: 0, t: leaf.cid, v: rec.cid }], l: null })]) {
      const commit = signCommit({ did: repo.did, version: 3, data: data.cid, rev: tid(5), prev: null }, repo.key);
      const report = await verify(carOf(commit.cid, [commit, data, leaf, rec]));
      expect(report.valid).toBe(false);
      expect(failed(report).mst).toBeTruthy();
    }
  });

  it('a commit rev far in the future, version 2, and a missing prev', async () => {
    const future = signCommit({ ...repo.commitMap, rev: tid(1e12) }, repo.key);
    expect(failed(await verify(carOf(future.cid, [future, ...repo.blocks.slice(1)]))).commit).toMatch(/in the future/);
    const v2 = signCommit({ ...repo.commitMap, version: 2 }, repo.key);
    expect(failed(await verify(carOf(v2.cid, [v2, ...repo.blocks.slice(1)]))).commit).toMatch(/version 2/);
    const noPrev: CborMap = { ...repo.commitMap };
    delete noPrev.prev;
    const np = signCommit(noPrev, repo.key);
    expect(failed(await verify(carOf(np.cid, [np, ...repo.blocks.slice(1)]))).commit).toMatch(/no "prev" field/);
  });

  it('a record without $type and a record that is not a map', async () => {
    const rec1 = block({ text: 'no type' });
    const rec2 = block([1, 2, 3]);
    const built = buildRepo({ records: [] });
    const { root, nodes } = (await import('../../../src/core/repo/mst.js')).buildMst([
      [`app.bsky.feed.post/${tid(1)}`, rec1.cid],
      [`app.bsky.feed.post/${tid(2)}`, rec2.cid],
    ]);
    const commit = signCommit({ ...built.commitMap, data: root }, built.key);
    const report = await verifyRepoCar(chunks(carOf(commit.cid, [commit, ...nodes.values(), rec1, rec2])), { key: built.key.publicKey });
    expect(failed(report).records).toMatch(/no "\$type"/);
    expect(failed(report).records).toMatch(/not a map/);
  });

  it('a record addressed by an identity-multihash CID is never trusted', async () => {
    const { decodeCid, encodeUvarint } = await import('../../../src/core/codec/index.js');
    const { buildMst } = await import('../../../src/core/repo/mst.js');
    const bytes = encodeCbor({ $type: 'app.bsky.feed.post' });
    const cid = decodeCid(new Uint8Array([0x01, 0x71, 0x00, ...encodeUvarint(bytes.length), ...bytes])).cid;
    const built = buildRepo({ records: [] });
    const mst = buildMst([[`app.bsky.feed.post/${tid(1)}`, cid]]);
    const commit = signCommit({ ...built.commitMap, data: mst.root }, built.key);
    const report = await verifyRepoCar(chunks(carOf(commit.cid, [commit, ...mst.nodes.values(), { cid, bytes }])), { key: built.key.publicKey });
    expect(failed(report).hashes).toMatch(/not addressed by a CIDv1 sha2-256 hash/);
    expect(failed(report).records).toMatch(/fails its hash check/);
  });
});

// keep the helpers referenced for type-checking of unused imports
void Cid;
void cidForCbor;
