import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestNetwork } from '../network/client.js';
import { stderrJsonError, stdoutJson, tempDir, type CliResult } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { devFlags, expiredAccessToken, network, networkInfo, newAccount, refuse, type TestAccount } from './helpers.js';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** atcli in this process with its own config folder (a fresh one unless given). */
async function runCli(args: string[], opts: { configDir?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await runIn(args, { env: { ...opts.env, ATCLI_CONFIG_DIR: opts.configDir ?? tempDir('atcli-config-') } });
  return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!networkInfo)('atcli account against the local PDS', () => {
  let net: TestNetwork;
  let alice: TestAccount;

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'login');
  });

  it('login stores tokens (never the password) in a 0600 file; whoami works; an expired access token is refreshed', async () => {
    const configDir = tempDir('atcli-login-');
    const flags = [...devFlags(net), ...refuse(alice.handle)];
    const login = await runCli([...flags, 'account', 'login', '-u', alice.handle, '--pds', alice.pdsUrl, '--json'], { configDir, env: { ATCLI_PASSWORD: alice.password } });
    expect(login.code, login.stderr).toBe(0);
    expect(stdoutJson(login)).toMatchObject({ did: alice.did, handle: alice.handle, profile: 'default' });
    for (const out of [login.stdout, login.stderr]) expect(out).not.toContain(alice.password);

    const sessionFile = join(configDir, 'sessions', 'default.json');
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);
    for (const file of allFiles(configDir)) expect(readFileSync(file, 'utf8')).not.toContain(alice.password);

    const who = await runCli([...flags, 'account', 'whoami', '--json'], { configDir });
    expect(who.code, who.stderr).toBe(0);
    expect(stdoutJson(who)).toMatchObject({ did: alice.did, handle: alice.handle, pds: alice.pdsUrl, source: 'profile' });

    // Expire the stored access token: whoami must refresh transparently and rotate both tokens.
    const stored = JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessJwt: string; refreshJwt: string };
    const expired = expiredAccessToken(stored.accessJwt, net.jwtSecret);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(sessionFile, JSON.stringify({ ...stored, accessJwt: expired }), { mode: 0o600 });
    const again = await runCli([...flags, 'account', 'whoami', '--json'], { configDir });
    expect(again.code, again.stderr).toBe(0);
    expect(stdoutJson(again)).toMatchObject({ did: alice.did });
    const refreshed = JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessJwt: string; refreshJwt: string };
    expect(refreshed.accessJwt).not.toBe(expired);
    expect(refreshed.refreshJwt).not.toBe(stored.refreshJwt);
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);

    const logout = await runCli([...flags, 'account', 'logout', '--json'], { configDir });
    expect(stdoutJson(logout)).toMatchObject({ loggedOut: true });
    const after = await runCli([...flags, 'account', 'whoami', '--json'], { configDir });
    expect(after.code).toBe(5);
    expect(stderrJsonError(after).code).toBe('NotLoggedIn');
  });

  it('ATCLI_IDENTIFIER + ATCLI_PASSWORD give a session that is never written to disk', async () => {
    const configDir = tempDir('atcli-envlogin-');
    const r = await runCli([...devFlags(net), ...refuse(alice.handle), 'account', 'whoami', '--json'], {
      configDir,
      env: { ATCLI_IDENTIFIER: alice.handle, ATCLI_PASSWORD: alice.password, ATCLI_PDS_URL: alice.pdsUrl },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson(r)).toMatchObject({ did: alice.did, source: 'environment' });
    expect(allFiles(configDir)).toEqual([]);
  });

  it('a wrong password exits 5 and is not echoed', async () => {
    const configDir = tempDir('atcli-badlogin-');
    const wrong = 'definitely-the-wrong-password';
    const r = await runCli([...devFlags(net), 'account', 'login', '-u', alice.handle, '--pds', alice.pdsUrl], { configDir, env: { ATCLI_PASSWORD: wrong } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: login .* failed/m);
    expect(r.stderr + r.stdout).not.toContain(wrong);
  });

  it('without a terminal, a missing password is a usage error naming ATCLI_PASSWORD', async () => {
    const r = await runCli([...devFlags(net), 'account', 'login', '-u', alice.handle, '--pds', alice.pdsUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ATCLI_PASSWORD');
  });

  it('xrpc query @pds is authenticated; a public query needs no login', async () => {
    const configDir = tempDir('atcli-xrpc-');
    const env = { ATCLI_IDENTIFIER: alice.handle, ATCLI_PASSWORD: alice.password, ATCLI_PDS_URL: alice.pdsUrl };
    const me = await runCli([...devFlags(net), 'xrpc', 'query', '@pds', 'com.atproto.server.getSession'], { configDir, env });
    expect(me.code, me.stderr).toBe(0);
    expect(stdoutJson(me)).toMatchObject({ did: alice.did });
    const pub = await runCli([...devFlags(net), 'xrpc', 'query', alice.pdsUrl, 'com.atproto.repo.describeRepo', `repo=${alice.did}`]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(stdoutJson(pub)).toMatchObject({ did: alice.did, handle: alice.handle });
    const missing = await runCli([...devFlags(net), 'xrpc', 'query', alice.pdsUrl, 'com.atproto.repo.getRecord', `repo=${alice.did}`, 'collection=app.bsky.feed.post', 'rkey=3zzzzzzzzzzzz']);
    expect(missing.code).toBe(4);
  });
});
