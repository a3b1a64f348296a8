// `atcli account migrate` against the real local network: one PLC directory, two PDS hosts.
// Runs in-process (faults injected through the client factory) except where a process must die:
// SIGKILL at a step boundary (test/support/atcli-hooked.mjs) and Ctrl-C.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createSession, xrpc, type TestNetwork } from '../network/client.js';
import { spawn } from 'node:child_process';
import { BIN, cliEnv, runCli, stdoutJson, tempDir, type CliResult } from '../cli/run-cli.js';
import { applyWrites, devFlags, expiredAccessToken, network, networkInfo, newAccount, plcTokenFromMail, populate, type TestAccount, type Write } from './helpers.js';
import { runIn, type TestIOOptions } from '../support/test-io.js';
import { expiringTokens, failBefore, withHooks } from '../support/migration-hooks.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { MIGRATION_STEPS } from '../../src/core/account/plan.js';
import type { MigrationHooks } from '../../src/core/account/migrate.js';

const HOOKED = fileURLToPath(new URL('../support/atcli-hooked.mjs', import.meta.url));

const NEW_PASSWORD = 'new-host-password-0123';

interface Migration {
  account: TestAccount;
  configDir: string;
  stateFile: string;
  flags: string[];
  env: Record<string, string>;
}

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

interface RunOpts {
  env?: Record<string, string | undefined>;
  hooks?: MigrationHooks;
  tty?: TestIOOptions['tty'];
}

/** atcli in this process, with the migration's config, state and environment. */
async function cli(m: Migration, args: string[], opts: RunOpts = {}): Promise<CliResult> {
  const r = await runIn([...m.flags, ...args], {
    env: { ...m.env, ATCLI_CONFIG_DIR: m.configDir, ...opts.env },
    ...(opts.hooks ? { factory: withHooks(opts.hooks) } : {}),
    ...(opts.tty ? { tty: opts.tty } : {}),
  });
  return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr };
}

/** atcli as a process that SIGKILLs itself right after `step` (none: runs to the end). */
function killedAfter(step: string | undefined): (m: Migration, args: string[]) => Promise<CliResult> {
  return (m, args) => runCli([...m.flags, ...args], { configDir: m.configDir, env: { ...m.env, HOOK_KILL_AFTER_STEP: step }, timeoutMs: 120_000, entry: HOOKED });
}

type Runner = (m: Migration, args: string[]) => Promise<CliResult>;
const inProcess = (opts: RunOpts = {}): Runner => (m, args) => cli(m, args, opts);

/** A logged-in (stored profile) atcli for `account` on host A, with its own config and state. */
async function prepare(net: TestNetwork, account: TestAccount, run: 'in-process' | 'process' = 'in-process'): Promise<Migration> {
  const scratch = tempDir('atcli-migrate-');
  const m: Migration = {
    account,
    configDir: join(scratch, 'config'),
    stateFile: join(scratch, 'state', 'migrate.json'),
    flags: devFlags(net),
    env: { ATCLI_NEW_PASSWORD: NEW_PASSWORD, HOME: scratch },
  };
  const args = ['account', 'login', '-u', account.did, '--pds', account.pdsUrl, '--json'];
  const env = { ATCLI_PASSWORD: account.password };
  const login = run === 'in-process' ? await cli(m, args, { env }) : await runCli([...m.flags, ...args], { configDir: m.configDir, env: { ...m.env, ...env } });
  expect(login.code, login.stderr).toBe(0);
  return m;
}

const latestPlcToken = plcTokenFromMail;

/** A run that stopped for the e-mailed token: exit 2, JSON status "waiting-for-plc-token". */
function waitingForToken(r: CliResult): boolean {
  return r.code === 2 && stdoutJson<{ status: string }>(r).status === 'waiting-for-plc-token';
}

/**
 * Runs `migrate` (first with `args`), supplying the e-mailed token whenever a run stops for it,
 * until a run completes, fails or is killed. Returns the last run.
 */
async function migrateUntilDone(net: TestNetwork, m: Migration, args: string[], run: Runner = inProcess()): Promise<CliResult> {
  let r = await run(m, [...args, '--state-file', m.stateFile, '--yes', '--json']);
  for (let i = 0; i < 4; i++) {
    if (r.signal === 'SIGKILL' || !waitingForToken(r)) return r;
    // A new request replaces the previous code, so the newest mail holds the valid one.
    const token = await latestPlcToken(net, m.account.email, 0);
    r = await run(m, ['account', 'migrate', '--resume', '--plc-token', token, '--state-file', m.stateFile, '--yes', '--json']);
  }
  return r;
}

async function plcData(net: TestNetwork, did: string): Promise<{ rotationKeys: string[]; services: Record<string, { type: string; endpoint: string }>; verificationMethods: Record<string, string>; alsoKnownAs: string[] }> {
  const res = await fetch(`${net.plcUrl}/${did}/data`);
  return (await res.json()) as never;
}

async function repoStatus(url: string, did: string): Promise<{ active: boolean; status?: string } | null> {
  try {
    return await xrpc(url, 'com.atproto.sync.getRepoStatus', { params: { did } });
  } catch {
    return null;
  }
}

async function authedCar(url: string, did: string, accessJwt: string): Promise<Uint8Array> {
  const res = await fetch(`${url}/xrpc/com.atproto.sync.getRepo?did=${did}`, { headers: { authorization: `Bearer ${accessJwt}` } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

async function blobSet(url: string, did: string, accessJwt?: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await xrpc<{ cids: string[]; cursor?: string }>(url, 'com.atproto.sync.listBlobs', { params: { did, limit: 500, cursor }, ...(accessJwt ? { accessJwt } : {}) });
    out.push(...page.cids);
    cursor = page.cids.length > 0 ? page.cursor : undefined;
  } while (cursor);
  return out.sort();
}

async function getBlob(url: string, did: string, cid: string, accessJwt?: string): Promise<{ bytes: Buffer; type: string | null }> {
  const res = await fetch(`${url}/xrpc/com.atproto.sync.getBlob?did=${did}&cid=${cid}`, { headers: accessJwt ? { authorization: `Bearer ${accessJwt}` } : {} });
  expect(res.status, `getBlob ${cid}`).toBe(200);
  return { bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

/** Blobs of varied sizes and MIME types, each referenced by a record of a custom collection. */
async function addAttachments(account: TestAccount, specs: Array<{ size: number; mime: string }>): Promise<void> {
  const writes: Write[] = [];
  for (const [i, spec] of specs.entries()) {
    const bytes = randomBytes(spec.size);
    if (spec.mime === 'image/png') bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const { blob } = await xrpc<{ blob: Record<string, unknown> }>(account.pdsUrl, 'com.atproto.repo.uploadBlob', { accessJwt: account.accessJwt, bytes, contentType: spec.mime });
    writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: 'com.example.attachment', value: { $type: 'com.example.attachment', name: `file-${i}`, file: blob, createdAt: new Date().toISOString() } });
  }
  await applyWrites(account, writes);
}

const PREFERENCES = [
  { $type: 'app.bsky.actor.defs#adultContentPref', enabled: true },
  { $type: 'app.bsky.actor.defs#contentLabelPref', label: 'nsfw', visibility: 'warn' },
  { $type: 'app.bsky.actor.defs#savedFeedsPrefV2', items: [{ id: '3kabcdefgh222', type: 'timeline', value: 'following', pinned: true }] },
];

/** Adds a rotation key of the user's own and an extra service through the PDS (account plc sign/submit). */
async function addOwnKeyAndService(net: TestNetwork, m: Migration, userKey: string): Promise<void> {
  const before = await plcData(net, m.account.did);
  const started = Date.now();
  const req = await cli(m, ['account', 'plc', 'request-token', '--json']);
  expect(req.code, req.stderr).toBe(0);
  const token = await latestPlcToken(net, m.account.email, started);
  const dir = tempDir('atcli-plcop-');
  const opFile = join(dir, 'op.json');
  writeFileSync(opFile, JSON.stringify({
    rotationKeys: [userKey, ...before.rotationKeys],
    services: { ...before.services, example_svc: { type: 'ExampleService', endpoint: 'https://svc.example.com' } },
  }));
  const sign = await cli(m, ['account', 'plc', 'sign', opFile, '--token', token]);
  expect(sign.code, sign.stderr).toBe(0);
  const signedFile = join(dir, 'signed.json');
  writeFileSync(signedFile, sign.stdout);
  const submit = await cli(m, ['account', 'plc', 'submit', signedFile, '--yes', '--json']);
  expect(submit.code, submit.stderr).toBe(0);
  expect(stdoutJson(submit)).toMatchObject({ submitted: true });
  const after = await plcData(net, m.account.did);
  expect(after.rotationKeys[0]).toBe(userKey);
  expect(after.services['example_svc']).toEqual({ type: 'ExampleService', endpoint: 'https://svc.example.com' });
}

interface EndState {
  records: string;
  blobs: string[];
}

/** Checks everything the acceptance lists after a completed migration; returns what it compared. */
async function expectMigrated(net: TestNetwork, m: Migration, opts: { userKey?: string; prefs?: unknown[] } = {}): Promise<EndState> {
  const { did } = m.account;
  const a = net.pds.a.url;
  const b = net.pds.b.url;
  // The DID resolves to B, with the new host's key; the user's key and service survive.
  const data = await plcData(net, did);
  expect(data.services['atproto_pds']).toEqual({ type: 'AtprotoPersonalDataServer', endpoint: b });
  if (opts.userKey) {
    expect(data.rotationKeys).toContain(opts.userKey);
    expect(data.services['example_svc']).toEqual({ type: 'ExampleService', endpoint: 'https://svc.example.com' });
  }
  const resolved = await runCli([...m.flags, 'resolve', did, '--json'], { configDir: m.configDir });
  expect(resolved.code, resolved.stderr).toBe(0);
  expect(stdoutJson(resolved)).toMatchObject({ did, pds: b });
  // B active, A deactivated.
  expect(await repoStatus(b, did)).toMatchObject({ active: true });
  expect(await repoStatus(a, did)).toMatchObject({ active: false, status: 'deactivated' });
  // repo ls identical on both sides (A read with the account's own session: it is deactivated).
  const oldSession = await createSession(a, did, m.account.password);
  const carFile = join(tempDir('atcli-oldcar-'), 'old.car');
  writeFileSync(carFile, await authedCar(a, did, oldSession.accessJwt));
  const lsOld = await runCli([...m.flags, 'repo', 'ls', carFile], { configDir: m.configDir });
  const lsNew = await runCli([...m.flags, 'repo', 'ls', did], { configDir: m.configDir });
  expect(lsOld.code, lsOld.stderr).toBe(0);
  expect(lsNew.code, lsNew.stderr).toBe(0);
  expect(lsNew.stdout).toBe(lsOld.stdout);
  const lines = lsNew.stdout.trim().split('\n');
  expect(new Set(lines).size).toBe(lines.length);
  // Every blob on B, with its MIME type and bytes; none missing.
  const oldBlobs = await blobSet(a, did, oldSession.accessJwt);
  const newBlobs = await blobSet(b, did);
  expect(newBlobs).toEqual(oldBlobs);
  for (const cid of newBlobs) {
    const [x, y] = await Promise.all([getBlob(a, did, cid, oldSession.accessJwt), getBlob(b, did, cid)]);
    expect(y.type, cid).toBe(x.type);
    expect(y.bytes.equals(x.bytes), cid).toBe(true);
  }
  const newSession = await createSession(b, did, NEW_PASSWORD);
  const missing = await xrpc<{ blobs: unknown[] }>(b, 'com.atproto.repo.listMissingBlobs', { accessJwt: newSession.accessJwt });
  expect(missing.blobs).toEqual([]);
  const st = await xrpc<{ activated: boolean; indexedRecords: number; expectedBlobs: number; importedBlobs: number }>(b, 'com.atproto.server.checkAccountStatus', { accessJwt: newSession.accessJwt });
  expect(st).toMatchObject({ activated: true, indexedRecords: lines.length, expectedBlobs: oldBlobs.length, importedBlobs: oldBlobs.length });
  // Preferences match.
  const prefsOld = await xrpc<{ preferences: unknown[] }>(a, 'app.bsky.actor.getPreferences', { accessJwt: oldSession.accessJwt });
  const prefsNew = await xrpc<{ preferences: unknown[] }>(b, 'app.bsky.actor.getPreferences', { accessJwt: newSession.accessJwt });
  expect(prefsNew.preferences).toEqual(prefsOld.preferences);
  if (opts.prefs) expect(prefsNew.preferences).toEqual(opts.prefs);
  // The state file: 0600, no secrets.
  expect(statSync(m.stateFile).mode & 0o777).toBe(0o600);
  for (const f of [m.stateFile, ...allFiles(`${m.stateFile.replace(/\.json$/, '')}.backup`)]) {
    const text = readFileSync(f).toString('latin1');
    expect(text, f).not.toContain(m.account.password);
    expect(text, f).not.toContain(NEW_PASSWORD);
    expect(text, f).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  }
  return { records: lsNew.stdout, blobs: newBlobs };
}

describe.skipIf(!networkInfo)('atcli account migrate against two real PDS hosts', () => {
  let net: TestNetwork;

  beforeAll(async () => {
    net = await network();
  });

  it('moves an account with 300+ records, 20+ blobs (some over 1 MB), preferences, its own rotation key and service; dry run changes nothing; sessions survive token expiry', async () => {
    const account = await newAccount(net, 'mig-big');
    await populate(account, { posts: 200, likes: 60, follows: 40, imagePosts: 5 });
    await addAttachments(account, [
      { size: 1_200_000, mime: 'video/mp4' },
      { size: 2_500_000, mime: 'application/pdf' },
      { size: 1_600_000, mime: 'image/png' },
      { size: 300, mime: 'text/plain' },
      { size: 10_000, mime: 'application/json' },
      { size: 64_000, mime: 'audio/mpeg' },
      { size: 5_000, mime: 'image/webp' },
      { size: 750_000, mime: 'application/zip' },
      { size: 1, mime: 'application/octet-stream' },
      { size: 40_000, mime: 'image/gif' },
      { size: 120_000, mime: 'video/webm' },
      { size: 90_000, mime: 'image/avif' },
      { size: 20_000, mime: 'text/csv' },
      { size: 33_000, mime: 'audio/ogg' },
      { size: 1_100_000, mime: 'application/x-tar' },
    ]);
    await xrpc(account.pdsUrl, 'app.bsky.actor.putPreferences', { accessJwt: account.accessJwt, body: { preferences: PREFERENCES } });
    const m = await prepare(net, account);
    const userKey = generatePrivateKey('k256').publicKey.did();
    await addOwnKeyAndService(net, m, userKey);
    const headBefore = await (await fetch(`${net.plcUrl}/${account.did}/log/last`)).text();

    // --dry-run: preflight + plan, nothing changes anywhere (not even a state file).
    const dry = await cli(m, ['account', 'migrate', '--to', net.pds.b.url, '--dry-run', '--state-file', m.stateFile, '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = stdoutJson<{ status: string; ok: boolean; plan: Array<{ name: string }>; preflight: { checks: Array<{ name: string; ok: boolean }>; source: { records: number } }; identity: { keepRotationKeys: string[]; keepServices: string[] } }>(dry);
    expect(plan.status).toBe('dry-run');
    expect(plan.ok).toBe(true);
    expect(plan.plan.map((p) => p.name)).toEqual([...MIGRATION_STEPS]);
    expect(plan.preflight.source.records).toBeGreaterThanOrEqual(300);
    expect(plan.identity.keepRotationKeys).toEqual([userKey]);
    expect(plan.identity.keepServices).toEqual(['example_svc']);
    expect(existsSync(m.stateFile)).toBe(false);
    expect(await repoStatus(net.pds.b.url, account.did)).toBeNull();
    expect(await repoStatus(net.pds.a.url, account.did)).toMatchObject({ active: true });
    expect(await (await fetch(`${net.plcUrl}/${account.did}/log/last`)).text()).toBe(headBefore);
    const human = await cli(m, ['account', 'migrate', '--to', net.pds.b.url, '-n', '--state-file', m.stateFile]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('nothing was changed');
    expect(human.stdout).toContain('verify-copy');

    // The stored access token has expired, and every step boundary expires both sessions again.
    const sessionFile = join(m.configDir, 'sessions', 'default.json');
    const stored = JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessJwt: string; refreshJwt: string };
    writeFileSync(sessionFile, JSON.stringify({ ...stored, accessJwt: expiredAccessToken(stored.accessJwt, net.jwtSecret) }), { mode: 0o600 });

    // No prompt possible (stdin is not a terminal): the first run stops for the e-mailed token, after
    // the copy is verified — exit 2 naming --plc-token, the state saved. stderr is a terminal: the
    // progress bars are cleared before every other line.
    const first = await cli(m, ['account', 'migrate', '--to', net.pds.b.url, '--state-file', m.stateFile, '--yes', '--json'], { hooks: expiringTokens(net.jwtSecret), tty: { stderr: true } });
    expect(first.code, first.stderr).toBe(2);
    const waiting = stdoutJson<{ status: string; next: string; plan: Array<{ name: string; status: string }> }>(first);
    expect(waiting.status).toBe('waiting-for-plc-token');
    expect(waiting.next).toContain('--resume --plc-token');
    expect(waiting.plan.find((p) => p.name === 'verify-copy')?.status).toBe('done');
    expect(waiting.plan.find((p) => p.name === 'sign-plc-op')?.status).toBe('pending');
    const stopped = JSON.parse(first.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string; hint: string } };
    expect(stopped.error).toMatchObject({ code: 'InputRequired', hint: expect.stringContaining('--resume --plc-token') });
    expect(stopped.error.message).toContain('PLC confirmation code');
    expect(JSON.parse(readFileSync(m.stateFile, 'utf8'))).toMatchObject({ status: 'waiting-for-plc-token' });
    expect(first.stderr).toMatch(/copying blobs \[[#-]{24}\]/);
    const permanent = first.stderr.split('\n').slice(0, -1).map((line) => line.split('\r').pop()!);
    expect(permanent.filter((line) => /\[[#-]{24}\] \d+%/.test(line))).toEqual([]);
    expect(await repoStatus(net.pds.a.url, account.did)).toMatchObject({ active: true });
    expect((await plcData(net, account.did)).services['atproto_pds']?.endpoint).toBe(net.pds.a.url);
    const refreshed = JSON.parse(readFileSync(sessionFile, 'utf8')) as { refreshJwt: string };
    expect(refreshed.refreshJwt).not.toBe(stored.refreshJwt);

    const token = await latestPlcToken(net, account.email, 0);
    const second = await cli(m, ['account', 'migrate', '--resume', '--plc-token', token, '--state-file', m.stateFile, '--yes', '--json'], { hooks: expiringTokens(net.jwtSecret) });
    expect(second.code, second.stderr).toBe(0);
    const done = stdoutJson<{ status: string; report: { records: { identical: boolean; source: number }; blobs: { new: number; old: number; missingOnNew: number }; preferences: { identical: boolean }; identity: { keptRotationKeys: string[]; keptServices: string[] }; old: { active: boolean }; new: { active: boolean } } }>(second);
    expect(done.status).toBe('completed');
    expect(done.report.records.identical).toBe(true);
    expect(done.report.records.source).toBeGreaterThanOrEqual(300);
    expect(done.report.blobs.new).toBeGreaterThanOrEqual(20);
    expect(done.report.blobs.new).toBe(done.report.blobs.old);
    expect(done.report.blobs.missingOnNew).toBe(0);
    expect(done.report.preferences.identical).toBe(true);
    expect(done.report.identity.keptRotationKeys).toEqual([userKey]);
    expect(done.report.identity.keptServices).toEqual(['example_svc']);
    expect(done.report).toMatchObject({ old: { active: false }, new: { active: true } });

    const end = await expectMigrated(net, m, { userKey, prefs: PREFERENCES });
    expect(end.blobs.length).toBeGreaterThanOrEqual(21);

    // The profile now points at the new host; missing-blobs there is empty; a resume only reports.
    const missing = await cli(m, ['account', 'missing-blobs', '--json']);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout).toBe('');
    const again = await cli(m, ['account', 'migrate', '--resume', '--state-file', m.stateFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(stdoutJson(again)).toMatchObject({ status: 'completed' });
  }, 600_000);

  it('SIGKILLed at every step boundary in turn, --resume finishes each time with the same end state and nothing duplicated', async () => {
    const steps = [...MIGRATION_STEPS];
    const results: Array<{ step: string; killed: boolean }> = [];
    const one = async (step: string): Promise<void> => {
      const account = await newAccount(net, `kill-${MIGRATION_STEPS.indexOf(step as never)}`);
      await populate(account, { posts: 12, likes: 4, follows: 3, imagePosts: 2 });
      // Several of these run at once: each atcli is a process of its own.
      const m = await prepare(net, account, 'process');
      const killed = await migrateUntilDone(net, m, ['account', 'migrate', '--to', net.pds.b.url], killedAfter(step));
      expect(killed.signal, `${step}: ${killed.stderr}`).toBe('SIGKILL');
      const state = JSON.parse(readFileSync(m.stateFile, 'utf8')) as { steps: Record<string, { status: string }> };
      expect(state.steps[step]?.status, step).toBe('done');
      if (MIGRATION_STEPS.indexOf(step as never) < MIGRATION_STEPS.indexOf('activate')) {
        // Killed before activation: the old account is still the live one.
        expect(await repoStatus(net.pds.a.url, account.did), step).toMatchObject({ active: true });
      }
      const resumed = await migrateUntilDone(net, m, ['account', 'migrate', '--resume'], killedAfter(undefined));
      expect(resumed.code, `${step}: ${resumed.stderr}`).toBe(0);
      expect(stdoutJson(resumed), step).toMatchObject({ status: 'completed', report: { records: { identical: true, missingOnNew: 0 }, blobs: { missingOnNew: 0 } } });
      const end = await expectMigrated(net, m);
      expect(end.records.trim().split('\n')).toHaveLength(12 + 4 + 3 + 1);
      expect(end.blobs).toHaveLength(3);
      results.push({ step, killed: true });
    };
    // A few at a time: each is a whole migration of its own account.
    const queue = [...steps];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let step = queue.shift(); step !== undefined; step = queue.shift()) await one(step);
      }),
    );
    expect(results.map((r) => r.step).sort()).toEqual([...steps].sort());
  }, 900_000);

  it('a server error before activation leaves the old account active and usable, and says what to do; --resume then finishes', async () => {
    const account = await newAccount(net, 'mig-fail');
    await populate(account, { posts: 5, likes: 1, follows: 1, imagePosts: 1 });
    const m = await prepare(net, account);
    const stderrs: string[] = [];
    for (const step of ['blobs', 'submit-plc-op', 'activate'] as const) {
      const r = await migrateUntilDone(net, m, [...(existsSync(m.stateFile) ? ['account', 'migrate', '--resume'] : ['account', 'migrate', '--to', net.pds.b.url])], inProcess({ hooks: failBefore(step) }));
      expect(r.code, `${step}: ${r.stderr}`).toBe(1);
      stderrs.push(r.stderr);
      const err = JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string; hint: string; details: { step: string; oldAccountActive: boolean; identityMoved: boolean } } };
      expect(err.error.details.step).toBe(step);
      expect(err.error.message).toContain(`(${step})`);
      expect(err.error.hint).toContain('atcli account migrate --resume');
      if (step !== 'activate') {
        expect(err.error.hint).toContain('still active and fully usable');
        expect(err.error.details.identityMoved).toBe(false);
        expect((await plcData(net, account.did)).services['atproto_pds']?.endpoint).toBe(net.pds.a.url);
      } else {
        expect(err.error.hint).toContain('not active yet');
        expect(err.error.hint).toContain(`the old account on ${new URL(net.pds.a.url).host} is still active`);
      }
      expect(err.error.details.oldAccountActive).toBe(true);
      // The old account is active and usable: it takes a new post.
      expect(await repoStatus(net.pds.a.url, account.did)).toMatchObject({ active: true });
      const s = await createSession(net.pds.a.url, account.did, account.password);
      if (step === 'blobs' || step === 'submit-plc-op') {
        await xrpc(net.pds.a.url, 'com.atproto.repo.createRecord', { accessJwt: s.accessJwt, body: { repo: account.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'still here', createdAt: new Date().toISOString() } } });
      }
      const state = JSON.parse(readFileSync(m.stateFile, 'utf8')) as { status: string; steps: Record<string, { status: string }>; lastError: { step: string } };
      expect(state.status).toBe('failed');
      expect(state.steps[step]?.status).toBe('failed');
      expect(state.lastError.step).toBe(step);
    }
    // Without the failure the migration completes — including the posts written after the export
    // and after the copy was verified (the old repository changed, so the copy is redone, the
    // second time right before the identity moves, reusing the signed operation).
    const done = await migrateUntilDone(net, m, ['account', 'migrate', '--resume']);
    expect(done.code, done.stderr).toBe(0);
    expect(stdoutJson(done)).toMatchObject({ status: 'completed' });
    const end = await expectMigrated(net, m);
    expect(end.records.trim().split('\n')).toHaveLength(5 + 1 + 1 + 1 + 2);
    expect(stderrs.join('\n')).toContain('copying again before the identity moves');
  }, 300_000);

  it('an unreachable new host stops the run (old account untouched); an app-password session is refused up front', async () => {
    const account = await newAccount(net, 'mig-net');
    await populate(account, { posts: 3, likes: 0, follows: 0 });
    const m = await prepare(net, account);
    const killed = await migrateUntilDone(net, m, ['account', 'migrate', '--to', net.pds.b.url], killedAfter('import-repo'));
    expect(killed.signal).toBe('SIGKILL');
    const port = new URL(net.pds.b.url).port;
    const down = await cli(m, ['--connect-to', `localhost:${port}:127.0.0.1:1`, 'account', 'migrate', '--resume', '--state-file', m.stateFile, '--yes', '--json']);
    expect(down.code, down.stderr).not.toBe(0);
    expect(down.stderr).toContain('still active and fully usable');
    expect(await repoStatus(net.pds.a.url, account.did)).toMatchObject({ active: true });
    const fine = await migrateUntilDone(net, m, ['account', 'migrate', '--resume']);
    expect(fine.code, fine.stderr).toBe(0);
    await expectMigrated(net, m);

    // App passwords cannot migrate: refused in preflight, with the reason.
    const other = await newAccount(net, 'mig-app');
    const app = await xrpc<{ password: string }>(other.pdsUrl, 'com.atproto.server.createAppPassword', { accessJwt: other.accessJwt, body: { name: 'atcli-test' } });
    const m2 = await prepare(net, { ...other, password: app.password });
    const dry = await cli(m2, ['account', 'migrate', '--to', net.pds.b.url, '--dry-run', '--state-file', m2.stateFile, '--json']);
    expect(dry.code, dry.stderr).toBe(1);
    const plan = stdoutJson<{ ok: boolean; preflight: { checks: Array<{ name: string; ok: boolean; detail: string }> } }>(dry);
    expect(plan.ok).toBe(false);
    // Without --state-file the state lives under $XDG_STATE_HOME/atcli (default ~/.local/state/atcli).
    const xdg = tempDir('atcli-xdg-');
    const byXdg = await cli(m2, ['account', 'migrate', '--to', net.pds.b.url, '--dry-run', '--json'], { env: { XDG_STATE_HOME: xdg } });
    expect(stdoutJson(byXdg)).toMatchObject({ stateFile: join(xdg, 'atcli', `migrate-${other.did}.json`) });
    const byHome = await cli(m2, ['account', 'migrate', '--to', net.pds.b.url, '--dry-run', '--json']);
    expect(stdoutJson(byHome)).toMatchObject({ stateFile: join(m2.env.HOME!, '.local', 'state', 'atcli', `migrate-${other.did}.json`) });
    expect(plan.preflight.checks.find((c) => c.name === 'account password')).toMatchObject({ ok: false });
    const real = await cli(m2, ['account', 'migrate', '--to', net.pds.b.url, '--state-file', m2.stateFile, '--yes', '--json']);
    expect(real.code, real.stderr).toBe(5);
    expect(real.stderr).toContain('app password');
    expect(existsSync(m2.stateFile)).toBe(false);
    expect(await repoStatus(net.pds.b.url, other.did)).toBeNull();
  }, 300_000);

  it('Ctrl-C during the blob copy saves the state, says where it stopped and how to resume (exit 130); --resume finishes', async () => {
    const account = await newAccount(net, 'mig-int');
    await populate(account, { posts: 3, likes: 0, follows: 0 });
    await addAttachments(account, Array.from({ length: 12 }, () => ({ size: 900_000, mime: 'application/octet-stream' })));
    const m = await prepare(net, account);
    const child = spawn(process.execPath, [BIN, ...m.flags, 'account', 'migrate', '--to', net.pds.b.url, '--state-file', m.stateFile, '--concurrency', '1', '--yes'], {
      env: cliEnv({ configDir: m.configDir, env: m.env }, m.configDir),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('[7/19]') && !child.killed) child.kill('SIGINT');
    });
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted during step 7\/19 \(blobs\); resume: atcli account migrate --resume/);
    expect(stderr).toContain('still active and fully usable');
    const state = JSON.parse(readFileSync(m.stateFile, 'utf8')) as { steps: Record<string, { status: string }>; lastError: { code: string } };
    expect(state.steps['blobs']?.status).toBe('pending');
    expect(state.steps['import-repo']?.status).toBe('done');
    expect(state.lastError.code).toBe('Interrupted');
    const resumed = await migrateUntilDone(net, m, ['account', 'migrate', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const end = await expectMigrated(net, m);
    expect(end.blobs.length).toBe(13);
  }, 300_000);
});

