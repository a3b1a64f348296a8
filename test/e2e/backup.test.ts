// Backups against the real local network: a full first run, an incremental second run that
// downloads only what changed, offline verification, and damage it must name.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadBlob, xrpc } from '../network/client.js';
import { applyWrites, coreConfig, network, networkInfo, newAccount, populate, sessionClient, type Write } from './helpers.js';
import { runBackup, verifyBackup, readManifest, type BackupResult } from '../../src/core/backup/index.js';

const PREFERENCES = [
  { $type: 'app.bsky.actor.defs#adultContentPref', enabled: true },
  { $type: 'app.bsky.actor.defs#savedFeedsPrefV2', items: [{ id: '3kabcdefgh222', type: 'timeline', value: 'following', pinned: true }] },
];

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

function flipByte(path: string, at: number): () => void {
  const bytes = readFileSync(path);
  const original = Buffer.from(bytes);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(path, bytes);
  return () => writeFileSync(path, original);
}

describe.skipIf(!networkInfo)('backup against the real network', () => {
  it('takes a full backup (300+ records, 20+ blobs, preferences), verifies it offline, downloads only what changed the second time, and names damaged files', async () => {
    const net = await network();
    const account = await newAccount(net, 'backup');
    await populate(account, { posts: 200, likes: 60, follows: 45, imagePosts: 21 });
    await xrpc(account.pdsUrl, 'app.bsky.actor.putPreferences', { accessJwt: account.accessJwt, body: { preferences: PREFERENCES } });
    const requests: string[] = [];
    // The handle's https well-known goes to the PDS that serves it.
    const cfg = coreConfig(net, [`${account.handle}:80:127.0.0.1:${net.pds.a.port}`]);
    cfg.http.log = (line) => requests.push(line);
    const dir = join(mkdtempSync(join(tmpdir(), 'atcli-backup-')), 'alice');

    const first = await runBackup({ ...cfg, id: account.handle, dir, session: await sessionClient(cfg.http, account.pdsUrl, account.did, account.password), keep: 2 });
    expect(first).toMatchObject({ status: 'complete', did: account.did, repo: { via: 'full', records: 306 }, blobs: { downloaded: 22, reused: 0, failed: [] }, preferences: { saved: true, count: 2 } });
    expect(first.repo.signature.status).toBe('valid');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of allFiles(dir)) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const manifest = (await readManifest(dir))!;
    expect(manifest.blobs.items).toHaveLength(22);
    expect(manifest.blobs.items.every((b) => b.mimeType === 'image/png')).toBe(true);
    expect(manifest.auditLog?.operations).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'preferences.json'), 'utf8'))).toEqual({ preferences: PREFERENCES });

    const verified = await verifyBackup(dir);
    expect(verified.status, JSON.stringify(verified.errors)).toBe('valid');
    expect(verified).toMatchObject({ missing: [], damaged: [], repo: { records: 306, signature: { status: 'valid' } }, blobs: { referenced: 22 } });

    // Ten new records, two of them with new images.
    const writes: Write[] = [];
    for (let i = 0; i < 10; i++) {
      const image = i < 2 ? await uploadBlob(account.pdsUrl, account.accessJwt, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, i, 1, 2, 3]), 'image/png') : undefined;
      writes.push({
        $type: 'com.atproto.repo.applyWrites#create',
        collection: 'app.bsky.feed.post',
        value: { $type: 'app.bsky.feed.post', text: `after the first backup ${i}`, createdAt: new Date().toISOString(), ...(image ? { embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'new', image }] } } : {}) },
      });
    }
    await applyWrites(account, writes);
    requests.length = 0;
    const second: BackupResult = await runBackup({ ...cfg, id: account.did, dir, keep: 2 });
    expect(second.repo).toMatchObject({ via: 'incremental', records: 316, previousRev: first.repo.rev });
    expect(second.repo.diff?.recordBlocks).toBe(10);
    expect(second.repo.diff?.recordBlocksReused).toBeGreaterThanOrEqual(250);
    expect(second.repo.downloadedBytes).toBeLessThan(first.repo.bytes / 4);
    expect(second.blobs).toMatchObject({ downloaded: 2, reused: 22, total: 24 });
    // atcli's own request log: two blob downloads and one repository diff, nothing else fetched in full.
    expect(requests.filter((l) => l.includes('com.atproto.sync.getBlob'))).toHaveLength(2);
    const repoRequests = requests.filter((l) => l.includes('com.atproto.sync.getRepo'));
    expect(repoRequests).toHaveLength(1);
    expect(repoRequests[0]).toContain(`since=${first.repo.rev}`);
    // Without a session the private preferences are kept from the earlier run, not refreshed.
    expect(second.preferences).toMatchObject({ saved: false, count: 2 });
    expect(second.snapshots.kept).toEqual([`snapshots/repo-${first.repo.rev}.car`]);
    expect((await verifyBackup(dir)).status).toBe('valid');

    // A third run with nothing new downloads nothing.
    requests.length = 0;
    const third = await runBackup({ ...cfg, id: account.did, dir, keep: 2 });
    expect(third.repo).toMatchObject({ via: 'unchanged', downloadedBytes: 0 });
    expect(third.blobs.downloaded).toBe(0);
    expect(requests.filter((l) => l.includes('getBlob') || l.includes('getRepo'))).toHaveLength(0);

    // Damage is found and named.
    const blob = (await readManifest(dir))!.blobs.items[5]!;
    const undoBlob = flipByte(join(dir, 'blobs', blob.cid), 20);
    const badBlob = await verifyBackup(dir);
    expect(badBlob.status).toBe('invalid');
    expect(badBlob.damaged.map((d) => d.file)).toEqual([`blobs/${blob.cid}`]);
    undoBlob();
    const undoCar = flipByte(join(dir, 'repo.car'), statSync(join(dir, 'repo.car')).size - 10);
    const badCar = await verifyBackup(dir);
    expect(badCar.status).toBe('invalid');
    expect(badCar.damaged.map((d) => d.file)).toContain('repo.car');
    expect(badCar.errors.join(' ')).toMatch(/repo\.car/);
    undoCar();
    expect((await verifyBackup(dir)).status).toBe('valid');

    // Anyone can back up the public data: no session, no preferences.
    const publicDir = join(dir, '..', 'public');
    const pub = await runBackup({ ...coreConfig(net), id: account.did, dir: publicDir });
    expect(pub).toMatchObject({ status: 'complete', repo: { via: 'full', records: 316 }, blobs: { downloaded: 24 }, preferences: { saved: false, count: null } });
    expect(existsSync(join(publicDir, 'preferences.json'))).toBe(false);
    expect((await verifyBackup(publicDir)).status).toBe('valid');
    // A folder holding something else is refused.
    await expect(runBackup({ ...coreConfig(net), id: account.did, dir: join(dir, 'blobs') })).rejects.toMatchObject({ code: 'NotABackupFolder' });

    // No secret of the account is anywhere in the folder.
    for (const f of allFiles(dir)) {
      const text = readFileSync(f).toString('latin1');
      expect(text.includes(account.password), f).toBe(false);
      expect(text.includes(account.accessJwt), f).toBe(false);
      expect(text.includes(account.refreshJwt), f).toBe(false);
      expect(/eyJ[A-Za-z0-9_-]{4,}\.eyJ/.test(text), f).toBe(false);
    }
  }, 300_000);
});
