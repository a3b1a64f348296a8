// The restore runner's bookkeeping (no network: decided from the state file alone).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { RESTORE_STEPS, loadRestoreJournal, newRestoreJournal, saveRestoreJournal, type RestoreJournal, type RestoreStep } from '../../../src/core/account/restore/journal.js';
import { restoreAccount, restoreWhatToDo, type RestoreOptions } from '../../../src/core/account/restore/restore.js';
import { markStep } from '../../../src/core/account/steps/runner.js';
import { baseConfig } from '../net/helpers.js';

const rotation = generatePrivateKey('k256');
const signing = generatePrivateKey('k256');

function journalAt(doneUpTo?: RestoreStep): RestoreJournal {
  const j = newRestoreJournal({
    did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    backupDir: '/b/alice',
    newPds: 'https://new.example',
    newPdsDid: 'did:web:new.example',
    newHandle: 'alice.new.example',
    newEmail: 'alice@example.com',
    rotationKey: rotation.publicKey.did(),
    signingKey: { publicKey: signing.publicKey.did(), file: '/k/signing.key' },
    dropRotationKeys: [],
    backup: { rev: '3kabc', commit: 'bafy', records: 1, repoSha256: 'a'.repeat(64), repoSigningKey: null, blobs: 0, preferences: null },
  });
  if (doneUpTo !== undefined) for (const s of RESTORE_STEPS.slice(0, RESTORE_STEPS.indexOf(doneUpTo) + 1)) markStep(j, s, 'done');
  return j;
}

function options(path: string, over: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    http: baseConfig(),
    identity: { http: baseConfig(), plcUrl: 'https://plc.invalid' },
    dev: false,
    backupDir: '/b/alice',
    journalPath: path,
    to: 'https://new.example',
    rotationKey: rotation,
    signingKey: { key: signing },
    dryRun: false,
    resume: false,
    callbacks: { newPassword: async () => 'x', confirm: async () => false },
    ...over,
  };
}

describe('restoreAccount: state-file rules', () => {
  it('keeps its state 0600 and refuses to start over a restore under way, or to resume none', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-restore-')), 'state', 'restore.json');
    await expect(restoreAccount(options(path, { resume: true }))).rejects.toMatchObject({ code: 'NoRestoreState', kind: 'usage' });
    await saveRestoreJournal(path, journalAt('blobs'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await loadRestoreJournal(path))?.steps.blobs.status).toBe('done');
    await expect(restoreAccount(options(path))).rejects.toMatchObject({ code: 'RestoreInProgress' });
  });

  it('resumes only with the keys it started with, and reports a finished restore without the network', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-restore-')), 'restore.json');
    await saveRestoreJournal(path, journalAt('blobs'));
    await expect(restoreAccount(options(path, { resume: true, rotationKey: generatePrivateKey('k256') }))).rejects.toMatchObject({ code: 'RotationKeyMismatch' });
    await expect(restoreAccount(options(path, { resume: true, signingKey: { key: generatePrivateKey('k256') } }))).rejects.toMatchObject({ code: 'SigningKeyMismatch' });
    const j = journalAt('report');
    j.status = 'completed';
    await saveRestoreJournal(path, j);
    const r = await restoreAccount(options(path, { resume: true }));
    expect(r).toMatchObject({ status: 'completed', did: j.did, signingKey: { publicKey: signing.publicKey.did(), generated: true } });
    await expect(restoreAccount(options(path))).rejects.toMatchObject({ code: 'AlreadyRestored' });
  });

  it('says what the identity looks like at each stage', () => {
    expect(restoreWhatToDo(journalAt('build-take-over'))).toMatch(/nothing about the identity changed/);
    expect(restoreWhatToDo(journalAt('blobs'))).toMatch(/points at new\.example with your signing key .* kept in \/k\/signing\.key/);
    expect(restoreWhatToDo(journalAt('verify-identity'))).toMatch(/handed to new\.example; resume the restore to activate/);
  });
});
