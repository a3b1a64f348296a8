// Restore against the real network: accounts on a PDS of their own that the test then stops for
// good, backed up, restored onto PDS "b" with the user's rotation key — once in this process,
// and once per step in a child process killed right after that step and then resumed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleChild } from '../setup/bundle-child.js';
import { createSession, uniqueHandle, xrpc, type TestNetwork } from '../network/client.js';
import { coreConfig, network, networkInfo, plcTokenFromMail, populate, sessionClient, type TestAccount } from './helpers.js';
import { runBackup, readManifest } from '../../src/core/backup/index.js';
import { addRecoveryKey } from '../../src/core/account/recovery-key.js';
import { restoreAccount, type RestoreConfirmation, type RestoreResult } from '../../src/core/account/restore/restore.js';
import { RESTORE_STEPS } from '../../src/core/account/restore/journal.js';
import { generatePrivateKey, parseDidKey, type PrivateKey } from '../../src/core/crypto/index.js';
import { PlcDirectoryClient } from '../../src/core/plc/directory.js';
import { openCarFile } from '../../src/core/codec/car.js';
import { listRepoEntries } from '../../src/core/repo/read.js';
import { verifyRepoCar } from '../../src/core/repo/verify.js';
import { fileChunks } from '../../src/core/util/file-chunks.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const NEW_PASSWORD = 'restored-password-4711';
const PREFERENCES = [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }];

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** An account on `pds`, optionally with the user's rotation key given at creation. */
async function accountOn(url: string, prefix: string, recoveryKey?: string): Promise<TestAccount> {
  const handle = uniqueHandle(prefix);
  const email = `${handle}@mail.test`;
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const s = await xrpc<{ did: string; handle: string; accessJwt: string; refreshJwt: string }>(url, 'com.atproto.server.createAccount', {
    body: { handle, email, password, ...(recoveryKey !== undefined ? { recoveryKey } : {}) },
  });
  return { did: s.did, handle: s.handle, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt, password, email, pdsUrl: url };
}

async function repoPaths(url: string, did: string): Promise<Map<string, string>> {
  const res = await fetch(`${url}/xrpc/com.atproto.sync.getRepo?did=${did}`);
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const { entries } = await listRepoEntries((async function* () { yield bytes; })(), 'the new host');
  return new Map(entries.map((e) => [e.path, e.cid.toString()]));
}

async function backupPaths(dir: string): Promise<Map<string, string>> {
  const { entries } = await listRepoEntries(fileChunks(join(dir, 'repo.car')), 'the backup');
  return new Map(entries.map((e) => [e.path, e.cid.toString()]));
}

async function blobList(url: string, did: string): Promise<string[]> {
  const out = await xrpc<{ cids: string[] }>(url, 'com.atproto.sync.listBlobs', { params: { did, limit: 1000 } });
  return out.cids.sort();
}

/** Everything "restored" means, checked from outside. */
async function expectRestored(net: TestNetwork, did: string, backupDir: string): Promise<void> {
  const plc = new PlcDirectoryClient({ http: coreConfig(net).http, plcUrl: net.plcUrl });
  const data = await plc.getData(did);
  expect(data.services['atproto_pds']?.endpoint).toBe(net.pds.b.url);
  const status = await xrpc<{ active: boolean }>(net.pds.b.url, 'com.atproto.sync.getRepoStatus', { params: { did } });
  expect(status.active).toBe(true);
  expect(await repoPaths(net.pds.b.url, did)).toEqual(await backupPaths(backupDir));
  const manifest = (await readManifest(backupDir))!;
  expect(await blobList(net.pds.b.url, did)).toEqual(manifest.blobs.items.map((b) => b.cid).sort());
}

describe.skipIf(!networkInfo)('restore onto a new PDS when the old one is gone', () => {
  let childJs: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'atcli-restore-'));
    childJs = join(scratch, 'restore-child.mjs');
    await bundleChild(join(here, 'fixtures', 'restore-child.ts'), childJs);
  }, 60_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('recreates the account from its backup with the user-held rotation key: DID on the new host, same records and blobs, active, can post', async () => {
    const net = await network();
    const oldPds = `gone${Math.random().toString(36).slice(2, 7)}`;
    const old = await net.startPds(oldPds);
    const cfg = coreConfig(net);
    const account = await accountOn(old.url, 'restore');
    await populate(account, { posts: 40, likes: 10, follows: 5, imagePosts: 6 });
    await xrpc(account.pdsUrl, 'app.bsky.actor.putPreferences', { accessJwt: account.accessJwt, body: { preferences: PREFERENCES } });
    // The user's rotation key, added at the top through the PDS.
    const rotation: PrivateKey = generatePrivateKey('k256');
    const plc = new PlcDirectoryClient({ http: cfg.http, plcUrl: net.plcUrl });
    const started = Date.now();
    const client = await sessionClient(cfg.http, account.pdsUrl, account.did, account.password);
    const waiting = await addRecoveryKey({ client, plc, key: rotation.publicKey.did(), askToken: async () => undefined, confirm: async () => true });
    expect(waiting.status).toBe('waiting-for-token');
    const added = await addRecoveryKey({ client, plc, key: rotation.publicKey.did(), token: await plcTokenFromMail(net, account.email, started), askToken: async () => undefined, confirm: async () => true });
    expect(added.status).toBe('added');
    const backupDir = join(scratch, 'main-backup');
    const backup = await runBackup({ ...cfg, id: account.did, dir: backupDir, session: client });
    expect(backup.status).toBe('complete');

    await net.stopPds(oldPds);
    await expect(fetch(`${account.pdsUrl}/xrpc/_health`)).rejects.toThrow();

    const journalPath = join(scratch, 'state', 'restore-main.json');
    const signingKeyFile = join(scratch, 'keys', 'signing.key');
    const common = {
      ...cfg,
      dev: true,
      backupDir,
      journalPath,
      to: net.pds.b.url,
      newEmail: `restored-${account.email}`,
      rotationKey: rotation,
      signingKey: { file: signingKeyFile },
      resume: false,
    };
    const confirmations: RestoreConfirmation[] = [];
    const callbacks = { newPassword: async () => NEW_PASSWORD, confirm: async (c: RestoreConfirmation) => (confirmations.push(c), true) };

    const dry = await restoreAccount({ ...common, dryRun: true, callbacks });
    expect(dry.status).toBe('dry-run');
    expect(dry.preflight?.ok, JSON.stringify(dry.preflight?.checks)).toBe(true);
    expect(dry.preflight?.identity?.yourKeyIndex).toBe(0);
    expect(dry.preflight?.takeOver?.changes.join('\n')).toMatch(/verification method "atproto" changed/);
    expect(dry.preflight?.takeOver?.changes.join('\n')).toContain(net.pds.b.url);
    expect(dry.preflight?.irreversible.map((s) => s.step)).toEqual(['submit-take-over', 'submit-hand-over']);
    expect(existsSync(signingKeyFile)).toBe(false);
    expect(existsSync(journalPath)).toBe(false);
    expect((await plc.getData(account.did)).services['atproto_pds']?.endpoint).toBe(account.pdsUrl);

    const restored: RestoreResult = await restoreAccount({ ...common, dryRun: false, callbacks });
    expect(restored.status).toBe('completed');
    expect(restored.plan.every((p) => p.status === 'done')).toBe(true);
    expect(confirmations.map((c) => c.step)).toEqual(['submit-take-over', 'submit-hand-over']);
    expect(statSync(signingKeyFile).mode & 0o777).toBe(0o600);
    expect(restored.signingKey).toMatchObject({ file: signingKeyFile, generated: true });
    expect(restored.report).toMatchObject({ active: true, records: { backup: 56, restored: 56, missing: 0 }, blobs: { backup: 7, restored: 7, missing: 0 }, preferences: { backup: 1, restored: 1 } });
    expect(restored.report?.identity.rotationKeys[0]).toBe(rotation.publicKey.did());
    await expectRestored(net, account.did, backupDir);

    // The account can post, signed with the new host's key.
    const session = await createSession(net.pds.b.url, account.did, NEW_PASSWORD);
    await xrpc(net.pds.b.url, 'com.atproto.repo.createRecord', {
      accessJwt: session.accessJwt,
      body: { repo: account.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'back on a new host', createdAt: new Date().toISOString() } },
    });
    const car = new Uint8Array(await (await fetch(`${net.pds.b.url}/xrpc/com.atproto.sync.getRepo?did=${account.did}`)).arrayBuffer());
    const newKey = (await plc.getData(account.did)).verificationMethods['atproto']!;
    const verified = await verifyRepoCar((async function* () { yield car; })(), { expectedDid: account.did, key: parseDidKey(newKey) });
    expect(verified.valid).toBe(true);
    expect(verified.records).toBe(57);
    expect((await openCarFile(join(backupDir, 'repo.car'))).header.roots[0]!.toString()).toBe(backup.repo.commit);
    expect(await preferencesOf(net.pds.b.url, session.accessJwt)).toEqual(PREFERENCES);

    // No secret anywhere it could leak: the result, the state file, the backup folder.
    const secrets = [rotation.multikey(), rotation.hex(), NEW_PASSWORD, account.password, readFileSync(signingKeyFile, 'utf8').trim()];
    const places = [JSON.stringify(dry), JSON.stringify(restored), readFileSync(journalPath, 'utf8'), ...allFiles(backupDir).map((f) => readFileSync(f).toString('latin1'))];
    for (const s of secrets) for (const p of places) expect(p.includes(s)).toBe(false);
    // Resuming a finished restore just reports it.
    expect((await restoreAccount({ ...common, dryRun: false, resume: true, callbacks })).status).toBe('completed');
  }, 300_000);

  it('killed (SIGKILL) right after each step and resumed, reaches the same end state each time', async () => {
    const net = await network();
    const oldPds = `gone${Math.random().toString(36).slice(2, 7)}`;
    const old = await net.startPds(oldPds);
    const cfg = coreConfig(net);
    const steps = RESTORE_STEPS.filter((s) => s !== 'report');
    const cases: Array<{ step: string; account: TestAccount; rotation: PrivateKey; dir: string }> = [];
    for (const [i, step] of steps.entries()) {
      const rotation = generatePrivateKey('k256');
      const account = await accountOn(old.url, `kill-${i}`, rotation.publicKey.did());
      await populate(account, { posts: 6, likes: 2, follows: 1, imagePosts: 2 });
      const dir = join(scratch, `kill-${i}`, 'backup');
      expect((await runBackup({ ...cfg, id: account.did, dir, session: await sessionClient(cfg.http, account.pdsUrl, account.did, account.password) })).status).toBe('complete');
      cases.push({ step, account, rotation, dir });
    }
    await net.stopPds(oldPds);

    const child = async (c: (typeof cases)[number], resume: boolean, killAfter?: string) => {
      const args = {
        backupDir: c.dir,
        journalPath: join(c.dir, '..', 'state', 'restore.json'),
        to: net.pds.b.url,
        newEmail: `restored-${c.account.email}`,
        plcUrl: net.plcUrl,
        dnsServer: net.dnsServer,
        signingKeyFile: join(c.dir, '..', 'keys', 'signing.key'),
        resume,
        ...(killAfter !== undefined ? { killAfter } : {}),
      };
      const env = { ...process.env, RESTORE_ROTATION_KEY: c.rotation.multikey(), RESTORE_PASSWORD: NEW_PASSWORD };
      try {
        const out = await run(process.execPath, [childJs, JSON.stringify(args)], { env, timeout: 180_000 });
        return { signal: null as string | null, out: JSON.parse(out.stdout) as RestoreResult & { error?: { code: string; message: string } } };
      } catch (err) {
        const e = err as { signal?: string; stdout?: string };
        return { signal: e.signal ?? null, out: null };
      }
    };

    for (const c of cases) {
      const killed = await child(c, false, c.step);
      expect(killed.signal, `${c.step}: ${JSON.stringify(killed.out)}`).toBe('SIGKILL');
      const resumed = await child(c, true);
      expect(resumed.out?.error, `${c.step}`).toBeUndefined();
      expect(resumed.out?.status, c.step).toBe('completed');
      expect(resumed.out?.report, c.step).toMatchObject({ active: true, records: { missing: 0 }, blobs: { backup: 3, restored: 3, missing: 0 } });
      await expectRestored(net, c.account.did, c.dir);
    }
  }, 900_000);
});

async function preferencesOf(url: string, accessJwt: string): Promise<unknown[]> {
  return (await xrpc<{ preferences: unknown[] }>(url, 'app.bsky.actor.getPreferences', { accessJwt })).preferences;
}
