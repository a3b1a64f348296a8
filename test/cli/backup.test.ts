// backup create / verify in-process: argument errors, and the verdicts on folders that are not
// backups. The flows against a real PDS are in test/e2e/backup-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn } from '../support/test-io.js';

describe('backup commands', () => {
  it('refuses a bad --keep, a missing folder argument and a malformed account (exit 2)', async () => {
    expect((await runIn(['backup', 'create', 'alice.example.com', 'd', '--keep', '-1'])).code).toBe(2);
    expect((await runIn(['backup', 'create', 'alice.example.com'])).code).toBe(2);
    const bad = await runIn(['backup', 'create', 'not a handle', 'd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a valid handle or DID/);
  });

  it('backup create refuses a folder that is neither empty nor a backup, before any network (exit 2)', async () => {
    const dir = tempDir('atcli-backup-');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await runIn(['backup', 'create', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', dir, '--dev', '--plc', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('neither empty nor an atcli backup');
    expect(r.stderr).toContain('atcli backup create');
  });

  it('backup verify: a missing folder and a folder without a manifest are usage errors (exit 2)', async () => {
    expect((await runIn(['backup', 'verify', '/nonexistent/atcli-backup'])).code).toBe(2);
    const empty = tempDir('atcli-backup-');
    mkdirSync(join(empty, 'blobs'));
    const r = await runIn(['backup', 'verify', empty, '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stderr.trim().split('\n').pop()!)).toMatchObject({ error: { code: 'NotABackup' } });
  });

  it('backup verify: a damaged manifest is invalid data (exit 3)', async () => {
    const dir = tempDir('atcli-backup-');
    writeFileSync(join(dir, 'backup.json'), '{"kind": "something else"}');
    const r = await runIn(['backup', 'verify', dir]);
    expect(r.code, r.stderr).toBe(3);
  });
});
