import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, readPrivateKeyFile, writePrivateKeyFile } from '../../../src/core/crypto/index.js';

describe('private key files', () => {
  it('writes the key 0600 in a new folder, reads it back, and never overwrites a file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'atcli-keyfile-')), 'keys');
    const key = generatePrivateKey('p256');
    const path = join(dir, 'recovery.key');
    const written = await writePrivateKeyFile(path, key);
    expect(written).toEqual({ path, type: 'p256', publicKey: key.publicKey.did() });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toBe(`${key.multikey()}\n`);
    expect((await readPrivateKeyFile(path)).publicKey.did()).toBe(key.publicKey.did());
    const other = generatePrivateKey('k256');
    await expect(writePrivateKeyFile(path, other)).rejects.toMatchObject({ code: 'FileExists', kind: 'usage' });
    expect((await readPrivateKeyFile(path)).publicKey.did()).toBe(key.publicKey.did());
  });

  it('says what is wrong with a missing or unusable file without repeating its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-keyfile-'));
    await expect(readPrivateKeyFile(join(dir, 'none'))).rejects.toMatchObject({ code: 'KeyFileNotFound' });
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'zSecretLookingButWrongText123\n');
    const err = await readPrivateKeyFile(junk).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'InvalidPrivateKey' });
    expect((err as Error).message).not.toContain('SecretLooking');
  });
});
