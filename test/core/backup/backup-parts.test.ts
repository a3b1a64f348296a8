// The offline parts of backups: the manifest reader, blob references in records, and the commit
// signature judged by the key history of an audit log.
import { describe, expect, it } from 'vitest';
import { Cid, cidForRaw, parseCid } from '../../../src/core/codec/index.js';
import { blobRefsIn } from '../../../src/core/blob/index.js';
import { isSafeRelativePath, parseManifest, type BackupManifest } from '../../../src/core/backup/manifest.js';
import { savedKeySource } from '../../../src/core/backup/signature.js';
import { verifyRepoCar } from '../../../src/core/repo/verify.js';
import { signingKeyHistory } from '../../../src/core/plc/key-history.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { atprotoOp, HOUR_MS, iso, LogBuilder, makeKeys, T0 } from '../plc/helpers.js';
import { buildRepo, chunks } from '../repo/repo-builder.js';

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

describe('commit signature judged by the keys saved in the backup', () => {
  it('valid with the key in force when taken, historical with an earlier key, invalid with any other, unchecked without keys', async () => {
    const keys = makeKeys();
    const newSigning = generatePrivateKey('k256');
    const log = new LogBuilder();
    const g = log.add(atprotoOp(keys, null), keys.r0, T0);
    const moved = { ...atprotoOp(keys, g), verificationMethods: { atproto: newSigning.publicKey.did() } };
    log.add(moved, keys.r0, T0 + 24 * HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    const judge = async (car: Uint8Array, source: ReturnType<typeof savedKeySource>) =>
      (await verifyRepoCar(chunks(car), { expectedDid: log.did, signingKeys: source })).signature;
    const later = savedKeySource(history, null, iso(T0 + 48 * HOUR_MS));
    const oldRepo = buildRepo({ did: log.did, key: keys.signing });
    const newRepo = buildRepo({ did: log.did, key: newSigning });
    const forged = buildRepo({ did: log.did, key: keys.attacker });
    expect(await judge(newRepo.car, later)).toMatchObject({ status: 'valid', key: newSigning.publicKey.did() });
    expect(await judge(oldRepo.car, later)).toMatchObject({ status: 'historical', key: keys.signing.publicKey.did(), windows: [{ from: iso(T0), until: iso(T0 + 24 * HOUR_MS) }] });
    // Taken while the old key was in force: valid.
    expect(await judge(oldRepo.car, savedKeySource(history, null, iso(T0 + HOUR_MS)))).toMatchObject({ status: 'valid' });
    expect(await judge(forged.car, later)).toMatchObject({ status: 'invalid' });
    expect(await judge(newRepo.car, savedKeySource(null, null, iso(T0)))).toMatchObject({ status: 'unchecked' });
    // did:web: the saved document's key only.
    expect(await judge(newRepo.car, savedKeySource(null, newSigning.publicKey.did(), iso(T0)))).toMatchObject({ status: 'valid' });
  });
});
