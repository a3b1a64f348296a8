#!/usr/bin/env node
// One in-process repository verification by one peer, in its own process (so its peak RSS is its
// own): prints one JSON line {peer, times: [wall ms…], cpuTimes: [user+system CPU ms, all threads…],
// threadTimes: [main-thread on-CPU ms…], maxRssMB, ok, detail}. Spawned by repo-verify.mjs.
//
//   node --expose-gc bench/verify-peer.mjs <peer> <car> <sidecar.json> [--reps N] [--warmup N] [--bundle verify.mjs]
//
// Peers (each times only the verification: the CAR is read into memory before the clock starts):
//   atcli      atcli's streaming verifier (src/core/repo/verify.ts, bundled by esbuild to --bundle),
//              fed the in-memory CAR in 1 MiB chunks, with --key and --did as the CLI passes them.
//   reference  @atproto/repo `verifyRepoCar(bytes, did, didKey)`: readCarWithRoot (CID checks),
//              then verifyRepo (signature, full-tree DataDiff, every leaf present).
//   atcli-memory  atcli's verifier streaming the file (as the CLI does) with a memory breakdown
//              (repo-verify.mjs --memory); prints its own JSON shape.
//   atcute     an @atcute/* composition (keyed by raw CID bytes): hash every
//              block with node:crypto and compare to its CID, decode every block into a Map,
//              check the DID and the commit signature (low-S), walk the MST strictly (keys
//              decompress and strictly increase across the tree, every key's layer recomputed
//              from sha256(key) must match its node, subtrees one layer down, no empty nodes (a node with neither entries nor subtree; a pointer-only root),
//              every record present and a map with a $type).
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------- @atcute FULL
const latin1Key = (bytes) => String.fromCharCode.apply(null, bytes);

function keyLayer(key) {
  const d = hash('sha256', key, 'buffer');
  let zeros = 0;
  for (let i = 0; i < 32; i++) {
    const b = d[i];
    if (b === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(b) - 24;
    break;
  }
  return zeros >> 1;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export async function atcuteVerify(lib, buf, did, didKey) {
  const { fromUint8Array, decode, encode, parseDidKey, verifySig } = lib;
  const car = fromUint8Array(buf);
  const roots = car.roots;
  if (roots.length !== 1) throw new Error('expected one root');
  const rootKey = latin1Key(roots[0].bytes);
  const blocks = new Map();
  let count = 0;
  for (const entry of car) {
    const cid = entry.cid;
    if (cid.version !== 1 || cid.digest.codec !== 0x12) throw new Error('not a CIDv1 sha2-256 block');
    const digest = hash('sha256', entry.bytes, 'buffer');
    if (!digest.equals(cid.digest.contents)) throw new Error(`block ${count} does not match its CID`);
    blocks.set(latin1Key(cid.bytes), decode(entry.bytes));
    count++;
  }
  const commit = blocks.get(rootKey);
  if (!commit || commit.version !== 3 || typeof commit.did !== 'string' || typeof commit.rev !== 'string' || !commit.data) throw new Error('bad commit');
  if (commit.did !== did) throw new Error(`commit DID ${commit.did}, expected ${did}`);
  const { sig, ...unsigned } = commit;
  const key = parseDidKey(didKey);
  if (!(await verifySig(key, sig.buf, encode(unsigned)))) throw new Error('bad signature');

  // In-order walk; every node's keys are checked against its layer, order is checked across the tree.
  let lastKey = null;
  let records = 0;
  const stack = [];
  const load = (link, layer) => {
    const node = blocks.get(latin1Key(link.bytes));
    if (!node || !Array.isArray(node.e) || !('l' in node)) throw new Error('missing or malformed MST node');
    const isRoot = layer === undefined;
    const entries = node.e;
    if (entries.length === 0 && (isRoot ? node.l !== null : node.l === null)) throw new Error('empty MST node');
    const keys = new Array(entries.length);
    let prev = null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const suffix = e.k.buf;
      const p = e.p;
      if (i === 0 && p !== 0) throw new Error('first key has a prefix');
      if (p > (prev ? prev.length : 0)) throw new Error('prefix longer than the previous key');
      const k = new Uint8Array(p + suffix.length);
      if (p > 0) k.set(prev.subarray(0, p), 0);
      k.set(suffix, p);
      keys[i] = k;
      prev = k;
    }
    const nodeLayer = entries.length > 0 ? keyLayer(keys[0]) : 0;
    if (!isRoot && nodeLayer !== layer && entries.length > 0) throw new Error('MST node on the wrong layer');
    const L = isRoot ? nodeLayer : layer;
    for (let i = 1; i < keys.length; i++) if (keyLayer(keys[i]) !== L) throw new Error('key on the wrong layer');
    if (L === 0 && (node.l !== null || entries.some((e) => e.t !== null))) throw new Error('layer-0 node with a subtree');
    stack.push({ node, keys, layer: L, next: -1 });
  };
  load(commit.data, undefined);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === -1) {
      top.next = 0;
      if (top.node.l) load(top.node.l, top.layer - 1);
      continue;
    }
    if (top.next < top.keys.length) {
      const i = top.next++;
      const k = top.keys[i];
      if (lastKey !== null && compareBytes(lastKey, k) >= 0) throw new Error('keys out of order');
      lastKey = k;
      const e = top.node.e[i];
      const record = blocks.get(latin1Key(e.v.bytes));
      if (record === undefined || record === null || typeof record !== 'object' || typeof record.$type !== 'string') throw new Error('record missing or without $type');
      records++;
      if (e.t) load(e.t, top.layer - 1);
      continue;
    }
    stack.pop();
  }
  return { records, blocks: count };
}

// ---------------------------------------------------------------- runner
/**
 * On-CPU time of this process's main thread in ms (Linux schedstat, ns resolution), or undefined.
 * JS runs on the main thread, so on an idle machine this is about the wall time; on a loaded one
 * it leaves out the time spent waiting for a CPU (and the GC helper threads' work).
 */
export function mainThreadMs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

async function main() {
  const [peer, carPath, metaPath, ...rest] = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : dflt;
  };
  const reps = Number(opt('--reps', '1'));
  const warmup = Number(opt('--warmup', '0'));
  const bundle = opt('--bundle');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const buf = peer === 'atcli-memory' ? null : readFileSync(carPath);

  let run;
  if (peer === 'atcli-memory') {
    // Memory profile of atcli's verifier streaming the file as the CLI does (1 MiB reads): peak
    // RSS/heap/external during the pass and during the walk, and the live set (after a full GC)
    // when the walk starts, which is what the streaming design keeps.
    const lib = await import(pathToFileURL(bundle).href);
    const { createReadStream } = await import('node:fs');
    const key = lib.parseDidKey(meta.signingKey);
    const peak = { pass: {}, walk: {} };
    let phase = 'pass';
    let nodes = 0;
    let live = {};
    const sample = () => {
      const m = process.memoryUsage();
      for (const k of ['rss', 'heapUsed', 'external']) peak[phase][k] = Math.max(peak[phase][k] ?? 0, m[k]);
    };
    const mb = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v / 1e6)]));
    const t0 = performance.now();
    const report = await lib.verifyRepoCar(createReadStream(carPath, { highWaterMark: 1 << 20 }), {
      key,
      expectedDid: meta.did,
      onProgress: sample,
      onNode: () => {
        if (phase === 'pass') {
          sample();
          phase = 'walk';
          globalThis.gc?.();
          const m = process.memoryUsage();
          live = { heapUsed: m.heapUsed, external: m.external };
        }
        if ((++nodes & 4095) === 0) sample();
      },
    });
    sample();
    const maxRssMB = (process.resourceUsage().maxRSS * 1024) / 1e6;
    process.stdout.write(`${JSON.stringify({ peer, ms: performance.now() - t0, maxRssMB, ok: report.valid, passPeakMB: mb(peak.pass), walkPeakMB: mb(peak.walk), liveAtWalkStartMB: mb(live) })}\n`);
    return;
  }
  if (peer === 'atcli') {
    const lib = await import(pathToFileURL(bundle).href);
    const key = lib.parseDidKey(meta.signingKey);
    const CHUNK = 1 << 20;
    async function* chunks() {
      for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, Math.min(buf.length, i + CHUNK));
    }
    run = async () => {
      const report = await lib.verifyRepoCar(chunks(), { key, expectedDid: meta.did });
      if (!report.valid) return { ok: false, detail: report.errors.join('; ') };
      return { ok: report.records === meta.records, detail: `${report.records} records, ${report.blocks} blocks${report.warnings.length ? `; warnings: ${report.warnings.join('; ')}` : ''}` };
    };
  } else if (peer === 'reference') {
    const { verifyRepoCar } = await import('@atproto/repo');
    run = async () => {
      const res = await verifyRepoCar(buf, meta.did, meta.signingKey);
      return { ok: res.creates.length === meta.records, detail: `${res.creates.length} creates` };
    };
  } else if (peer === 'atcute') {
    const [car, cbor, crypto] = await Promise.all([import('@atcute/car'), import('@atcute/cbor'), import('@atcute/crypto')]);
    const lib = { fromUint8Array: car.fromUint8Array, decode: cbor.decode, encode: cbor.encode, parseDidKey: crypto.parseDidKey, verifySig: crypto.verifySig };
    run = async () => {
      const res = await atcuteVerify(lib, buf, meta.did, meta.signingKey);
      return { ok: res.records === meta.records, detail: `${res.records} records, ${res.blocks} blocks` };
    };
  } else {
    throw new Error(`unknown peer "${peer}" (atcli, reference, atcute)`);
  }

  const gc = globalThis.gc ?? (() => {});
  let result = { ok: true, detail: '' };
  const times = [];
  const cpuTimes = [];
  const threadTimes = [];
  for (let i = 0; i < warmup + reps; i++) {
    gc();
    const th0 = mainThreadMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      result = await run();
    } catch (err) {
      result = { ok: false, detail: `threw: ${err instanceof Error ? err.message : String(err)}` };
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const th1 = mainThreadMs();
    if (i >= warmup) {
      times.push(ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      if (th0 !== undefined && th1 !== undefined) threadTimes.push(th1 - th0);
    }
    if (!result.ok) break;
  }
  const maxRssMB = (process.resourceUsage().maxRSS * 1024) / 1e6;
  process.stdout.write(`${JSON.stringify({ peer, times, cpuTimes, threadTimes, maxRssMB, ...result })}\n`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await main();
