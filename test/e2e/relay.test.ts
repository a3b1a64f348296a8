// Relay operation through the core functions: account listing and status against a real PDS
// (it serves listRepos and getRepoStatus like a relay), host commands and request-crawl against
// the loopback relay (built from the lexicons, fed from a real PDS), and per-account diffs that
// find accounts deliberately made to differ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createRecord, uniqueHandle, xrpc, type PdsInfo, type TestNetwork } from '../network/client.js';
import { startLoopbackRelay, type LoopbackRelay } from '../network/loopback-relay.js';
import { coreConfig, network, networkInfo } from './helpers.js';
import {
  countRelayRepos,
  diffAccounts,
  hostStatus,
  listHosts,
  listRelayRepos,
  relayAccountStatus,
  relayClient,
  requestCrawl,
  type AccountDifference,
} from '../../src/core/relay/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

interface Acct {
  did: string;
  handle: string;
  accessJwt: string;
}

describe.skipIf(!networkInfo)('relay operation (core; real PDS and the loopback relay)', () => {
  let net: TestNetwork;
  let http: HttpConfig;
  let identity: IdentityConfig;
  // A PDS of this file's own, so no other test's accounts or writes change what the relays see.
  let pds: PdsInfo;
  let relayA: LoopbackRelay;
  let relayB: LoopbackRelay;
  const accounts: Acct[] = [];

  const post = async (a: Acct, text: string): Promise<void> => {
    await createRecord(pds.url, a.accessJwt, a.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() });
  };

  beforeAll(async () => {
    net = await network();
    pds = await net.startPds('relay');
    // This PDS answers the well-known of its handles (the .test names have no address of their own).
    ({ http, identity } = coreConfig(net, [`:80:127.0.0.1:${pds.port}`]));
    for (let i = 0; i < 5; i++) {
      const handle = uniqueHandle(`rl${i}`);
      const s = await createAccount(pds.url, { handle, email: `${handle}@mail.test`, password: `pw-${handle}` });
      accounts.push({ did: s.did, handle: s.handle, accessJwt: s.accessJwt });
      await post(accounts[i]!, `hello ${i}`);
    }
    relayA = await startLoopbackRelay();
    relayB = await startLoopbackRelay();
  });

  afterAll(async () => {
    await relayA?.close();
    await relayB?.close();
  });

  it('relay account listing and status against a PDS (which serves listRepos and getRepoStatus)', async () => {
    const client = relayClient(http, pds.url);
    const listed = await collect(listRelayRepos(client, { pageSize: 2 }));
    expect(listed.map((r) => r.did).sort()).toEqual(accounts.map((a) => a.did).sort());
    expect(await countRelayRepos(client)).toMatchObject({ total: 5, active: 5 });
    const a0 = accounts[0]!;
    const head = await xrpc<{ rev: string }>(pds.url, 'com.atproto.sync.getLatestCommit', { params: { did: a0.did } });
    const status = await relayAccountStatus({ http, identity, relay: pds.url, id: a0.did });
    expect(status).toMatchObject({ did: a0.did, relay: { repo: { active: true, rev: head.rev } }, pds: { url: pds.url, repo: { active: true, rev: head.rev } }, agreement: 'in-sync' });
  });

  it('request-crawl checks the PDS first, then the loopback relay follows it; hosts and host status', async () => {
    await expect(requestCrawl(http, relayA.url, 'http://127.0.0.1:1')).rejects.toMatchObject({ code: 'PdsNotAnswering', kind: 'runtime' });
    expect(relayA.crawlRequests).toEqual([]);

    // The wss:// form names the same relay.
    const crawl = await requestCrawl(http, relayA.url.replace(/^http:/, 'ws:'), pds.url);
    expect(crawl).toMatchObject({ relay: relayA.url, hostname: `localhost:${pds.port}`, pds: { url: pds.url, did: pds.did } });
    expect(relayA.crawlRequests).toEqual([`localhost:${pds.port}`]);
    await requestCrawl(http, relayB.url, pds.url);

    const hosts = await collect(listHosts(relayClient(http, relayA.url)));
    expect(hosts).toEqual([{ hostname: `localhost:${pds.port}`, seq: expect.any(Number), status: 'active', accountCount: 5 }]);
    expect(await hostStatus(relayClient(http, `ws://127.0.0.1:${new URL(relayA.url).port}`), `localhost:${pds.port}`)).toMatchObject({ hostname: `localhost:${pds.port}`, status: 'active', accountCount: 5 });
    await expect(hostStatus(relayClient(http, relayA.url), 'nowhere.example')).rejects.toMatchObject({ code: 'RelayHostUnknown', kind: 'notFound' });
    relayA.setHost(`localhost:${pds.port}`, { status: 'throttled' });
    expect((await hostStatus(relayClient(http, relayA.url), `localhost:${pds.port}`)).status).toBe('throttled');
    relayA.setHost(`localhost:${pds.port}`, { status: 'active' });
  });

  it("relay account status compares the relay's view with the PDS's: in sync, behind, status differs, missing", async () => {
    const a1 = accounts[1]!;
    await relayA.crawl();
    expect((await relayAccountStatus({ http, identity, relay: relayA.url, id: a1.did })).agreement).toBe('in-sync');
    relayA.hold(a1.did);
    await post(a1, 'the relay will not see this');
    await relayA.crawl();
    const behind = await relayAccountStatus({ http, identity, relay: relayA.url, id: a1.handle });
    expect(behind.agreement).toBe('behind');
    expect(behind.relay.repo!.rev! < behind.pds.repo!.rev!).toBe(true);
    relayA.set(a1.did, { active: false, status: 'takendown' });
    expect((await relayAccountStatus({ http, identity, relay: relayA.url, id: a1.did })).agreement).toBe('status-differs');
    relayA.forget(a1.did);
    expect(await relayAccountStatus({ http, identity, relay: relayA.url, id: a1.did })).toMatchObject({ relay: { repo: null }, agreement: 'missing' });
    relayA.release(a1.did);
    await relayA.crawl();
    expect((await relayAccountStatus({ http, identity, relay: relayA.url, id: a1.did })).agreement).toBe('in-sync');
  });

  it('relay diff finds exactly the accounts made to differ (two relays, any window size; relay against its PDS)', async () => {
    const [, , lagging, missing, offline] = accounts as [Acct, Acct, Acct, Acct, Acct];
    await relayA.crawl();
    await relayB.crawl();
    expect(await collect(diffAccounts(relayClient(http, relayA.url), relayClient(http, relayB.url)))).toEqual([]);

    relayB.hold(lagging.did);
    await post(lagging, 'only relay A sees this');
    relayB.forget(missing.did);
    relayB.set(offline.did, { active: false, status: 'deactivated' });
    await relayA.crawl();
    await relayB.crawl();

    const expected = (rows: AccountDifference[]): Array<[string, string]> => rows.map((r) => [r.did, r.difference] as [string, string]).sort();
    const want: Array<[string, string]> = [
      [lagging.did, 'rev'],
      [missing.did, 'only-in-a'],
      [offline.did, 'status'],
    ].sort() as Array<[string, string]>;
    for (const window of [50_000, 2, 1]) {
      const diff = diffAccounts(relayClient(http, relayA.url), relayClient(http, `ws://127.0.0.1:${new URL(relayB.url).port}`), { window, pageSize: 2 });
      const rows = await collect(diff);
      expect(expected(rows), `window ${window}`).toEqual(want);
      expect(rows.find((r) => r.did === lagging.did)).toMatchObject({ newer: 'a' });
      expect(diff.summary).toMatchObject({ listedA: 5, listedB: 4, compared: 4, onlyInA: 1, onlyInB: 0, statusDiffers: 1, revDiffers: 1, complete: true });
      if (window === 1) expect(diff.summary.probes).toBeGreaterThan(0);
    }

    // The relay against the PDS it follows: only the PDS's accounts count; each is asked of the relay.
    const againstPds = diffAccounts(relayClient(http, relayB.url), relayClient(http, pds.url), { scope: 'b', concurrency: 2 });
    const rows = await collect(againstPds);
    expect(expected(rows)).toEqual(
      [
        [lagging.did, 'rev'],
        [missing.did, 'only-in-b'],
        [offline.did, 'status'],
      ].sort(),
    );
    expect(rows.find((r) => r.did === lagging.did)).toMatchObject({ newer: 'b' });
    expect(againstPds.summary).toMatchObject({ scope: 'b', listedB: 5, probes: 5 });
  });
});
