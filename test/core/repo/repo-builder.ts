// Builds signed repository CARs in memory with atcli's own codec and crypto, so tests can
// tamper with any block and check what the verifier says.
import { Cid, cidForCbor, encodeCar, encodeCbor, type CborMap, type CborValue } from '../../../src/core/codec/index.js';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { buildMst, type MstBlock } from '../../../src/core/repo/mst.js';
import { unsignedCommitBytes } from '../../../src/core/repo/commit.js';
import { tidFromTime } from '../../../src/core/syntax/index.js';

export interface Block {
  cid: Cid;
  bytes: Uint8Array;
}

export interface BuiltRepo {
  did: string;
  key: PrivateKey;
  commit: Block;
  commitMap: CborMap;
  data: Cid;
  nodes: Block[];
  records: Map<string, Block>;
  /** Blocks in CAR order: commit, nodes, records. */
  blocks: Block[];
  car: Uint8Array;
}

export function block(value: CborValue): Block {
  const bytes = encodeCbor(value);
  return { cid: cidForCbor(bytes), bytes };
}

export function post(text: string, createdAt = '2024-01-01T00:00:00.000Z'): CborMap {
  return { $type: 'app.bsky.feed.post', text, createdAt };
}

/** A TID for index i, increasing with i. */
export function tid(i: number): string {
  return tidFromTime(1_700_000_000_000_000 + i * 1000, 7);
}

export function samplePaths(n: number): Array<[string, CborMap]> {
  const out: Array<[string, CborMap]> = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) out.push([`app.bsky.feed.like/${tid(i)}`, { $type: 'app.bsky.feed.like', subject: { uri: `at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/${tid(i)}`, cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }, createdAt: '2024-01-01T00:00:00.000Z' }]);
    else out.push([`app.bsky.feed.post/${tid(i)}`, post(`post number ${i}`)]);
  }
  out.push(['app.bsky.actor.profile/self', { $type: 'app.bsky.actor.profile', displayName: 'Test' }]);
  return out;
}

export function signCommit(fields: CborMap, key: PrivateKey): Block & { map: CborMap } {
  const map: CborMap = { ...fields };
  delete map.sig;
  map.sig = key.sign(unsignedCommitBytes(map));
  return { ...block(map), map };
}

export interface BuildOptions {
  did?: string;
  key?: PrivateKey;
  rev?: string;
  records?: Array<[string, CborMap]>;
}

export function buildRepo(opts: BuildOptions = {}): BuiltRepo {
  const did = opts.did ?? 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw';
  const key = opts.key ?? generatePrivateKey('k256');
  const recordList = opts.records ?? samplePaths(50);
  const records = new Map<string, Block>();
  for (const [path, value] of recordList) records.set(path, block(value));
  const mst = buildMst([...records].map(([path, b]) => [path, b.cid] as const));
  const nodes = [...mst.nodes.values()].map((b: MstBlock) => ({ cid: b.cid, bytes: b.bytes }));
  const commit = signCommit({ did, version: 3, data: mst.root, rev: opts.rev ?? tid(1_000_000), prev: null }, key);
  const blocks = [commit, ...nodes, ...dedupe([...records.values()])];
  return { did, key, commit, commitMap: commit.map, data: mst.root, nodes, records, blocks, car: encodeCar([commit.cid], blocks) };
}

function dedupe(blocks: Block[]): Block[] {
  const seen = new Set<string>();
  return blocks.filter((b) => (seen.has(b.cid.key) ? false : (seen.add(b.cid.key), true)));
}

/** Re-encodes a CAR from blocks, keeping the given root. */
export function carOf(root: Cid, blocks: Block[]): Uint8Array {
  return encodeCar([root], blocks);
}

export async function* chunks(bytes: Uint8Array, size = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/**
 * Rebuilds the tree bottom-up after `mutate` changes node values (or returns raw bytes for a
 * non-canonical encoding), re-hashing every ancestor and re-signing the commit, so the only
 * thing wrong with the result is what the mutation did.
 */
export function rewriteTree(
  repo: BuiltRepo,
  mutate: (node: CborMap, depth: number) => CborMap | Uint8Array | undefined,
  commitFields: CborMap = {},
): { car: Uint8Array; blocks: Block[]; commit: Block } {
  const byKey = new Map(repo.nodes.map((n) => [n.cid.key, n]));
  const out: Block[] = [];
  const rewrite = (cid: Cid, depth: number): Cid => {
    const original = byKey.get(cid.key);
    if (!original) throw new Error('node not found');
    const value = decodeNode(original.bytes);
    if (value.l instanceof Cid) value.l = rewrite(value.l, depth + 1);
    for (const e of value.e as CborMap[]) if (e.t instanceof Cid) e.t = rewrite(e.t, depth + 1);
    const changed = mutate(value, depth) ?? value;
    const b = changed instanceof Uint8Array ? { cid: cidForCbor(changed), bytes: changed } : block(changed);
    out.push(b);
    return b.cid;
  };
  const data = rewrite(repo.data, 0);
  const commit = signCommit({ ...repo.commitMap, data, ...commitFields }, repo.key);
  const blocks = [commit, ...out, ...dedupe([...repo.records.values()])];
  return { car: encodeCar([commit.cid], blocks), blocks, commit };
}

function decodeNode(bytes: Uint8Array): CborMap {
  // A deep copy through our own decoder keeps Cid instances and byte strings intact.
  return decodeCborStrict(bytes) as CborMap;
}

import { decodeCbor as decodeCborStrict } from '../../../src/core/codec/index.js';
