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
  validateRecordJson,
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
    expect(v({ missing: {} })).toEqual([{ path: 'missing', message: expect.stringContaining('com.example.nowhere#x'), missingSchema: 'com.example.nowhere#x' }]);
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

// The validation decisions documented in docs/lexicon-validation.md.
describe('validation decisions', () => {
  const RAW = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  const DAG_CBOR = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  const fmt = asDoc(
    doc(
      {
        main: {
          type: 'record',
          key: 'tid',
          record: {
            type: 'object',
            properties: {
              c: { type: 'string', format: 'cid' },
              bounded: { type: 'string', maxLength: 3000, maxGraphemes: 300 },
              graphemesOnly: { type: 'string', maxGraphemes: 5 },
              atLeast: { type: 'string', minGraphemes: 3 },
              img: { type: 'blob' },
              any: { type: 'unknown' },
              embed: { type: 'union', refs: ['#a'] },
            },
          },
        },
        a: { type: 'object', properties: { n: { type: 'integer', maximum: 3 } } },
      },
      'com.example.fmt',
    ),
  );
  const cat = LexiconCatalog.from([fmt]);
  const check = (data: Record<string, unknown>) => validateRecord(cat, 'com.example.fmt', { $type: 'com.example.fmt', ...data });
  const blobOf = (fields: Record<string, unknown>) => ({ $type: 'blob', ref: { $link: RAW }, mimeType: 'image/png', size: 10, ...fields });

  it('an open-union $type with two "#" fragments is invalid', () => {
    expect(check({ embed: { $type: 'com.example.thing#a#b' } })).toEqual([{ path: 'embed.$type', message: expect.stringContaining('#') }]);
    expect(check({ embed: { $type: '#a' } })).toEqual([{ path: 'embed.$type', message: expect.stringContaining('NSID') }]);
    expect(check({ embed: { $type: 'com.example.thing#a' } })).toEqual([]);
  });

  it('the cid format only accepts strings that decode as a CIDv1', () => {
    expect(check({ c: DAG_CBOR })).toEqual([]);
    expect(check({ c: DAG_CBOR.slice(0, 30) })).toEqual([{ path: 'c', message: expect.stringContaining('invalid cid') }]);
    expect(check({ c: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpX' })).toHaveLength(1);
    expect(check({ c: 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR' })).toHaveLength(1);
  });

  it('blobs: size must be positive and ref must have multicodec raw, wherever the blob sits', () => {
    expect(check({ img: blobOf({}) })).toEqual([]);
    expect(check({ img: blobOf({ size: 0 }) })).toEqual([{ path: 'img', message: expect.stringContaining('positive') }]);
    expect(check({ img: blobOf({ ref: { $link: DAG_CBOR } }) })).toEqual([{ path: 'img', message: expect.stringContaining('raw') }]);
    // Not described by the schema, and still checked (spec: no malformed blob at any depth).
    expect(check({ extra: { deep: [blobOf({ size: 0 })] } })).toEqual([{ path: 'extra.deep[0]', message: expect.stringContaining('positive') }]);
    expect(check({ any: { inner: blobOf({ ref: { $link: DAG_CBOR } }) } })).toEqual([{ path: 'any.inner', message: expect.stringContaining('raw') }]);
    expect(check({ embed: { $type: 'com.example.elsewhere#x', b: blobOf({ size: 0 }) } })).toEqual([{ path: 'embed.b', message: expect.stringContaining('positive') }]);
    // The same verdicts on data-model input (as decoded from a repository).
    const data = { $type: 'com.example.fmt', img: { $type: 'blob', ref: parseCid(DAG_CBOR), mimeType: 'image/png', size: 0 } };
    expect(validateRecordData(cat, 'com.example.fmt', data).map((e) => e.path)).toEqual(['img']);
  });

  it('records may nest 32 levels of maps and arrays, not 33', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { x: nest(levels - 1) });
    // The record is level 1, so `extra` may hold 31 more.
    expect(check({ extra: nest(31) })).toEqual([]);
    expect(check({ extra: nest(32) })).toHaveLength(1);
    const data = (levels: number) => ({ $type: 'com.example.fmt', extra: nest(levels) });
    expect(validateRecordData(cat, 'com.example.fmt', data(31))).toEqual([]);
    expect(validateRecordData(cat, 'com.example.fmt', data(32))).toEqual([{ path: expect.stringMatching(/^extra(\.x)+$/), message: expect.stringContaining('32') }]);
  });

  it('grapheme limits: counted only when the byte limit passes, and only up to the bound', () => {
    expect(check({ bounded: 'é'.repeat(300) })).toEqual([]);
    expect(check({ bounded: 'é'.repeat(301) })).toEqual([{ path: 'bounded', message: 'must be at most 300 graphemes long, got more' }]);
    expect(check({ bounded: '👩‍👩‍👦‍👦'.repeat(200) })).toEqual([{ path: 'bounded', message: expect.stringContaining('UTF-8 bytes') }]);
    expect(check({ graphemesOnly: '🇩🇪'.repeat(5) })).toEqual([]);
    expect(check({ graphemesOnly: '🇩🇪'.repeat(6) })).toHaveLength(1);
    expect(check({ atLeast: 'e\u0301e\u0301' })).toEqual([{ path: 'atLeast', message: 'must be at least 3 graphemes long, got 2' }]);
    expect(check({ atLeast: 'e\u0301'.repeat(3) })).toEqual([]);
    expect(graphemeLength('🇩🇪'.repeat(100), 7)).toBe(7);
  });

  it('huge strings are decided in linear time', () => {
    const unit = 'ab👩‍👩‍👦‍👦é ';
    const text = (bytes: number) => unit.repeat(Math.ceil(bytes / utf8Length(unit)));
    const time = (run: () => unknown): number => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        run();
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const fields = ['bounded', 'graphemesOnly', 'atLeast', 'c'] as const;
    const all = (s: string) => {
      for (const f of fields) check({ [f]: s });
    };
    const small = time(() => all(text(50_000)));
    const large = time(() => all(text(250_000)));
    expect(large).toBeLessThan(1000);
    // 5× the input: linear is ~5×, quadratic ~25×. Times of a few milliseconds are mostly noise
    // on a loaded machine, so the ratio only counts above a floor.
    expect(large).toBeLessThan(Math.max(12 * small, 250));
  });
});

describe('validateRecordJson: a record as people hand it over', () => {
  const note = asDoc(doc({ main: { type: 'record', key: 'tid', record: { type: 'object', required: ['body'], properties: { body: { type: 'string', maxLength: 5 } } } } }, 'com.example.note'));
  const catalog = new LexiconCatalog();
  catalog.add(note);

  it('takes the type from $type, or from the nsid given', () => {
    expect(validateRecordJson(catalog, { $type: 'com.example.note', body: 'hi' })).toEqual({ nsid: 'com.example.note', errors: [] });
    expect(validateRecordJson(catalog, { body: 'far too long' }, { nsid: 'com.example.note' })).toEqual({
      nsid: 'com.example.note',
      errors: [
        { path: '$type', message: expect.stringContaining('com.example.note') },
        { path: 'body', message: expect.stringContaining('5') },
      ],
    });
  });

  it('unwraps getRecord / listRecords output ({uri, cid, value})', () => {
    const wrapped = { uri: 'at://did:plc:abc/com.example.note/3k', cid: CID, value: { $type: 'com.example.note', body: 'toolong' } };
    expect(validateRecordJson(catalog, wrapped).errors.map((e) => e.path)).toEqual(['body']);
    // A record that happens to have a "value" field is not unwrapped.
    expect(validateRecordJson(catalog, { $type: 'com.example.note', body: 'ok', uri: 'x', value: {} }).nsid).toBe('com.example.note');
  });

  it('no type, or a type that is not an NSID, is a usage error; an unknown type is not found', () => {
    expect(() => validateRecordJson(catalog, { body: 'x' })).toThrow(expect.objectContaining({ code: 'MissingType', exitCode: 2 }));
    expect(() => validateRecordJson(catalog, [1, 2])).toThrow(expect.objectContaining({ code: 'MissingType' }));
    expect(() => validateRecordJson(catalog, { $type: 'not an nsid' })).toThrow(expect.objectContaining({ code: 'InvalidNsid', exitCode: 2 }));
    expect(() => validateRecordJson(catalog, { $type: 'com.example.unknown' })).toThrow(expect.objectContaining({ code: 'LexiconNotFound', exitCode: 4, details: { nsid: 'com.example.unknown' } }));
  });
});
