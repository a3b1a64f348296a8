import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { BlobStore, downloadBlob, listBlobs, mimeTypeOf, syncBlobs, uploadBlob, type SyncProgress } from '../../../src/core/blob/index.js';
import { cidForRaw } from '../../../src/core/codec/index.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { XrpcClient } from '../../../src/core/xrpc/index.js';
import { baseConfig } from '../net/helpers.js';
import { tempDir } from '../../cli/run-cli.js';
import { makeBlob, startFakeBlobPds, type FakeBlob } from './fake-blob-pds.js';

afterAll(async () => {
  await closeHttp();
});

const MIMES = ['image/png', 'image/jpeg', 'video/mp4', 'application/json', 'text/plain'];
const blobs = (n: number, seed = 0): FakeBlob[] => Array.from({ length: n }, (_, i) => makeBlob(seed + i + 1, 1000 + ((i * 7919) % 200_000), MIMES[i % MIMES.length]));
const client = (url: string): XrpcClient => new XrpcClient({ service: url, http: baseConfig(), backoffBaseMs: 5 });
const fast = { backoffBaseMs: 5 };

function stored(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.endsWith('.json')).sort() : [];
}

describe('listBlobs', () => {
  it('pages with the cursor until an empty page and yields every CID once', async () => {
    const all = blobs(23);
    const pds = await startFakeBlobPds(all);
    const got: string[] = [];
    for await (const c of listBlobs(client(pds.url), pds.did, { pageSize: 5 })) got.push(c);
    expect(got).toEqual(all.map((b) => b.cid).sort());
    expect(pds.listRequests.length).toBe(6);
    expect(pds.listRequests.every((r) => r.limit === '5')).toBe(true);
    expect(pds.listRequests[1]!.cursor).toBe(got[4]);
    await pds.close();
  });

  it('a missing repo is an error', async () => {
    const pds = await startFakeBlobPds([]);
    const it = listBlobs(client(pds.url), 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa');
    await expect(it.next()).rejects.toMatchObject({ code: 'RepoNotFound', kind: 'notFound' });
    await pds.close();
  });
});

describe('downloadBlob', () => {
  it('returns verified bytes and the MIME type', async () => {
    const [a] = blobs(1);
    const pds = await startFakeBlobPds([a!]);
    const got = await downloadBlob(client(pds.url), pds.did, a!.cid);
    expect(got.mimeType).toBe('image/png');
    expect(Buffer.compare(got.bytes, a!.bytes)).toBe(0);
    await pds.close();
  });

  it('the MIME type is the short type a PDS stores: parameters (charset added by HTTP servers) dropped; junk becomes octet-stream', () => {
    expect(mimeTypeOf('application/json; charset=utf-8')).toBe('application/json');
    expect(mimeTypeOf('Image/PNG')).toBe('image/png');
    expect(mimeTypeOf(undefined)).toBe('application/octet-stream');
    expect(mimeTypeOf('<html>')).toBe('application/octet-stream');
    expect(mimeTypeOf('image/png\u001b[2J')).toBe('application/octet-stream');
  });

  it('wrong bytes: BlobHashMismatch (invalid); a missing blob: BlobNotFound (not found); a non-blob CID: InvalidBlobCid', async () => {
    const [a, b] = blobs(2);
    const pds = await startFakeBlobPds([a!, b!]);
    pds.misbehave.set(a!.cid, { kind: 'wrong-bytes' });
    pds.misbehave.set(b!.cid, { kind: 'missing' });
    await expect(downloadBlob(client(pds.url), pds.did, a!.cid)).rejects.toMatchObject({ code: 'BlobHashMismatch', kind: 'invalid' });
    await expect(downloadBlob(client(pds.url), pds.did, b!.cid)).rejects.toMatchObject({ code: 'BlobNotFound', kind: 'notFound' });
    await expect(downloadBlob(client(pds.url), pds.did, 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')).rejects.toMatchObject({ code: 'InvalidBlobCid' });
    await pds.close();
  });

  it('maxBytes caps the download; a dropped body is an error; the caller\'s signal aborts', async () => {
    const [a] = blobs(1);
    const pds = await startFakeBlobPds([a!]);
    await expect(downloadBlob(client(pds.url), pds.did, a!.cid, { maxBytes: 100 })).rejects.toMatchObject({ code: 'ResponseTooLarge' });
    pds.requests.clear();
    pds.misbehave.set(a!.cid, { kind: 'drop', times: 1 });
    await expect(downloadBlob(client(pds.url), pds.did, a!.cid)).rejects.toMatchObject({ kind: 'runtime' });
    pds.delayMs = 2000;
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const started = Date.now();
    await expect(downloadBlob(client(pds.url), pds.did, a!.cid, { signal: ctl.signal })).rejects.toMatchObject({ kind: 'interrupted' });
    expect(Date.now() - started).toBeLessThan(1500);
    await pds.close();
  });
});

describe('uploadBlob', () => {
  it('sends the bytes with the MIME type as Content-Type and returns the server reference', async () => {
    const pds = await startFakeBlobPds([]);
    const data = makeBlob(99, 5000).bytes;
    const ref = await uploadBlob(client(pds.url), data, 'image/webp');
    expect(pds.uploads[0]!.contentType).toBe('image/webp');
    expect(Buffer.compare(pds.uploads[0]!.bytes, data)).toBe(0);
    expect(ref).toEqual({ $type: 'blob', ref: { $link: cidForRaw(data).toString() }, mimeType: 'image/webp', size: 5000 });
    pds.uploadAnswer = (bytes) => ({ blob: { $type: 'blob', ref: { $link: cidForRaw(bytes).toString() }, mimeType: 'image/png', size: bytes.length } });
    expect((await uploadBlob(client(pds.url), data, 'image/webp')).mimeType).toBe('image/png');
    await pds.close();
  });

  it('a reference that does not name the bytes sent is BlobRefMismatch', async () => {
    const pds = await startFakeBlobPds([]);
    pds.uploadAnswer = (bytes) => ({ blob: { $type: 'blob', ref: { $link: cidForRaw(bytes.subarray(1)).toString() }, mimeType: 'image/png', size: bytes.length - 1 } });
    await expect(uploadBlob(client(pds.url), new Uint8Array([1, 2, 3]), 'image/png')).rejects.toMatchObject({ code: 'BlobRefMismatch', kind: 'invalid' });
    pds.uploadAnswer = () => ({ ok: true });
    await expect(uploadBlob(client(pds.url), new Uint8Array([1, 2, 3]), 'image/png')).rejects.toMatchObject({ code: 'BlobRefMismatch' });
    await pds.close();
  });
});

describe('syncBlobs', () => {
  it('downloads every blob verified, keeps MIME types; a second run downloads nothing; a corrupted file is fetched again', async () => {
    const all = blobs(30);
    const pds = await startFakeBlobPds(all);
    const dir = tempDir('atcli-sync-');
    const store = new BlobStore(dir);
    const seen: SyncProgress[] = [];
    const r1 = await syncBlobs({ client: client(pds.url), did: pds.did, store, onProgress: (p) => seen.push(p) });
    const total = all.reduce((s, b) => s + b.bytes.length, 0);
    expect(r1).toEqual({ total: 30, downloaded: 30, skipped: 0, failed: [], bytes: total });
    expect(stored(dir)).toEqual(all.map((b) => b.cid).sort());
    for (const b of all) {
      expect(Buffer.compare(readFileSync(store.path(b.cid)), b.bytes)).toBe(0);
      expect(await store.mimeType(b.cid)).toBe(b.mimeType);
    }
    expect(seen.at(-1)).toEqual({ total: 30, done: 30, downloaded: 30, skipped: 0, failed: 0, bytes: total });

    const r2 = await syncBlobs({ client: client(pds.url), did: pds.did, store });
    expect(r2).toEqual({ total: 30, downloaded: 0, skipped: 30, failed: [], bytes: 0 });
    expect([...pds.requests.values()].every((n) => n === 1)).toBe(true);

    const victim = all[3]!;
    const damaged = new Uint8Array(victim.bytes);
    damaged[0] = damaged[0]! ^ 0x80;
    writeFileSync(store.path(victim.cid), damaged);
    const r3 = await syncBlobs({ client: client(pds.url), did: pds.did, store });
    expect(r3).toMatchObject({ downloaded: 1, skipped: 29, failed: [] });
    expect(Buffer.compare(readFileSync(store.path(victim.cid)), victim.bytes)).toBe(0);
    await pds.close();
  });

  it('a server that serves the wrong bytes for a CID: that blob fails (named, after retries), no file under that CID, the rest are fine', async () => {
    const all = blobs(8);
    const pds = await startFakeBlobPds(all);
    const bad = all[5]!;
    pds.misbehave.set(bad.cid, { kind: 'wrong-bytes' });
    const dir = tempDir('atcli-sync-');
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(dir), retries: 2, ...fast });
    expect(r.downloaded).toBe(7);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatchObject({ cid: bad.cid, code: 'BlobHashMismatch' });
    expect(r.failed[0]!.error).toContain('after 3 attempts');
    expect(pds.requests.get(bad.cid)).toBe(3);
    expect(existsSync(`${dir}/${bad.cid}`)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes(bad.cid))).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    await pds.close();
  });

  it('429 with Retry-After: every worker waits as told, then the blob downloads', async () => {
    const all = blobs(4);
    const pds = await startFakeBlobPds(all);
    const limited = all[0]!;
    pds.misbehave.set(limited.cid, { kind: 'rate-limit', times: 1, seconds: 1 });
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(tempDir('atcli-sync-')), concurrency: 1, ...fast });
    expect(r).toMatchObject({ downloaded: 4, failed: [] });
    const times = pds.times.get(limited.cid)!;
    expect(times).toHaveLength(2);
    // Retry-After counts from the 429 response; the retry arrives at least a second after it was sent.
    expect(times.at(-1)! - pds.rateLimitedAt.get(limited.cid)!).toBeGreaterThanOrEqual(990);
    await pds.close();
  });

  it('a connection dropped mid-body and a 503 are retried; the partial body never reaches the store', async () => {
    const all = blobs(5);
    const pds = await startFakeBlobPds(all);
    pds.misbehave.set(all[1]!.cid, { kind: 'drop', times: 2 });
    pds.misbehave.set(all[2]!.cid, { kind: 'server-error', times: 1 });
    const dir = tempDir('atcli-sync-');
    const store = new BlobStore(dir);
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store, ...fast });
    expect(r).toMatchObject({ total: 5, downloaded: 5, failed: [] });
    expect(pds.requests.get(all[1]!.cid)).toBe(3);
    expect(pds.requests.get(all[2]!.cid)).toBe(2);
    for (const b of all) expect(await store.has(b.cid)).toBe(true);
    await pds.close();
  });

  it('a missing blob fails without retries; retries are bounded', async () => {
    const all = blobs(3);
    const pds = await startFakeBlobPds(all);
    pds.misbehave.set(all[0]!.cid, { kind: 'missing' });
    pds.misbehave.set(all[1]!.cid, { kind: 'server-error', times: 99 });
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(tempDir('atcli-sync-')), retries: 1, ...fast });
    expect(r.downloaded).toBe(1);
    expect(r.failed.map((f) => [f.cid, f.code]).sort()).toEqual([[all[0]!.cid, 'BlobNotFound'], [all[1]!.cid, 'ServiceUnavailable']].sort());
    expect(pds.requests.get(all[0]!.cid)).toBe(1);
    expect(pds.requests.get(all[1]!.cid)).toBe(2);
    await pds.close();
  });

  it('concurrency bounds the parallel downloads', async () => {
    const all = blobs(12);
    const pds = await startFakeBlobPds(all);
    pds.delayMs = 30;
    await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(tempDir('atcli-sync-')), concurrency: 3 });
    expect(pds.maxInFlight).toBe(3);
    const pds1 = await startFakeBlobPds(all);
    pds1.delayMs = 5;
    await syncBlobs({ client: client(pds1.url), did: pds1.did, store: new BlobStore(tempDir('atcli-sync-')), concurrency: 1 });
    expect(pds1.maxInFlight).toBe(1);
    await pds.close();
    await pds1.close();
  });

  it('interrupted: stops, keeps finished blobs, leaves no partial file; running again continues', async () => {
    const all = blobs(20);
    const pds = await startFakeBlobPds(all);
    pds.delayMs = 40;
    const dir = tempDir('atcli-sync-');
    const store = new BlobStore(dir);
    const ctl = new AbortController();
    const err = await syncBlobs({
      client: client(pds.url),
      did: pds.did,
      store,
      concurrency: 2,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.downloaded >= 6) ctl.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'interrupted', code: 'Interrupted' });
    const kept = stored(dir);
    expect(kept.length).toBeGreaterThanOrEqual(6);
    expect(kept.length).toBeLessThan(20);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    for (const c of kept) expect(await store.has(c)).toBe(true);
    const again = await syncBlobs({ client: client(pds.url), did: pds.did, store });
    expect(again).toMatchObject({ total: 20, skipped: kept.length, downloaded: 20 - kept.length, failed: [] });
    await pds.close();
  });

  it('a listBlobs page that fails with 503 is retried', async () => {
    const all = blobs(3);
    const pds = await startFakeBlobPds(all);
    pds.listErrors = 1;
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(tempDir('atcli-sync-')) });
    expect(r).toMatchObject({ total: 3, downloaded: 3, failed: [] });
    expect(pds.listRequests.length).toBe(3);
    await pds.close();
  });

  it('an explicit CID list is synced instead of listBlobs; a malformed CID there fails by name', async () => {
    const all = blobs(3);
    const pds = await startFakeBlobPds(all);
    const r = await syncBlobs({ client: client(pds.url), did: pds.did, store: new BlobStore(tempDir('atcli-sync-')), cids: [all[0]!.cid, all[0]!.cid, 'nonsense'] });
    expect(r).toMatchObject({ total: 2, downloaded: 1 });
    expect(r.failed).toEqual([expect.objectContaining({ cid: 'nonsense', code: 'InvalidBlobCid' })]);
    expect(pds.listRequests).toEqual([]);
    await pds.close();
  });
});
