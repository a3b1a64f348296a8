// The operators' commands through the built binary (node scripts/build.mjs first), as a PDS
// operator uses them: each command loads from the bundle; a takedown made with `pds admin` is what
// `doctor` then names, with the fix as an atcli command line — running that exact line lifts it,
// and `doctor` passes again. The admin password travels in the environment only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackRelay, type LoopbackRelay } from '../network/loopback-relay.js';
import type { TestNetwork } from '../network/client.js';
import { runCli, stderrJsonError, stdoutJson, type CliResult } from '../cli/run-cli.js';
import { devFlags, network, networkInfo, routeTo, visibleAccount } from './helpers.js';

interface Check {
  name: string;
  status: string;
  code?: string;
  fix?: string;
}

describe.skipIf(!networkInfo)('operating a PDS with the built atcli', () => {
  let net: TestNetwork;
  let relay: LoopbackRelay;
  let appview: { url: string } | null = null;

  const atcli = (argv: string[]): Promise<CliResult> =>
    runCli([...argv, ...devFlags(net), ...routeTo('', net.pds.a.port)], { env: { ATCLI_ADMIN_PASSWORD: net.adminPassword }, timeoutMs: 60_000 });
  const doctor = (did: string): Promise<CliResult> => atcli(['doctor', did, '--relay', relay.url, '--appview', appview?.url ?? 'http://127.0.0.1:1', '--json']);

  beforeAll(async () => {
    net = await network();
    if (process.env['ATCLI_TEST_NO_APPVIEW'] !== '1') appview = await net.startAppView();
    relay = await startLoopbackRelay();
    const crawl = await atcli(['relay', 'request-crawl', net.pds.a.url, '--relay', relay.url]);
    expect(crawl.code, crawl.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await relay?.close();
  });

  it('take an account down, see doctor name it with the command that lifts it, run that command, doctor passes', async () => {
    const acct = await visibleAccount(net, 'opsday', { appview, relay });
    const take = ['pds', 'admin', 'account', 'takedown', acct.handle, '--pds', net.pds.a.url, '--ref', 'ops-1'];

    // No terminal (CI is set): the question cannot be asked.
    const refused = await atcli([...take, '--json']);
    expect(refused.code).toBe(2);
    expect(stderrJsonError(refused)).toMatchObject({ code: 'ConfirmationRequired', hint: 'pass --yes to confirm non-interactively' });
    const done = await atcli([...take, '--yes', '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(stdoutJson(done)).toMatchObject({ executed: true, result: { takedown: { applied: true, ref: 'ops-1' } } });
    await relay.crawl();

    const sick = await doctor(acct.did);
    expect(sick.code, sick.stderr).toBe(3);
    const failed = (stdoutJson<{ checks: Check[] }>(sick).checks).filter((c) => c.status === 'fail');
    expect(failed.map((c) => [c.name, c.code])).toEqual([['account-active', 'AccountTakenDown']]);
    const fix = failed[0]?.fix as string;
    expect(fix).toBe(`only the PDS operator can lift it: atcli pds admin account untakedown ${acct.did} --pds ${net.pds.a.url}`);

    const lifted = await atcli(fix.slice(fix.indexOf('atcli ') + 'atcli '.length).split(' '));
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(lifted.stdout).toContain(`✓ ${acct.did}: not taken down`);
    await relay.crawl();
    // The AppView shows the account again once it has read the #account event.
    const deadline = Date.now() + 30_000;
    let healthy = await doctor(acct.did);
    while (healthy.code !== (appview ? 0 : 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      healthy = await doctor(acct.did);
    }
    expect(healthy.code, healthy.stdout).toBe(appview ? 0 : 1);
    expect(stdoutJson<{ checks: Check[] }>(healthy).checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('pds, pds admin and relay answer from the bundle; the admin password is in no output', async () => {
    const described = await atcli(['pds', 'describe', net.pds.a.url, '--json']);
    expect(stdoutJson(described)).toMatchObject({ url: net.pds.a.url, did: expect.stringMatching(/^did:/) });
    const accounts = await atcli(['pds', 'admin', 'account', 'list', '--pds', net.pds.a.url]);
    expect(accounts.code, accounts.stderr).toBe(0);
    expect(accounts.stdout.split('\n')[0]).toMatch(/^\S+\.test\tdid:plc:\w+\t/);
    const hosts = await atcli(['relay', 'hosts', '--relay', relay.url, '--json']);
    expect(stdoutJson(hosts)).toMatchObject({ hostname: new URL(net.pds.a.url).host, status: 'active' });
    for (const r of [described, accounts, hosts]) expect(r.stdout + r.stderr).not.toContain(net.adminPassword);
  });
});
