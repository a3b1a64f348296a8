// Start-up time of the built CLI against bare `node -e ""`, measured in the same run.
// Interleaved runs, median wall time; the ratio is what matters on a shared machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/atcli.js', import.meta.url));

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const times = Object.fromEntries(Object.keys(probes).map((k) => [k, []]));
  for (let i = 0; i < warmup; i++) for (const args of Object.values(probes)) timeOnce(args);
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(probes)) times[name].push(timeOnce(args));
  const base = median(times['node -e ""']);
  const rows = Object.entries(times).map(([name, xs]) => ({ name, medianMs: +median(xs).toFixed(1), ratio: +(median(xs) / base).toFixed(2) }));
  return { bench: 'startup', runs, target: 'atcli --version and syntax check ≤ 1.5× node -e ""', rows };
}
