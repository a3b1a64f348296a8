// Installs the bench's own dependencies (bench/package.json: the reference @atproto/repo and the
// @atcute/* peers) into bench/node_modules with `npm ci`, from the npm registry only.
// Idempotent: a stamp holding the lockfile's hash marks a finished install; when it matches,
// nothing runs. `npm ci` removes node_modules first, so an interrupted install is redone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const lockFile = fileURLToPath(new URL('./package-lock.json', import.meta.url));
const stampFile = fileURLToPath(new URL('./node_modules/.atcli-bench-stamp', import.meta.url));

function wanted() {
  return createHash('sha256').update(readFileSync(lockFile)).update(process.version.split('.')[0]).digest('hex');
}

export function benchDepsReady() {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === wanted();
}

export function ensureBenchDeps({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (benchDepsReady()) return;
  log('[bench] installing bench dependencies (npm ci --prefix bench)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // No dependency needs an install script; --ignore-scripts keeps the install from fetching anything else.
  const res = spawnSync(npm, ['ci', '--prefix', benchDir, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_engine_strict: 'false' },
  });
  if (res.status !== 0) throw new Error(`npm ci --prefix bench failed (exit ${res.status ?? res.signal})`);
  writeFileSync(stampFile, `${wanted()}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBenchDeps();
