// `doctor` through its core function against the real local network: the reference PDS, PLC
// directory, DNS server, the reference AppView (@atproto/bsky on PostgreSQL, started on demand)
// and the loopback relay. A healthy account passes every check; each broken link is named by
// exactly the check that covers it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecord, uniqueHandle, xrpc, type TestNetwork } from '../network/client.js';
import { startLoopbackRelay, type LoopbackRelay } from '../network/loopback-relay.js';
import { coreConfig, network, networkInfo, newAccount, visibleAccount, type TestAccount } from './helpers.js';
import { runDoctor, type DoctorReport } from '../../src/core/doctor/index.js';
import { requestCrawl } from '../../src/core/relay/index.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { buildUpdate, signOperation, type OperationData } from '../../src/core/plc/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';

/** ATCLI_TEST_NO_APPVIEW=1: no PostgreSQL here; the AppView check is then left out (skipped). */
const withAppView = process.env['ATCLI_TEST_NO_APPVIEW'] !== '1';

/** name → status of every check */
function statuses(r: DoctorReport): Record<string, string> {
  return Object.fromEntries(r.checks.map((c) => [c.name.startsWith('relay:') ? 'relay' : c.name, c.status]));
}

function failed(r: DoctorReport): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => (c.name.startsWith('relay:') ? 'relay' : c.name));
}

describe.skipIf(!networkInfo)('doctor (core, real network with the reference AppView)', () => {
  let net: TestNetwork;
  let http: HttpConfig;
  let identity: IdentityConfig;
  let appview: { url: string; did: string } | null = null;
  let relay: LoopbackRelay;

  /** An account on PDS a with a profile the AppView has indexed. */
  const visible = (prefix: string): Promise<TestAccount> => visibleAccount(net, prefix, { appview, relay });

  const doctor = (target: string, extra: { relays?: string[]; appview?: string | null } = {}): Promise<DoctorReport> =>
    runDoctor({ identity, target, relays: extra.relays ?? [relay.url], appview: extra.appview === undefined ? (appview?.url ?? null) : extra.appview, relayGraceMs: 500 });

  beforeAll(async () => {
    net = await network();
    // Handles under PDS a's domains are answered by its /.well-known/atproto-did.
    ({ http, identity } = coreConfig(net, [`:80:127.0.0.1:${net.pds.a.port}`]));
    if (withAppView) appview = await net.startAppView();
    relay = await startLoopbackRelay();
    await requestCrawl(http, relay.url, net.pds.a.url);
  }, 180_000);

  afterAll(async () => {
    await relay?.close();
  });

  it('a healthy account passes every check, asked by handle or by DID', async () => {
    const acct = await visible('drok');
    const byHandle = await doctor(acct.handle);
    expect(byHandle, JSON.stringify(byHandle.checks, null, 1)).toMatchObject({ target: acct.handle, did: acct.did, handle: acct.handle, pds: net.pds.a.url, verdict: 'ok' });
    expect(statuses(byHandle)).toEqual({
      'handle-dns': 'skipped',
      'handle-https': 'ok',
      'did-document': 'ok',
      'handle-listed': 'ok',
      'pds-reachable': 'ok',
      'account-active': 'ok',
      'repo-head': 'ok',
      relay: 'ok',
      appview: withAppView ? 'ok' : 'skipped',
      'plc-log': 'ok',
    });
    expect(byHandle.checks.map((c) => c.name)).toContain(`relay:${new URL(relay.url).host}`);
    const byDid = await doctor(acct.did);
    expect(byDid.verdict).toBe('ok');
    expect(byDid.handle).toBe(acct.handle);

    // An AppView that does not answer: the check could not run, nothing failed.
    const noAppview = await doctor(acct.did, { appview: 'http://127.0.0.1:1' });
    expect(noAppview.verdict).toBe('unchecked');
    expect(noAppview.checks.filter((c) => c.status !== 'ok' && c.status !== 'skipped').map((c) => [c.name, c.status])).toEqual([['appview', 'unchecked']]);
  });

  it('a DNS record pointing at another DID: exactly handle-dns fails, asked by handle or by DID', async () => {
    const acct = await visible('drdns');
    const other = await newAccount(net, 'drother', 'b');
    await net.setTxt(`_atproto.${acct.handle}`, [[`did=${other.did}`]]);
    try {
      for (const target of [acct.did, acct.handle]) {
        const r = await doctor(target);
        expect(r.did, target).toBe(acct.did);
        expect(r.verdict).toBe('fail');
        expect(failed(r), JSON.stringify(r.checks, null, 1)).toEqual(['handle-dns']);
        const check = r.checks.find((c) => c.name === 'handle-dns')!;
        expect(check.detail).toContain(other.did);
        expect(check.hint).toContain(`did=${acct.did}`);
        expect(statuses(r)['handle-https']).toBe('ok');
      }
    } finally {
      await net.setTxt(`_atproto.${acct.handle}`, []);
    }
  });

  it('a DID document naming a PDS that does not answer: exactly pds-reachable fails', async () => {
    // An account whose first rotation key we hold, so that its DID document can be changed here.
    const recovery = generatePrivateKey('k256');
    const handle = uniqueHandle('drgone');
    const created = await xrpc<{ did: string; accessJwt: string }>(net.pds.a.url, 'com.atproto.server.createAccount', {
      body: { handle, email: `${handle}@mail.test`, password: 'drgone-pw-1', recoveryKey: recovery.publicKey.did() },
    });
    const log = (await (await fetch(`${net.plcUrl}/${created.did}/log/audit`)).json()) as Array<{ cid: string }>;
    const data = (await (await fetch(`${net.plcUrl}/${created.did}/data`)).json()) as OperationData;
    expect(data.rotationKeys[0]).toBe(recovery.publicKey.did());
    const op = signOperation(buildUpdate(data, { prev: log.at(-1)!.cid, pds: 'http://localhost:1' }), recovery);
    const posted = await fetch(`${net.plcUrl}/${created.did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) });
    expect(posted.status, await posted.clone().text()).toBe(200);

    const r = await doctor(handle);
    expect(r.pds).toBe('http://localhost:1');
    expect(failed(r), JSON.stringify(r.checks, null, 1)).toEqual(['pds-reachable']);
    expect(statuses(r)).toMatchObject({ 'did-document': 'ok', 'handle-listed': 'ok', 'account-active': 'skipped', 'repo-head': 'skipped', relay: 'skipped', appview: 'skipped', 'plc-log': 'ok' });
  });

  it('a deactivated account: exactly account-active fails (a relay that agrees passes)', async () => {
    const acct = await visible('droff');
    await xrpc(acct.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: acct.accessJwt, body: {} });
    await relay.crawl();
    const r = await doctor(acct.did);
    expect(failed(r), JSON.stringify(r.checks, null, 1)).toEqual(['account-active']);
    // Its PDS no longer answers for the handle; that follows from the deactivation and is not a second fault.
    expect(statuses(r)).toMatchObject({ 'handle-dns': 'skipped', 'handle-https': 'skipped', 'handle-listed': 'ok' });
    const check = r.checks.find((c) => c.name === 'account-active')!;
    expect(check.detail).toContain('deactivated');
    expect(check.hint).toContain('com.atproto.server.activateAccount');
    expect(statuses(r)).toMatchObject({ 'repo-head': 'skipped', relay: 'ok', appview: 'skipped' });
  });

  it('a relay that lags: exactly its relay check fails', async () => {
    const acct = await visible('drlag');
    relay.hold(acct.did);
    await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'the relay misses this', createdAt: new Date().toISOString() });
    await relay.crawl();
    const r = await doctor(acct.did);
    expect(failed(r), JSON.stringify(r.checks, null, 1)).toEqual(['relay']);
    const check = r.checks.find((c) => c.name.startsWith('relay:'))!;
    expect(check.detail).toMatch(/the relay is at rev \S+, the PDS at \S+/);
    expect(check.hint).toContain('com.atproto.sync.requestCrawl');
    // A second relay that is in step passes beside it.
    const fresh = await startLoopbackRelay();
    try {
      await requestCrawl(http, fresh.url, net.pds.a.url);
      const two = await doctor(acct.did, { relays: [relay.url, fresh.url] });
      expect(two.checks.filter((c) => c.name.startsWith('relay:')).map((c) => c.status)).toEqual(['fail', 'ok']);
    } finally {
      await fresh.close();
      relay.release(acct.did);
    }
  });
});
