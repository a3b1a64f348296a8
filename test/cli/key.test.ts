import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectNoStack, runCli, stderrJsonError, stdoutJson, tempDir } from './run-cli.js';

interface Generated {
  type: string;
  privateKey: string;
  publicKey: string;
}

describe('atcli key', () => {
  it.each(['k256', 'p256'])('generate --type %s, then inspect both halves', async (type) => {
    const gen = await runCli(['key', 'generate', '--type', type, '--json']);
    expect(gen.code).toBe(0);
    const key = stdoutJson<Generated>(gen);
    expect(key.type).toBe(type);
    expect(key.publicKey).toMatch(type === 'k256' ? /^did:key:zQ3s/ : /^did:key:zDna/);

    const pub = stdoutJson<{ type: string; publicKey: string; private: boolean }>(await runCli(['key', 'inspect', key.publicKey, '--json']));
    expect(pub).toMatchObject({ type, publicKey: key.publicKey, private: false });

    const dir = tempDir();
    const file = join(dir, 'key.txt');
    writeFileSync(file, `${key.privateKey}\n`, { mode: 0o600 });
    const priv = await runCli(['key', 'inspect', '--key-file', file, '--json']);
    expect(priv.code).toBe(0);
    expect(stdoutJson(priv)).toMatchObject({ type, publicKey: key.publicKey, private: true });
    expect(priv.stdout).not.toContain(key.privateKey);

    const viaStdin = await runCli(['key', 'inspect', '-', '--json'], { input: key.privateKey });
    expect(stdoutJson(viaStdin)).toMatchObject({ publicKey: key.publicKey, private: true });
  });

  it('generate: human output names the fields', async () => {
    const r = await runCli(['key', 'generate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^type\s+k256$/m);
    expect(r.stdout).toMatch(/^public key\s+did:key:z/m);
    expect(r.stdout).toMatch(/^private key\s+z/m);
  });

  it('refuses a private key on the command line (exit 2) without echoing it', async () => {
    const key = stdoutJson<Generated>(await runCli(['key', 'generate', '--json']));
    const r = await runCli(['key', 'inspect', key.privateKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--key-file');
    expect(r.stderr).not.toContain(key.privateKey);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['z25z9DTpsiYYJKGsWmSPJK2NFN8PcJtZig12K59UgW7q5t', 'k256', 'did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc'],
    ['zxdM8dSstjrpZaRUwBmDvjGXweKuEMVN95A9oJBFjkWMh', 'p256', 'did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo'],
  ])('inspects the legacy raw-point multibase form found in old DID documents (%s)', async (legacy, type, didKey) => {
    const guessed = await runCli(['key', 'inspect', legacy, '--json']);
    if (guessed.code === 2) expect(stderrJsonError(guessed).code).toBe('AmbiguousKeyType');
    else expect(stdoutJson(guessed)).toMatchObject({ type, publicKey: didKey, form: 'legacy' });
    const r = await runCli(['key', 'inspect', legacy, '--type', type, '--json']);
    expect(r.code).toBe(0);
    expect(stdoutJson(r)).toMatchObject({ type, publicKey: didKey, private: false });
  });

  it.each([
    ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', 'ed25519 (unsupported curve)'],
    ['did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJw', 'truncated'],
    ['mQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc', 'wrong multibase'],
    ['did:key:z111111111111111111111111111111111111', 'garbage'],
  ])('rejects a bad public key %s (%s) with exit 3 and one error line', async (input) => {
    const r = await runCli(['key', 'inspect', input, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(stderrJsonError(r).code).toBe('InvalidPublicKey');
    expectNoStack(r);
  });

  it('a missing key file is a usage error', async () => {
    const r = await runCli(['key', 'inspect', '--key-file', '/nonexistent/key']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: key file: no such file/m);
  });
});
