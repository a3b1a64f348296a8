import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Cid,
  cborToJson,
  cidForCbor,
  decodeCbor,
  encodeCbor,
  jsonToCbor,
  parseCid,
  parseJsonRecord,
  stringifyJson,
} from '../../../src/core/codec/index.js';
import type { CborValue } from '../../../src/core/codec/index.js';
import { expectError } from './helpers.js';

const DIR = join(__dirname, '../../fixtures/interop/data-model');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;

interface Fixture {
  json: unknown;
  cbor_base64: string;
  cid: string;
}
const fixtures = load<Fixture[]>('data-model-fixtures.json');
const valid = load<Array<{ note: string; json: unknown }>>('data-model-valid.json');
const invalidList = load<Array<{ note: string; json: unknown }>>('data-model-invalid.json');

const fixtureCases = fixtures.map((f, i) => [`fixture ${i} (${f.cid.slice(0, 16)}…)`, f] as const);

describe('interop data-model fixtures', () => {
  it.each(fixtureCases)('%s: JSON → CBOR bytes and CID', (_n, f) => {
    const bytes = encodeCbor(jsonToCbor(f.json));
    expect(Buffer.from(bytes).toString('base64').replace(/=+$/, '')).toBe(f.cbor_base64);
    expect(cidForCbor(bytes).toString()).toBe(f.cid);
  });

  it.each(fixtureCases)('%s: CBOR → JSON', (_n, f) => {
    const bytes = new Uint8Array(Buffer.from(f.cbor_base64, 'base64'));
    const value = decodeCbor(bytes);
    expect(cborToJson(value)).toEqual(f.json);
    expect(Buffer.from(encodeCbor(value)).equals(Buffer.from(bytes))).toBe(true);
    expect(cidForCbor(bytes).toString()).toBe(f.cid);
  });
});

describe('interop data-model-valid', () => {
  it.each(valid.map((v) => [v.note, v.json] as const))('valid: %s', (_note, json) => {
    const value = jsonToCbor(json);
    const bytes = encodeCbor(value);
    expect(decodeCbor(bytes)).toEqual(value);
    expect(cborToJson(decodeCbor(bytes))).toEqual(json);
  });
});

/** Why each interop invalid vector must fail (a vector not listed here fails the test). */
const INVALID_REASON: Record<string, RegExp> = {
  'top-level not an object': /top-level value must be an object/,
  float: /number 123.456 is not an integer \(floats are not allowed\) at rcrd.a/,
  'record with $type null': /\$type must be a non-empty string at rcrd/,
  'record with $type wrong type': /\$type must be a non-empty string at rcrd/,
  'record with empty $type string': /\$type must be a non-empty string at rcrd/,
  'blob with string size': /blob "size" must be a non-negative integer at blb/,
  'blob with missing key': /blob must have a "ref"/,
  'bytes with wrong field type': /\$bytes must be a base64 string at lnk/,
  'bytes with extra fields': /a \$bytes object must have no other keys at lnk/,
  'link with wrong field type': /\$link must be a CID string at lnk/,
  'link with bogus CID': /\$link is not a valid CID/,
  'link with extra fields': /a \$link object must have no other keys at lnk/,
};

describe('interop data-model-invalid', () => {
  it.each(invalidList.map((v) => [v.note, v.json] as const))('invalid: %s', (note, json) => {
    const reason = INVALID_REASON[note];
    expect(reason, `no expected reason recorded for "${note}"`).toBeDefined();
    expectError(() => encodeCbor(jsonToCbor(json)), 'InvalidJsonData', reason!);
  });
});

const LINK = 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a';
const BLOB = 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity';

describe('jsonToCbor details', () => {
  it('converts $link, $bytes and blobs', () => {
    const v = jsonToCbor({
      l: { $link: LINK },
      b: { $bytes: 'AQID' },
      p: { $bytes: 'AQ==' },
      blob: { $type: 'blob', ref: { $link: BLOB }, mimeType: 'image/png', size: 3 },
    }) as Record<string, CborValue>;
    expect(v.l).toBeInstanceOf(Cid);
    expect(v.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(v.p).toEqual(new Uint8Array([1]));
    const blob = v.blob as Record<string, CborValue>;
    expect((blob.ref as Cid).toString()).toBe(BLOB);
    expect(blob).toMatchObject({ $type: 'blob', mimeType: 'image/png', size: 3 });
  });

  it('accepts $bytes with non-zero trailing bits (lexicon interop fixture "123")', () => {
    expect(jsonToCbor({ b: { $bytes: '123' } })).toEqual({ b: new Uint8Array([0xd7, 0x6d]) });
  });

  it('writes $bytes without padding', () => {
    expect(cborToJson({ b: new Uint8Array([1]) })).toEqual({ b: { $bytes: 'AQ' } });
  });

  it.each<[string, unknown, RegExp]>([
    ['$link with extra key', { x: { $link: LINK, y: 1 } }, /a \$link object must have no other keys at x/],
    ['$link not a string', { x: { $link: 5 } }, /\$link must be a CID string at x/],
    ['$link bogus', { x: { $link: 'nope' } }, /\$link is not a valid CID .* at x/],
    ['$link CIDv0', { x: { $link: 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR' } }, /CIDv1/],
    ['$bytes bad alphabet', { x: { $bytes: 'AQ-_' } }, /\$bytes is not valid base64 at x/],
    ['$bytes bad padding', { x: { $bytes: 'AQ=' } }, /not valid base64/],
    ['$bytes impossible length', { x: { $bytes: 'AQIDB' } }, /not valid base64/],
    ['$bytes with extra key', { x: { $bytes: 'AQ', y: 1 } }, /a \$bytes object must have no other keys/],
    ['float nested in array', { a: [1, 2.5] }, /number 2.5 is not an integer \(floats are not allowed\) at a\[1\]/],
    ['unsafe integer', { a: 2 ** 60 }, /outside the exactly representable range/],
    ['$type empty', { $type: '' }, /\$type must be a non-empty string/],
    ['blob missing ref', { b: { $type: 'blob', mimeType: 'a/b', size: 1 } }, /blob must have a "ref"/],
    ['blob extra key', { b: { $type: 'blob', ref: { $link: BLOB }, mimeType: 'a/b', size: 1, x: 1 } }, /unexpected key "x" in blob/],
    ['blob negative size', { b: { $type: 'blob', ref: { $link: BLOB }, mimeType: 'a/b', size: -1 } }, /non-negative integer/],
    ['blob empty mimeType', { b: { $type: 'blob', ref: { $link: BLOB }, mimeType: '', size: 1 } }, /mimeType/],
    ['empty key', { '': 1 }, /empty object key/],
    ['lone surrogate in a string', { a: ['\uD800'] }, /lone UTF-16 surrogate \(not valid Unicode\) at a\[0\]/],
    ['lone surrogate in a key', { ['x\uDC00']: 1 }, /object key contains a lone UTF-16 surrogate/],
    ['odd key in path', { 'a b': { c: 1.5 } }, /at \["a b"\]\.c$/],
    ['undefined', { a: undefined }, /undefined is not a JSON value at a/],
    ['Date', { a: new Date(0) }, /not plain JSON data at a/],
    ['array at top level', [1], /top-level value must be an object/],
    ['$link at top level', { $link: LINK }, /top-level value must be an object, not a \$link/],
    ['$bytes at top level', { $bytes: 'AQ' }, /top-level value must be an object, not a \$bytes/],
    ['too deep', JSON.parse('{"a":' + '['.repeat(40) + ']'.repeat(40) + '}'), /nesting deeper than 32 levels/],
  ])('rejects %s', (_n, json, re) => {
    expectError(() => jsonToCbor(json), 'InvalidJsonData', re);
  });

  it('non-object top level is allowed when requested', () => {
    expect(jsonToCbor('blah', { requireObject: false })).toBe('blah');
    expect(jsonToCbor([{ $link: LINK }], { requireObject: false })).toEqual([parseCid(LINK)]);
  });

  it('a "__proto__" key round-trips as data', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const v = jsonToCbor(json) as Record<string, unknown>;
    expect(Object.keys(v)).toContain('__proto__');
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
    const back = cborToJson(decodeCbor(encodeCbor(v as CborValue))) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('parseJsonRecord', () => {
  it('parses a record and accepts integer-valued literals such as 123.0', () => {
    expect(parseJsonRecord('{"$type":"x.y.z","a":123.0,"b":1e2}')).toEqual({ $type: 'x.y.z', a: 123, b: 100 });
  });
  it.each<[string, string, string, RegExp]>([
    ['float', '{"a": 1.5}', 'InvalidJsonData', /number 1.5 is not an integer/],
    ['huge integer', '{"a": 12345678901234567890}', 'InvalidJsonData', /outside the exactly representable range/],
    ['2^53', '{"a": 9007199254740992}', 'InvalidJsonData', /outside the exactly representable range/],
    ['not an object', '[1]', 'InvalidJsonData', /top-level value must be an object/],
    ['syntax error', '{"a":', 'InvalidJson', /not valid JSON/],
  ])('rejects %s', (_n, text, code, re) => {
    expectError(() => parseJsonRecord(text), code, re);
  });
});

describe('cborToJson', () => {
  it('keeps big integers exact as bigint, and stringifyJson prints them exactly', () => {
    const v = decodeCbor(new Uint8Array(Buffer.from('a161611b7fffffffffffffff', 'hex')));
    const j = cborToJson(v);
    expect(j).toEqual({ a: 2n ** 63n - 1n });
    expect(stringifyJson(j)).toBe('{"a":9223372036854775807}');
    expect(stringifyJson({ a: [1n, 'x', -(2n ** 63n)], s: '\u0000bigint-0' }, 0)).toBe(
      '{"a":[1,"x",-9223372036854775808],"s":"\\u0000bigint-0"}',
    );
  });
  it('rejects cycles instead of overflowing the stack', () => {
    const a: CborValue[] = [];
    a.push(a);
    expectError(() => cborToJson(a), 'InvalidJsonData', /nesting deeper than 1000 levels \(or a cycle\)/);
  });
  it('rejects maps whose keys would be misread as $link / $bytes', () => {
    expectError(() => cborToJson({ x: { $link: 'abc' } }), 'InvalidJsonData', /map key "\$link" is reserved .* at x/);
    expectError(() => cborToJson({ $bytes: 'abc' }), 'InvalidJsonData', /"\$bytes" is reserved/);
  });
});
