// key generate -o / --recovery in-process: a 0600 file that is never overwritten, the private key
// never on stdout, and the warning to keep it offline.
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn } from '../support/test-io.js';
import { parsePrivateKeyText } from '../../src/core/crypto/index.js';

describe('key generate --recovery', () => {
  it('writes the key to a 0600 file, prints only the public half, and warns to keep it offline', async () => {
    const file = join(tempDir('atcli-key-'), 'sub', 'recovery.key');
    const r = await runIn(['key', 'generate', '--recovery', '-o', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { publicKey: string; file: string; type: string };
    expect(result).toMatchObject({ file, type: 'k256', recovery: true });
    expect(r.stdout).not.toContain('privateKey');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = parsePrivateKeyText(readFileSync(file, 'utf8'), { source: file });
    expect(key.publicKey.did()).toBe(result.publicKey);
    expect(r.stdout).not.toContain(key.multikey());
    expect(r.stderr).toContain('OFFLINE');
    expect(r.stderr).toContain(`atcli account recovery-key add ${result.publicKey}`);
  });

  it('never overwrites a file (exit 2) and needs -o (exit 2)', async () => {
    const file = join(tempDir('atcli-key-'), 'taken.key');
    writeFileSync(file, 'precious');
    const r = await runIn(['key', 'generate', '--recovery', '-o', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('never overwritten');
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const noOut = await runIn(['key', 'generate', '--recovery']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--output');
    expect(noOut.stdout).toBe('');
  });

  it('-o without --recovery writes a p256 key file without the recovery advice', async () => {
    const file = join(tempDir('atcli-key-'), 'p.key');
    const r = await runIn(['key', 'generate', '-t', 'p256', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('did:key:zDn');
    expect(r.stderr).not.toContain('OFFLINE');
  });
});

describe('account recovery-key add', () => {
  it('refuses a private key or a malformed key before logging in (exit 2)', async () => {
    expect((await runIn(['account', 'recovery-key', 'add', 'z3u2abcdef'])).code).toBe(2);
    expect((await runIn(['account', 'recovery-key', 'add', 'did:key:zNOPE'])).code).toBe(2);
  });
});
