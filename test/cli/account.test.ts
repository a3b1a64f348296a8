// `atcli account …` in-process: help, usage errors, offline service-auth tokens, logins against a
// fake PDS on loopback (secrets from the environment or a hidden prompt, 0600 session files), the
// migration's progress on a terminal, and no test hooks in the built product.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn, testIO, type InProcessResult } from '../support/test-io.js';
import { startFakePds, type FakePds } from '../core/xrpc/fake-pds.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { decodeJwt, verifyServiceAuth } from '../../src/core/account/service-auth.js';
import { MigrationProgress } from '../../src/cli/cmd/account/migrate-view.js';
import { StderrWriter } from '../../src/cli/render/stderr.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const AUD = 'did:web:pds.example.com';

function jsonError(r: InProcessResult): { code: string; message: string; hint?: string } {
  const lines = r.stderr.trim().split('\n');
  return (JSON.parse(lines[lines.length - 1] as string) as { error: { code: string; message: string; hint?: string } }).error;
}

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('atcli account: help and usage errors', () => {
  it('lists every account command in help, and migrate documents its steps, passwords and resume', async () => {
    const help = await runIn(['account', '--help']);
    expect(help.code).toBe(0);
    for (const c of ['login', 'logout', 'whoami', 'status', 'create', 'service-auth', 'activate', 'deactivate', 'missing-blobs', 'migrate', 'plc']) expect(help.stdout).toContain(`  ${c}`);
    const plc = await runIn(['account', 'plc', '--help']);
    for (const c of ['recommended', 'request-token', 'sign', 'submit']) expect(plc.stdout).toContain(`  ${c}`);
    const mig = await runIn(['account', 'migrate', '--help'], { tty: { stdout: true }, columns: 200 });
    expect(mig.code).toBe(0);
    for (const t of ['--to', '--resume', '--plc-token', '--recovery-key', '--state-file', 'ATCLI_NEW_PASSWORD', 'not an app password', 'verify-copy', 'deactivate-old', '--dry-run', 'waiting-for-plc-token']) {
      expect(mig.stdout).toContain(t);
    }
  });

  it('usage errors exit 2 with a hint: bad inputs, secrets on the command line, missing values', async () => {
    const key = generatePrivateKey('k256');
    const cases: Array<{ args: string[]; code: string; env?: Record<string, string> }> = [
      { args: ['account', 'service-auth', '--aud', AUD, '--key-file', key.multikey(), '--iss', DID], code: 'SecretOnCommandLine' },
      { args: ['account', 'service-auth', '--aud', 'pds.example.com', '--iss', DID], code: 'InvalidAudience', env: { ATCLI_SIGNING_KEY: key.multikey() } },
      { args: ['account', 'service-auth', '--aud', AUD, '--exp', '120', '--iss', DID], code: 'InvalidExpiry', env: { ATCLI_SIGNING_KEY: key.multikey() } },
      { args: ['account', 'service-auth', '--aud', AUD, '--iss', DID], code: 'IssuerWithoutKey' },
      { args: ['account', 'migrate'], code: 'MissingTarget' },
      { args: ['account', 'migrate', '--to', 'https://pds.example.com', '--recovery-key', 'zQ3shnope'], code: 'InvalidRecoveryKey' },
      { args: ['account', 'create', '--pds', 'https://pds.example.com', '--handle', 'a.test', '--email', 'a@x.test', '--service-auth', 'x.y.z'], code: 'DidRequired' },
      { args: ['account', 'create', '--pds', 'https://pds.example.com', '--handle', 'a.test', '--email', 'a@x.test', '--existing-did', DID], code: 'ServiceAuthRequired' },
      { args: ['account', 'deactivate', '--delete-after', 'tomorrow'], code: 'InvalidDatetime' },
    ];
    for (const c of cases) {
      const r = await runIn([...c.args, '--json'], { env: c.env ?? {} });
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(jsonError(r).code).toBe(c.code);
      expect(jsonError(r).hint ?? '', c.code).not.toBe('');
      expect(r.stderr).not.toContain(key.multikey());
      expect(r.stdout).toBe('');
    }
    // Numbers go through the one integer parser: the flag is named, the range given.
    for (const [args, flag] of [
      [['account', 'migrate', '--to', 'https://pds.example.com', '--concurrency', '99'], '--concurrency'],
      [['account', 'service-auth', '--aud', AUD, '--exp', 'soon'], '--exp'],
    ] as const) {
      const r = await runIn([...args, '--json']);
      expect(r.code).toBe(2);
      expect(jsonError(r)).toMatchObject({ code: 'InvalidNumber', message: expect.stringContaining(flag) });
    }
  });

  it('commands that need a login say so (exit 5), naming how to log in', async () => {
    for (const args of [
      ['account', 'whoami'],
      ['account', 'status'],
      ['account', 'activate'],
      ['account', 'deactivate', '--yes'],
      ['account', 'missing-blobs'],
      ['account', 'plc', 'recommended'],
      ['account', 'plc', 'request-token'],
      ['account', 'service-auth', '--aud', AUD],
      ['account', 'migrate', '--to', 'https://pds.example.com', '--dry-run'],
      ['account', 'migrate', '--resume'],
    ]) {
      const r = await runIn([...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(5);
      expect(jsonError(r)).toMatchObject({ code: 'NotLoggedIn', hint: expect.stringContaining('atcli account login') });
    }
    const human = await runIn(['--profile', 'work', 'account', 'whoami']);
    expect(human.stderr).toContain('error: no stored login for profile "work"');
    expect(human.stderr).toContain('hint: run "atcli account login --profile work"');
  });

  it('plc sign and submit read the operation from a file and refuse what is not JSON before any network call', async () => {
    const dir = tempDir('atcli-plcfile-');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    const r = await runIn(['account', 'plc', 'submit', bad, '--json']);
    expect(r.code).toBe(3);
    expect(jsonError(r).code).toBe('InvalidJson');
    const none = await runIn(['account', 'plc', 'sign', join(dir, 'missing.json'), '--token', 'x', '--json']);
    expect(none.code).toBe(2);
    expect(jsonError(none).code).toBe('FileNotFound');
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{"prev":"x"}');
    const e = await runIn(['account', 'plc', 'sign', empty, '--token', 'x', '--json']);
    expect(e.code).toBe(3);
    expect(jsonError(e).code).toBe('InvalidOperation');
    const fromStdin = await runIn(['account', 'plc', 'sign', '-', '--json'], { stdin: '[1, 2]' });
    expect(fromStdin.code).toBe(3);
    expect(jsonError(fromStdin).code).toBe('InvalidOperation');
  });
});

describe('atcli account service-auth (offline)', () => {
  it('signs tokens with a key file (ES256K and ES256), verifiable with the public key; the key never shows', async () => {
    const dir = tempDir('atcli-svc-');
    for (const [type, alg] of [['k256', 'ES256K'], ['p256', 'ES256']] as const) {
      const key = generatePrivateKey(type);
      const file = join(dir, `${type}.key`);
      writeFileSync(file, `${key.multikey()}\n`);
      const r = await runIn(['account', 'service-auth', '--aud', AUD, '--lxm', 'com.atproto.server.createAccount', '--exp', '300', '--key-file', file, '--iss', DID, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { token: string; iss: string; aud: string; lxm: string; exp: number; offline: boolean };
      expect(out).toMatchObject({ iss: DID, aud: AUD, lxm: 'com.atproto.server.createAccount', offline: true });
      expect(decodeJwt(out.token).header['alg']).toBe(alg);
      expect(verifyServiceAuth(out.token, key.publicKey, { aud: AUD, lxm: 'com.atproto.server.createAccount' })['iss']).toBe(DID);
      expect(out.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(250);
      expect(r.stdout + r.stderr).not.toContain(key.multikey());
    }
    // The JSON "atcli key generate --json" writes works too (here from ATCLI_SIGNING_KEY), and the human form is the bare token.
    const key = generatePrivateKey('k256');
    const generated = JSON.stringify({ type: 'k256', privateKey: key.multikey(), publicKey: key.publicKey.did() });
    const human = await runIn(['account', 'service-auth', '--aud', AUD, '--iss', DID], { env: { ATCLI_SIGNING_KEY: generated } });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim().split('.')).toHaveLength(3);
    verifyServiceAuth(human.stdout.trim(), key.publicKey, { aud: AUD });
    expect(human.stderr).toContain(`signed offline with the k256 key ${key.publicKey.did()}`);
  });
});

describe('atcli account login / whoami / logout against a fake PDS', () => {
  let pds: FakePds;
  beforeAll(async () => {
    pds = await startFakePds();
  });
  afterAll(async () => {
    await pds.close();
  });

  it('the password comes from a hidden prompt on a terminal; the session file is 0600 and holds no password; whoami and logout use it', async () => {
    const config = tempDir('atcli-login-');
    const env = { ATCLI_CONFIG_DIR: config };
    const login = await runIn(['--dev', 'account', 'login', '-u', 'alice.test', '--pds', pds.url, '--json'], { env, tty: { stdin: true, stderr: true }, answers: [pds.password] });
    expect(login.code, login.stderr).toBe(0);
    expect(login.io.asked).toEqual(['Password for alice.test']);
    expect(JSON.parse(login.stdout)).toMatchObject({ did: pds.did, handle: 'alice.test', profile: 'default', sessionFile: join(config, 'sessions', 'default.json') });
    expect(statSync(join(config, 'sessions', 'default.json')).mode & 0o777).toBe(0o600);
    for (const file of allFiles(config)) expect(readFileSync(file, 'utf8')).not.toContain(pds.password);
    expect(login.stdout + login.stderr).not.toContain(pds.password);

    const who = await runIn(['--dev', 'account', 'whoami'], { env });
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toMatch(/^handle\s+alice\.test$/m);
    expect(who.stdout).toMatch(/^session\s+profile "default"$/m);

    const out = await runIn(['--dev', 'account', 'logout', '--json'], { env });
    expect(JSON.parse(out.stdout)).toEqual({ profile: 'default', loggedOut: true, revoked: true });
    expect(existsSync(join(config, 'sessions', 'default.json'))).toBe(false);
    const again = await runIn(['account', 'logout'], { env });
    expect(again.stdout).toBe('profile "default" had no stored login\n');
  });

  it('without a terminal the password must come from ATCLI_PASSWORD (exit 2 naming it otherwise); a wrong one is exit 5 and never echoed', async () => {
    const config = tempDir('atcli-login-');
    const missing = await runIn(['--dev', 'account', 'login', '-u', 'alice.test', '--pds', pds.url], { env: { ATCLI_CONFIG_DIR: config } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ATCLI_PASSWORD');
    const wrong = 'definitely-the-wrong-password';
    const refused = await runIn(['--dev', 'account', 'login', '-u', 'alice.test', '--pds', pds.url], { env: { ATCLI_CONFIG_DIR: config, ATCLI_PASSWORD: wrong } });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^error: login to .* failed/m);
    expect(refused.stderr).toContain('hint: check the handle or e-mail and the password (ATCLI_PASSWORD or the prompt)');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);
    const ok = await runIn(['--dev', 'account', 'login', '-u', 'alice.test', '--pds', pds.url], { env: { ATCLI_CONFIG_DIR: config, ATCLI_PASSWORD: pds.password } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`logged in as alice.test (${pds.did})`);
  });

  it('an account that needs an e-mailed sign-in code names ATCLI_AUTH_FACTOR_TOKEN (exit 5)', async () => {
    const twoFactor = await startFakePds({ requireAuthFactor: true });
    try {
      const r = await runIn(['--dev', 'account', 'login', '-u', 'alice.test', '--pds', twoFactor.url, '--json'], { env: { ATCLI_CONFIG_DIR: tempDir('atcli-2fa-'), ATCLI_PASSWORD: twoFactor.password } });
      expect(r.code).toBe(5);
      expect(jsonError(r)).toMatchObject({ code: 'AuthFactorTokenRequired', hint: expect.stringContaining('ATCLI_AUTH_FACTOR_TOKEN') });
    } finally {
      await twoFactor.close();
    }
  });
});

describe('account migrate progress on a terminal', () => {
  const CLEAR = '\r\u001b[2K';

  /** What a terminal shows of each line: the text after the last carriage return. */
  const visible = (stderr: string): string[] => stderr.split('\n').map((line) => line.split('\r').pop()!.replace(/\u001b\[2K/g, ''));

  it('clears the progress bar before every other line, so notes never land on the bar', async () => {
    let now = 0;
    const io = testIO({ tty: { stderr: true }, now: () => (now += 150) });
    const progress = new MigrationProgress(new StderrWriter(io, false, false, 0));
    progress.event({ kind: 'step-start', step: 'export-repo', index: 4, total: 19, title: 'export the repository' });
    progress.event({ kind: 'bytes', step: 'export-repo', done: 1000, total: 4000 });
    progress.event({ kind: 'info', step: 'export-repo', message: 'the old host answered slowly' });
    progress.event({ kind: 'bytes', step: 'export-repo', done: 3000, total: 4000 });
    progress.event({ kind: 'warning', step: 'export-repo', message: 'something to know' });
    progress.event({ kind: 'step-done', step: 'export-repo', index: 4, total: 19, note: '4000 bytes' });
    progress.event({ kind: 'blobs', done: 1, total: 3, bytes: 2048, failed: 0 });
    progress.event({ kind: 'info', step: 'blobs', message: 'retrying one blob' });
    progress.close();
    const text = io.stderrText();
    expect(text).toContain('downloading the repository [######------------------] 25%');
    expect(text).toContain('copying blobs [########----------------] 33%');
    const lines = visible(text).filter((l) => l !== '');
    expect(lines).toEqual([
      '▸ [4/19] export the repository…',
      '  the old host answered slowly',
      'warning: something to know',
      '✓ [4/19] export-repo: 4000 bytes',
      '  retrying one blob',
    ]);
    // The bar is cleared right before each note (nothing but the clear between them).
    expect(text).toContain(`${CLEAR}  the old host answered slowly\n`);
    expect(text).toContain(`${CLEAR}warning: something to know\n`);
    expect(text.endsWith(CLEAR)).toBe(true);
  });

  it('draws no bar when stderr is not a terminal: plain lines only', async () => {
    const io = testIO();
    const progress = new MigrationProgress(new StderrWriter(io, false, false, 0));
    progress.event({ kind: 'bytes', step: 'export-repo', done: 1000, total: 4000 });
    progress.event({ kind: 'info', step: 'export-repo', message: 'a note' });
    progress.close();
    expect(io.stderrText()).toBe('downloading the repository…\n  a note\n');
  });
});

describe('the built product carries no test hooks', () => {
  it('no file under dist/ contains "ATCLI_TEST_" (build first: node scripts/build.mjs)', () => {
    const dist = new URL('../../dist/', import.meta.url).pathname;
    const files = allFiles(dist);
    expect(files.some((f) => f.endsWith('main.js')), 'dist/ is not built').toBe(true);
    expect(files.filter((f) => readFileSync(f, 'latin1').includes('ATCLI_TEST_'))).toEqual([]);
  });
});
