import { describe, expect, it } from 'vitest';
import { parseCid } from '../../../src/core/codec/index.js';
import {
  LexiconCatalog,
  graphemeLength,
  mimeMatches,
  utf8Length,
  validateData,
  validateRecord,
  validateRecordData,
} from '../../../src/core/lexicon/index.js';
import { asDoc, doc } from './helpers.js';

const CID = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';

// Two files: a record in com.example.post that refers across to com.example.defs.
const defs = asDoc(
  doc(
    {
      image: { type: 'object', required: ['img'], properties: { img: { type: 'blob', accept: ['image/*'], maxSize: 1000 }, alt: { type: 'string', maxGraphemes: 3, maxLength: 30 } } },
      link: { type: 'object', required: ['uri'], properties: { uri: { type: 'string', format: 'uri' } } },
      label: { type: 'string', knownValues: ['a'], maxLength: 10 },
      tok: { type: 'token', description: 'A token.' },
    },
    'com.example.defs',
  ),
);
const post = asDoc(
  doc(
    {
      main: {
        type: 'record',
        key: 'tid',
        record: {
          type: 'object',
          required: ['text'],
          nullable: ['maybe'],
          properties: {
            text: { type: 'string', maxLength: 10 },
            maybe: { type: 'string', maxLength: 10 },
            embed: { type: 'union', refs: ['com.example.defs#image', 'com.example.defs#link'] },
            only: { type: 'union', refs: ['com.example.defs#image'], closed: true },
            label: { type: 'ref', ref: 'com.example.defs#label' },
            tokenRef: { type: 'ref', ref: 'com.example.defs#tok' },
            missing: { type: 'ref', ref: 'com.example.nowhere#x' },
            local: { type: 'ref', ref: '#local' },
            link: { type: 'cid-link' },
            data: { type: 'bytes', maxLength: 4 },
            big: { type: 'integer' },
          },
        },
      },
      local: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 0 } } },
    },
    'com.example.post',
  ),
);
const catalog = LexiconCatalog.from([defs, post]);
const v = (data: Record<string, unknown>): Array<{ path: string; message: string }> => validateRecord(catalog, 'com.example.post', { $type: 'com.example.post', text: 'hi', ...data });
const blob = (mimeType: string, size: number): Record<string, unknown> => ({ $type: 'blob', ref: { $link: CID }, mimeType, size });

describe('validateRecord', () => {
  it('accepts a valid record', () => {
    expect(v({})).toEqual([]);
  });

  it('$type must be the NSID', () => {
    expect(validateRecord(catalog, 'com.example.post', { text: 'hi' })).toEqual([{ path: '$type', message: expect.stringContaining('com.example.post') }]);
    expect(validateRecord(catalog, 'com.example.post', { $type: 'com.example.other', text: 'hi' })[0]?.path).toBe('$type');
  });

  it('throws notFound for an unknown NSID and invalid for a non-record schema', () => {
    expect(() => validateRecord(catalog, 'com.example.nope', {})).toThrowError(expect.objectContaining({ code: 'LexiconNotFound', kind: 'notFound' }));
    expect(() => validateRecord(catalog, 'com.example.defs', {})).toThrowError(expect.objectContaining({ code: 'NotARecordSchema' }));
  });

  it('maxLength counts UTF-8 bytes, not UTF-16 units', () => {
    expect(v({ text: 'ééééé' })).toEqual([]); // 10 bytes
    expect(v({ text: 'éééééé' })).toEqual([{ path: 'text', message: expect.stringContaining('12') }]);
    expect(v({ text: '😀😀😀' })).toEqual([{ path: 'text', message: expect.stringContaining('12') }]); // 6 UTF-16 units, 12 bytes
  });

  it('maxGraphemes counts grapheme clusters', () => {
    const e = (alt: string) => v({ embed: { $type: 'com.example.defs#image', img: blob('image/png', 10), alt } });
    expect(e('👩‍👩‍👦‍👦🇩🇪é')).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'embed.alt', message: expect.stringContaining('UTF-8') })])); // 3 graphemes but > 30 bytes
    expect(e('abc')).toEqual([]);
    expect(e('abcd')).toEqual([{ path: 'embed.alt', message: expect.stringContaining('graphemes') }]);
  });

  it('null only where nullable', () => {
    expect(v({ maybe: null })).toEqual([]);
    expect(v({ text: null })).toEqual([{ path: 'text', message: expect.stringContaining('null') }]);
  });

  it('unions: $type picks the variant across files; open unions accept unknown types', () => {
    expect(v({ embed: { $type: 'com.example.defs#link', uri: 'https://example.com' } })).toEqual([]);
    expect(v({ embed: { $type: 'com.example.defs#link', uri: 'not a uri' } })).toEqual([{ path: 'embed.uri', message: expect.stringContaining('uri') }]);
    expect(v({ embed: { $type: 'com.example.elsewhere#thing', anything: 1 } })).toEqual([]);
    expect(v({ embed: { uri: 'https://example.com' } })).toEqual([{ path: 'embed.$type', message: expect.any(String) }]);
    expect(v({ embed: { $type: 'com.example.defs#image#main' } })[0]?.path).toBe('embed.$type');
  });

  it('open unions validate unlisted types when their schema is known, and strict mode requires it', () => {
    // com.example.post#local is known but not listed: validated eagerly.
    expect(v({ embed: { $type: 'com.example.post#local', n: -1 } })).toEqual([{ path: 'embed.n', message: expect.stringContaining('minimum') }]);
    const strict = validateRecord(catalog, 'com.example.post', { $type: 'com.example.post', text: 'x', embed: { $type: 'com.example.elsewhere#thing' } }, { strictOpenUnions: true });
    expect(strict).toHaveLength(1);
  });

  it('closed unions reject other types', () => {
    expect(v({ only: { $type: 'com.example.defs#link', uri: 'https://x.example' } })).toEqual([{ path: 'only.$type', message: expect.stringContaining('closed union') }]);
  });

  it('a $type with #main is invalid', () => {
    expect(validateRecord(catalog, 'com.example.post', { $type: 'com.example.post#main', text: 'hi' })[0]?.path).toBe('$type');
  });

  it('blobs: accept patterns and maxSize; legacy blobs are readable', () => {
    const e = (img: unknown) => v({ embed: { $type: 'com.example.defs#image', img } });
    expect(e(blob('image/jpeg', 1000))).toEqual([]);
    expect(e(blob('video/mp4', 10))).toEqual([{ path: 'embed.img', message: expect.stringContaining('not accepted') }]);
    expect(e(blob('image/png', 1001))).toEqual([{ path: 'embed.img', message: expect.stringContaining('maximum 1000') }]);
    expect(e({ cid: CID, mimeType: 'image/png' })).toEqual([]);
    expect(e({ cid: 'nope', mimeType: 'image/png' })).toHaveLength(1);
    expect(validateRecord(catalog, 'com.example.post', { $type: 'com.example.post', text: 'x', embed: { $type: 'com.example.defs#image', img: { cid: CID, mimeType: 'image/png' } } }, { allowLegacyBlob: false })).toHaveLength(1);
  });

  it('refs resolve across files and locally; refs to tokens and missing schemas are errors', () => {
    expect(v({ label: 'a' })).toEqual([]);
    expect(v({ label: 'way too long label' })).toEqual([{ path: 'label', message: expect.any(String) }]);
    expect(v({ local: { n: 1 } })).toEqual([]);
    expect(v({ local: {} })).toEqual([{ path: 'local.n', message: 'required field is missing' }]);
    expect(v({ tokenRef: 'com.example.defs#tok' })).toEqual([{ path: 'tokenRef', message: expect.stringContaining('token') }]);
    expect(v({ missing: {} })).toEqual([{ path: 'missing', message: expect.stringContaining('com.example.nowhere#x') }]);
  });

  it('cid-link, bytes and integers use the data model', () => {
    expect(v({ link: { $link: CID }, data: { $bytes: 'AAECAw' }, big: 9007199254740991 })).toEqual([]);
    expect(v({ link: CID })).toEqual([{ path: 'link', message: expect.stringContaining('CID link') }]);
    expect(v({ data: { $bytes: 'AAECAwQ' } })).toEqual([{ path: 'data', message: expect.stringContaining('at most 4 bytes') }]);
    expect(v({ big: 1.5 })).toEqual([{ path: 'big', message: expect.stringContaining('float') }]);
  });

  it('unknown fields are ignored', () => {
    expect(v({ somethingElse: { deeply: ['nested'] } })).toEqual([]);
  });

  it('validateRecordData takes data-model values', () => {
    expect(validateRecordData(catalog, 'com.example.post', { $type: 'com.example.post', text: 'x', link: parseCid(CID), data: new Uint8Array(2) })).toEqual([]);
  });

  it('validateData checks any definition', () => {
    expect(validateData(catalog, 'com.example.defs#link', { uri: 'https://example.com' })).toEqual([]);
    expect(validateData(catalog, 'com.example.defs#link', {})).toEqual([{ path: 'uri', message: 'required field is missing' }]);
  });
});

describe('helpers', () => {
  it('utf8Length and graphemeLength', () => {
    expect(utf8Length('aé😀')).toBe(1 + 2 + 4);
    expect(graphemeLength('🇩🇪🏳️‍🌈👩‍👩‍👦‍👦')).toBe(3);
    expect(graphemeLength('abc')).toBe(3);
    expect(graphemeLength('e\u0301')).toBe(1);
  });

  it('mimeMatches', () => {
    expect(mimeMatches('image/*', 'image/png')).toBe(true);
    expect(mimeMatches('image/*', 'IMAGE/PNG')).toBe(true);
    expect(mimeMatches('image/*', 'video/mp4')).toBe(false);
    expect(mimeMatches('*/*', 'anything/at-all')).toBe(true);
    expect(mimeMatches('text/plain', 'text/plain; charset=utf-8')).toBe(true);
    expect(mimeMatches('image/png', 'image/jpeg')).toBe(false);
  });
});
