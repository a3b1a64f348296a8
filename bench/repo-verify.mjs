#!/usr/bin/env node
// `repo verify` on generated repositories, against the reference's full verification and an
// @atcute/* pass over the same file, all measured in the same run (rounds interleave the peers,
// rotating their order; every sample is a fresh process so its peak RSS is its own).
//
//   node bench/repo-verify.mjs [--sizes 10k,100k,1m] [--rounds N] [--warmup N] [--json]
//   BENCH_1M=1 node bench/repo-verify.mjs               # adds 1m to the default 10k,100k
//   node bench/repo-verify.mjs --profile 100k           # CPU profile of atcli's verifier: top functions
//   node bench/repo-verify.mjs --memory 1m              # atcli's memory: peaks per phase, live set
//
// Peers, per size:
//   atcli CLI   `node bin/atcli.js repo verify <car> --key <did:key> --did <did> --json` as a
//               subprocess: wall time (start-up and file read included), peak RSS by
//               /usr/bin/time -f %M (else an exit hook reading process.resourceUsage()).
//   atcli       the same verifier in-process (src/core/repo/verify.ts bundled by esbuild), fed the
//               in-memory CAR: verification time without start-up.
//   reference   @atproto/repo verifyRepoCar(bytes, did, didKey).
//   atcute      @atcute/car + cbor + crypto: hash every block, decode, verify the signature.
// See verify-peer.mjs for what each in-process peer does. Each sample records wall time, the main
// (JS) thread's on-CPU time from /proc schedstat, and user+system CPU of all threads. On a shared
// machine the wall time swings with other load; main-thread time is about what an idle machine's
// wall time would be, so the verdicts use it (wall and CPU ratios are printed beside it).
// Targets: atcli ≥ 5× faster than the reference, no slower than the @atcute pass, 1M records
// under 400 MB peak RSS (the CLI).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBenchDeps } from './install.mjs';
import { cachedRepo, parseSize, repoPaths, sizeName } from './gen-repo.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'atcli.js');
const genScript = fileURLToPath(new URL('./gen-repo.mjs', import.meta.url));
const peerScript = fileURLToPath(new URL('./verify-peer.mjs', import.meta.url));
const TIME = '/usr/bin/time';
const log = (m) => process.stderr.write(`${m}\n`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => (x === undefined || Number.isNaN(x) ? undefined : Math.round(x * 10) / 10);

/** Defaults per size: rounds (samples per peer) and in-process warm-up runs before each sample. */
function plan(n) {
  if (n <= 20_000) return { rounds: 5, warmup: 2 };
  if (n <= 200_000) return { rounds: 3, warmup: 1 };
  return { rounds: 1, warmup: 0 };
}

function ensureBuilt() {
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) return;
  log('[bench] building atcli (node scripts/build.mjs)…');
  const res = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error('build failed');
}

/** The cached repository of n records, generated (in a child with a large heap) when missing. */
export function ensureRepo(n) {
  const cached = cachedRepo(n);
  if (cached) return cached;
  const heap = n > 200_000 ? ['--max-old-space-size=12000'] : [];
  log(`[bench] generating a ${sizeName(n)}-record repository with @atproto/repo (cached under bench/.data/)…`);
  const res = spawnSync(process.execPath, [...heap, genScript, String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`gen-repo ${sizeName(n)} failed (exit ${res.status ?? res.signal})`);
  const made = cachedRepo(n);
  if (!made) throw new Error(`gen-repo ${sizeName(n)} left no ${repoPaths(n).car}`);
  return made;
}

/** Bundles atcli's verifier (plus parseDidKey) to one ESM file, as scripts/build.mjs builds the CLI. */
export async function bundleVerifier(outDir, { minify = true } = {}) {
  const { build } = await import('esbuild');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const outfile = join(outDir, 'atcli-verify.mjs');
  await build({
    stdin: {
      contents: "export { verifyRepoCar } from './src/core/repo/verify.ts';\nexport { parseDidKey } from './src/core/crypto/index.ts';\n",
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'bench-verify-entry.ts',
    },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    minifySyntax: minify,
    minifyWhitespace: minify,
    logLevel: 'warning',
    define: { __ATCLI_VERSION__: JSON.stringify(pkg.version) },
    banner: { js: "import { createRequire as __atcliCreateRequire } from 'node:module'; const require = __atcliCreateRequire(import.meta.url);" },
  });
  return outfile;
}

function runCli(repo, tmp) {
  const args = [bin, 'repo', 'verify', repo.car, '--key', repo.meta.signingKey, '--did', repo.meta.did, '--json'];
  const base = join(tmp, `cli-${process.pid}-${Date.now()}`);
  // An exit hook in the CLI's own process records its main thread's on-CPU time (and, when
  // /usr/bin/time is missing, its peak RSS and CPU from process.resourceUsage()).
  const hook = `import{readFileSync,writeFileSync}from'node:fs';process.on('exit',()=>{const u=process.resourceUsage();let t='';try{t=String(Number(readFileSync('/proc/self/task/'+process.pid+'/schedstat','utf8').split(' ')[0])/1e6)}catch{}writeFileSync(${JSON.stringify(`${base}.hook`)},[u.maxRSS,u.userCPUTime/1e6,u.systemCPUTime/1e6,t].join(' '))})`;
  const nodeArgs = [process.execPath, '--import', `data:text/javascript,${encodeURIComponent(hook)}`, ...args];
  const useTime = existsSync(TIME);
  const [cmd, ...cmdArgs] = useTime ? [TIME, '-f', '%M %U %S', '-o', `${base}.time`, ...nodeArgs] : nodeArgs;
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const lastLine = (file) => {
    try {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      rmSync(file, { force: true });
      return lines[lines.length - 1].trim().split(/\s+/);
    } catch {
      return [];
    }
  };
  const h = lastLine(`${base}.hook`);
  const t = useTime ? lastLine(`${base}.time`) : h;
  const rssMB = t[0] ? (Number(t[0]) * 1024) / 1e6 : undefined;
  const cpuMs = t[1] ? (Number(t[1]) + Number(t[2])) * 1000 : undefined;
  const threadMs = h[3] ? Number(h[3]) : undefined;
  let report;
  try {
    report = JSON.parse(res.stdout.toString());
  } catch {}
  if (!report) return { ms, cpuMs, threadMs, rssMB, ok: false, detail: `exit ${res.status}: no JSON report; stderr: ${res.stderr.toString().slice(-2000)}` };
  if (!report.valid || res.status !== 0) {
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    return { ms, cpuMs, threadMs, rssMB, ok: false, detail: `exit ${res.status}, INVALID: ${failed.join(' | ')}` };
  }
  const ok = report.records === repo.meta.records;
  return { ms, cpuMs, threadMs, rssMB, ok, detail: ok ? `valid, ${report.records} records` : `valid but ${report.records} records, expected ${repo.meta.records}`, warnings: report.warnings };
}

function runPeer(peer, repo, { warmup, bundle, n }) {
  const flags = ['--expose-gc'];
  if (peer !== 'atcli' && n > 200_000) flags.push('--max-old-space-size=16000');
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [...flags, peerScript, peer, repo.car, repo.json, '--reps', '1', '--warmup', String(warmup), '--bundle', bundle], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const line = res.stdout.toString().trim().split('\n').pop();
  let out;
  try {
    out = JSON.parse(line);
  } catch {
    return { ms: undefined, rssMB: undefined, ok: false, detail: `exit ${res.status ?? res.signal}: ${res.stderr.toString().slice(-2000)}`, wallMs };
  }
  return { ms: out.times[0], cpuMs: out.cpuTimes[0], threadMs: out.threadTimes?.[0], rssMB: out.maxRssMB, ok: out.ok, detail: out.detail, wallMs };
}

const PEERS = ['atcli CLI', 'atcli', 'reference', 'atcute'];

export async function benchRepoVerify(opts = {}) {
  const sizes = opts.sizes ?? (process.env.BENCH_1M ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]);
  ensureBenchDeps();
  ensureBuilt();
  const tmp = mkdtempSync(join(tmpdir(), 'atcli-bench-'));
  const rows = [];
  const ratios = [];
  const targets = [];
  const problems = [];
  try {
    const bundle = await bundleVerifier(tmp);
    for (const n of sizes) {
      const repo = ensureRepo(n);
      const { rounds, warmup } = { ...plan(n), ...(opts.rounds ? { rounds: opts.rounds } : {}), ...(opts.warmup !== undefined ? { warmup: opts.warmup } : {}) };
      const name = sizeName(n);
      log(`[bench] repo-verify ${name}: ${repo.meta.records} records, ${(repo.meta.bytes / 1e6).toFixed(1)} MB, ${rounds} round(s), warm-up ${warmup}`);
      const samples = Object.fromEntries(PEERS.map((p) => [p, []]));
      for (let r = 0; r < rounds; r++) {
        const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length]);
        for (const peer of order) {
          const s = peer === 'atcli CLI' ? runCli(repo, tmp) : runPeer(peer, repo, { warmup, bundle, n });
          samples[peer].push(s);
          log(`  round ${r + 1}/${rounds} ${peer.padEnd(9)} ${s.ms === undefined ? '   –   ' : `${s.ms.toFixed(0).padStart(7)} ms`}  ${s.rssMB === undefined ? '' : `${s.rssMB.toFixed(0)} MB`}  ${s.ok ? 'ok' : `FAILED: ${s.detail}`}`);
          if (!s.ok) problems.push({ size: name, peer, detail: s.detail });
          if (s.warnings?.length) problems.push({ size: name, peer, detail: `warnings: ${s.warnings.join('; ')}` });
        }
      }
      const med = {};
      const cpu = {};
      const thread = {};
      const medianOf = (xs) => (xs.length ? median(xs) : undefined);
      for (const peer of PEERS) {
        const ok = samples[peer].filter((s) => s.ok && s.ms !== undefined);
        const ms = ok.map((s) => s.ms);
        med[peer] = medianOf(ms);
        cpu[peer] = medianOf(ok.map((s) => s.cpuMs).filter((x) => x !== undefined));
        thread[peer] = medianOf(ok.map((s) => s.threadMs).filter((x) => x !== undefined));
        rows.push({
          size: name,
          peer,
          wallMs: round1(med[peer]),
          minMs: ms.length ? round1(Math.min(...ms)) : undefined,
          maxMs: ms.length ? round1(Math.max(...ms)) : undefined,
          mainThreadMs: round1(thread[peer]),
          cpuMs: round1(cpu[peer]),
          runs: `${ok.length}/${samples[peer].length}`,
          peakRssMB: round1(Math.max(...samples[peer].map((s) => s.rssMB ?? 0))) || undefined,
          'records/s': thread[peer] ? Math.round(repo.meta.records / (thread[peer] / 1000)) : undefined,
        });
      }
      // Paired per-round ratios too: the machine is shared and noisy, and pairs see the same load.
      const paired = (a, b, field) => {
        const xs = [];
        for (let i = 0; i < rounds; i++) {
          const x = samples[a][i];
          const y = samples[b][i];
          if (x?.ok && y?.ok && x[field] && y[field]) xs.push(y[field] / x[field]);
        }
        return medianOf(xs);
      };
      for (const [metric, m, field] of [['main thread', thread, 'threadMs'], ['wall', med, 'ms'], ['cpu (all threads)', cpu, 'cpuMs']]) {
        ratios.push({
          size: name,
          metric,
          'ref ÷ atcli': round2(m.reference / m.atcli),
          'atcute ÷ atcli': round2(m.atcute / m.atcli),
          'ref ÷ atcli (paired)': round2(paired('atcli', 'reference', field)),
          'atcute ÷ atcli (paired)': round2(paired('atcli', 'atcute', field)),
          'ref ÷ CLI': round2(m.reference / m['atcli CLI']),
          'atcute ÷ CLI': round2(m.atcute / m['atcli CLI']),
        });
      }
      const cliRss = Math.max(...samples['atcli CLI'].map((s) => s.rssMB ?? 0));
      const basis = Number.isFinite(thread.atcli) ? thread : med;
      targets.push({
        size: name,
        '≥ 5× reference': verdict(basis.reference / basis.atcli, 5),
        '≥ 1× atcute': verdict(basis.atcute / basis.atcli, 1),
        'CLI peak RSS MB': round1(cliRss) || undefined,
        ...(n >= 1_000_000 ? { '< 400 MB': cliRss > 0 && cliRss < 400 ? 'yes' : 'NO' } : {}),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    bench: 'repo-verify',
    target: 'atcli ≥ 5× faster than @atproto/repo verifyRepoCar, no slower than the @atcute pass; 1M records < 400 MB peak RSS',
    rows,
    tables: [
      {
        title:
          'ratios (> 1: atcli faster), medians of the same run; "paired": median of per-round ratios. main thread = on-CPU time of the JS thread (about the wall time of an idle machine, steady under load); cpu = user+system of all threads (includes parallel GC). atcli = in-process, CLI = the subprocess incl. start-up and file read',
        rows: ratios,
      },
      { title: 'targets (speed verdicts on main-thread time, in-process atcli; RSS of the CLI)', rows: targets },
    ],
    problems,
  };
}

function round2(x) {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : undefined;
}
function verdict(ratio, target) {
  return Number.isFinite(ratio) ? `${ratio >= target ? 'yes' : 'NO'} (${round2(ratio)}×)` : 'n/a';
}

/** CPU profile of atcli's bundled verifier on one size: the top functions by self time. */
export async function profileRepoVerify(n, { top = 20 } = {}) {
  ensureBenchDeps();
  const repo = ensureRepo(n);
  const tmp = mkdtempSync(join(tmpdir(), 'atcli-bench-prof-'));
  try {
    const bundle = await bundleVerifier(tmp, { minify: false });
    const profDir = join(tmp, 'prof');
    const res = spawnSync(process.execPath, ['--expose-gc', '--cpu-prof', '--cpu-prof-dir', profDir, peerScript, 'atcli', repo.car, repo.json, '--reps', '1', '--warmup', '1', '--bundle', bundle], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (res.status !== 0) throw new Error(`profiled run failed (exit ${res.status})`);
    const runInfo = JSON.parse(res.stdout.toString().trim().split('\n').pop());
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
    const self = new Map();
    const byId = new Map(prof.nodes.map((node) => [node.id, node]));
    let total = 0;
    for (let i = 0; i < prof.samples.length; i++) {
      const node = byId.get(prof.samples[i]);
      const dt = prof.timeDeltas[i] ?? 0;
      total += dt;
      const cf = node.callFrame;
      const where = cf.url ? `${cf.url.replace(/^.*\//, '')}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName || '(anonymous)'}  ${where}`;
      self.set(key, (self.get(key) ?? 0) + dt);
    }
    const rows = [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ function: fn, selfMs: round1(us / 1000), selfPct: round1((100 * us) / total) }));
    return { bench: `repo-verify profile ${sizeName(n)}`, target: `atcli verifier, ${runInfo.times.map((t) => `${t.toFixed(0)} ms`).join(', ')} timed (profile covers warm-up + timed run and set-up)`, rows };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Memory breakdown of atcli's verifier streaming one repository (peaks per phase, live set). */
export async function memoryRepoVerify(n) {
  ensureBenchDeps();
  const repo = ensureRepo(n);
  const tmp = mkdtempSync(join(tmpdir(), 'atcli-bench-mem-'));
  try {
    const bundle = await bundleVerifier(tmp);
    const res = spawnSync(process.execPath, ['--expose-gc', peerScript, 'atcli-memory', repo.car, repo.json, '--bundle', bundle], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (res.status !== 0) throw new Error(`memory run failed (exit ${res.status})`);
    const r = JSON.parse(res.stdout.toString().trim().split('\n').pop());
    const rows = [
      { phase: 'pass (peak)', ...r.passPeakMB },
      { phase: 'walk start (live, after full GC)', ...r.liveAtWalkStartMB },
      { phase: 'walk (peak)', ...r.walkPeakMB },
      { phase: 'process max RSS', rss: round1(r.maxRssMB) },
    ];
    return { bench: `repo-verify memory ${sizeName(n)}`, target: `atcli verifier streaming the file, ${r.ok ? 'valid' : 'INVALID'}, ${(r.ms / 1000).toFixed(1)} s; MB = 10^6 bytes; target < 400 MB at 1M`, rows };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const print = (result) => {
    console.log(`\n## ${result.bench}  (${result.target})`);
    console.table(result.rows);
    for (const t of result.tables ?? []) {
      console.log(`\n${t.title}`);
      console.table(t.rows);
    }
    for (const p of result.problems ?? []) console.log(`PROBLEM ${p.size} ${p.peer}: ${p.detail}`);
    if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
  };
  if (opt('--memory')) {
    print(await memoryRepoVerify(parseSize(opt('--memory'))));
  } else if (opt('--profile')) {
    print(await profileRepoVerify(parseSize(opt('--profile'))));
  } else {
    const sizes = opt('--sizes')?.split(',').map(parseSize);
    const rounds = opt('--rounds') ? Number(opt('--rounds')) : undefined;
    const warmup = opt('--warmup') !== undefined ? Number(opt('--warmup')) : undefined;
    print(await benchRepoVerify({ sizes, rounds, warmup }));
  }
}
