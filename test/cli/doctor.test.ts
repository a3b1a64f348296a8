// `atcli doctor` in-process against the real local network: the reference PDS, PLC directory, DNS
// server, the reference AppView (PostgreSQL, started on demand) and the loopback relay. Each check
// is printed as it completes with the fix in atcli terms; --json gives the checks as data; exit 0
// only when all pass, 3 when one fails, 1 when one could not run. Following the printed fix makes
// the failing check pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecord, xrpc, type TestNetwork } from '../network/client.js';
import { startLoopbackRelay, type LoopbackRelay } from '../network/loopback-relay.js';
import { devFlags, network, networkInfo, newAccount, routeTo, visibleAccount, type TestAccount } from '../e2e/helpers.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';

/** ATCLI_TEST_NO_APPVIEW=1: no PostgreSQL here; the AppView check is then pointed nowhere (could not run). */
const withAppView = process.env['ATCLI_TEST_NO_APPVIEW'] !== '1';

interface Check {
  name: string;
  status: string;
  detail: string;
  code?: string;
  hint?: string;
  fix?: string;
}
interface Report {
  did: string;
  handle: string;
  pds: string;
  verdict: string;
  checks: Check[];
}

describe.skipIf(!networkInfo)('atcli doctor (in-process, real network with the reference AppView)', () => {
  let net: TestNetwork;
  let appview: { url: string } | null = null;
  let relay: LoopbackRelay;

  /** doctor with the network's flags (handles under PDS a's domains answered by its well-known), the loopback relay and the AppView. */
  const doctor = (target: string, extra: string[] = [], opts: TestIOOptions = {}): Promise<InProcessResult> =>
    runIn(['doctor', target, ...devFlags(net), ...routeTo('', net.pds.a.port), '--relay', relay.url, '--appview', appview?.url ?? 'http://127.0.0.1:1', ...extra], opts);
  const report = (r: InProcessResult, code: number): Report => {
    expect(r.code, r.stderr).toBe(code);
    return JSON.parse(r.stdout) as Report;
  };
  const check = (r: Report, prefix: string): Check => r.checks.find((c) => c.name.startsWith(prefix)) as Check;
  const visible = (prefix: string): Promise<TestAccount> => visibleAccount(net, prefix, { appview, relay });

  beforeAll(async () => {
    net = await network();
    if (withAppView) appview = await net.startAppView();
    relay = await startLoopbackRelay();
    const crawl = await runIn(['relay', 'request-crawl', net.pds.a.url, '--relay', relay.url, ...devFlags(net)]);
    expect(crawl.code, crawl.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await relay?.close();
  });

  it('a healthy account: every check passes (exit 0); each check is a line, then the verdict; --json gives the checks', async () => {
    const acct = await visible('cdrok');
    const json = report(await doctor(acct.handle, ['--json']), withAppView ? 0 : 1);
    expect(json).toMatchObject({ did: acct.did, handle: acct.handle, pds: net.pds.a.url, verdict: withAppView ? 'ok' : 'unchecked' });
    expect(json.checks.map((c) => [c.name, c.status])).toEqual([
      ['handle-dns', 'skipped'],
      ['handle-https', 'ok'],
      ['did-document', 'ok'],
      ['handle-listed', 'ok'],
      ['pds-reachable', 'ok'],
      ['account-active', 'ok'],
      ['repo-head', 'ok'],
      [`relay:${new URL(relay.url).host}`, 'ok'],
      ['appview', withAppView ? 'ok' : 'unchecked'],
      ['plc-log', 'ok'],
    ]);
    if (!withAppView) return;

    const human = await doctor(acct.did, [], { tty: { stdout: true } });
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines).toHaveLength(11);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^[✓-] [a-z:0-9.-]+ {2}\S/);
    expect(lines).toContain(`✓ did-document  ${check(json, 'did-document').detail}`);
    expect(lines.at(-1)).toBe(`✓ ${acct.handle}: every check passed (9 ok, 0 failed, 0 could not run, 1 skipped)`);
    // Off a terminal the wait is one plain line; on one, a spinner that leaves no line behind.
    expect(human.stderr.match(/checking/g)).toHaveLength(1);
    const onTerminal = await doctor(acct.did, [], { tty: { stdout: true, stderr: true } });
    expect(onTerminal.stdout).toBe(human.stdout);
    expect(onTerminal.stderr).not.toMatch(/^checking .*…$/m);
  });

  it('a relay that lags: exit 3, its check fails with the crawl to request; running that command fixes it', async () => {
    const acct = await visible('cdrlag');
    relay.hold(acct.did);
    await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'the relay misses this', createdAt: new Date().toISOString() });
    await relay.crawl();
    const json = report(await doctor(acct.did, ['--json']), 3);
    expect(json.verdict).toBe('fail');
    expect(json.checks.filter((c) => c.status === 'fail').map((c) => c.code)).toEqual(['RelayBehind']);
    const fix = `ask the relay to crawl the PDS: atcli relay request-crawl ${net.pds.a.url} --relay ${relay.url}; then: atcli relay account status ${acct.did} --relay ${relay.url}`;
    expect(check(json, 'relay:')).toMatchObject({ status: 'fail', fix, hint: expect.stringContaining('com.atproto.sync.requestCrawl') });
    const human = await doctor(acct.did, [], { tty: { stdout: true } });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(`✗ relay:${new URL(relay.url).host}  the relay is at rev`);
    expect(human.stdout).toContain(`\n    hint: ${fix}\n`);
    expect(human.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^✗ ${acct.handle}: a check failed \\(\\d+ ok, 1 failed`));

    relay.release(acct.did);
    // The command the hint names, as printed.
    const crawl = await runIn([...fix.split('; then: ')[0]!.replace(/^.*?atcli /, '').split(' '), ...devFlags(net)]);
    expect(crawl.code, crawl.stderr).toBe(0);
    expect(check(report(await doctor(acct.did, ['--json']), withAppView ? 0 : 1), 'relay:').status).toBe('ok');
  });

  it('a deactivated account: exit 3, account-active fails with "atcli account activate"; a DNS record naming another DID: handle-dns fails with the record to set', async () => {
    const off = await visible('cdroff');
    await xrpc(off.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: off.accessJwt, body: {} });
    await relay.crawl();
    const json = report(await doctor(off.did, ['--json']), 3);
    expect(json.checks.filter((c) => c.status === 'fail').map((c) => [c.name, c.code])).toEqual([['account-active', 'AccountDeactivated']]);
    expect(check(json, 'account-active').fix).toBe('log in with the account password (atcli account login), then: atcli account activate');
    // On a colour terminal the marks are coloured: red for the failure, dim for what was skipped.
    const coloured = await doctor(off.did, [], { tty: { stdout: true }, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\u001b[31m✗\u001b[39m \u001b[1maccount-active\u001b[22m');
    expect(coloured.stdout).toContain('\u001b[2m-\u001b[22m');

    const acct = await visible('cdrdns');
    const other = await newAccount(net, 'cdrother', 'b');
    await net.setTxt(`_atproto.${acct.handle}`, [[`did=${other.did}`]]);
    try {
      const dns = report(await doctor(acct.handle, ['--json']), 3);
      expect(dns.did).toBe(acct.did);
      expect(dns.checks.filter((c) => c.status === 'fail').map((c) => [c.name, c.code])).toEqual([['handle-dns', 'HandleOtherDid']]);
      expect(check(dns, 'handle-dns').fix).toBe(`set the TXT record _atproto.${acct.handle} to "did=${acct.did}" (one did= value only), or remove it; then check with: atcli resolve ${acct.handle}`);
    } finally {
      await net.setTxt(`_atproto.${acct.handle}`, []);
    }
  });

  it('a service that does not answer is a check that could not run (exit 1, verdict unchecked); several relays, from flags or ATCLI_RELAY_URL', async () => {
    const acct = await visible('cdrun');
    const second = await startLoopbackRelay();
    try {
      const r = await runIn(['doctor', acct.did, ...devFlags(net), ...routeTo('', net.pds.a.port), '--appview', 'http://127.0.0.1:1', '--json'], { env: { ATCLI_RELAY_URL: `${relay.url},http://127.0.0.1:1` } });
      const json = report(r, 1);
      expect(json.verdict).toBe('unchecked');
      expect(json.checks.filter((c) => c.status !== 'ok' && c.status !== 'skipped').map((c) => [c.name, c.status, c.code])).toEqual([
        ['relay:127.0.0.1:1', 'unchecked', 'RelayUnreachable'],
        ['appview', 'unchecked', 'AppViewUnreachable'],
      ]);
      expect(check(json, 'appview').fix).toContain('--appview <url>');
      expect(r.stderr.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
      const noAppview = report(await doctor(acct.did, ['--no-appview', '--json']), 0);
      expect(check(noAppview, 'appview')).toMatchObject({ status: 'skipped', detail: 'no AppView given' });

      const both = report(await doctor(acct.did, ['--relay', second.url, '--json']), 3);
      expect(both.checks.filter((c) => c.name.startsWith('relay:')).map((c) => [c.name, c.status])).toEqual([
        [`relay:${new URL(relay.url).host}`, 'ok'],
        [`relay:${new URL(second.url).host}`, 'fail'],
      ]);
      expect(check(both, `relay:${new URL(second.url).host}`).code).toBe('RelayMissing');
    } finally {
      await second.close();
    }
  });
});
