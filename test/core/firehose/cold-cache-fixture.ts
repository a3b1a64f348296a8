// A firehose of many did:plc accounts whose keys only a PLC directory knows: for the cold-cache
// test. Each account has a genuine genesis operation (signed by the PDS's rotation key, its DID
// derived from it) naming its own signing key (90% k256, 10% p256), a repository with one record,
// and `commitsEach` commits that each create a record, chained (since, prevData). The accounts'
// commits are interleaved at random (each account's order kept). Signing uses node:crypto (low-S
// normalised) to keep generation quick; the result is cached in the system temp folder.
import { createPrivateKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCar, type CborMap } from '../../../src/core/codec/index.js';
import { publicKeyFromBytes, type KeyType, type PrivateKey } from '../../../src/core/crypto/index.js';
import { CURVES } from '../../../src/core/crypto/curves.js';
import { didForGenesis, operationCid, signOperation } from '../../../src/core/plc/operation.js';
import { MutableMst } from '../../../src/core/repo/mst-edit.js';
import { rng } from '../codec/helpers.js';
import { block, post, signCommit, tid } from '../repo/repo-builder.js';
import { commitBody, frame } from './commit-builder.js';

const FIXTURE_VERSION = 1;

/** A PrivateKey backed by node:crypto (fast signing), signing low-S as atproto requires. */
export function nodeKey(type: KeyType, pem?: string): PrivateKey & { pem: string } {
  const privateKey: KeyObject = pem !== undefined ? createPrivateKey(pem) : generateKeyPairSync('ec', { namedCurve: type === 'k256' ? 'secp256k1' : 'prime256v1' }).privateKey;
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; y: string };
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const compressed = new Uint8Array(33);
  compressed[0] = 2 + ((y[31] as number) & 1);
  compressed.set(x, 1);
  const publicKey = publicKeyFromBytes(type, compressed);
  const n = BigInt(`0x${Buffer.from(CURVES[type].n).toString('hex')}`);
  return {
    type,
    publicKey,
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    sign(message: Uint8Array): Uint8Array {
      const sig = new Uint8Array(nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
      if (s > n >> 1n) sig.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
      return sig;
    },
  } as unknown as PrivateKey & { pem: string };
}

export interface ColdFixture {
  /** Binary frames in stream order (seq = index + 1). */
  frames: Uint8Array[];
  /** did → the audit log JSON the directory serves. */
  auditLogs: Map<string, string>;
}

export function coldFixture(accounts: number, commitsEach: number): ColdFixture {
  const dir = join(tmpdir(), 'atcli-test-cache');
  const file = join(dir, `cold-firehose-v${FIXTURE_VERSION}-${accounts}x${commitsEach}.json`);
  if (existsSync(file)) {
    try {
      const j = JSON.parse(readFileSync(file, 'utf8')) as { frames: string[]; auditLogs: Array<[string, string]> };
      return { frames: j.frames.map((f) => new Uint8Array(Buffer.from(f, 'base64'))), auditLogs: new Map(j.auditLogs) };
    } catch {
      // regenerate
    }
  }
  const rand = rng(accounts * 7919 + commitsEach);
  const rotation = nodeKey('p256');
  const createdAt = '2025-01-01T00:00:00.000Z';
  const perAccount: CborMap[][] = [];
  const auditLogs = new Map<string, string>();
  const time = '2026-01-01T00:00:00.000Z';
  for (let i = 0; i < accounts; i++) {
    const key = nodeKey(rand() < 0.9 ? 'k256' : 'p256');
    const op = signOperation(
      {
        type: 'plc_operation',
        rotationKeys: [rotation.publicKey.did()],
        verificationMethods: { atproto: key.publicKey.did() },
        alsoKnownAs: [`at://u${i}.cold.test`],
        services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.cold.test' } },
        prev: null,
      },
      rotation,
    );
    const did = didForGenesis(op);
    auditLogs.set(did, JSON.stringify([{ did, operation: op, cid: operationCid(op), nullified: false, createdAt }]));
    const profile = block({ $type: 'app.bsky.actor.profile', displayName: `u${i}` });
    const tree = MutableMst.empty();
    tree.insert('app.bsky.actor.profile/self', profile.cid);
    let data = tree.rootCid();
    let rev = tid(1_000_000 + i);
    const bodies: CborMap[] = [];
    for (let c = 0; c < commitsEach; c++) {
      const path = `app.bsky.feed.post/${tid(2_000_000 + i * 16 + c)}`;
      const record = block(post(`cold ${i} ${c}`));
      const before = data;
      tree.insert(path, record.cid);
      data = tree.rootCid();
      const proof = [...tree.coveringProof([path]).values()].map((b) => ({ cid: b.cid, bytes: b.bytes }));
      const nextRev = tid(3_000_000 + i * 16 + c);
      const commit = signCommit({ did, version: 3, data, rev: nextRev, prev: null }, key);
      const evt = {
        type: '#commit' as const,
        seq: 0,
        repo: did,
        commit: commit.cid,
        rev: nextRev,
        since: rev,
        blocks: encodeCar([commit.cid], [commit, ...proof, record]),
        ops: [{ action: 'create', path, cid: record.cid, prev: null }],
        prevData: before,
        time,
        tooBig: false,
        rebase: false,
        warnings: [],
      };
      rev = nextRev;
      bodies.push(commitBody(evt));
    }
    perAccount.push(bodies);
  }
  // Interleave: pick an account with commits left, at random, keeping each account's order.
  const order: Uint8Array[] = [];
  const left = perAccount.map((f) => f.length);
  const live = perAccount.map((_, i) => i);
  while (live.length > 0) {
    const k = Math.floor(rand() * live.length);
    const a = live[k] as number;
    const body = perAccount[a]![perAccount[a]!.length - left[a]!]!;
    order.push(frame({ op: 1, t: '#commit' }, { ...body, seq: order.length + 1 }));
    if (--left[a]! === 0) live.splice(k, 1);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ frames: order.map((f) => Buffer.from(f).toString('base64')), auditLogs: [...auditLogs] }));
  return { frames: order, auditLogs };
}
