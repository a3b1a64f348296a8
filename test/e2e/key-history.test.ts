// Repository verification judged by the key in force over time, on the real local network: an
// account migrates from PDS a to PDS b (its signing key changes with the host, through a real PLC
// operation), and a CAR exported before the migration is then a historical snapshot: valid with a
// warning, invalid when only the current key is accepted. A commit by a key never in force is
// invalid; did:web, which keeps no history, says so; an unreachable directory is "could not check".
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecord, type TestNetwork } from '../network/client.js';
import { network, networkInfo, newAccount, type TestAccount } from './helpers.js';
import { Cid, decodeCbor, encodeCar, readCarBytes, type CborMap } from '../../src/core/codec/index.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';
import { resolverKeySource } from '../../src/core/identity/signing-keys.js';
import { migrateAccount } from '../../src/core/account/migrate.js';
import { SessionAuth, XrpcClient, login } from '../../src/core/xrpc/index.js';
import { verifyRepoCar } from '../../src/core/repo/verify.js';
import { buildRepo, chunks, signCommit } from '../core/repo/repo-builder.js';
import { runIn } from '../support/test-io.js';

const NEW_PASSWORD = 'history-new-host-pw-0123';

async function getRepo(pdsUrl: string, did: string): Promise<Uint8Array> {
  const res = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getRepo?did=${did}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

async function plcToken(net: TestNetwork, email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const mail = (await net.mail(email)).filter((m) => m.template === 'plcOperation' && m.token);
    const last = mail[mail.length - 1];
    if (last?.token) return last.token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no PLC token mail for ${email}`);
}

/** The same repository with its commit re-signed by `key` (every other block unchanged). */
function resigned(car: Uint8Array, key: ReturnType<typeof generatePrivateKey>): Uint8Array {
  const reader = readCarBytes(car);
  const root = reader.header.roots[0] as Cid;
  const blocks = reader.toArray().map((b) => ({ cid: b.cid, bytes: b.bytes.slice() }));
  const commit = blocks.find((b) => b.cid.equals(root))!;
  const forged = signCommit(decodeCbor(commit.bytes) as CborMap, key);
  return encodeCar([forged.cid], [forged, ...blocks.filter((b) => b !== commit)]);
}

describe.skipIf(!networkInfo)('repo verify across a signing-key change (real PLC directory, two PDS hosts)', () => {
  let net: TestNetwork;
  let account: TestAccount;
  let http: HttpConfig;
  let identity: IdentityConfig;
  let before: Uint8Array;
  let keyBefore: string;
  let keyAfter: string;

  beforeAll(async () => {
    net = await network();
    http = { timeoutMs: 30_000, userAgent: 'atcli-test', allowPrivateNetwork: true, connectTo: [] };
    identity = { http, plcUrl: net.plcUrl, dev: true, dnsServers: [net.dnsServer] };
    account = await newAccount(net, 'hist', 'a');
    for (let i = 0; i < 3; i++) await createRecord(account.pdsUrl, account.accessJwt, account.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: `before ${i}`, createdAt: new Date().toISOString() });
    before = await getRepo(account.pdsUrl, account.did);
    keyBefore = (await resolverKeySource(identity).currentKey(account.did)) as string;

    const session = await login(account.pdsUrl, account.did, account.password, { http });
    const oldAuth = SessionAuth.inMemory(session);
    const outcome = await migrateAccount({
      http,
      identity,
      dev: true,
      journalPath: join(mkdtempSync(join(tmpdir(), 'atcli-history-')), 'migrate.json'),
      oldClient: new XrpcClient({ service: account.pdsUrl, http, auth: oldAuth }),
      oldAuth,
      to: net.pds.b.url,
      dryRun: false,
      resume: false,
      callbacks: {
        newPassword: async () => NEW_PASSWORD,
        plcToken: () => plcToken(net, account.email),
        confirmIdentity: async () => true,
      },
    });
    expect(outcome.result.status).toBe('completed');
    keyAfter = (await resolverKeySource(identity).currentKey(account.did)) as string;
  }, 240_000);

  it('the migration changed the signing key', () => {
    expect(keyBefore).toMatch(/^did:key:z/);
    expect(keyAfter).toMatch(/^did:key:z/);
    expect(keyAfter).not.toBe(keyBefore);
  });

  it('the CAR exported before the migration is historical: valid, with the key and its window', async () => {
    const report = await verifyRepoCar(chunks(before), { signingKeys: resolverKeySource(identity), expectedDid: account.did });
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ status: 'valid', valid: true, reason: null, signingKey: keyBefore });
    expect(report.signature).toMatchObject({ status: 'historical', key: keyBefore, currentKey: keyAfter, keysChecked: 'history' });
    const windows = report.signature!.windows;
    expect(windows.length).toBeGreaterThanOrEqual(1);
    const last = windows[windows.length - 1]!;
    expect(last.until).not.toBeNull();
    expect(Date.parse(last.until!)).toBeGreaterThan(Date.parse(last.from));
    expect(last.nullified).toBe(false);
    expect(report.checks.find((c) => c.name === 'signature')).toMatchObject({ status: 'warning' });
    expect(report.warnings.join('\n')).toContain(keyBefore);
  });

  it('atcli repo verify of that CAR: exit 0 with a historical-snapshot warning; --current-key-only exits 3', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'atcli-history-car-')), 'before.car');
    writeFileSync(file, before);
    const flags = ['--dev', '--plc', net.plcUrl, '--dns-server', net.dnsServer];
    const r = await runIn([...flags, 'repo', 'verify', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^! signature /m);
    expect(r.stdout).toContain(`repository of ${account.did} is valid`);
    expect(r.stderr).toContain('warning: historical snapshot: ');
    expect(r.stderr).toContain(keyBefore);
    expect(r.stderr).toContain('hint: --current-key-only refuses');
    const json = await runIn([...flags, 'repo', 'verify', file, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'valid', signature: { status: 'historical', key: keyBefore, currentKey: keyAfter } });
    const strict = await runIn([...flags, 'repo', 'verify', file, '--current-key-only', '--json']);
    expect(strict.code).toBe(3);
    expect(JSON.parse(strict.stdout)).toMatchObject({ status: 'invalid', signature: { status: 'invalid', key: keyBefore } });
  });

  it('with currentKeyOnly the same CAR is invalid', async () => {
    const report = await verifyRepoCar(chunks(before), { signingKeys: resolverKeySource(identity), currentKeyOnly: true });
    expect(report.status).toBe('invalid');
    expect(report.signature).toMatchObject({ status: 'invalid', key: keyBefore, currentKey: keyAfter });
  });

  it('after a write on the new host, its repository is signed by the current key: valid', async () => {
    const session = await login(net.pds.b.url, account.did, NEW_PASSWORD, { http });
    await createRecord(net.pds.b.url, session.accessJwt, account.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'after', createdAt: new Date().toISOString() });
    const report = await verifyRepoCar(chunks(await getRepo(net.pds.b.url, account.did)), { signingKeys: resolverKeySource(identity), expectedDid: account.did });
    expect(report.status).toBe('valid');
    expect(report.signature).toMatchObject({ status: 'valid', key: keyAfter, keysChecked: 'current' });
  });

  it('a commit signed by a key never in force for the DID is invalid', async () => {
    const forged = resigned(before, generatePrivateKey('k256'));
    const report = await verifyRepoCar(chunks(forged), { signingKeys: resolverKeySource(identity) });
    expect(report.status).toBe('invalid');
    expect(report.signature?.status).toBe('invalid');
    expect(report.signature?.detail).toMatch(/not signed by any key that was ever the signing key/);
  });

  it('with the PLC directory unreachable the verdict is "could not check", every other check still ok', async () => {
    const report = await verifyRepoCar(chunks(before), { signingKeys: resolverKeySource({ ...identity, plcUrl: 'http://127.0.0.1:1' }) });
    expect(report.status).toBe('unchecked');
    expect(report.checks.filter((c) => c.name !== 'signature').every((c) => c.status === 'ok')).toBe(true);
    expect(report.reason).toContain(account.did);
  });

  it('did:web keeps no history: the document key is valid, any other key is invalid and says why', async () => {
    const did = net.didWeb.did;
    const key = generatePrivateKey('k256');
    await net.setDidWeb({
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did,
      verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: key.publicKey.multikey() }],
    });
    const good = buildRepo({ did, key });
    expect((await verifyRepoCar(chunks(good.car), { signingKeys: resolverKeySource(identity) })).signature).toMatchObject({ status: 'valid', key: key.publicKey.did() });
    const other = buildRepo({ did, key: generatePrivateKey('k256') });
    const report = await verifyRepoCar(chunks(other.car), { signingKeys: resolverKeySource(identity) });
    expect(report.status).toBe('invalid');
    expect(report.signature?.detail).toContain('did:web keeps no key history');
  });
});
