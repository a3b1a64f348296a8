import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobCid, blobRefForBytes, blobRefForFile, checkMimeType, detectMimeType, isMimeType } from '../../../src/core/blob/index.js';
import { cidForRaw, parseCid } from '../../../src/core/codec/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { tempDir } from '../../cli/run-cli.js';

const dir = tempDir('atcli-blob-ref-');
const bytes = (...xs: Array<number | string>): Uint8Array =>
  new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));

describe('MIME type detection', () => {
  it.each([
    ['png', bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), 'x.bin', 'image/png'],
    ['jpeg', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF'), 'x', 'image/jpeg'],
    ['gif87a', bytes('GIF87a', 1, 0), 'x', 'image/gif'],
    ['gif89a', bytes('GIF89a', 1, 0), 'x', 'image/gif'],
    ['webp', bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 '), 'x', 'image/webp'],
    ['mp4', bytes(0, 0, 0, 0x20, 'ftypisom', 0, 0, 2, 0), 'x', 'video/mp4'],
    ['a PNG named .jpg is a PNG', bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a), 'photo.jpg', 'image/png'],
    ['.json', bytes('{"a":1}'), 'data.JSON', 'application/json'],
    ['.txt', bytes('hello'), 'notes.txt', 'text/plain'],
    ['.jpeg by extension', bytes('not really'), 'x.jpeg', 'image/jpeg'],
    ['unknown', bytes('hello'), 'file.xyz', 'application/octet-stream'],
    ['empty, no extension', bytes(), 'file', 'application/octet-stream'],
    ['RIFF but not WEBP', bytes('RIFF', 0, 0, 0, 0, 'WAVEfmt '), 'x', 'application/octet-stream'],
  ])('%s', (_name, head, file, want) => {
    expect(detectMimeType(head, file)).toBe(want);
  });

  it('validates MIME types', () => {
    for (const ok of ['image/png', 'application/vnd.api+json', 'text/plain; charset=utf-8', 'video/mp4']) expect(isMimeType(ok)).toBe(true);
    for (const bad of ['', 'png', 'image/', '/png', 'image/png\u001b[31m', 'a b/c', 'image/png\nx']) expect(isMimeType(bad)).toBe(false);
    expect(checkMimeType(' Text/Plain; charset=utf-8 ')).toBe('text/plain');
    expect(() => checkMimeType('nonsense')).toThrow(AtcliError);
    try {
      checkMimeType('nonsense');
    } catch (err) {
      expect((err as AtcliError).kind).toBe('usage');
    }
  });
});

describe('blob references', () => {
  it('the empty blob has the well-known raw CID', () => {
    expect(blobRefForBytes(new Uint8Array(0), 'application/octet-stream')).toEqual({
      $type: 'blob',
      ref: { $link: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' },
      mimeType: 'application/octet-stream',
      size: 0,
    });
  });

  it('blobRefForFile streams the file: CID, size and detected MIME type', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17);
    data.set(bytes(0xff, 0xd8, 0xff, 0xe1));
    for (let i = 4; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const path = join(dir, 'photo.bin');
    writeFileSync(path, data);
    const ref = await blobRefForFile(path);
    expect(ref).toEqual({ $type: 'blob', ref: { $link: cidForRaw(data).toString() }, mimeType: 'image/jpeg', size: data.length });
    expect((await blobRefForFile(path, { mimeType: 'video/mp4' })).mimeType).toBe('video/mp4');
    await expect(blobRefForFile(path, { mimeType: 'bogus' })).rejects.toMatchObject({ code: 'InvalidMimeType', kind: 'usage' });
  });

  it('blobRefForFile: a missing file or a folder is a usage error', async () => {
    await expect(blobRefForFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'FileNotFound', kind: 'usage' });
    await expect(blobRefForFile(dir)).rejects.toMatchObject({ code: 'NotAFile', kind: 'usage' });
  });

  it('blobCid accepts only CIDv1 raw sha2-256', () => {
    const raw = cidForRaw(bytes('x'));
    expect(blobCid(raw.toString()).equals(raw)).toBe(true);
    expect(blobCid(raw)).toBe(raw);
    for (const bad of [
      'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', // dag-cbor
      'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n', // CIDv0
      'not-a-cid',
      '../../etc/passwd',
    ]) {
      expect(() => blobCid(bad), bad).toThrow(expect.objectContaining({ code: 'InvalidBlobCid', kind: 'invalid' }));
    }
    expect(() => blobCid(parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'))).toThrow(/not a blob CID/);
  });
});
