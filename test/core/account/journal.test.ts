import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backupDirFor,
  firstPending,
  isDone,
  journalFileName,
  loadJournal,
  lockJournal,
  markStep,
  newJournal,
  planEntries,
  resetFrom,
  saveJournal,
} from '../../../src/core/account/journal.js';
import { MIGRATION_STEPS, isMigrationStep } from '../../../src/core/account/plan.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'atcli-journal-'));

function sample(path: string) {
  return newJournal({
    did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    oldPds: 'https://old.example',
    oldHandle: 'alice.old.example',
    newPds: 'https://new.example',
    newPdsDid: 'did:web:new.example',
    newHandle: 'alice.new.example',
    newEmail: 'alice@example.com',
    backupDir: backupDirFor(path),
  });
}

describe('migration journal', () => {
  it('names the file after the DID and keeps the backup beside it', () => {
    expect(journalFileName('did:plc:ewvi7nxzyoun6zhxrhs64oiz')).toBe(process.platform === 'win32' ? 'migrate-did_plc_ewvi7nxzyoun6zhxrhs64oiz.json' : 'migrate-did:plc:ewvi7nxzyoun6zhxrhs64oiz.json');
    expect(backupDirFor('/s/migrate-x.json')).toBe('/s/migrate-x.backup');
  });

  it('is written atomically with mode 0600 in a 0700 folder and read back', async () => {
    const d = join(dir(), 'state', 'atcli');
    const path = join(d, 'migrate.json');
    const j = sample(path);
    markStep(j, 'preflight', 'done', { note: 'ok' });
    await saveJournal(path, j);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    const back = await loadJournal(path);
    expect(back).toEqual(j);
    expect(back && isDone(back, 'preflight')).toBe(true);
    expect(back && firstPending(back)).toBe('service-auth');
  });

  it('refuses to write anything that looks like a token', async () => {
    const path = join(dir(), 'migrate.json');
    const j = sample(path);
    (j as unknown as Record<string, unknown>)['oops'] = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    await expect(saveJournal(path, j)).rejects.toMatchObject({ code: 'JournalSecret' });
    expect(existsSync(path)).toBe(false);
  });

  it('reports a damaged or foreign state file clearly, and none as null', async () => {
    const d = dir();
    expect(await loadJournal(join(d, 'none.json'))).toBeNull();
    const bad = join(d, 'bad.json');
    writeFileSync(bad, '{ nope');
    await expect(loadJournal(bad)).rejects.toMatchObject({ code: 'InvalidMigrationState' });
    writeFileSync(bad, JSON.stringify({ kind: 'something-else' }));
    await expect(loadJournal(bad)).rejects.toThrow(/not an atcli migration state file/);
    const j = sample(bad) as unknown as Record<string, unknown>;
    delete (j['steps'] as Record<string, unknown>)['blobs'];
    writeFileSync(bad, JSON.stringify(j));
    await expect(loadJournal(bad)).rejects.toThrow(/step "blobs" is missing/);
  });

  it('resets a range of steps for a redo and lists the plan with statuses', () => {
    const j = sample('/x/migrate.json');
    for (const s of MIGRATION_STEPS.slice(0, 10)) markStep(j, s, 'done');
    resetFrom(j, 'export-repo', 'verify-copy');
    expect(firstPending(j)).toBe('export-repo');
    expect(isDone(j, 'request-plc-token')).toBe(true);
    const plan = planEntries(j);
    expect(plan).toHaveLength(MIGRATION_STEPS.length);
    expect(plan[0]).toMatchObject({ index: 1, name: 'preflight', status: 'done' });
    expect(plan[3]).toMatchObject({ name: 'export-repo', status: 'pending' });
    expect(isMigrationStep('blobs')).toBe(true);
    expect(isMigrationStep('nope')).toBe(false);
  });

  it('locks out a second live process and takes over the lock of a dead one', async () => {
    const path = join(dir(), 'migrate.json');
    const release = await lockJournal(path);
    await expect(lockJournal(path)).resolves.toBeTypeOf('function'); // same process: re-entrant takeover
    await release();
    // A lock held by a live process (this test's parent) is refused.
    writeFileSync(`${path}.lock`, `${process.ppid} abc\n`);
    await expect(lockJournal(path)).rejects.toMatchObject({ code: 'MigrationLocked' });
    // A lock whose process is gone (SIGKILL) is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${path}.lock`, `${dead} abc\n`);
    const again = await lockJournal(path);
    expect(readFileSync(`${path}.lock`, 'utf8')).toContain(String(process.pid));
    await again();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
