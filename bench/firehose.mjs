#!/usr/bin/env node
// The firehose bench: verifying a generated stream (gen-firehose.mjs: 20,000 #commit frames from
// 5,000 accounts, k256 and P-256, creates/updates/deletes, with #identity/#account/#sync mixed
// in) with atcli and with its peers, measured in the same run (rounds interleave the peers,
// rotating their order; every sample is a fresh process, so its peak RSS is its own).
//
//   node bench/firehose.mjs [--rounds N] [--commits 20000] [--accounts 5000] [--json]
//
// Peers:
//   atcli replay        bench/firehose-run.mjs replay: a whole process, the recording in, NDJSON
//                       out (through a pipe to this process, which counts the lines); atcli's core
//                       (FirehosePipeline.run over recordingSource, bundled by esbuild with its
//                       worker entry) called directly, as the command will (the command layer is
//                       being rebuilt). Worker threads: one per core.
//   atcli replay, 1 thread   the same with --workers 1.
//   atcli tail          the same pipeline over subscribeFrames, from a loopback relay
//                       (firehose-relay.mjs, its own process) serving the recording's frames.
//   atcute, reference   firehose-peer.mjs, in-process, the recording already in memory (only the
//                       verification is timed: no start-up, no file read, no output).
// Each sample records wall time, user+system CPU of all threads, and peak RSS (/usr/bin/time
// when present, else the process's own resource usage). The machine is shared: the load average
// is printed with the results.
// Targets: atcli replay ≥ 1.5× the @atcute stack and ≥ 8× the reference (frames/s); tail within
// 20% of replay.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBenchDeps } from './install.mjs';
import { cachedFirehose } from './gen-firehose.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const TIME = '/usr/bin/time';
const log = (m) => process.stderr.write(`${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? undefined : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 0) => (x === undefined || !Number.isFinite(x) ? undefined : Math.round(x * 10 ** d) / 10 ** d);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** The cached stream, generated (in a child) when missing. */
export function ensureFirehose(spec) {
  const cached = cachedFirehose(spec);
  if (cached) return cached;
  log(`[bench] generating a firehose stream of ${spec.commits} commits from ${spec.accounts} accounts with @atproto/repo (cached under bench/.data/; several minutes)…`);
  const res = spawnSync(process.execPath, [join(here, 'gen-firehose.mjs'), '--commits', String(spec.commits), '--accounts', String(spec.accounts)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`gen-firehose failed (exit ${res.status ?? res.signal})`);
  const made = cachedFirehose(spec);
  if (!made) throw new Error('gen-firehose left no stream');
  return made;
}

/** atcli's firehose core and its worker entry, bundled as scripts/build.mjs bundles the CLI. */
export async function bundleFirehose(outDir) {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    minifySyntax: true,
    minifyWhitespace: true,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __atcliCreateRequire } from 'node:module'; const require = __atcliCreateRequire(import.meta.url);" },
  };
  const lib = join(outDir, 'atcli-firehose.mjs');
  const worker = join(outDir, 'firehose-worker.js');
  await build({ ...common, entryPoints: [join(here, 'firehose-entry.ts')], outfile: lib });
  await build({ ...common, entryPoints: [join(root, 'src/core/firehose/worker.ts')], outfile: worker });
  return { lib, worker };
}

function timed(cmd, args, { tmp, input } = {}) {
  const base = join(tmp, `t-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const useTime = existsSync(TIME);
  const [c, ...a] = useTime ? [TIME, '-f', '%M %U %S', '-o', `${base}.time`, cmd, ...args] : [cmd, ...args];
  const t0 = performance.now();
  const res = spawnSync(c, a, { stdio: [input ?? 'ignore', 'pipe', 'pipe'], maxBuffer: 512 << 20 });
  const ms = performance.now() - t0;
  let rssMB;
  let cpuMs;
  if (useTime) {
    try {
      const [m, u, s] = readFileSync(`${base}.time`, 'utf8').trim().split('\n').pop().trim().split(/\s+/).map(Number);
      rssMB = (m * 1024) / 1e6;
      cpuMs = (u + s) * 1000;
      rmSync(`${base}.time`, { force: true });
    } catch {}
  }
  return { res, ms, rssMB, cpuMs };
}

function runAtcli(kind, data, bundle, tmp, expectFrames) {
  const args = [join(here, 'firehose-run.mjs'), '--bundle', bundle.lib, '--worker', bundle.worker];
  let relay;
  if (kind === 'tail') {
    relay = spawn(process.execPath, [join(here, 'firehose-relay.mjs'), data.frames], { stdio: ['pipe', 'pipe', 'inherit'] });
  }
  const go = async () => {
    if (kind === 'tail') {
      const port = await new Promise((resolve, reject) => {
        let buf = '';
        relay.stdout.on('data', (d) => {
          buf += d;
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).port);
        });
        relay.on('exit', (code) => reject(new Error(`relay exited (${code})`)));
      });
      args.push('tail', `ws://127.0.0.1:${port}`, data.frames, '--expect', String(expectFrames));
    } else {
      args.push('replay', data.frames);
      if (kind === 'replay1') args.push('--workers', '1');
    }
    const statsFile = join(tmp, `stats-${Date.now()}.json`);
    args.push('--stats', statsFile);
    const t = timed(process.execPath, args, { tmp });
    relay?.stdin.end();
    relay?.kill();
    let stats;
    try {
      stats = JSON.parse(readFileSync(statsFile, 'utf8'));
    } catch {
      return { ok: false, ms: t.ms, detail: `exit ${t.res.status}: ${t.res.stderr.toString().slice(-1500)}` };
    }
    const lines = t.res.stdout.toString().split('\n').filter(Boolean);
    const failed = lines.filter((l) => l.includes('"ok":false'));
    const verified = lines.filter((l) => l.includes('"verified":true')).length;
    const ok = t.res.status === 0 && failed.length === 0 && stats.frames === expectFrames;
    return {
      ok,
      frames: stats.frames,
      ms: t.ms,
      cpuMs: t.cpuMs ?? stats.cpuMs,
      rssMB: t.rssMB ?? stats.maxRssMB,
      verified,
      failures: failed.length,
      detail: ok ? `${lines.length} lines, ${verified} verified` : `exit ${t.res.status}, ${stats.frames} frames, ${failed.length} failures: ${failed[0]?.slice(0, 300) ?? t.res.stderr.toString().slice(-500)}`,
    };
  };
  return go();
}

function runPeer(peer, data, tmp) {
  const t = timed(process.execPath, ['--max-old-space-size=8000', join(here, 'firehose-peer.mjs'), peer, data.frames], { tmp });
  let out;
  try {
    out = JSON.parse(t.res.stdout.toString().trim().split('\n').pop());
  } catch {
    return { ok: false, ms: undefined, detail: `exit ${t.res.status}: ${t.res.stderr.toString().slice(-1500)}` };
  }
  return { ok: out.failures === 0, frames: out.frames, ms: out.ms, cpuMs: out.cpuMs, rssMB: out.maxRssMB, verified: out.verified, failures: out.failures, detail: out.failures ? out.detail : `${out.verified} verified`, wallMs: t.ms };
}

const PEERS = ['atcli replay', 'atcli replay, 1 thread', 'atcli tail (loopback)', 'atcute', 'reference'];

export async function benchFirehose(opts = {}) {
  const spec = { commits: opts.commits ?? 20_000, accounts: opts.accounts ?? 5_000 };
  ensureBenchDeps();
  const data = ensureFirehose(spec);
  // Inside the package (like dist/), so the bundle finds node_modules (tiny-secp256k1) at run time.
  mkdirSync(join(here, '.data'), { recursive: true });
  const tmp = mkdtempSync(join(here, '.data', 'build-'));
  const loadBefore = load();
  const rounds = opts.rounds ?? 3;
  const samples = Object.fromEntries(PEERS.map((p) => [p, []]));
  const problems = [];
  let sigRows = [];
  try {
    const bundle = await bundleFirehose(tmp);
    const frames = data.meta.frames;
    log(`[bench] firehose: ${frames} frames (${data.meta.counts.commit} commits, ${spec.accounts} accounts), ${(data.meta.frameBytes / 1e6).toFixed(1)} MB; ${rounds} round(s); load ${loadBefore}`);
    for (let r = 0; r < rounds; r++) {
      const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length]);
      for (const peer of order) {
        let s;
        if (peer === 'atcli replay') s = await runAtcli('replay', data, bundle, tmp, frames);
        else if (peer === 'atcli replay, 1 thread') s = await runAtcli('replay1', data, bundle, tmp, frames);
        else if (peer === 'atcli tail (loopback)') s = await runAtcli('tail', data, bundle, tmp, frames);
        else s = runPeer(peer, data, tmp);
        samples[peer].push(s);
        log(`  round ${r + 1}/${rounds} ${peer.padEnd(24)} ${s.ms === undefined ? '   –   ' : `${s.ms.toFixed(0).padStart(7)} ms`} ${s.rssMB ? `${s.rssMB.toFixed(0)} MB` : ''}  ${s.ok ? 'ok' : `FAILED: ${s.detail}`}  (load ${load()})`);
        if (!s.ok) problems.push({ size: `${frames} frames`, peer, detail: s.detail });
      }
    }
    const sig = spawnSync(process.execPath, [join(here, 'firehose-peer.mjs'), 'sig', '--ms', '800'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      sigRows = JSON.parse(sig.stdout.toString().trim().split('\n').pop()).rows;
    } catch {}
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const frames = data.meta.frames;
  const rows = [];
  const rate = {};
  const cpu = {};
  for (const peer of PEERS) {
    const ok = samples[peer].filter((s) => s.ok && s.ms !== undefined);
    const ms = median(ok.map((s) => s.ms));
    const cpuMs = median(ok.map((s) => s.cpuMs).filter((x) => x !== undefined));
    rate[peer] = ms ? frames / (ms / 1000) : undefined;
    cpu[peer] = cpuMs;
    rows.push({
      peer,
      'frames/s': round(rate[peer]),
      wallMs: round(ms),
      cpuMs: round(cpuMs),
      'cpu µs/frame': round(cpuMs ? (cpuMs * 1000) / frames : undefined),
      peakRssMB: round(Math.max(...samples[peer].map((s) => s.rssMB ?? 0)), 1) || undefined,
      runs: `${ok.length}/${samples[peer].length}`,
    });
  }
  const ratio = (a, b) => round(rate[a] / rate[b], 2);
  // Per round, the two peers ran minutes apart at most: on a shared machine their ratio is steadier than the ratio of medians.
  const paired = (a, b) => {
    const xs = [];
    for (let i = 0; i < rounds; i++) {
      const x = samples[a][i];
      const y = samples[b][i];
      if (x?.ok && y?.ok && x.ms && y.ms) xs.push(y.ms / x.ms);
    }
    return round(median(xs), 2);
  };
  const cpuRatio = (a, b) => round(cpu[b] / cpu[a], 2);
  const verdict = (x, target) => (x === undefined ? 'n/a' : `${x >= target ? 'yes' : 'NO'} (${x}×)`);
  const loadAfter = load();
  return {
    bench: 'firehose',
    target: 'atcli replay with verify ≥ 1.5× the @atcute stack and ≥ 8× the reference; tail within 20% of replay',
    rows,
    tables: [
      {
        title: `frames/s ratios (> 1: atcli faster) — of the medians, and the median of per-round ratios (paired; the verdict); load average ${loadBefore} before, ${loadAfter} after (2 cores); atcli is a whole process (start-up, file read, NDJSON out), the peers are timed in memory`,
        rows: [
          { comparison: 'atcli replay ÷ atcute', 'frames/s': ratio('atcli replay', 'atcute'), 'frames/s (paired)': paired('atcli replay', 'atcute'), 'cpu (peer cpu ÷ atcli cpu)': cpuRatio('atcli replay', 'atcute'), target: '≥ 1.5', met: verdict(paired('atcli replay', 'atcute'), 1.5) },
          { comparison: 'atcli replay ÷ reference', 'frames/s': ratio('atcli replay', 'reference'), 'frames/s (paired)': paired('atcli replay', 'reference'), 'cpu (peer cpu ÷ atcli cpu)': cpuRatio('atcli replay', 'reference'), target: '≥ 8', met: verdict(paired('atcli replay', 'reference'), 8) },
          { comparison: 'atcli tail ÷ atcli replay', 'frames/s': ratio('atcli tail (loopback)', 'atcli replay'), 'frames/s (paired)': paired('atcli tail (loopback)', 'atcli replay'), target: '≥ 0.8', met: verdict(paired('atcli tail (loopback)', 'atcli replay'), 0.8) },
          { comparison: 'atcli replay 1 thread ÷ atcute', 'frames/s': ratio('atcli replay, 1 thread', 'atcute'), 'frames/s (paired)': paired('atcli replay, 1 thread', 'atcute'), 'cpu (peer cpu ÷ atcli cpu)': cpuRatio('atcli replay, 1 thread', 'atcute') },
        ],
      },
      { title: 'signature verification, one thread (ops/s; the firehose uses tiny-secp256k1 for k256 and node:crypto for P-256)', rows: sigRows },
    ],
    problems,
    data: data.meta,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const result = await benchFirehose({
    ...(opt('--rounds') ? { rounds: Number(opt('--rounds')) } : {}),
    ...(opt('--commits') ? { commits: Number(opt('--commits')) } : {}),
    ...(opt('--accounts') ? { accounts: Number(opt('--accounts')) } : {}),
  });
  console.log(`\n## ${result.bench}  (${result.target})`);
  console.table(result.rows);
  for (const t of result.tables) {
    console.log(`\n${t.title}`);
    console.table(t.rows);
  }
  for (const p of result.problems) console.log(`PROBLEM ${p.peer}: ${p.detail}`);
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
}
