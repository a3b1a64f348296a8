#!/usr/bin/env node
// One in-process peer of the firehose bench, in its own process (so its peak RSS is its own):
// prints one JSON line {peer, frames, ms, cpuMs, maxRssMB, verified, failures, detail}.
//
//   node bench/firehose-peer.mjs <atcute|reference> <file.fh>
//   node bench/firehose-peer.mjs sig [--ms 600]          # signature verification paths, ops/s
//
// The recording is read into memory before the clock starts; each frame is then handled as a
// verifying consumer would, single-threaded:
//   atcute     @atcute/cbor decodeFirst + decode, @atcute/car fromUint8Array, every block's sha256
//              checked against its CID (node:crypto), the commit signature with @atcute/crypto
//              (a PublicKey imported once per account: node:crypto for k256, WebCrypto for P-256;
//              low-S enforced), an MST lookup of every op's path in the partial tree (create and
//              update must find op.cid, delete must find nothing), every created/updated record
//              present and a map with $type; #sync: the signed commit. (No inversion: @atcute has
//              none; the reference's own firehose consumer does not invert either.)
//   reference  @atproto/lex-cbor decodeAll, then for #commit @atproto/repo verifyProofs(blocks,
//              claims, did, didKey) (the commit signature and each op's inclusion) and readCar +
//              cborToLexRecord for the records, as @atproto/sync's parseCommitAuthenticated
//              does; #sync: readCarWithRoot + verifyCommitSig.
// #identity and #account frames are decoded only.
import { hash, createPublicKey, verify as nodeVerify, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { createRequire } from 'node:module';
import { readBenchRecording } from './gen-firehose.mjs';

const [peer, file] = process.argv.slice(2);
const latin1Key = (bytes) => String.fromCharCode.apply(null, bytes);

function report(out) {
  const cpu = process.cpuUsage(out.cpu0);
  delete out.cpu0;
  console.log(JSON.stringify({ peer, ...out, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6 }));
}

// ---------------------------------------------------------------- @atcute
async function runAtcute(frames, keys) {
  const { decode, decodeFirst, encode } = await import('@atcute/cbor');
  const { fromUint8Array } = await import('@atcute/car');
  const { parseDidKey, P256PublicKey, Secp256k1PublicKey } = await import('@atcute/crypto');
  const keyCache = new Map();
  const keyFor = async (did) => {
    let k = keyCache.get(did);
    if (k === undefined) {
      const found = parseDidKey(keys.get(did));
      k = found.type === 'p256' ? await P256PublicKey.importRaw(found.publicKeyBytes) : await Secp256k1PublicKey.importRaw(found.publicKeyBytes);
      keyCache.set(did, k);
    }
    return k;
  };
  const readBlocks = (bytes) => {
    const car = fromUint8Array(bytes);
    const blocks = new Map();
    for (const entry of car) {
      const cid = entry.cid;
      if (cid.version !== 1 || cid.digest.codec !== 0x12) throw new Error('not a CIDv1 sha2-256 block');
      if (!hash('sha256', entry.bytes, 'buffer').equals(cid.digest.contents)) throw new Error('block does not match its CID');
      blocks.set(latin1Key(cid.bytes), entry.bytes);
    }
    return { root: car.roots[0], blocks };
  };
  const checkCommit = async (blocks, root, did) => {
    const bytes = blocks.get(latin1Key(root.bytes));
    if (bytes === undefined) throw new Error('commit block missing');
    const commit = decode(bytes);
    if (commit.version !== 3 || commit.did !== did) throw new Error('bad commit');
    const { sig, ...unsigned } = commit;
    if (!(await (await keyFor(did)).verify(sig.buf, encode(unsigned)))) throw new Error('bad signature');
    return commit;
  };
  const mstGet = (blocks, root, key) => {
    let link = root;
    for (;;) {
      const bytes = blocks.get(latin1Key(link.bytes));
      if (bytes === undefined) throw new Error('incomplete proof');
      const node = decode(bytes);
      let prev = '';
      let next = node.l;
      let found = false;
      for (const e of node.e) {
        const k = prev.slice(0, e.p) + Buffer.from(e.k.buf).toString('latin1');
        prev = k;
        if (key === k) return e.v;
        if (key < k) {
          found = true;
          break;
        }
        next = e.t;
      }
      if (!found && node.e.length === 0) next = node.l;
      if (next === null || next === undefined) return null;
      link = next;
    }
  };
  let verified = 0;
  let failures = 0;
  let detail = '';
  for (const f of frames) {
    try {
      const [header, rest] = decodeFirst(f.data);
      const body = decode(rest);
      if (header.t === '#commit') {
        const { root, blocks } = readBlocks(body.blocks.buf);
        const commit = await checkCommit(blocks, root, body.repo);
        for (const op of body.ops) {
          const got = mstGet(blocks, commit.data, op.path);
          if (op.action === 'delete') {
            if (got !== null) throw new Error('deleted record still in the tree');
            continue;
          }
          if (got === null || latin1Key(got.bytes) !== latin1Key(op.cid.bytes)) throw new Error('op not in the tree');
          const rec = blocks.get(latin1Key(op.cid.bytes));
          if (rec === undefined) throw new Error('record block missing');
          const value = decode(rec);
          if (typeof value !== 'object' || typeof value.$type !== 'string') throw new Error('record without $type');
        }
        verified++;
      } else if (header.t === '#sync') {
        const { root, blocks } = readBlocks(body.blocks.buf);
        await checkCommit(blocks, root, body.did);
        verified++;
      }
    } catch (err) {
      failures++;
      detail ||= `seq ${f.seq}: ${err.message}`;
    }
  }
  return { verified, failures, detail };
}

// ---------------------------------------------------------------- reference
async function runReference(frames, keys) {
  const { decodeAll } = await import('@atproto/lex-cbor');
  const { verifyProofs, readCar, readCarWithRoot, cborToLexRecord, verifyCommitSig, def, MemoryBlockstore } = await import('@atproto/repo');
  let verified = 0;
  let failures = 0;
  let detail = '';
  for (const f of frames) {
    try {
      const [header, body] = decodeAll(f.data);
      if (header.t === '#commit') {
        const claims = body.ops.map((op) => {
          const [collection, rkey] = op.path.split('/');
          return { collection, rkey, cid: op.action === 'delete' ? null : op.cid };
        });
        const { unverified } = await verifyProofs(body.blocks, claims, body.repo, keys.get(body.repo));
        if (unverified.length > 0) throw new Error(`${unverified.length} ops not proven`);
        const car = await readCar(body.blocks);
        for (const op of body.ops) {
          if (op.action === 'delete') continue;
          const bytes = car.blocks.get(op.cid);
          if (!bytes) throw new Error('record block missing');
          cborToLexRecord(bytes);
        }
        verified++;
      } else if (header.t === '#sync') {
        const car = await readCarWithRoot(body.blocks);
        const commit = await new MemoryBlockstore(car.blocks).readObj(car.root, def.commit);
        if (!(await verifyCommitSig(commit, keys.get(body.did)))) throw new Error('bad signature');
        verified++;
      }
    } catch (err) {
      failures++;
      detail ||= `seq ${f.seq}: ${err.message}`;
    }
  }
  return { verified, failures, detail };
}

// ---------------------------------------------------------------- signature paths
async function runSig(ms) {
  // atcli's own versions (the bench folder has older copies for the reference).
  const { secp256k1 } = await import(new URL('../node_modules/@noble/curves/secp256k1.js', import.meta.url).href);
  const { p256 } = await import(new URL('../node_modules/@noble/curves/nist.js', import.meta.url).href);
  const tiny = createRequire(new URL('../package.json', import.meta.url))('tiny-secp256k1');
  const msg = new Uint8Array(180).fill(7);
  const rows = [];
  const time = (name, fn) => {
    // Warm up long enough for the JIT (and WebAssembly tier-up) to settle.
    const w0 = performance.now();
    while (performance.now() - w0 < ms / 2) for (let i = 0; i < 20; i++) fn();
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < 20; i++) fn();
      n += 20;
    }
    const perOp = (performance.now() - t0) / n;
    rows.push({ path: name, 'ops/s': Math.round(1000 / perOp), 'µs/op': Math.round(perOp * 1000) });
  };
  for (const [type, curve, nodeCurve] of [['k256', secp256k1, 'secp256k1'], ['p256', p256, 'prime256v1']]) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: nodeCurve });
    let sig = nodeSign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    // low-S, as atproto requires
    const n = curve.Point.CURVE().n;
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    if (s > n / 2n) sig = Buffer.concat([sig.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    const raw = publicKey.export({ format: 'jwk' });
    const x = Buffer.from(raw.x, 'base64url');
    const y = Buffer.from(raw.y, 'base64url');
    const uncompressed = Buffer.concat([Buffer.from([4]), x, y]);
    const compressed = Buffer.concat([Buffer.from([2 + (y[31] & 1)]), x]);
    const keyObject = createPublicKey({ key: publicKey.export({ format: 'der', type: 'spki' }), format: 'der', type: 'spki' });
    time(`${type} @noble/curves verify (prehash, lowS)`, () => curve.verify(sig, msg, compressed, { prehash: true, lowS: true, format: 'compact' }));
    time(`${type} node:crypto verify (KeyObject cached)`, () => nodeVerify('sha256', msg, { key: keyObject, dsaEncoding: 'ieee-p1363' }, sig));
    if (type === 'k256') {
      time('k256 tiny-secp256k1 verify (strict, uncompressed key, sha256 incl.)', () => tiny.verify(hash('sha256', msg, 'buffer'), uncompressed, sig, true));
      time('k256 tiny-secp256k1 verify (strict, compressed key, sha256 incl.)', () => tiny.verify(hash('sha256', msg, 'buffer'), compressed, sig, true));
    }
  }
  return rows;
}

// ---------------------------------------------------------------- main
if (peer === 'sig') {
  const i = process.argv.indexOf('--ms');
  console.log(JSON.stringify({ peer, rows: await runSig(i > 0 ? Number(process.argv[i + 1]) : 600) }));
} else {
  const { keys, frames } = readBenchRecording(file);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const run = peer === 'atcute' ? runAtcute : peer === 'reference' ? runReference : null;
  if (run === null) throw new Error(`unknown peer "${peer}"`);
  const out = await run(frames, keys);
  const ms = performance.now() - t0;
  report({ frames: frames.length, ms, cpu0, ...out });
}
