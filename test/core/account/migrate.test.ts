// The migration runner's bookkeeping (no network: everything here is decided from the state file).
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupDirFor, markStep, newJournal, saveJournal, type MigrationJournal } from '../../../src/core/account/journal.js';
import { migrateAccount, whatToDo, type MigrateOptions } from '../../../src/core/account/migrate.js';
import { MIGRATION_STEPS, type MigrationStep } from '../../../src/core/account/plan.js';
import { SessionAuth, XrpcClient } from '../../../src/core/xrpc/index.js';
import { baseConfig } from '../net/helpers.js';

function journalAt(path: string, doneUpTo?: MigrationStep): MigrationJournal {
  const j = newJournal({
    did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    oldPds: 'https://old.example',
    oldHandle: 'alice.old.example',
    newPds: 'https://new.example',
    newPdsDid: 'did:web:new.example',
    newHandle: 'alice.new.example',
    newEmail: 'alice@example.com',
    backupDir: backupDirFor(path),
  });
  if (doneUpTo !== undefined) for (const s of MIGRATION_STEPS.slice(0, MIGRATION_STEPS.indexOf(doneUpTo) + 1)) markStep(j, s, 'done');
  return j;
}

function options(path: string, over: Partial<MigrateOptions> = {}): MigrateOptions {
  const auth = SessionAuth.inMemory({ did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', handle: 'alice.old.example', pds: 'https://old.example', accessJwt: 'a', refreshJwt: 'r', obtainedAt: new Date().toISOString() });
  return {
    http: baseConfig(),
    identity: { http: baseConfig(), plcUrl: 'https://plc.invalid' },
    dev: false,
    journalPath: path,
    oldClient: new XrpcClient({ service: 'https://old.example', http: baseConfig(), auth }),
    oldAuth: auth,
    to: 'https://new.example',
    dryRun: false,
    resume: false,
    callbacks: {
      newPassword: async () => 'x',
      plcToken: async () => undefined,
      confirmIdentity: async () => false,
    },
    ...over,
  };
}

describe('migrateAccount: state-file rules', () => {
  it('refuses to start over a migration in progress, and to resume without one', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-mig-')), 'migrate.json');
    await expect(migrateAccount(options(path, { resume: true }))).rejects.toMatchObject({ code: 'NoMigrationState', kind: 'usage' });
    await saveJournal(path, journalAt(path, 'blobs'));
    await expect(migrateAccount(options(path))).rejects.toMatchObject({ code: 'MigrationInProgress', hint: expect.stringContaining('resume it'), details: { stateFile: path } });
  });

  it('a completed migration is reported on --resume (no network needed) and not started again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-mig-')), 'migrate.json');
    const j = journalAt(path, 'report');
    j.status = 'completed';
    await saveJournal(path, j);
    const { result } = await migrateAccount(options(path, { resume: true }));
    expect(result).toMatchObject({ status: 'completed', did: j.did, stateFile: path });
    expect(result.plan.every((p) => p.status === 'done')).toBe(true);
    await expect(migrateAccount(options(path))).rejects.toMatchObject({ code: 'AlreadyMigrated' });
  });

  it('says what to do at each stage: before the identity moves the old account is still usable', () => {
    const path = '/s/migrate.json';
    expect(whatToDo(journalAt(path, 'blobs'), path)).toMatch(/nothing about your identity changed: your account on old\.example is still active and fully usable\. Resuming continues the migration from its state file \/s\/migrate\.json/);
    expect(whatToDo(journalAt(path, 'blobs'), path)).toContain('deactivated copy on new.example');
    expect(whatToDo(journalAt(path, 'submit-plc-op'), path)).toMatch(/points at new\.example, but the account there is not active yet/);
    expect(whatToDo(journalAt(path, 'verify-new'), path)).toMatch(/old account on old\.example has not been deactivated yet/);
  });
});
