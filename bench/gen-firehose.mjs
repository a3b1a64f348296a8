#!/usr/bin/env node
// Generates a firehose stream with the reference implementation (@atproto/repo), for the firehose
// bench: an atcli recording (the format `firehose tail --record` writes: src/core/firehose/record.ts)
// plus a sidecar JSON. Deterministic for a given size and seed, except commit revs and signatures
// (the reference takes revs from the clock).
//
//   node bench/gen-firehose.mjs [--commits 20000] [--accounts 5000] [--seed atcli-bench] [--force]
//
// The stream:
// - `accounts` accounts (90% secp256k1, 10% P-256 keys), each starting from a repository of
//   3–30 records (80%), 30–300 (17%) or 300–1500 (3%) of the bench's record mix (gen-repo.mjs),
//   made with `Repo.create`;
// - `commits` `#commit` frames: every account commits at least once, the rest is drawn with a
//   skew towards busy accounts; 97% carry one op (75% create, 15% delete, 10% update), 3% carry
//   2–10. Each is `Repo.formatCommit` output framed as the PDS sequencer does: `blocks` is a CAR
//   of the commit's relevant blocks (covering proofs and new records), with `ops` (`cid`, `prev`),
//   `prevData`, `since`, `rev`, `time`, `rebase: false`, `tooBig: false`, `blobs: []`;
// - mixed in: 1% `#identity`, 0.5% `#account` (active, and a few deactivate/activate pairs),
//   0.5% `#sync` (a CAR with the account's current commit block).
// Seqs run 1…N in stream order. The recording starts with one key entry per account (its did:key),
// so a replay with --verify needs no network.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, DEFAULT_SEED, base32, makeContext, prng, recordFactory, tid } from './gen-repo.mjs';

export const FIREHOSE_GENERATOR_VERSION = 1;
const log = (m) => process.stderr.write(`${m}\n`);

export function firehosePaths({ commits, accounts, out = DATA_DIR }) {
  const base = join(out, `firehose-${commits}c-${accounts}a`);
  return { frames: `${base}.fh`, json: `${base}.json` };
}

export function cachedFirehose({ commits, accounts, seed = DEFAULT_SEED, out = DATA_DIR }) {
  const paths = firehosePaths({ commits, accounts, out });
  if (!existsSync(paths.frames) || !existsSync(paths.json)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(paths.json, 'utf8'));
    if (meta.generatorVersion === FIREHOSE_GENERATOR_VERSION && meta.commits === commits && meta.accounts === accounts && meta.seed === seed) return { ...paths, meta };
  } catch {}
  return undefined;
}

// ---------------------------------------------------------------- recording format
const MAGIC = Buffer.from('ATCLIFH1', 'ascii');
function entry(kind, seq, time, payload) {
  const out = Buffer.allocUnsafe(21 + payload.length);
  out.writeUInt8(kind, 0);
  out.writeBigUInt64BE(BigInt(seq), 1);
  out.writeBigUInt64BE(BigInt(time), 9);
  out.writeUInt32BE(payload.length, 17);
  out.set(payload, 21);
  return out;
}

/** Reads a recording made here: {keys: Map did → did:key, frames: [{seq, time, data}]}. */
export function readBenchRecording(path) {
  const buf = readFileSync(path);
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new Error(`${path} is not a recording`);
  const keys = new Map();
  const frames = [];
  let at = 8;
  while (at + 21 <= buf.length) {
    const kind = buf[at];
    const seq = Number(buf.readBigUInt64BE(at + 1));
    const time = Number(buf.readBigUInt64BE(at + 9));
    const len = buf.readUInt32BE(at + 17);
    const payload = buf.subarray(at + 21, at + 21 + len);
    at += 21 + len;
    if (kind === 3) {
      const j = JSON.parse(payload.toString('utf8'));
      keys.set(j.did, j.key);
    } else if (kind === 1) frames.push({ seq, time, data: payload });
  }
  return { keys, frames };
}

// ---------------------------------------------------------------- generation
export async function generateFirehose({ commits = 20_000, accounts = 5_000, seed = DEFAULT_SEED, out = DATA_DIR } = {}) {
  const { Repo, MemoryBlockstore, WriteOpAction, blocksToCarFile, BlockMap } = await import('@atproto/repo');
  const { Secp256k1Keypair, P256Keypair } = await import('@atproto/crypto');
  const { encode } = await import('@atproto/lex-cbor');
  const { createCid } = await import('@atproto/lex-data');
  const started = performance.now();
  const r = prng(`${seed}:firehose:${commits}:${accounts}`);
  const ctx = makeContext(r);

  // The schedule: which account each commit slot belongs to, then special events mixed in.
  const slots = Array.from({ length: accounts }, (_, i) => i);
  for (let i = accounts; i < commits; i++) slots.push(Math.floor(accounts * r.rand() ** 1.6));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(r.rand() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  /** Stream events in order: {account, type}. */
  const events = slots.map((a) => ({ account: a, type: 'commit' }));
  const insert = (type, n, extra = () => ({})) => {
    for (let i = 0; i < n; i++) {
      const at = r.int(1, events.length - 1);
      events.splice(at, 0, { account: events[at - 1].account, type, ...extra() });
    }
  };
  insert('identity', Math.round(commits * 0.01));
  insert('sync', Math.round(commits * 0.005));
  insert('account', Math.round(commits * 0.004), () => ({ active: true }));
  for (let i = 0; i < Math.round(commits * 0.0005); i++) {
    const at = r.int(1, events.length - 2);
    const account = events[at].account;
    events.splice(at, 0, { account, type: 'account', active: false }, { account, type: 'account', active: true });
  }
  const perAccount = Array.from({ length: accounts }, () => []);
  events.forEach((e, i) => perAccount[e.account].push(i));

  const baseTime = Date.UTC(2026, 0, 1);
  const frames = new Array(events.length);
  const keys = [];
  let opCounts = { create: 0, update: 0, delete: 0 };
  let k256 = 0;
  const header = (t) => encode({ op: 1, t });
  for (let a = 0; a < accounts; a++) {
    const did = `did:plc:${base32(createHash('sha256').update(`${seed}:firehose-did:${a}`).digest()).slice(0, 24)}`;
    const priv = createHash('sha256').update(`${seed}:firehose-key:${a}`).digest();
    const isK256 = r.rand() < 0.9;
    const keypair = isK256 ? await Secp256k1Keypair.import(priv) : await P256Keypair.import(priv);
    if (isK256) k256++;
    keys.push({ did, key: keypair.did() });
    const { makeRecord } = recordFactory(r, ctx, did, createCid);
    const x = r.rand();
    const initial = x < 0.8 ? r.int(3, 30) : x < 0.97 ? r.int(30, 300) : r.int(300, 1500);
    let micros = baseTime * 1000 - 3e12 + r.rand() * 1e12;
    const newWrite = () => {
      micros += 1 + r.rand() * 5e9;
      const [collection, record] = makeRecord(micros);
      return { action: WriteOpAction.Create, collection, rkey: tid(micros, r.int(0, 1023)), record };
    };
    const writes = [{ action: WriteOpAction.Create, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName: `Account ${a}` } }];
    for (let i = 0; i < initial; i++) writes.push(newWrite());
    const storage = new MemoryBlockstore();
    let repo = await Repo.create(storage, did, keypair, writes);
    /** path → record CID of the current repository. */
    const paths = new Map();
    for (const [path, cid] of (await repo.data.list()).map((l) => [l.key, l.value])) paths.set(path, cid);
    const pathList = [...paths.keys()].filter((p) => !p.startsWith('app.bsky.actor.profile/'));

    for (const index of perAccount[a]) {
      const e = events[index];
      const seq = index + 1;
      const time = new Date(baseTime + index * 3).toISOString();
      if (e.type === 'identity') {
        frames[index] = Buffer.concat([header('#identity'), encode({ seq, did, time, handle: `account${a}.bench.test` })]);
        continue;
      }
      if (e.type === 'account') {
        const body = e.active ? { seq, did, time, active: true } : { seq, did, time, active: false, status: 'deactivated' };
        frames[index] = Buffer.concat([header('#account'), encode(body)]);
        continue;
      }
      if (e.type === 'sync') {
        const commitBytes = await storage.getBytes(repo.cid);
        const blocks = new BlockMap();
        blocks.set(repo.cid, commitBytes);
        const car = await blocksToCarFile(repo.cid, blocks);
        frames[index] = Buffer.concat([header('#sync'), encode({ seq, did, blocks: car, rev: repo.commit.rev, time })]);
        continue;
      }
      const nOps = r.rand() < 0.03 ? r.int(2, 10) : 1;
      const ops = [];
      const touched = new Set();
      for (let i = 0; i < nOps; i++) {
        const y = r.rand();
        const candidates = pathList.filter((p) => !touched.has(p));
        if (y < 0.75 || candidates.length < 2) {
          const w = newWrite();
          ops.push(w);
          touched.add(`${w.collection}/${w.rkey}`);
        } else {
          const path = candidates[Math.floor(r.rand() * candidates.length)];
          touched.add(path);
          const [collection, rkey] = path.split('/');
          if (y < 0.9) ops.push({ action: WriteOpAction.Delete, collection, rkey });
          else {
            const [, record] = makeRecord(micros);
            record.$type = collection;
            ops.push({ action: WriteOpAction.Update, collection, rkey, record });
          }
        }
      }
      const prevData = repo.commit.data;
      const commit = await repo.formatCommit(ops, keypair);
      repo = await repo.applyCommit(commit);
      const opsOut = [];
      for (const op of ops) {
        const path = `${op.collection}/${op.rkey}`;
        const prev = paths.get(path) ?? null;
        if (op.action === WriteOpAction.Delete) {
          opsOut.push({ action: 'delete', path, cid: null, prev });
          paths.delete(path);
          pathList.splice(pathList.indexOf(path), 1);
          opCounts.delete++;
        } else {
          const cid = await repo.data.get(path);
          if (op.action === WriteOpAction.Create) {
            opsOut.push({ action: 'create', path, cid });
            pathList.push(path);
            opCounts.create++;
          } else {
            opsOut.push({ action: 'update', path, cid, prev });
            opCounts.update++;
          }
          paths.set(path, cid);
        }
      }
      const car = await blocksToCarFile(commit.cid, commit.relevantBlocks);
      const body = { seq, rebase: false, tooBig: false, repo: did, commit: commit.cid, rev: commit.rev, since: commit.since, blocks: car, ops: opsOut, blobs: [], prevData, time };
      frames[index] = Buffer.concat([header('#commit'), encode(body)]);
    }
    if (a % 250 === 249) log(`  firehose: ${a + 1} / ${accounts} accounts, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  mkdirSync(out, { recursive: true });
  const paths = firehosePaths({ commits, accounts, out });
  const receivedAt = Date.now();
  const parts = [MAGIC];
  for (const k of keys) parts.push(entry(3, 0, receivedAt, Buffer.from(JSON.stringify(k), 'utf8')));
  let frameBytes = 0;
  frames.forEach((f, i) => {
    frameBytes += f.length;
    parts.push(entry(1, i + 1, receivedAt, f));
  });
  const tmp = `${paths.frames}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, paths.frames);
  const counts = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  const meta = {
    generatorVersion: FIREHOSE_GENERATOR_VERSION,
    commits,
    accounts,
    seed,
    frames: events.length,
    counts,
    ops: opCounts,
    k256Accounts: k256,
    p256Accounts: accounts - k256,
    frameBytes,
    generatedMs: Math.round(performance.now() - started),
  };
  writeFileSync(paths.json, `${JSON.stringify(meta, null, 2)}\n`);
  return { ...paths, meta };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const spec = { commits: Number(opt('--commits', 20_000)), accounts: Number(opt('--accounts', 5_000)), seed: opt('--seed', DEFAULT_SEED) };
  const cached = args.includes('--force') ? undefined : cachedFirehose(spec);
  const made = cached ?? (await generateFirehose(spec));
  log(`${made.frames}: ${JSON.stringify(made.meta)}`);
}
