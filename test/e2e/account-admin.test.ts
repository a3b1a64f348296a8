// account create / service-auth (PDS and offline) / activate / deactivate / status /
// missing-blobs / plc recommended|request-token|sign|submit against the real local network.
// In-process, except the migration that must be killed at a step (a process of its own).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createSession, uniqueHandle, xrpc, type TestNetwork } from '../network/client.js';
import { runCli, stderrJsonError, stdoutJson, tempDir, type CliResult } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount, populate, refuse, type TestAccount } from './helpers.js';
import { generatePrivateKey, type PrivateKey } from '../../src/core/crypto/index.js';
import { buildGenesis, buildUpdate, didForGenesis, operationCid, signOperation, type OperationData, type UnsignedOperation } from '../../src/core/plc/index.js';
import { verifyServiceAuth } from '../../src/core/account/service-auth.js';

async function plcPost(net: TestNetwork, did: string, op: unknown): Promise<void> {
  const res = await fetch(`${net.plcUrl}/${did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function plcData(net: TestNetwork, did: string): Promise<OperationData> {
  return (await (await fetch(`${net.plcUrl}/${did}/data`)).json()) as OperationData;
}

async function lastCid(net: TestNetwork, did: string): Promise<string> {
  const res = await fetch(`${net.plcUrl}/${did}/log/audit`);
  const log = (await res.json()) as Array<{ cid: string }>;
  return log[log.length - 1]!.cid;
}

describe.skipIf(!networkInfo)('atcli account administration against the local network', () => {
  let net: TestNetwork;
  let flags: string[];

  beforeAll(async () => {
    net = await network();
    flags = devFlags(net);
  });

  const run = async (args: string[], env: Record<string, string> = {}, configDir: string = tempDir('atcli-admin-')): Promise<CliResult> => {
    const r = await runIn([...flags, ...args], { env: { ...env, ATCLI_CONFIG_DIR: configDir } });
    return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr };
  };

  it('a self-managed identity: offline service-auth → create --existing-did (deactivated) → point the DID at the host → activate; status, deactivate, service-auth from the PDS', async () => {
    // A did:plc whose rotation and signing keys we hold, naming host B as its PDS.
    const rotation = generatePrivateKey('k256');
    const signing = generatePrivateKey('p256');
    const handle = uniqueHandle('offl');
    const genesis = signOperation(buildGenesis({ rotationKeys: [rotation.publicKey.did()], signingKey: signing.publicKey.did(), handle, pds: net.pds.b.url }), rotation);
    const did = didForGenesis(genesis);
    await plcPost(net, did, genesis);

    // A createAccount token signed offline with the signing key (ES256), then the account.
    const dir = tempDir('atcli-offline-');
    const keyFile = join(dir, 'signing.key');
    writeFileSync(keyFile, signing.multikey());
    const tok = await run(['account', 'service-auth', '--aud', net.pds.b.did, '--lxm', 'com.atproto.server.createAccount', '--key-file', keyFile, '--iss', did, '--json']);
    expect(tok.code, tok.stderr).toBe(0);
    const token = stdoutJson<{ token: string }>(tok).token;
    verifyServiceAuth(token, signing.publicKey, { aud: net.pds.b.did, lxm: 'com.atproto.server.createAccount' });
    const password = 'offline-account-pw-1';
    const created = await run(['account', 'create', '--pds', net.pds.b.url, '--handle', handle, '--email', `${handle}@mail.test`, '--existing-did', did, '--service-auth', token, '--json'], { ATCLI_NEW_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    expect(stdoutJson(created)).toMatchObject({ did, handle, pds: net.pds.b.url, deactivated: true });
    expect(created.stdout + created.stderr).not.toContain(password);

    const envLogin = { ATCLI_IDENTIFIER: did, ATCLI_PASSWORD: password, ATCLI_PDS_URL: net.pds.b.url };
    const st1 = await run(['account', 'status', '--json'], envLogin);
    expect(st1.code, st1.stderr).toBe(0);
    expect(stdoutJson(st1)).toMatchObject({ did, active: false, validDid: false, indexedRecords: 0 });

    // Activation needs the DID document to name the host's signing key and rotation key: it refuses first.
    const early = await run(['account', 'activate', '--json'], envLogin);
    expect(early.code).not.toBe(0);
    const rec = await run(['account', 'plc', 'recommended', '--json'], envLogin);
    expect(rec.code, rec.stderr).toBe(0);
    const recommended = JSON.parse(rec.stdout) as { verificationMethods: { atproto: string }; services: { atproto_pds: { endpoint: string } }; rotationKeys: string[] };
    expect(recommended.services.atproto_pds.endpoint).toBe(net.pds.b.url);
    const update = signOperation(buildUpdate(await plcData(net, did), { prev: operationCid(genesis), signingKey: recommended.verificationMethods.atproto, addRotationKeys: recommended.rotationKeys }), rotation);
    await plcPost(net, did, update);
    const act = await run(['account', 'activate', '--json'], envLogin);
    expect(act.code, act.stderr).toBe(0);
    expect(stdoutJson(act)).toMatchObject({ did, activated: true, validDid: true });
    const pub = await run([...refuse(handle), 'account', 'status', did, '--json']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(stdoutJson(pub)).toMatchObject({ did, pds: net.pds.b.url, active: true });

    // A token from the PDS is signed with the key now in the DID document.
    const fromPds = await run(['account', 'service-auth', '--aud', net.pds.a.did, '--lxm', 'com.atproto.repo.uploadBlob', '--exp', '600', '--json'], envLogin);
    expect(fromPds.code, fromPds.stderr).toBe(0);
    const t = stdoutJson<{ token: string; iss: string; offline: boolean }>(fromPds);
    expect(t).toMatchObject({ iss: did, offline: false });
    verifyServiceAuth(t.token, recommended.verificationMethods.atproto, { aud: net.pds.a.did, lxm: 'com.atproto.repo.uploadBlob' });

    // deactivate: a moderate confirmation (required without a terminal), then status says so; activate undoes it.
    const noYes = await run(['account', 'deactivate', '--json'], envLogin);
    expect(noYes.code).toBe(2);
    expect(stderrJsonError(noYes)).toMatchObject({ code: 'ConfirmationRequired', hint: expect.stringContaining('--yes') });
    const dry = await run(['account', 'deactivate', '--dry-run', '--json'], envLogin);
    expect(stdoutJson(dry)).toMatchObject({ dryRun: true, deactivated: false });
    expect(await xrpc(net.pds.b.url, 'com.atproto.sync.getRepoStatus', { params: { did } })).toMatchObject({ active: true });
    const off = await run(['account', 'deactivate', '--yes', '--json'], envLogin);
    expect(off.code, off.stderr).toBe(0);
    expect(stdoutJson(off)).toMatchObject({ did, deactivated: true });
    const st2 = await run([...refuse(handle), 'account', 'status', did, '--json']);
    expect(stdoutJson(st2)).toMatchObject({ active: false, status: 'deactivated' });
    const on = await run(['account', 'activate', '--json'], envLogin);
    expect(stdoutJson(on)).toMatchObject({ activated: true });
    const human = await run(['account', 'status'], envLogin);
    expect(human.stdout).toMatch(/status\s+active/);
    expect(human.stdout).toMatch(/DID document\s+points here/);
  });

  it('create makes a new account (password from ATCLI_NEW_PASSWORD, never echoed); missing-blobs is empty for it; status of an unknown DID exits 4', async () => {
    const handle = uniqueHandle('made');
    const password = 'made-account-pw-1';
    const r = await run(['account', 'create', '--pds', net.pds.a.url, '--handle', handle, '--email', `${handle}@mail.test`, '--json'], { ATCLI_NEW_PASSWORD: password });
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<{ did: string; handle: string; deactivated: boolean }>(r);
    expect(out).toMatchObject({ handle, deactivated: false });
    expect(r.stdout + r.stderr).not.toContain(password);
    const s = await createSession(net.pds.a.url, out.did, password);
    expect(s.did).toBe(out.did);
    const env = { ATCLI_IDENTIFIER: out.did, ATCLI_PASSWORD: password, ATCLI_PDS_URL: net.pds.a.url };
    const mb = await run(['account', 'missing-blobs', '--json'], env);
    expect(mb.code, mb.stderr).toBe(0);
    expect(mb.stdout).toBe('');
    const taken = await run(['account', 'create', '--pds', net.pds.a.url, '--handle', handle, '--email', `other-${handle}@mail.test`, '--json'], { ATCLI_NEW_PASSWORD: password });
    expect(taken.code).toBe(2);
    expect(stderrJsonError(taken).code).toBe('HandleUnavailable');
    const unknown = await run(['account', 'status', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', '--json']);
    expect(unknown.code).toBe(4);
  });

  it('missing-blobs lists what an imported repo references but the host lacks (NDJSON and text)', async () => {
    const account = await newAccount(net, 'mb');
    await populate(account, { posts: 4, likes: 1, follows: 1, imagePosts: 2 });
    const configDir = tempDir('atcli-mb-');
    const login = await run(['account', 'login', '-u', account.did, '--pds', account.pdsUrl], { ATCLI_PASSWORD: account.password }, configDir);
    expect(login.code, login.stderr).toBe(0);
    const state = join(configDir, 'migrate.json');
    const killed = await runCli([...flags, 'account', 'migrate', '--to', net.pds.b.url, '--state-file', state, '--yes'], {
      configDir,
      env: { ATCLI_NEW_PASSWORD: 'mb-new-pw-123', HOOK_KILL_AFTER_STEP: 'import-repo' },
      entry: fileURLToPath(new URL('../support/atcli-hooked.mjs', import.meta.url)),
      timeoutMs: 60_000,
    });
    expect(killed.signal).toBe('SIGKILL');
    const env = { ATCLI_IDENTIFIER: account.did, ATCLI_PASSWORD: 'mb-new-pw-123', ATCLI_PDS_URL: net.pds.b.url };
    const nd = await run(['account', 'missing-blobs', '--json'], env);
    expect(nd.code, nd.stderr).toBe(0);
    const rows = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as { cid: string; recordUri: string });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.cid).toMatch(/^bafkrei/);
      expect(row.recordUri).toMatch(new RegExp(`^at://${account.did}/`));
    }
    const text = await run(['account', 'missing-blobs'], env);
    expect(text.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(rows.map((r) => r.cid));
    expect(text.stderr).toContain('3 missing blob references');
    // Finish the migration so nothing is left half-done: the blobs are then no longer missing.
    const done = await run(['account', 'migrate', '--resume', '--state-file', state, '--plc-token', 'unused-placeholder', '--yes', '--json'], { ATCLI_NEW_PASSWORD: 'mb-new-pw-123' }, configDir);
    // The token given up front was not e-mailed to us: signing refuses it and a fresh one is requested;
    // without a terminal the run stops for it (exit 2).
    expect(done.code, done.stderr).toBe(2);
    expect(stdoutJson(done)).toMatchObject({ status: 'waiting-for-plc-token' });
    const mails = (await net.mail(account.email)).filter((m) => m.template === 'plcOperation');
    const fin = await run(['account', 'migrate', '--resume', '--state-file', state, '--plc-token', mails[mails.length - 1]!.token!, '--yes', '--json'], { ATCLI_NEW_PASSWORD: 'mb-new-pw-123' }, configDir);
    expect(fin.code, fin.stderr).toBe(0);
    expect(stdoutJson(fin)).toMatchObject({ status: 'completed' });
    const after = await run(['account', 'missing-blobs', '--json'], env);
    expect(after.stdout).toBe('');
  });

  it('plc request-token/sign/submit: a PDS-signed update lands; a tampered one or a bad token is refused before anything is sent', async () => {
    const account: TestAccount = await newAccount(net, 'plcops');
    const configDir = tempDir('atcli-plcops-');
    const login = await run(['account', 'login', '-u', account.did, '--pds', account.pdsUrl], { ATCLI_PASSWORD: account.password }, configDir);
    expect(login.code, login.stderr).toBe(0);
    const dir = tempDir('atcli-plcops-files-');
    const before = await plcData(net, account.did);
    const mine: PrivateKey = generatePrivateKey('p256');
    const opFile = join(dir, 'op.json');
    writeFileSync(opFile, JSON.stringify({ rotationKeys: [mine.publicKey.did(), ...before.rotationKeys] }));

    const badToken = await run(['account', 'plc', 'sign', opFile, '--token', 'AAAAA-BBBBB', '--json'], {}, configDir);
    expect(badToken.code).toBe(3);
    expect(stderrJsonError(badToken)).toMatchObject({ code: 'PlcTokenRejected', hint: expect.stringContaining('atcli account plc request-token') });

    const req = await run(['account', 'plc', 'request-token', '--json'], {}, configDir);
    expect(req.code, req.stderr).toBe(0);
    const mails = (await net.mail(account.email)).filter((m) => m.template === 'plcOperation');
    const token = mails[mails.length - 1]!.token!;
    const signed = await run(['account', 'plc', 'sign', opFile, '--token', token], {}, configDir);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain('rotation key added at #0');
    const signedFile = join(dir, 'signed.json');
    writeFileSync(signedFile, signed.stdout);
    const headBefore = await lastCid(net, account.did);

    // The signed operation comes in an operation file that names its DID.
    const file = JSON.parse(readFileSync(signedFile, 'utf8')) as { did: string; operation: UnsignedOperation & { services: Record<string, { type: string; endpoint: string }> } };
    expect(file.did).toBe(account.did);
    const op = file.operation;
    // Tampered after signing: the signature no longer verifies; nothing is sent.
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...op, services: { ...op.services, evil: { type: 'Evil', endpoint: 'https://evil.example' } } }));
    const refused = await run(['account', 'plc', 'submit', tampered, '--yes', '--json'], {}, configDir);
    expect(refused.code).toBe(3);
    expect(stderrJsonError(refused).message).toMatch(/signature does not verify/);
    expect(await lastCid(net, account.did)).toBe(headBefore);

    const dry = await run(['account', 'plc', 'submit', signedFile, '--dry-run', '--json'], {}, configDir);
    expect(stdoutJson(dry)).toMatchObject({ dryRun: true, submitted: false });
    expect(await lastCid(net, account.did)).toBe(headBefore);
    const noYes = await run(['account', 'plc', 'submit', signedFile, '--json'], {}, configDir);
    expect(noYes.code).toBe(2);
    const ok = await run(['account', 'plc', 'submit', signedFile, '--yes', '--json'], {}, configDir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(stdoutJson(ok)).toMatchObject({ did: account.did, submitted: true });
    expect((await plcData(net, account.did)).rotationKeys[0]).toBe(mine.publicKey.did());
    // Submitting it again is a no-op; an operation signed on an old head is stale.
    const again = await run(['account', 'plc', 'submit', signedFile, '--yes', '--json'], {}, configDir);
    expect(stdoutJson(again)).toMatchObject({ submitted: false, alreadyApplied: true });
    const staleOp = signOperation({ ...(op as object), prev: headBefore } as UnsignedOperation, mine);
    const staleFile = join(dir, 'stale.json');
    writeFileSync(staleFile, JSON.stringify(staleOp));
    const stale = await run(['account', 'plc', 'submit', staleFile, '--yes', '--json'], {}, configDir);
    expect(stale.code).toBe(3);
    expect(stderrJsonError(stale)).toMatchObject({ code: 'StalePrev', hint: expect.stringContaining('atcli account plc sign') });
  });
});
