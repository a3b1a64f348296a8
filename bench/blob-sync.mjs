#!/usr/bin/env node
// `blob sync` throughput against a real local PDS: a few hundred blobs of varied sizes, synced
// into fresh folders at --concurrency 1 and at the default concurrency, interleaved in the same
// run (rounds alternate which goes first); the ratio is what matters on a shared machine.
//
//   node bench/blob-sync.mjs [--blobs 300] [--rounds 3] [--json]
//
// Starts its own test network (test/network: PLC directory + PDS, installed on first use with
// `node test/network/install.mjs`), fills an account with blobs referenced by records, then times
// `node bin/atcli.js blob sync <did> <dir> --json` as a subprocess (wall time: start-up, identity
// resolution, listing, download, hashing, fsync). Every run must report all blobs downloaded.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'atcli.js');
const log = (m) => process.stderr.write(`${m}\n`);
const DEFAULT_CONCURRENCY = 4;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function ensureBuilt() {
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) return;
  log('[bench] building atcli (node scripts/build.mjs)…');
  const res = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error('build failed');
}

export function ensureNetwork() {
  const res = spawnSync(process.execPath, [join(root, 'test', 'network', 'install.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`node test/network/install.mjs failed (exit ${res.status ?? res.signal})`);
}

/** test/network/client.ts bundled to plain ESM (its import.meta.url kept pointing at test/network/). */
export async function loadNetworkClient(outDir) {
  const { build } = await import('esbuild');
  const src = join(root, 'test', 'network', 'client.ts');
  const outfile = join(outDir, 'network-client.mjs');
  await build({
    entryPoints: [src],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(src).href) },
  });
  return import(pathToFileURL(outfile).href);
}

/** Deterministic pseudo-random bytes; sizes spread log-uniformly from 2 KB to 1.5 MB. */
function makeBlobs(n) {
  const blobs = [];
  let x = 0x9e3779b9;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const size = Math.round(2048 * Math.exp(rnd() * Math.log((1.5 * 1024 * 1024) / 2048)));
    const bytes = new Uint8Array(size);
    for (let j = 0; j < size; j += 4) {
      const v = (rnd() * 2 ** 32) >>> 0;
      bytes[j] = v & 0xff;
      bytes[j + 1] = (v >>> 8) & 0xff;
      bytes[j + 2] = (v >>> 16) & 0xff;
      bytes[j + 3] = v >>> 24;
    }
    blobs.push(bytes);
  }
  return blobs;
}

export async function populate(client, net, n) {
  const handle = client.uniqueHandle('bench');
  const account = await client.createAccount(net.pds.a.url, { handle, email: `${handle}@mail.test`, password: 'bench-password' }, net.adminPassword);
  const blobs = makeBlobs(n);
  const refs = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const i = next++;
        refs[i] = await client.uploadBlob(net.pds.a.url, account.accessJwt, blobs[i], i % 2 ? 'image/png' : 'application/octet-stream');
      }
    }),
  );
  const writes = refs.map((file, i) => ({
    $type: 'com.atproto.repo.applyWrites#create',
    collection: 'com.example.bench.file',
    value: { $type: 'com.example.bench.file', n: i, file, createdAt: new Date().toISOString() },
  }));
  for (let i = 0; i < writes.length; i += 200) {
    await client.xrpc(net.pds.a.url, 'com.atproto.repo.applyWrites', { accessJwt: account.accessJwt, body: { repo: account.did, writes: writes.slice(i, i + 200) } });
  }
  return { account, bytes: blobs.reduce((s, b) => s + b.length, 0) };
}

async function listAll(client, net, account) {
  const cids = [];
  let cursor;
  for (;;) {
    const page = await client.xrpc(net.pds.a.url, 'com.atproto.sync.listBlobs', { params: { did: account.did, limit: 1000, cursor } });
    if (page.cids.length === 0) return cids;
    cids.push(...page.cids);
    cursor = page.cursor;
  }
}

async function fetchAll(net, account, cids, concurrency, expectBytes) {
  const started = process.hrtime.bigint();
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cids.length) {
        const cid = cids[next++];
        const res = await fetch(`${net.pds.a.url}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(account.did)}&cid=${cid}`);
        if (!res.ok) throw new Error(`getBlob ${cid}: HTTP ${res.status}`);
        const got = (await res.arrayBuffer()).byteLength;
        total += got;
      }
    }),
  );
  if (total !== expectBytes) throw new Error(`fetched ${total} bytes, expected ${expectBytes}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function runSync(net, account, dir, concurrency) {
  const args = [
    bin,
    '--dev',
    '--plc', net.plcUrl,
    '--dns-server', net.dnsServer,
    '--connect-to', `${account.handle}:80:127.0.0.1:${net.pds.a.port}`,
    '--timeout', '60',
    'blob', 'sync', account.did, dir, '--json',
    ...(concurrency === undefined ? [] : ['--concurrency', String(concurrency)]),
  ];
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let result;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = undefined;
      }
      resolve({ code, ms, result, stderr });
    });
  });
}

export async function benchBlobSync(opts = {}) {
  const n = opts.blobs ?? 300;
  const rounds = opts.rounds ?? 3;
  ensureBuilt();
  ensureNetwork();
  const tmp = mkdtempSync(join(tmpdir(), 'atcli-bench-blob-'));
  let net;
  const problems = [];
  try {
    const client = await loadNetworkClient(tmp);
    log('[bench] starting the local test network…');
    net = await client.startNetwork();
    log(`[bench] uploading ${n} blobs to ${net.pds.a.url} and referencing them from records…`);
    const { account, bytes } = await populate(client, net, n);
    log(`[bench] ${n} blobs, ${(bytes / 1e6).toFixed(1)} MB; ${rounds} round(s) per concurrency`);
    const peers = [
      { name: 'concurrency 1', concurrency: 1 },
      { name: `default (${DEFAULT_CONCURRENCY})`, concurrency: undefined },
    ];
    // The PDS's own ceiling: the same blobs fetched in-process with fetch(), no verification,
    // nothing written, no CLI start-up — what any client could get from this PDS on this machine.
    const cids = await listAll(client, net, account);
    const ceiling = [
      { name: 'fetch ceiling 1', concurrency: 1 },
      { name: `fetch ceiling ${DEFAULT_CONCURRENCY}`, concurrency: DEFAULT_CONCURRENCY },
    ];
    const samples = Object.fromEntries([...peers, ...ceiling].map((p) => [p.name, []]));
    // A warm-up run (not timed) so the PDS's caches and our page cache start equal for both.
    await runSync(net, account, join(tmp, 'warmup'), undefined);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? peers : [...peers].reverse();
      for (const peer of order) {
        const dir = join(tmp, `r${r}-${peer.concurrency ?? 'default'}`);
        const s = await runSync(net, account, dir, peer.concurrency);
        rmSync(dir, { recursive: true, force: true });
        const ok = s.code === 0 && s.result?.downloaded === n && s.result?.bytes === bytes && s.result?.failed?.length === 0;
        log(`  round ${r + 1}/${rounds} ${peer.name.padEnd(13)} ${s.ms.toFixed(0).padStart(6)} ms  ${((bytes / (s.ms / 1000)) / 1e6).toFixed(1).padStart(6)} MB/s  ${ok ? 'ok' : `FAILED (exit ${s.code}): ${s.stderr.trim().split('\n').pop()}`}`);
        if (ok) samples[peer.name].push(s.ms);
        else problems.push({ size: `${n} blobs`, peer: peer.name, detail: `exit ${s.code}: ${s.stderr.trim().split('\n').pop()}` });
      }
      for (const peer of ceiling) {
        const ms = await fetchAll(net, account, cids, peer.concurrency, bytes);
        log(`  round ${r + 1}/${rounds} ${peer.name.padEnd(16)} ${ms.toFixed(0).padStart(6)} ms  ${((bytes / (ms / 1000)) / 1e6).toFixed(1).padStart(6)} MB/s`);
        samples[peer.name].push(ms);
      }
    }
    const all = [...peers, ...ceiling];
    const med = Object.fromEntries(all.map((p) => [p.name, samples[p.name].length ? median(samples[p.name]) : undefined]));
    const base = med[peers[0].name];
    const rows = all.map((p) => {
      const ms = med[p.name];
      return {
        peer: p.name,
        blobs: n,
        MB: +(bytes / 1e6).toFixed(1),
        medianMs: ms === undefined ? undefined : Math.round(ms),
        'MB/s': ms === undefined ? undefined : +((bytes / (ms / 1000)) / 1e6).toFixed(1),
        'bytes/s': ms === undefined ? undefined : Math.round(bytes / (ms / 1000)),
        'vs c1': ms === undefined || base === undefined ? undefined : +(base / ms).toFixed(2),
      };
    });
    const dflt = med[peers[1].name];
    const ratio = base !== undefined && dflt !== undefined ? +(base / dflt).toFixed(2) : undefined;
    log(`[bench] blob sync default/c1 throughput ratio: ${ratio ?? 'n/a'}`);
    return {
      bench: 'blob-sync',
      target: `blob sync of ${n} blobs from a local PDS: default concurrency (${DEFAULT_CONCURRENCY}) vs 1, bytes/s and ratio, same run; fetch rows are the PDS's ceiling`,
      rows,
      ratio,
      problems,
    };
  } finally {
    await net?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchBlobSync({ blobs: arg('--blobs'), rounds: arg('--rounds') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`\n## ${result.bench}  (${result.target})`);
    console.table(result.rows);
    for (const p of result.problems) console.log(`PROBLEM ${p.peer}: ${p.detail}`);
  }
}
