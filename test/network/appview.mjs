// The reference AppView (@atproto/bsky, via dev-env's TestBsky) for the test network, started on
// demand (POST /appview on the control API): it needs PostgreSQL, and loading it takes seconds, so
// only test files that ask for it pay for it.
//
// PostgreSQL: the server binaries of the Debian `postgresql` package (found under
// /usr/lib/postgresql/<version>/bin, through `pg_config --bindir`, on PATH, or in
// ATCLI_TEST_PG_BIN). A throwaway cluster is made in the network's run directory (initdb with
// trust auth, no fsync), listening on 127.0.0.1 at a free port, and stopped with the network. As
// root, PostgreSQL refuses to run, so it runs as the `postgres` user (runuser). A cluster left
// behind by a killed network is stopped by the next network's sweep (see sweepStaleAppView).
//
// Runs under the network's Node 22 (server.mjs imports it).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

const PG_DIR = 'postgres';

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${(res.stderr || res.stdout || '').trim().slice(-2000)}`);
  return res.stdout;
}

/** The directory with initdb, pg_ctl and postgres, or null when PostgreSQL is not installed. */
export function findPgBin() {
  const candidates = [];
  if (process.env.ATCLI_TEST_PG_BIN) candidates.push(process.env.ATCLI_TEST_PG_BIN);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config (the Debian server package does not ship it)
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^[0-9]+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // not Debian's layout
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b)))) ?? null;
}

/** As root, PostgreSQL's tools run as the `postgres` user. */
function asPgUser(bin, args) {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
  return [bin, args];
}

async function startPostgres(runDir, port, log) {
  const bin = findPgBin();
  if (bin === null) {
    const err = new Error('PostgreSQL is not installed (no initdb/pg_ctl/postgres found); the reference AppView needs it: on Debian, apt-get install -y postgresql (test/network/install.mjs does it when run as root)');
    err.code = 'AppViewUnavailable';
    throw err;
  }
  const dir = path.join(runDir, PG_DIR);
  const data = path.join(dir, 'data');
  await fs.mkdir(dir, { recursive: true });
  if (process.getuid?.() === 0) {
    // The postgres user must reach its directory inside the (root-only) run directory.
    await fs.chmod(runDir, 0o711);
    run('chown', ['postgres:postgres', dir]);
  }
  const t0 = Date.now();
  run(...asPgUser(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--no-instructions']));
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run(...asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', '-o', options, 'start']));
  log(`postgres ${path.basename(path.dirname(bin))} on 127.0.0.1:${port} in ${Date.now() - t0} ms`);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: () => stopPostgres(bin, data),
  };
}

function stopPostgres(bin, data) {
  if (!existsSync(path.join(data, 'postmaster.pid'))) return;
  const [cmd, args] = asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']);
  spawnSync(cmd, args, { stdio: 'ignore' });
}

/** Stops a cluster a killed network left running in `runDir` (its postmaster.pid names it). */
export function sweepStaleAppView(runDir) {
  const pidFile = path.join(runDir, PG_DIR, 'data', 'postmaster.pid');
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0], 10);
    if (Number.isSafeInteger(pid) && pid > 1) process.kill(pid, 'SIGQUIT');
  } catch {
    // no cluster, or already gone
  }
}

/**
 * Starts PostgreSQL, bsync and the AppView (subscribed to `pds`'s firehose, resolving identities
 * the way `wire` sets up). Returns {url, did, close, stopSync}.
 */
export async function startAppView({ runDir, plcUrl, pds, getPort, devEnv, wire, log }) {
  const pg = await startPostgres(runDir, await getPort(), log);
  try {
    const t0 = Date.now();
    const [{ TestBsky }, { TestBsync }] = await Promise.all(['bsky.js', 'bsync.js'].map(devEnv));
    log(`appview modules loaded in ${Date.now() - t0} ms`);
    const apiKey = 'bsync-api-key';
    const bsync = await TestBsync.create({ apiKeys: [apiKey], dbUrl: pg.url, dbSchema: 'bsync_atcli' });
    const bsky = await TestBsky.create({
      plcUrl,
      bsyncApiKey: apiKey,
      bsyncUrl: bsync.url,
      repoProvider: `ws://localhost:${pds.port}`,
      dbPostgresSchema: 'appview_atcli',
      dbPostgresUrl: pg.url,
    });
    bsync.ctx.dataplaneClients = [bsky.ctx.dataplane];
    wire(bsky.ctx.idResolver);
    wire(bsky.dataplane.idResolver);
    log(`appview ${bsky.url} (${bsky.ctx.cfg.serverDid}) following ${pds.url}, ready in ${Date.now() - t0} ms`);
    return {
      url: bsky.url,
      did: bsky.ctx.cfg.serverDid,
      /** for the process's exit handler: stops PostgreSQL only */
      stopSync: () => pg.stop(),
      close: async () => {
        try {
          await bsky.close();
          await bsync.close();
        } finally {
          pg.stop();
        }
      },
    };
  } catch (err) {
    pg.stop();
    throw err;
  }
}
