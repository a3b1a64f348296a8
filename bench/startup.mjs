// Start-up time of the built CLI against bare `node -e ""`, measured in the same run.
// Interleaved runs, median wall time; the ratio is what matters on a shared machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/atcli.js', import.meta.url));

function timeOnce(args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function benchStartup({ runs = 30, warmup = 3 } = {}) {
  const probes = {
    'node -e ""': ['-e', ''],
    'atcli --version': [bin, '--version'],
    'atcli syntax check handle alice.example.com': [bin, 'syntax', 'check', 'handle', 'alice.example.com'],
    'atcli --help': [bin, '--help'],
  };
  // Loading a CA bundle (NODE_EXTRA_CA_CERTS, set on this CI machine) costs every node process
  // the same fixed time; a user's machine usually has none. Both are reported, each against its
  // own bare-node baseline.
  const { NODE_EXTRA_CA_CERTS: extraCa, ...withoutCa } = process.env;
  const envs = { 'without NODE_EXTRA_CA_CERTS': withoutCa };
  if (extraCa) envs['with NODE_EXTRA_CA_CERTS'] = process.env;
  const rows = [];
  for (const [envName, env] of Object.entries(envs)) {
    const times = Object.fromEntries(Object.keys(probes).map((k) => [k, []]));
    for (let i = 0; i < warmup; i++) for (const args of Object.values(probes)) timeOnce(args, env);
    for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(probes)) times[name].push(timeOnce(args, env));
    const base = median(times['node -e ""']);
    for (const [name, xs] of Object.entries(times)) rows.push({ env: envName, name, medianMs: +median(xs).toFixed(1), ratio: +(median(xs) / base).toFixed(2) });
  }
  return { bench: 'startup', runs, target: 'atcli --version and syntax check ≤ 1.5× node -e "" (without NODE_EXTRA_CA_CERTS)', rows };
}
