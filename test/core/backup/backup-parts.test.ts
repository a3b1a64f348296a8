// The offline parts of backups: the manifest reader, blob references in records, and the commit
// signature judged by the key history of an audit log.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cid, cidForRaw, parseCid } from '../../../src/core/codec/index.js';
import { blobRefsIn } from '../../../src/core/blob/index.js';
import { isSafeRelativePath, parseManifest, type BackupManifest } from '../../../src/core/backup/manifest.js';
import { checkCommitSignature } from '../../../src/core/backup/signature.js';
import { signingKeyHistory } from '../../../src/core/plc/key-history.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { tidFromTime } from '../../../src/core/syntax/index.js';
import { atprotoOp, HOUR_MS, iso, LogBuilder, makeKeys, T0 } from '../plc/helpers.js';
import { buildRepo } from '../repo/repo-builder.js';

const SHA = 'a'.repeat(64);

function manifest(over: Partial<BackupManifest> = {}): BackupManifest {
  const file = (name: string) => ({ file: name, bytes: 1, sha256: SHA, takenAt: '2025-01-01T00:00:00.000Z' });
  return {
    kind: 'atcli-backup',
    version: 1,
    did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    handle: 'alice.test',
    pds: 'https://pds.example',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    repo: { ...file('repo.car'), rev: '3kabc', commit: 'bafy', records: 1, blocks: 3, collections: { 'app.bsky.feed.post': 1 }, signingKey: null },
    snapshots: [],
    blobs: { takenAt: '2025-01-01T00:00:00.000Z', count: 0, bytes: 0, items: [], unavailable: [], retired: [] },
    preferences: null,
    didDocument: file('did.json'),
    auditLog: { ...file('plc-audit-log.json'), operations: 1, head: 'bafy' },
    ...over,
  };
}

describe('backup manifest', () => {
  it('reads back what it wrote', () => {
    const m = manifest();
    expect(parseManifest(JSON.stringify(m), 'x')).toEqual(m);
  });

  it.each([
    ['../outside', false],
    ['/etc/passwd', false],
    ['blobs/../../x', false],
    ['a/b/c', false],
    ['blobs/bafkreiabc', true],
    ['repo.car', true],
    ['snapshots/repo-3kabc.car', true],
  ])('path %s is safe: %s', (p, ok) => {
    expect(isSafeRelativePath(p)).toBe(ok);
  });

  it('refuses a manifest that names a file outside the folder, or is damaged', () => {
    const m = manifest();
    m.repo.file = '../../home/user/.ssh/id_rsa';
    expect(() => parseManifest(JSON.stringify(m), 'backup.json')).toThrow(/outside the folder/);
    expect(() => parseManifest('{', 'backup.json')).toThrow(expect.objectContaining({ code: 'InvalidBackupManifest' }));
    const bad = manifest() as unknown as Record<string, unknown>;
    (bad['blobs'] as Record<string, unknown>)['items'] = [{ cid: 'x', size: -1, mimeType: 'image/png' }];
    expect(() => parseManifest(JSON.stringify(bad), 'backup.json')).toThrow(/blobs\.items\[0\]\.size/);
  });
});

describe('blob references in records', () => {
  it('finds blob objects at any depth and the legacy form, and skips what is not a blob CID', () => {
    const a = cidForRaw(new Uint8Array([1]));
    const b = cidForRaw(new Uint8Array([2]));
    const c = cidForRaw(new Uint8Array([3]));
    const out = new Set<string>();
    blobRefsIn(
      {
        $type: 'app.bsky.feed.post',
        embed: { images: [{ image: { $type: 'blob', ref: a, mimeType: 'image/png', size: 1 } }, { image: { $type: 'blob', ref: b, mimeType: 'image/png', size: 1 } }] },
        avatar: { cid: c.toString(), mimeType: 'image/jpeg' },
        notABlob: { $type: 'blob', ref: parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm') },
        legacyJunk: { cid: 'nope', mimeType: 'x/y' },
      },
      out,
    );
    expect([...out].sort()).toEqual([a, b, c].map((x: Cid) => x.toString()).sort());
  });
});

describe('commit signature against the key history', () => {
  it('valid with the key in force when taken, historical with an earlier key, invalid with any other', async () => {
    const keys = makeKeys();
    const newSigning = generatePrivateKey('k256');
    const log = new LogBuilder();
    const g = log.add(atprotoOp(keys, null), keys.r0, T0);
    const moved = { ...atprotoOp(keys, g), verificationMethods: { atproto: newSigning.publicKey.did() } };
    log.add(moved, keys.r0, T0 + 24 * HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    const d = mkdtempSync(join(tmpdir(), 'atcli-sig-'));
    const oldRepo = buildRepo({ did: log.did, key: keys.signing });
    writeFileSync(join(d, 'old.car'), oldRepo.car);
    const newRepo = buildRepo({ did: log.did, key: newSigning });
    writeFileSync(join(d, 'new.car'), newRepo.car);
    const forged = buildRepo({ did: log.did, key: keys.attacker });
    writeFileSync(join(d, 'forged.car'), forged.car);

    const input = { history, documentKey: null, at: iso(T0 + 48 * HOUR_MS) };
    expect(await checkCommitSignature(join(d, 'new.car'), input)).toMatchObject({ status: 'valid', key: newSigning.publicKey.did() });
    expect(await checkCommitSignature(join(d, 'old.car'), input)).toMatchObject({ status: 'historical', key: keys.signing.publicKey.did(), window: { from: iso(T0), until: iso(T0 + 24 * HOUR_MS) } });
    // Taken while the old key was in force: valid.
    expect(await checkCommitSignature(join(d, 'old.car'), { ...input, at: iso(T0 + HOUR_MS) })).toMatchObject({ status: 'valid' });
    expect(await checkCommitSignature(join(d, 'forged.car'), input)).toMatchObject({ status: 'invalid', key: null });
    // A rev inside the old key's period is named, but the rev is the signer's word: still historical.
    const made = buildRepo({ did: log.did, key: keys.signing, rev: tidFromTime((T0 + 2 * HOUR_MS) * 1000, 3) });
    writeFileSync(join(d, 'made.car'), made.car);
    expect(await checkCommitSignature(join(d, 'made.car'), input)).toMatchObject({ status: 'historical', detail: expect.stringContaining('falls in that period') });
    expect(await checkCommitSignature(join(d, 'new.car'), { history: null, documentKey: null, at: input.at })).toMatchObject({ status: 'unchecked' });
  });
});
