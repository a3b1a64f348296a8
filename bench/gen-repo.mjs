#!/usr/bin/env node
// Generates a repository CAR of N records with the reference implementation (@atproto/repo), for
// the repo-verify bench. Deterministic for a given N and seed, except the final commit's rev and
// signature (the last batch goes through `Repo.formatCommit`, which takes its rev from the clock).
//
//   node bench/gen-repo.mjs 100000 [--seed atcli-bench] [--out bench/.data] [--force]
//   node --max-old-space-size=12000 bench/gen-repo.mjs 1m   # 1M: ~4–8 minutes, ~5.5 GB peak RSS
//
// Writes <out>/repo-<size>.car and a sidecar <out>/repo-<size>.json with the DID, the signing key
// (did:key), the commit CID and counts. An existing pair made by the same generator version, N and
// seed is kept (pass --force to redo it).
//
// Records (as the reference measurements describe): ~35% app.bsky.feed.post (100–300 characters
// with emoji and non-ASCII, langs, createdAt; 25% replies with root/parent strongRefs, 12% with a
// link facet, 10% with a 1–4 image embed of blob links), ~45% app.bsky.feed.like and ~10%
// app.bsky.feed.repost (strongRef subject), ~10% app.bsky.graph.follow (DID subject), plus one
// app.bsky.actor.profile/self. Record keys are TIDs rising over two years.
//
// Writes go in batches of 200. Every batch but the last is applied to the reference MST directly
// (`MST.add` + `getUnstoredBlocks`) under its own monotonic rev; the last goes through
// `Repo.formatCommit` exactly as a PDS `applyWrites` would, its `removedCids` dropped. The CAR has
// the block order the reference PDS serves `com.atproto.sync.getRepo` in (SqlRepoReader
// .getCarStream): root = the commit, every reachable block ordered by (rev that first stored it
// DESC, CID string DESC). So the commit and the newest blocks come first; it is not a tree walk.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 'atcli-bench';
export const DATA_DIR = fileURLToPath(new URL('./.data/', import.meta.url));
const BATCH = 200;
const TWO_YEARS_US = 2 * 365 * 24 * 3600 * 1e6;
const START_US = Date.UTC(2024, 10, 1) * 1000; // record timestamps run from here over two years

/** "10k", "100k", "1m" ↔ 10000, 100000, 1000000. */
export function sizeName(n) {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  if (n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(String(s).trim());
  if (!m) throw new Error(`bad size "${s}" (examples: 10k, 100k, 1m, 2500)`);
  return Math.round(Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase()]));
}
export function repoPaths(n, out = DATA_DIR) {
  const base = join(out, `repo-${sizeName(n)}`);
  return { car: `${base}.car`, json: `${base}.json` };
}

/** The cached pair when it exists and was made by this generator version, N and seed. */
export function cachedRepo(n, { seed = DEFAULT_SEED, out = DATA_DIR } = {}) {
  const paths = repoPaths(n, out);
  if (!existsSync(paths.car) || !existsSync(paths.json)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(paths.json, 'utf8'));
    if (meta.generatorVersion === GENERATOR_VERSION && meta.n === n && meta.seed === seed) return { ...paths, meta };
  } catch {}
  return undefined;
}

// ---------------------------------------------------------------- deterministic randomness
function seedWords(s) {
  const d = createHash('sha256').update(s).digest();
  return [d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)];
}
/** xoshiro128** */
export function prng(seed) {
  let [a, b, c, d] = seedWords(seed);
  const next = () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const rand = () => next() / 4294967296;
  return {
    rand,
    int: (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(rand() * xs.length)],
    bytes: (len) => {
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i += 4) {
        const v = next();
        for (let j = 0; j < 4 && i + j < len; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------- TIDs (base32-sortable)
const S32 = '234567abcdefghijklmnopqrstuvwxyz';
export function tid(micros, clockId) {
  let v = (BigInt(Math.floor(micros)) << 10n) | BigInt(clockId & 1023);
  let s = '';
  for (let i = 0; i < 13; i++) {
    s = S32[Number(v & 31n)] + s;
    v >>= 5n;
  }
  return s;
}
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
export function base32(bytes) {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

// ---------------------------------------------------------------- record content
const WORDS = [
  'the', 'a', 'protocol', 'federation', 'today', 'really', 'think', 'about', 'new', 'release', 'coffee', 'morning', 'build',
  'ship', 'bug', 'fixed', 'again', 'why', 'is', 'this', 'so', 'good', 'weekend', 'music', 'reading', 'thread', 'open', 'source',
  'café', 'naïve', 'über', 'façade', 'jalapeño', 'smörgåsbord', 'Zürich', 'São', 'Paulo', 'ñandú', 'crème', 'brûlée',
  '日本語', 'テスト', 'ありがとう', '今日は', '天気', '中文', '你好', '한국어', '안녕하세요', 'привет', 'мир', 'Ωμέγα', 'العربية', 'עברית', 'हिन्दी',
  '🦋', '🎉', '☕', '🚀', '✨', '🙂', '🔥', '👀', '🌧️', '🧵', '💙', '🐈‍⬛', '👩🏽‍💻',
];
const LANGS = [['en'], ['en'], ['en'], ['ja'], ['de'], ['pt'], ['es'], ['en', 'ja'], ['ko'], ['fr']];

export function makeContext(r) {
  const others = Array.from({ length: 500 }, () => `did:plc:${base32(r.bytes(15)).slice(0, 24)}`);
  return { r, others };
}
export function randomText(r, min, max) {
  const target = r.int(min, max);
  let s = '';
  while (s.length < target) s += (s ? ' ' : '') + r.pick(WORDS);
  return s.length > max ? s.slice(0, max).trimEnd() : s;
}

/**
 * The bench's record generator (the mix in the module comment), drawing from `r`; `createCid`
 * is @atproto/lex-data's. Shared with gen-firehose.mjs.
 */
export function recordFactory(r, ctx, did, createCid) {
  const randCid = (codec) => createCid(codec, 0x12, r.bytes(32));
  const strongRef = () => {
    const author = r.rand() < 0.15 ? did : r.pick(ctx.others);
    const when = START_US + r.rand() * TWO_YEARS_US;
    return { uri: `at://${author}/app.bsky.feed.post/${tid(when, r.int(0, 1023))}`, cid: randCid(0x71).toString() };
  };
  const blob = (mimeType, lo, hi) => ({ $type: 'blob', ref: randCid(0x55), mimeType, size: r.int(lo, hi) });

  function makeRecord(micros) {
    const createdAt = new Date(micros / 1000).toISOString();
    const x = r.rand();
    if (x < 0.35) {
      let text = randomText(r, 100, 300);
      const post = { $type: 'app.bsky.feed.post', text, langs: r.pick(LANGS), createdAt };
      if (r.rand() < 0.25) {
        const root = strongRef();
        post.reply = { root, parent: r.rand() < 0.5 ? root : strongRef() };
      }
      if (r.rand() < 0.12) {
        const uri = `https://example.com/${base32(r.bytes(6))}/${r.pick(WORDS).replace(/[^a-z]/g, '') || 'x'}`;
        const byteStart = Buffer.byteLength(`${text} `);
        text = `${text} ${uri}`;
        post.text = text;
        post.facets = [{ index: { byteStart, byteEnd: byteStart + Buffer.byteLength(uri) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri }] }];
      }
      if (r.rand() < 0.1) {
        const images = Array.from({ length: r.int(1, 4) }, () => ({
          alt: r.rand() < 0.5 ? randomText(r, 10, 80) : '',
          image: blob('image/jpeg', 20_000, 1_000_000),
          aspectRatio: { width: r.int(300, 2000), height: r.int(300, 2000) },
        }));
        post.embed = { $type: 'app.bsky.embed.images', images };
      }
      return ['app.bsky.feed.post', post];
    }
    if (x < 0.8) return ['app.bsky.feed.like', { $type: 'app.bsky.feed.like', subject: strongRef(), createdAt }];
    if (x < 0.9) return ['app.bsky.feed.repost', { $type: 'app.bsky.feed.repost', subject: strongRef(), createdAt }];
    return ['app.bsky.graph.follow', { $type: 'app.bsky.graph.follow', subject: r.pick(ctx.others), createdAt }];
  }
  return { makeRecord, blob, strongRef };
}

export async function generateRepo(n, { seed = DEFAULT_SEED, out = DATA_DIR, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const { MST, Repo, ReadableBlockstore, WriteOpAction, signCommit, cborToLex } = await import('@atproto/repo');
  const { Secp256k1Keypair } = await import('@atproto/crypto');
  const { encode } = await import('@atproto/lex-cbor');
  const { cidForCbor, createCid } = await import('@atproto/lex-data');

  const started = performance.now();
  const r = prng(`${seed}:${n}`);
  const ctx = makeContext(r);
  const privateKey = createHash('sha256').update(`${seed}:signing-key`).digest();
  const keypair = await Secp256k1Keypair.import(privateKey, { exportable: true });
  const did = `did:plc:${base32(createHash('sha256').update(`${seed}:did:${n}`).digest()).slice(0, 24)}`;
  const { makeRecord, blob } = recordFactory(r, ctx, did, createCid);

  // Block store keyed by CID string: bytes plus the index of the rev that first stored the block.
  class BenchStorage extends ReadableBlockstore {
    nodes = new Map(); // MST nodes and commits
    records = new Map();
    async getBytes(cid) {
      const k = cid.toString();
      return (this.nodes.get(k) ?? this.records.get(k))?.bytes ?? null;
    }
    async has(cid) {
      const k = cid.toString();
      return this.nodes.has(k) || this.records.has(k);
    }
    async getBlocks(cids) {
      const { BlockMap } = await import('@atproto/repo');
      const blocks = new BlockMap();
      const missing = [];
      for (const cid of cids) {
        const b = await this.getBytes(cid);
        if (b) blocks.set(cid, b);
        else missing.push(cid);
      }
      return { blocks, missing };
    }
    put(map, cid, bytes, rev) {
      const k = cid.toString();
      if (!map.has(k)) map.set(k, { cid, bytes, rev });
    }
  }
  const storage = new BenchStorage();

  const total = n + 1; // plus the profile
  const batches = Math.ceil(total / BATCH);
  const revs = [];
  let data = await MST.create(storage);
  let reachableNodes = 0;
  let index = 0;
  let lastMicros = START_US;
  const step = TWO_YEARS_US / total;
  const nextWrite = () => {
    if (index++ === 0) {
      const record = {
        $type: 'app.bsky.actor.profile',
        displayName: 'Bench Account 🦋',
        description: randomText(r, 60, 200),
        avatar: blob('image/jpeg', 10_000, 500_000),
        banner: blob('image/jpeg', 50_000, 900_000),
        createdAt: new Date(START_US / 1000).toISOString(),
      };
      return { collection: 'app.bsky.actor.profile', rkey: 'self', record, micros: START_US };
    }
    const micros = Math.max(lastMicros + 1, START_US + index * step + r.rand() * step * 0.5);
    lastMicros = micros;
    const [collection, record] = makeRecord(micros);
    return { collection, rkey: tid(micros, r.int(0, 1023)), record, micros };
  };

  // Drops MST nodes no longer reachable from `root` (orphaned by later batches), as the PDS does.
  const prune = (root) => {
    const keep = new Set();
    const stack = [root];
    while (stack.length) {
      const k = stack.pop().toString();
      if (keep.has(k)) continue;
      const block = storage.nodes.get(k);
      if (!block) continue;
      keep.add(k);
      const node = cborToLex(block.bytes);
      if (node.l) stack.push(node.l);
      for (const e of node.e) if (e.t) stack.push(e.t);
    }
    for (const k of storage.nodes.keys()) if (!keep.has(k)) storage.nodes.delete(k);
    return keep.size;
  };

  for (let b = 0; b < batches - 1; b++) {
    const count = Math.min(BATCH, total - index);
    let micros = 0;
    const revIndex = revs.length;
    for (let i = 0; i < count; i++) {
      const w = nextWrite();
      micros = w.micros;
      const bytes = encode(w.record);
      const cid = await cidForCbor(bytes);
      storage.put(storage.records, cid, bytes, revIndex);
      data = await data.add(`${w.collection}/${w.rkey}`, cid);
    }
    revs.push(tid(micros + 1, 0));
    const { blocks } = await data.getUnstoredBlocks();
    for (const [cid, bytes] of blocks) storage.put(storage.nodes, cid, bytes, revIndex);
    if (storage.nodes.size > 2 * reachableNodes + 50_000) reachableNodes = prune(await data.getPointer());
    if (b % 250 === 249) log(`  ${sizeName(n)}: ${index.toLocaleString('en')} / ${total.toLocaleString('en')} records, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  // The state before the last batch, committed and signed; then the last batch as a PDS applies it.
  const prevRevIndex = revs.length - 1;
  const prevRev = revs.length > 0 ? revs[prevRevIndex] : tid(START_US - 1, 0);
  if (revs.length === 0) {
    revs.push(prevRev);
    const { blocks } = await data.getUnstoredBlocks();
    for (const [cid, bytes] of blocks) storage.put(storage.nodes, cid, bytes, 0);
  }
  const prevCommit = await signCommit({ did, version: 3, rev: prevRev, prev: null, data: await data.getPointer() }, keypair);
  const prevCommitBytes = encode(prevCommit);
  const prevCommitCid = await cidForCbor(prevCommitBytes);
  storage.put(storage.nodes, prevCommitCid, prevCommitBytes, revs.length - 1);
  data = null;
  const repo = await Repo.load(storage, prevCommitCid);
  const writes = [];
  while (index < total) {
    const w = nextWrite();
    writes.push({ action: WriteOpAction.Create, collection: w.collection, rkey: w.rkey, record: w.record });
  }
  const commit = await repo.formatCommit(writes, keypair);
  const finalRevIndex = revs.length;
  revs.push(commit.rev);
  for (const [cid, bytes] of commit.newBlocks) storage.put(storage.nodes, cid, bytes, finalRevIndex);
  for (const cid of commit.removedCids.toList()) {
    storage.nodes.delete(cid.toString());
    storage.records.delete(cid.toString());
  }

  // Every block reachable from the new commit (iteratively), then the PDS's order.
  const reachable = [];
  const seen = new Set();
  const commitBlock = storage.nodes.get(commit.cid.toString());
  reachable.push(commitBlock);
  seen.add(commit.cid.toString());
  const commitObj = cborToLex(commitBlock.bytes);
  const stack = [commitObj.data];
  let mstNodes = 0;
  let recordCount = 0;
  while (stack.length) {
    const cid = stack.pop();
    const k = cid.toString();
    if (seen.has(k)) continue;
    seen.add(k);
    const block = storage.nodes.get(k) ?? storage.records.get(k);
    if (!block) throw new Error(`generator bug: MST node ${k} is missing`);
    reachable.push(block);
    mstNodes++;
    const node = cborToLex(block.bytes);
    if (node.l) stack.push(node.l);
    for (const e of node.e) {
      recordCount++;
      const rk = e.v.toString();
      if (!seen.has(rk)) {
        seen.add(rk);
        const rec = storage.records.get(rk) ?? storage.nodes.get(rk);
        if (!rec) throw new Error(`generator bug: record ${rk} is missing`);
        reachable.push(rec);
      }
      if (e.t) stack.push(e.t);
    }
  }
  if (recordCount !== total) throw new Error(`generator bug: ${recordCount} records reachable, expected ${total}`);
  const keyed = reachable.map((b) => ({ b, k: b.cid.toString() }));
  keyed.sort((x, y) => y.b.rev - x.b.rev || (x.k < y.k ? 1 : x.k > y.k ? -1 : 0));

  // The CAR, written to a temporary file and renamed into place.
  mkdirSync(out, { recursive: true });
  const paths = repoPaths(n, out);
  const tmp = `${paths.car}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let bytesWritten = 0;
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let used = 0;
    const flush = () => {
      writeSync(fd, chunk, 0, used);
      bytesWritten += used;
      used = 0;
    };
    const put = (bytes) => {
      if (used + bytes.length > chunk.length) flush();
      if (bytes.length > chunk.length) {
        writeSync(fd, bytes);
        bytesWritten += bytes.length;
      } else {
        chunk.set(bytes, used);
        used += bytes.length;
      }
    };
    const varint = (v) => {
      const a = [];
      while (v >= 0x80) {
        a.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      a.push(v);
      return Uint8Array.from(a);
    };
    // Header {roots: [commit], version: 1} in canonical DAG-CBOR, written by hand.
    const root = commit.cid.bytes;
    const header = Buffer.concat([
      Buffer.from([0xa2, 0x65]), Buffer.from('roots'), Buffer.from([0x81, 0xd8, 0x2a, 0x58, root.length + 1, 0x00]), root,
      Buffer.from([0x67]), Buffer.from('version'), Buffer.from([0x01]),
    ]);
    put(varint(header.length));
    put(header);
    for (const { b } of keyed) {
      const cidBytes = b.cid.bytes;
      put(varint(cidBytes.length + b.bytes.length));
      put(cidBytes);
      put(b.bytes);
    }
    flush();
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, paths.car);
  const meta = {
    generatorVersion: GENERATOR_VERSION,
    n,
    seed,
    did,
    signingKey: keypair.did(),
    publicKeyHex: Buffer.from(keypair.publicKeyBytes()).toString('hex'),
    benchPrivateKeyHex: privateKey.toString('hex'), // derived from the seed: not a secret
    commit: commit.cid.toString(),
    rev: commit.rev,
    data: commitObj.data.toString(),
    records: total,
    blocks: keyed.length,
    bytes: bytesWritten,
    mstNodes,
    revs: revs.length,
    generatedAt: new Date().toISOString(),
    generateSeconds: +((performance.now() - started) / 1000).toFixed(1),
  };
  writeFileSync(paths.json, `${JSON.stringify(meta, null, 2)}\n`);
  return { ...paths, meta };
}

/** The cached repo of size n, generating it (in this process) when missing. */
export async function ensureRepoInProcess(n, opts = {}) {
  return cachedRepo(n, opts) ?? generateRepo(n, opts);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name, dflt) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const force = args.includes('--force');
  const seed = flag('--seed', DEFAULT_SEED);
  const out = flag('--out', DATA_DIR);
  const sizes = args.filter((a) => a !== '--force').map(parseSize);
  if (sizes.length === 0) {
    console.error('usage: node bench/gen-repo.mjs <records…> [--seed S] [--out DIR] [--force]   (e.g. 10k 100k 1m)');
    process.exit(2);
  }
  for (const n of sizes) {
    const cached = !force && cachedRepo(n, { seed, out });
    if (cached) {
      console.error(`${cached.car}: cached (${cached.meta.records} records, ${cached.meta.bytes} bytes)`);
      continue;
    }
    if (force) for (const p of Object.values(repoPaths(n, out))) rmSync(p, { force: true });
    console.error(`generating ${sizeName(n)} records…`);
    const res = await generateRepo(n, { seed, out });
    console.error(`${res.car}: ${res.meta.records} records, ${res.meta.blocks} blocks, ${res.meta.bytes} bytes, ${res.meta.mstNodes} MST nodes, ${res.meta.revs} revs, ${res.meta.generateSeconds} s`);
  }
}
