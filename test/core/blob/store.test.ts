import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore } from '../../../src/core/blob/index.js';
import { cidForRaw } from '../../../src/core/codec/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { tempDir } from '../../cli/run-cli.js';
import { makeBlob } from './fake-blob-pds.js';

async function* chunks(bytes: Uint8Array, size: number, failAt?: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) {
    if (failAt !== undefined && off >= failAt) throw new AtcliError('runtime', 'NetworkError', 'connection reset');
    yield bytes.subarray(off, off + size);
  }
}

const names = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('BlobStore', () => {
  it('put streams, verifies and stores bytes under the CID with {mimeType, size} beside them', async () => {
    const dir = join(tempDir('atcli-store-'), 'nested', 'blobs');
    const store = new BlobStore(dir);
    const blob = makeBlob(1, 300_000, 'image/png');
    expect(await store.has(blob.cid)).toBe(false);
    expect(await store.put(blob.cid, chunks(blob.bytes, 65536), 'image/png')).toBe(300_000);
    expect(names(dir)).toEqual([blob.cid, `${blob.cid}.json`]);
    expect(Buffer.compare(readFileSync(store.path(blob.cid)), blob.bytes)).toBe(0);
    expect(JSON.parse(readFileSync(store.metaPath(blob.cid), 'utf8'))).toEqual({ mimeType: 'image/png', size: 300_000 });
    expect(await store.has(blob.cid)).toBe(true);
    expect(await store.has(cidForRaw(blob.bytes))).toBe(true);
    expect(await store.mimeType(blob.cid)).toBe('image/png');
    const listed: string[] = [];
    for await (const c of store.list()) listed.push(c);
    expect(listed).toEqual([blob.cid]);
  });

  it('bytes that do not hash to the CID are never stored: BlobHashMismatch, no file, no temp file', async () => {
    const dir = tempDir('atcli-store-');
    const store = new BlobStore(dir);
    const blob = makeBlob(2, 10_000);
    const other = makeBlob(3, 10_000);
    await expect(store.put(blob.cid, other.bytes, 'image/png')).rejects.toMatchObject({ code: 'BlobHashMismatch', kind: 'invalid' });
    expect(names(dir)).toEqual([]);
    expect(await store.has(blob.cid)).toBe(false);
  });

  it('a failing source leaves nothing behind', async () => {
    const dir = tempDir('atcli-store-');
    const store = new BlobStore(dir);
    const blob = makeBlob(4, 200_000);
    await expect(store.put(blob.cid, chunks(blob.bytes, 16384, 100_000), 'image/png')).rejects.toMatchObject({ code: 'NetworkError' });
    expect(names(dir)).toEqual([]);
  });

  it('an aborted put is "interrupted" and leaves nothing behind', async () => {
    const dir = tempDir('atcli-store-');
    const store = new BlobStore(dir);
    const blob = makeBlob(5, 200_000);
    const ctl = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield blob.bytes.subarray(0, 1000);
      ctl.abort();
      yield blob.bytes.subarray(1000);
    }
    await expect(store.put(blob.cid, slow(), 'image/png', { signal: ctl.signal })).rejects.toMatchObject({ kind: 'interrupted' });
    expect(names(dir)).toEqual([]);
  });

  it('maxBytes refuses an oversized blob', async () => {
    const dir = tempDir('atcli-store-');
    const blob = makeBlob(6, 5000);
    await expect(new BlobStore(dir).put(blob.cid, blob.bytes, 'image/png', { maxBytes: 4999 })).rejects.toMatchObject({ code: 'BlobTooLarge' });
    expect(names(dir)).toEqual([]);
  });

  it('has() detects a file corrupted in place (same size); verify:false checks the size only', async () => {
    const dir = tempDir('atcli-store-');
    const store = new BlobStore(dir);
    const blob = makeBlob(7, 4096);
    await store.put(blob.cid, blob.bytes, 'text/plain');
    const damaged = new Uint8Array(blob.bytes);
    damaged[100] = damaged[100]! ^ 1;
    writeFileSync(store.path(blob.cid), damaged);
    expect(await store.has(blob.cid)).toBe(false);
    expect(await store.has(blob.cid, { verify: false })).toBe(true);
    writeFileSync(store.path(blob.cid), damaged.subarray(0, 10));
    expect(await store.has(blob.cid, { verify: false })).toBe(false);
  });

  it('list() skips metadata, temp files and names that are not blob CIDs; sweep() removes temp files of dead processes only', async () => {
    const dir = tempDir('atcli-store-');
    const store = new BlobStore(dir);
    const a = makeBlob(8, 100);
    await store.put(a.cid, a.bytes, 'image/gif');
    const dead = `.${a.cid}.999999999.0123456789ab.atcli-tmp`;
    const mine = `.${a.cid}.${process.pid}.0123456789ab.atcli-tmp`;
    for (const f of [dead, mine, 'README', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm']) writeFileSync(join(dir, f), 'x');
    const listed: string[] = [];
    for await (const c of store.list()) listed.push(c);
    expect(listed).toEqual([a.cid]);
    expect(await store.sweep()).toBe(1);
    expect(existsSync(join(dir, dead))).toBe(false);
    expect(existsSync(join(dir, mine))).toBe(true);
  });

  it('path() refuses anything but a blob CID (no path tricks)', () => {
    const store = new BlobStore('/tmp/x');
    expect(() => store.path('../../etc/passwd')).toThrow(expect.objectContaining({ code: 'InvalidBlobCid' }));
  });
});
