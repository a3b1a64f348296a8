// zstd for Jetstream's compressed messages, against frames made by the zstd command-line tool
// (test/fixtures/jetstream/README.md): decompression with the dictionary, a frame without a
// declared size, a frame naming another dictionary or needing one that was not given, a frame
// declaring more than the cap, and corrupt bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { DictionaryError, createZstdDecoder, parseZstdDictionary, readZstdFrameHeader } from '../../../src/core/jetstream/zstd.js';

const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/jetstream/${name}`, import.meta.url)));
const dictionary = parseZstdDictionary(file('dictionary'));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('zstd dictionaries and frame headers', () => {
  it('reads the ID of a structured dictionary; other bytes are a raw-content dictionary', () => {
    expect(dictionary.id).toBe(4242);
    expect(parseZstdDictionary(file('other-dictionary')).id).toBe(777);
    expect(parseZstdDictionary(new TextEncoder().encode('{"did":"did:plc:')).id).toBeNull();
    expect(() => parseZstdDictionary(new Uint8Array())).toThrow(AtcliError);
  });

  it('reads the dictionary ID and content size from frame headers', () => {
    expect(readZstdFrameHeader(file('like.json.zst'))).toEqual({ dictionaryId: 4242, contentSize: file('like.json').length });
    expect(readZstdFrameHeader(file('like.no-size.json.zst'))).toEqual({ dictionaryId: 4242, contentSize: null });
    expect(readZstdFrameHeader(file('like.other-dict.json.zst')).dictionaryId).toBe(777);
    expect(readZstdFrameHeader(file('like.no-dict.json.zst'))).toEqual({ dictionaryId: null, contentSize: file('like.json').length });
    expect(() => readZstdFrameHeader(new TextEncoder().encode('{"not":"zstd"}'))).toThrow(/bad magic/);
    expect(() => readZstdFrameHeader(file('like.json.zst').subarray(0, 6))).toThrow(/cut short/);
  });
});

describe('createZstdDecoder', () => {
  it('decompresses frames made with the dictionary, with or without a declared size', async () => {
    const decode = await createZstdDecoder(dictionary, 1_000_000);
    for (const name of ['like', 'delete', 'identity']) expect(text(decode(file(`${name}.json.zst`)))).toBe(text(file(`${name}.json`)));
    expect(text(decode(file('like.no-size.json.zst')))).toBe(text(file('like.json')));
    // A frame compressed without a dictionary needs none.
    expect(text(decode(file('like.no-dict.json.zst')))).toBe(text(file('like.json')));
    expect(text((await createZstdDecoder(null, 1_000_000))(file('like.no-dict.json.zst')))).toBe(text(file('like.json')));
  });

  it('refuses a frame naming another dictionary, or needing one when none was given', async () => {
    const decode = await createZstdDecoder(dictionary, 1_000_000);
    expect(() => decode(file('like.other-dict.json.zst'))).toThrow(DictionaryError);
    expect(() => decode(file('like.other-dict.json.zst'))).toThrow(/dictionary 777, not with the given dictionary 4242/);
    const none = await createZstdDecoder(null, 1_000_000);
    expect(() => none(file('like.json.zst'))).toThrow(/compressed with zstd dictionary 4242, and no dictionary was given/);
  });

  it('caps the output: a declared size over the cap is refused before decoding, an undeclared one fails at the cap', async () => {
    const small = await createZstdDecoder(dictionary, 100);
    expect(() => small(file('like.json.zst'))).toThrow(/declares 503 bytes decompressed, over the 100-byte limit/);
    expect(() => small(file('like.no-size.json.zst'))).toThrow(/zstd decompression failed/);
  });

  it('corrupt data fails with a reason, and the decoder keeps working after it', async () => {
    const decode = await createZstdDecoder(dictionary, 1_000_000);
    const bad = file('like.json.zst').slice();
    for (let i = 12; i < bad.length; i++) bad[i] = bad[i]! ^ 0x5a;
    expect(() => decode(bad)).toThrow(/zstd decompression failed/);
    expect(text(decode(file('like.json.zst')))).toBe(text(file('like.json')));
  });
});
