import { describe, expect, it } from 'vitest';
import { Cid, decodeCbor, type CborMap } from '../../../src/core/codec/index.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { keyHeight, parseMstNode, compareKeys, keyBytes } from '../../../src/core/repo/mst.js';
import { verifyRecordProof, type RecordProofResult } from '../../../src/core/repo/proof.js';
import { block, buildRepo, carOf, post, samplePaths, signCommit, tid, type Block, type BuiltRepo } from './repo-builder.js';

// 400 records: a tree several layers deep, so paths cross more than one node.
const repo = buildRepo({ records: samplePaths(400) });

/** The MST nodes a lookup of `path` visits, root first (as a PDS builds a getRecord proof). */
function pathNodes(r: BuiltRepo, path: string): Block[] {
  const nodes = new Map(r.nodes.map((n) => [n.cid.key, n]));
  const target = keyBytes(path);
  const out: Block[] = [];
  let cid: Cid | null = r.data;
  while (cid) {
    const b = nodes.get(cid.key);
    if (!b) throw new Error('node not in repo');
    out.push(b);
    const { node } = parseMstNode(decodeCbor(b.bytes));
    let i = 0;
    while (i < node.entries.length && compareKeys(node.entries[i]!.key, target) < 0) i++;
    if (i < node.entries.length && compareKeys(node.entries[i]!.key, target) === 0) break;
    cid = i === 0 ? node.left : node.entries[i - 1]!.right;
  }
  return out;
}

/** A getRecord-style proof CAR: commit, the path's nodes, the record block (when present). */
function proofBlocks(r: BuiltRepo, path: string): Block[] {
  const rec = r.records.get(path);
  return [r.commit, ...pathNodes(r, path), ...(rec ? [rec] : [])];
}

function proofCar(r: BuiltRepo, path: string): Uint8Array {
  return carOf(r.commit.cid, proofBlocks(r, path));
}

function split(path: string): { collection: string; rkey: string } {
  const [collection, rkey] = path.split('/') as [string, string];
  return { collection, rkey };
}

function check(car: Uint8Array, path: string, r: BuiltRepo = repo, extra: Partial<Parameters<typeof verifyRecordProof>[1]> = {}): RecordProofResult {
  return verifyRecordProof(car, { did: r.did, key: r.key.publicKey, ...split(path), ...extra });
}

function failed(result: RecordProofResult): Record<string, string> {
  return Object.fromEntries(result.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail]));
}

/** A path in the repo whose lookup crosses at least `depth` nodes. */
function deepPath(depth: number): string {
  const found = [...repo.records.keys()].find((p) => p.startsWith('app.bsky.feed.post/') && pathNodes(repo, p).length >= depth);
  if (!found) throw new Error(`no path of depth ${depth}`);
  return found;
}

const present = deepPath(3);

describe('verifyRecordProof: valid proofs', () => {
  it('proves a present record: commit, signature, path and record', () => {
    const result = check(proofCar(repo, present), present);
    expect(failed(result)).toEqual({});
    expect(result.valid).toBe(true);
    expect(result.present).toBe(true);
    expect(result.cid).toBe(repo.records.get(present)!.cid.toString());
    expect(result.record).toMatchObject({ $type: 'app.bsky.feed.post' });
    expect(result.commit).toEqual({ did: repo.did, rev: tid(1_000_000), data: repo.data.toString() });
    expect(result.checks.map((c) => c.name)).toEqual(['car', 'hashes', 'commit', 'did', 'signature', 'mst', 'record']);
    expect(result.errors).toEqual([]);
    expect(result.checks.find((c) => c.name === 'mst')!.detail).toMatch(new RegExp(`^${pathNodes(repo, present).length} nodes \\(layers \\d+ → \\d+\\) from data .* found in node `));
  });

  it('proves every record of the repository from its own minimal proof, in any block order and with extra blocks', () => {
    for (const path of [...repo.records.keys()].slice(0, 60)) {
      const blocks = proofBlocks(repo, path).reverse();
      const result = verifyRecordProof(carOf(repo.commit.cid, [...blocks, repo.nodes[0]!, blocks[0]!]), { did: repo.did, key: repo.key.publicKey, ...split(path) });
      expect(failed(result), path).toEqual({});
      expect(result.cid).toBe(repo.records.get(path)!.cid.toString());
    }
  });

  it('accepts a whole-repository CAR as a proof, and p256 keys', () => {
    const p = buildRepo({ key: generatePrivateKey('p256'), records: samplePaths(30) });
    const path = [...p.records.keys()][7]!;
    expect(failed(check(p.car, path, p))).toEqual({});
  });

  it('proves absence: a key in a gap without a subtree returns cid null', () => {
    // Every key between two neighbours, in the gaps of the tree, is checked.
    const keys = [...repo.records.keys()].sort();
    let absences = 0;
    for (const path of [`app.bsky.feed.post/${tid(5)}a`, 'app.bsky.feed.like/2222222222222', 'zzz.example.thing/self', 'aaa.example.thing/self', `${keys[100]}x`]) {
      expect(repo.records.has(path)).toBe(false);
      const result = check(proofCar(repo, path), path);
      expect(failed(result), path).toEqual({});
      expect(result.valid).toBe(true);
      expect(result.present).toBe(false);
      expect(result.cid).toBeNull();
      expect(result.record).toBeUndefined();
      expect(result.checks.find((c) => c.name === 'record')!.detail).toContain(`${path} is not in the repository`);
      absences++;
    }
    expect(absences).toBe(5);
  });

  it('proves absence in the empty repository', () => {
    const empty = buildRepo({ records: [] });
    const result = check(empty.car, 'app.bsky.feed.post/3jzfcijpj2z2a', empty);
    expect(failed(result)).toEqual({});
    expect(result.cid).toBeNull();
    expect(result.checks.find((c) => c.name === 'record')!.detail).toContain('the tree is empty');
  });
});

describe('verifyRecordProof: broken proofs, each named', () => {
  it('a missing node on the path names the node and where it hangs', () => {
    const blocks = proofBlocks(repo, present);
    const missing = blocks[2]!; // the third node on the path (commit is blocks[0])
    const result = check(carOf(repo.commit.cid, blocks.filter((b) => b !== missing)), present);
    expect(result.valid).toBe(false);
    expect(result.cid).toBeNull();
    expect(result.present).toBeNull();
    expect(failed(result).mst).toContain(`MST node ${missing.cid.toString()} (layer`);
    expect(failed(result).mst).toContain('is missing from the proof');
    expect(failed(result).mst).toContain(`of node ${blocks[1]!.cid.toString()}`);
  });

  it('a missing node is not a proof of absence either', () => {
    const path = `${present}a`;
    const blocks = proofBlocks(repo, path);
    expect(blocks.length).toBeGreaterThan(2);
    const result = check(carOf(repo.commit.cid, blocks.slice(0, -1)), path);
    expect(result.valid).toBe(false);
    expect(result.cid).toBeNull();
    expect(failed(result).mst).toMatch(/is missing from the proof/);
  });

  it('a tampered record (a flipped byte) fails its hash check, named by path and CID', () => {
    const rec = repo.records.get(present)!;
    const bytes = rec.bytes.slice();
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01;
    const blocks = proofBlocks(repo, present).map((b) => (b === rec ? { cid: rec.cid, bytes } : b));
    const result = check(carOf(repo.commit.cid, blocks), present);
    expect(result.valid).toBe(false);
    expect(failed(result).hashes).toContain(`block ${rec.cid.toString()}`);
    expect(failed(result).record).toBe(`record ${present} (${rec.cid.toString()}) fails its hash check`);
    expect(result.record).toBeUndefined();
  });

  it('a replaced record (other content under its own CID) is missing from the proof', () => {
    const other = block(post('not what was signed'));
    const rec = repo.records.get(present)!;
    const blocks = proofBlocks(repo, present).map((b) => (b === rec ? other : b));
    const result = check(carOf(repo.commit.cid, blocks), present);
    expect(failed(result)).toEqual({ record: `record ${present} (${rec.cid.toString()}) is missing from the proof` });
  });

  it('a tampered MST node on the path fails its hash check', () => {
    const blocks = proofBlocks(repo, present);
    const node = blocks[1]!;
    const bytes = node.bytes.slice();
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    const result = check(carOf(repo.commit.cid, blocks.map((b) => (b === node ? { cid: node.cid, bytes } : b))), present);
    expect(failed(result).mst).toBe(`MST node ${node.cid.toString()} (the data root) fails its hash check`);
  });

  it('the wrong DID', () => {
    const result = check(proofCar(repo, present), present, repo, { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(result.valid).toBe(false);
    expect(failed(result)).toEqual({ did: `commit belongs to ${repo.did}, expected did:plc:aaaaaaaaaaaaaaaaaaaaaaaa` });
    // The path is still followed: the record is what the (foreign) commit holds.
    expect(result.cid).toBe(repo.records.get(present)!.cid.toString());
  });

  it('the wrong key', () => {
    const other = generatePrivateKey('k256').publicKey;
    const result = check(proofCar(repo, present), present, repo, { key: other });
    expect(result.valid).toBe(false);
    expect(Object.keys(failed(result))).toEqual(['signature']);
    expect(failed(result).signature).toContain(other.did());
  });

  it('a record whose $type is not its collection', () => {
    const path = `app.bsky.feed.post/${tid(3)}`;
    const r = buildRepo({ records: [[path, { $type: 'app.bsky.feed.like', subject: 'x', createdAt: '2024-01-01T00:00:00.000Z' }], [`app.bsky.feed.post/${tid(4)}`, post('ok')]] });
    const result = check(proofCar(r, path), path, r);
    expect(result.valid).toBe(false);
    expect(failed(result)).toEqual({ record: `record ${path} (${r.records.get(path)!.cid.toString()}) has $type "app.bsky.feed.like", not its collection "app.bsky.feed.post"` });
  });

  it('a commit with an extra field (re-signed) is rejected; a replaced signature fails', () => {
    const extra = signCommit({ ...repo.commitMap, extra: 'x' }, repo.key);
    const blocks = proofBlocks(repo, present).map((b) => (b === repo.commit ? extra : b));
    expect(failed(check(carOf(extra.cid, blocks), present)).commit).toBe('commit carries unknown field "extra"');

    const forged = block({ ...repo.commitMap, sig: new Uint8Array(64).fill(1) });
    const forgedBlocks = proofBlocks(repo, present).map((b) => (b === repo.commit ? forged : b));
    expect(Object.keys(failed(check(carOf(forged.cid, forgedBlocks), present)))).toEqual(['signature']);
  });

  it('a CAR whose root is not a commit, and a truncated CAR', () => {
    const blocks = proofBlocks(repo, present);
    const notCommit = check(carOf(blocks[1]!.cid, blocks), present);
    expect(failed(notCommit).commit).toContain(`the root block ${blocks[1]!.cid.toString()} is not a valid commit`);
    const car = proofCar(repo, present);
    const truncated = check(car.subarray(0, car.length - 5), present);
    expect(failed(truncated).car).toMatch(/truncated/);
    expect(truncated.commit).toBeNull();
  });

  it('a key on the wrong layer names the key and the node', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `app.bsky.feed.post/${tid(i)}`);
    const h0 = keys.filter((k) => keyHeight(k) === 0);
    const h1 = keys.filter((k) => keyHeight(k) === 1);
    const rec = block(post('x'));
    // One node holding a height-0 key and a height-1 key.
    const [a, b] = [h0[0]!, h1[0]!].sort() as [string, string];
    const root = block({ e: [entry(a, rec.cid, null), entry(b, rec.cid, null, a)], l: null });
    const commit = signCommit({ did: repo.did, version: 3, data: root.cid, rev: tid(1_000_000), prev: null }, repo.key);
    const result = check(carOf(commit.cid, [commit, root, rec]), b);
    // The node's layer comes from its first key; the second is the one out of place.
    expect(failed(result).mst).toBe(`key "${b}" has height ${keyHeight(b)} but sits in layer-${keyHeight(a)} MST node ${root.cid.toString()} (the data root)`);
  });

  it('a subtree whose keys lie outside its parent gap', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `app.bsky.feed.post/${tid(i)}`).sort();
    const top = keys.find((k) => keyHeight(k) === 1)!;
    const after = keys.find((k) => keyHeight(k) === 0 && k > top)!;
    const before = keys.find((k) => keyHeight(k) === 0 && k < top)!;
    const rec = block(post('x'));
    // The left subtree of `top` holds a key sorting after `top`.
    const leaf = block({ e: [entry(after, rec.cid, null)], l: null });
    const root = block({ e: [entry(top, rec.cid, null)], l: leaf.cid });
    const commit = signCommit({ did: repo.did, version: 3, data: root.cid, rev: tid(1_000_000), prev: null }, repo.key);
    const result = check(carOf(commit.cid, [commit, root, leaf, rec]), before);
    expect(failed(result).mst).toBe(`MST node ${leaf.cid.toString()} (layer 0, the subtree before "${top}" of node ${root.cid.toString()}) holds key "${after}", which is not before "${top}" (outside its parent's range)`);
    expect(result.cid).toBeNull();
  });
});

function entry(key: string, value: Cid, t: Cid | null, prev?: string): CborMap {
  const bytes = keyBytes(key);
  let p = 0;
  if (prev !== undefined) {
    const pb = keyBytes(prev);
    while (p < pb.length && p < bytes.length && pb[p] === bytes[p]) p++;
  }
  return { k: bytes.subarray(p), p, t, v: value };
}
