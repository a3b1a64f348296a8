// `atcli relay …` in-process: account listing and status against a real PDS (it serves listRepos
// and getRepoStatus like a relay) and against the loopback relay (built from the lexicons, fed
// from that PDS); hosts, host status and request-crawl against the loopback relay; diffs that find
// accounts deliberately made to differ. Exit codes, JSON shapes, tables on a terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createRecord, uniqueHandle, xrpc, type PdsInfo, type TestNetwork } from '../network/client.js';
import { startLoopbackRelay, type LoopbackRelay } from '../network/loopback-relay.js';
import { devFlags, network, networkInfo, routeTo } from '../e2e/helpers.js';
import { ndjsonLines, runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';

interface Acct {
  did: string;
  handle: string;
  accessJwt: string;
}

describe.skipIf(!networkInfo)('atcli relay (in-process; a real PDS and the loopback relay)', () => {
  let net: TestNetwork;
  // A PDS of this file's own, so no other test's accounts change what the relays see.
  let pds: PdsInfo;
  let host: string;
  let relayA: LoopbackRelay;
  let relayB: LoopbackRelay;
  const accounts: Acct[] = [];

  /** atcli with the network's flags; the PDS answers its handles' well-known. */
  const atcli = (argv: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn([...argv, ...devFlags(net), ...routeTo('', pds.port)], opts);
  const json = <T>(r: InProcessResult, code = 0): T => {
    expect(r.code, r.stderr).toBe(code);
    return JSON.parse(r.stdout) as T;
  };
  const post = (a: Acct, text: string): Promise<unknown> => createRecord(pds.url, a.accessJwt, a.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() });

  beforeAll(async () => {
    net = await network();
    pds = await net.startPds('relaycli');
    host = `localhost:${pds.port}`;
    for (let i = 0; i < 4; i++) {
      const handle = uniqueHandle(`rc${i}`);
      const s = await createAccount(pds.url, { handle, email: `${handle}@mail.test`, password: `pw-${handle}` });
      accounts.push({ did: s.did, handle: s.handle, accessJwt: s.accessJwt });
      await post(s, `hello ${i}`);
    }
    relayA = await startLoopbackRelay();
    relayB = await startLoopbackRelay();
  });

  afterAll(async () => {
    await relayA?.close();
    await relayB?.close();
  });

  it('request-crawl: the PDS is asked first (not answering: exit 1, nothing sent); --dry-run asks only the PDS; then the relay follows it', async () => {
    const dead = await atcli(['relay', 'request-crawl', 'http://127.0.0.1:1', '--relay', relayA.url, '--json']);
    expect(dead.code).toBe(1);
    expect(JSON.parse(dead.stderr.trim().split('\n').at(-1) as string).error).toMatchObject({ code: 'PdsNotAnswering', hint: 'check the PDS first: atcli pds health http://127.0.0.1:1 and atcli pds describe http://127.0.0.1:1' });
    const dry = json(await atcli(['relay', 'request-crawl', pds.url, '--relay', relayA.url, '--dry-run', '--json']));
    expect(dry).toEqual({ dryRun: true, relay: relayA.url, hostname: host, pds: { url: pds.url, did: pds.did } });
    expect(relayA.crawlRequests).toEqual([]);

    // The relay's firehose form names the same service.
    const asked = await atcli(['relay', 'request-crawl', pds.url, '--relay', relayA.url.replace(/^http:/, 'ws:')], { tty: { stdout: true } });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toBe(`✓ asked ${relayA.url} to crawl ${host} (the PDS answers as ${pds.did})\n`);
    expect(asked.stderr).toContain(`hint: see what the relay makes of it: atcli relay host status ${host}`);
    expect(relayA.crawlRequests).toEqual([host]);
    expect(json(await atcli(['relay', 'request-crawl', pds.url, '--relay', relayB.url, '--json']))).toEqual({ relay: relayB.url, hostname: host, pds: { url: pds.url, did: pds.did } });
  });

  it('hosts and host status: NDJSON, a table, fields; an unknown host is exit 4 with the crawl to request', async () => {
    expect(ndjsonLines((await atcli(['relay', 'hosts', '--relay', relayA.url, '--json'])).stdout)).toEqual([{ hostname: host, seq: expect.any(Number), status: 'active', accountCount: 4 }]);
    const table = await atcli(['relay', 'hosts', '--relay', relayA.url], { tty: { stdout: true } });
    expect(table.stdout).toMatch(new RegExp(`^hostname\\s+status\\s+accounts\\s+seq\\n${host}\\s+active\\s+4\\s+\\d+\\n$`));
    expect(table.stderr).toContain('1 host');
    expect(json(await atcli(['relay', 'host', 'status', pds.url, '--relay', relayA.url, '--json']))).toMatchObject({ hostname: host, status: 'active', accountCount: 4 });
    relayA.setHost(host, { status: 'throttled' });
    expect((await atcli(['relay', 'host', 'status', host, '--relay', relayA.url], { tty: { stdout: true } })).stdout).toMatch(/^status\s+throttled$/m);
    relayA.setHost(host, { status: 'active' });
    const unknown = await atcli(['relay', 'host', 'status', 'nowhere.example', '--relay', relayA.url]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('hint: ask the relay to follow it: atcli relay request-crawl nowhere.example');
    relayB.setHost(host, { status: 'banned' });
    const banned = await atcli(['relay', 'request-crawl', pds.url, '--relay', relayB.url]);
    expect(banned.code).toBe(1);
    expect(banned.stderr).toContain('hint: a crawl request cannot lift a ban: ask the relay operator');
    relayB.setHost(host, { status: 'active' });
  });

  it('accounts: what the relay (or a PDS) lists, as NDJSON, a table and counts', async () => {
    const onPds = ndjsonLines<{ did: string }>((await atcli(['relay', 'accounts', '--relay', pds.url, '--json'])).stdout);
    expect(onPds.map((r) => r.did).sort()).toEqual(accounts.map((a) => a.did).sort());
    await relayA.crawl();
    const a0 = accounts[0] as Acct;
    const head = await xrpc<{ cid: string; rev: string }>(pds.url, 'com.atproto.sync.getLatestCommit', { params: { did: a0.did } });
    const rows = ndjsonLines<{ did: string }>((await atcli(['relay', 'accounts', '--relay', relayA.url, '--json'])).stdout);
    expect(rows.find((r) => r.did === a0.did)).toEqual({ did: a0.did, head: head.cid, rev: head.rev, active: true });
    const table = await atcli(['relay', 'accounts', '--relay', relayA.url], { tty: { stdout: true } });
    expect(table.stdout).toMatch(new RegExp(`^${a0.did}\\s+active\\s+${head.rev}\\s+${head.cid}$`, 'm'));
    expect(json(await atcli(['relay', 'accounts', '--count', '--relay', relayA.url, '--json']))).toEqual({ total: 4, active: 4, inactive: {}, malformed: 0 });
  });

  it("account status: the relay's view next to the PDS's — in sync (0), behind and missing (3, with the crawl to request)", async () => {
    const a1 = accounts[1] as Acct;
    await relayA.crawl();
    const inSync = json<{ agreement: string; relay: { url: string }; pds: { url: string } }>(await atcli(['relay', 'account', 'status', a1.handle, '--relay', relayA.url, '--json']));
    expect(inSync).toMatchObject({ did: a1.did, handle: a1.handle, agreement: 'in-sync', relay: { url: relayA.url, repo: { active: true } }, pds: { url: pds.url, repo: { active: true } } });

    relayA.hold(a1.did);
    await post(a1, 'the relay will not see this');
    await relayA.crawl();
    const behind = await atcli(['relay', 'account', 'status', a1.did, '--relay', relayA.url], { tty: { stdout: true } });
    expect(behind.code).toBe(3);
    expect(behind.stdout).toMatch(/^agreement\s+✗ behind: the relay has not taken the account's latest commits$/m);
    expect(behind.stdout).toMatch(new RegExp(`^relay\\s+${relayA.url}\\s+active at rev \\w+$`, 'm'));
    expect(behind.stderr).toContain(`hint: ask the relay to crawl the PDS: atcli relay request-crawl ${pds.url} --relay ${relayA.url}`);

    relayA.forget(a1.did);
    expect(json(await atcli(['relay', 'account', 'status', a1.did, '--relay', relayA.url, '--json']), 3)).toMatchObject({ agreement: 'missing', relay: { repo: null } });
    relayA.release(a1.did);
    await relayA.crawl();
    expect((await atcli(['relay', 'account', 'status', a1.did, '--relay', relayA.url])).code).toBe(0);
  });

  it('diff: exactly the accounts made to differ (two relays; a relay against its PDS), then a summary; 0 when none differ, 1 when a listing fails', async () => {
    const [, , lagging, missing] = accounts as [Acct, Acct, Acct, Acct];
    await relayA.crawl();
    await relayB.crawl();
    const same = await atcli(['relay', 'diff', relayA.url, relayB.url, '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(ndjsonLines(same.stdout)).toEqual([{ summary: expect.objectContaining({ scope: 'both', listedA: 4, listedB: 4, compared: 4, complete: true }) }]);

    relayB.hold(lagging.did);
    await post(lagging, 'only relay A sees this');
    relayB.forget(missing.did);
    await relayA.crawl();
    await relayB.crawl();
    const found = await atcli(['relay', 'diff', relayA.url, relayB.url.replace(/^http:/, 'ws:'), '--window', '1', '--json']);
    expect(found.code, found.stderr).toBe(3);
    const lines = ndjsonLines<{ did?: string; difference?: string; summary?: unknown }>(found.stdout);
    expect(lines.slice(0, -1).map((r) => [r.did, r.difference]).sort()).toEqual([[lagging.did, 'rev'], [missing.did, 'only-in-a']].sort());
    expect(lines.find((r) => r.did === lagging.did)).toMatchObject({ newer: 'a', a: { active: true }, b: { active: true } });
    expect(lines.at(-1)).toEqual({ summary: expect.objectContaining({ onlyInA: 1, revDiffers: 1, complete: true }) });

    // b answers describeServer: a PDS, so only its accounts count, each asked of the relay.
    const againstPds = await atcli(['relay', 'diff', relayB.url, pds.url], { tty: { stdout: true } });
    expect(againstPds.code).toBe(3);
    expect(againstPds.stdout.split('\n')[0]).toMatch(/^did\s+difference\s+a\s+b\s+newer$/);
    expect(againstPds.stdout).toMatch(new RegExp(`^${missing.did}\\s+only-in-b\\s+-\\s+active \\w+$`, 'm'));
    expect(againstPds.stdout).toMatch(new RegExp(`^${lagging.did}\\s+rev\\s+active \\w+\\s+active \\w+\\s+b$`, 'm'));
    expect(againstPds.stderr).toMatch(/2 accounts differ \(0 only in a, 1 only in b, 0 with another status, 1 at another rev\); 4 accounts of b asked of a/);
    relayB.release(lagging.did);

    const gone = await startLoopbackRelay();
    const goneUrl = gone.url;
    await gone.close();
    const failed = await atcli(['relay', 'diff', relayA.url, goneUrl, '--json']);
    expect(failed.code).toBe(1);
    expect(ndjsonLines<{ summary?: { complete: boolean } }>(failed.stdout).at(-1)?.summary?.complete).toBe(false);
    expect(failed.stderr.trim().split('\n').filter((l) => l.startsWith('{'))).toHaveLength(1);
  });
});
