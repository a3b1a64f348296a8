// `atcli account …` as a subprocess, for what needs no network: usage errors, offline
// service-auth tokens, help, and secrets staying off the command line.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectNoStack, runCli, stderrJsonError, stdoutJson, tempDir } from './run-cli.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { verifyServiceAuth, decodeJwt } from '../../src/core/account/service-auth.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const AUD = 'did:web:pds.example.com';

describe('atcli account (offline)', () => {
  it('lists every account command in help, and migrate documents its steps, passwords and resume', async () => {
    const help = await runCli(['account', '--help']);
    expect(help.code).toBe(0);
    for (const c of ['login', 'logout', 'whoami', 'status', 'create', 'service-auth', 'activate', 'deactivate', 'missing-blobs', 'migrate', 'plc']) expect(help.stdout).toContain(`  ${c}`);
    const plc = await runCli(['account', 'plc', '--help']);
    for (const c of ['recommended', 'request-token', 'sign', 'submit']) expect(plc.stdout).toContain(`  ${c}`);
    const mig = await runCli(['account', 'migrate', '--help']);
    expect(mig.code).toBe(0);
    for (const t of ['--to', '--resume', '--plc-token', '--recovery-key', '--state-file', 'ATCLI_NEW_PASSWORD', 'not an app password', 'verify-copy', 'deactivate-old', '--dry-run']) expect(mig.stdout).toContain(t);
  });

  it('signs service-auth tokens offline with a key file (ES256K and ES256), verifiable with the public key', async () => {
    const dir = tempDir('atcli-svc-');
    for (const [type, alg] of [['k256', 'ES256K'], ['p256', 'ES256']] as const) {
      const key = generatePrivateKey(type);
      const file = join(dir, `${type}.key`);
      writeFileSync(file, `${key.multikey()}\n`);
      const r = await runCli(['account', 'service-auth', '--aud', AUD, '--lxm', 'com.atproto.server.createAccount', '--exp', '300', '--key-file', file, '--iss', DID, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = stdoutJson<{ token: string; iss: string; aud: string; lxm: string; exp: number; offline: boolean }>(r);
      expect(out).toMatchObject({ iss: DID, aud: AUD, lxm: 'com.atproto.server.createAccount', offline: true });
      expect(decodeJwt(out.token).header['alg']).toBe(alg);
      expect(verifyServiceAuth(out.token, key.publicKey, { aud: AUD, lxm: 'com.atproto.server.createAccount' })['iss']).toBe(DID);
      expect(out.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(250);
      expect(r.stdout + r.stderr).not.toContain(key.multikey());
    }
    // The JSON written by "atcli key generate --json" works too, and the human form is the bare token.
    const key = generatePrivateKey('k256');
    const file = join(dir, 'gen.json');
    writeFileSync(file, JSON.stringify({ type: 'k256', privateKey: key.multikey(), publicKey: key.publicKey.did() }));
    const human = await runCli(['account', 'service-auth', '--aud', AUD, '--key-file', file, '--iss', DID]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim().split('.')).toHaveLength(3);
    verifyServiceAuth(human.stdout.trim(), key.publicKey, { aud: AUD });
  });

  it('usage errors exit 2 with a hint and no stack: bad inputs, secrets on the command line, missing passwords', async () => {
    const key = generatePrivateKey('k256');
    const cases: Array<{ args: string[]; code: string; env?: Record<string, string> }> = [
      { args: ['account', 'service-auth', '--aud', AUD, '--key-file', key.multikey(), '--iss', DID, '--json'], code: 'SecretOnCommandLine' },
      { args: ['account', 'service-auth', '--aud', 'pds.example.com', '--iss', DID, '--json'], code: 'InvalidAudience', env: { ATCLI_SIGNING_KEY: key.multikey() } },
      { args: ['account', 'service-auth', '--aud', AUD, '--exp', '120', '--iss', DID, '--json'], code: 'InvalidExpiry', env: { ATCLI_SIGNING_KEY: key.multikey() } },
      { args: ['account', 'migrate', '--json'], code: 'MissingTarget' },
      { args: ['account', 'migrate', '--to', 'https://pds.example.com', '--recovery-key', 'zQ3shnope', '--json'], code: 'InvalidRecoveryKey' },
      { args: ['account', 'migrate', '--to', 'https://pds.example.com', '--concurrency', '99', '--json'], code: 'InvalidConcurrency' },
      { args: ['account', 'create', '--pds', 'https://pds.example.com', '--handle', 'a.test', '--email', 'a@x.test', '--service-auth', 'x.y.z', '--json'], code: 'DidRequired' },
      { args: ['account', 'create', '--pds', 'https://pds.example.com', '--handle', 'a.test', '--email', 'a@x.test', '--existing-did', DID, '--json'], code: 'ServiceAuthRequired' },
    ];
    for (const c of cases) {
      const r = await runCli(c.args, { env: c.env ?? {} });
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(stderrJsonError(r).code).toBe(c.code);
      expect(stderrJsonError(r).hint ?? '').not.toBe('');
      expectNoStack(r);
      expect(r.stderr).not.toContain(key.multikey());
    }
  });

  it('commands that need a login say so (exit 5), naming how to log in', async () => {
    for (const args of [
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
      const r = await runCli([...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(5);
      expect(stderrJsonError(r)).toMatchObject({ code: 'NotLoggedIn', hint: expect.stringContaining('atcli account login') });
    }
  });

  it('plc sign and submit read the operation from a file and refuse what is not JSON before any network call', async () => {
    const dir = tempDir('atcli-plcfile-');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    const r = await runCli(['account', 'plc', 'submit', bad, '--json']);
    expect(r.code).toBe(3);
    expect(stderrJsonError(r).code).toBe('InvalidJson');
    const none = await runCli(['account', 'plc', 'sign', join(dir, 'missing.json'), '--token', 'x', '--json']);
    expect(none.code).toBe(2);
    expect(stderrJsonError(none).code).toBe('FileNotFound');
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{"prev":"x"}');
    const e = await runCli(['account', 'plc', 'sign', empty, '--token', 'x', '--json']);
    expect(e.code).toBe(3);
    expect(stderrJsonError(e).code).toBe('InvalidOperation');
  });
});
