import { describe, expect, it } from 'vitest';
import {
  SYNTAX_KINDS,
  checkDatetime,
  checkLanguage,
  checkLanguageStrict,
  checkSyntax,
  isSyntaxKind,
} from '../../../src/core/syntax/index.js';

describe('checkDatetime calendar rules', () => {
  it('knows month lengths and leap years', () => {
    expect(checkDatetime('2024-02-29T00:00:00Z')).toBeNull();
    expect(checkDatetime('2000-02-29T00:00:00Z')).toBeNull();
    expect(checkDatetime('2023-02-29T00:00:00Z')).toMatch(/day 29/);
    expect(checkDatetime('1900-02-29T00:00:00Z')).toMatch(/day 29/);
    expect(checkDatetime('1985-04-31T00:00:00Z')).toMatch(/day 31/);
    expect(checkDatetime('1985-12-31T23:59:59.999Z')).toBeNull();
  });

  it('rejects leap seconds and bad offsets', () => {
    expect(checkDatetime('1985-06-30T23:59:60Z')).toMatch(/leap/);
    expect(checkDatetime('1985-04-12T23:20:50+24:00')).toMatch(/timezone hour/);
    expect(checkDatetime('1985-04-12T23:20:50+01:60')).toMatch(/timezone minute/);
    expect(checkDatetime('1985-04-12T23:20:50.123-00:00')).toMatch(/-00:00/);
    expect(checkDatetime('1985-04-12T23:20:50+00:00')).toBeNull();
  });

  it('requires the UTC instant to fall in years 0000-9999', () => {
    expect(checkDatetime('0000-01-01T00:00:00Z')).toBeNull();
    expect(checkDatetime('0000-01-01T00:00:00-01:00')).toBeNull();
    expect(checkDatetime('0000-01-01T00:59:59+01:00')).toMatch(/before year 0000/);
    expect(checkDatetime('0000-01-01T01:00:00+01:00')).toBeNull();
    expect(checkDatetime('9999-12-31T23:59:59.999Z')).toBeNull();
    expect(checkDatetime('9999-12-31T23:59:59.999+01:00')).toBeNull();
    expect(checkDatetime('9999-12-31T23:00:00-01:00')).toMatch(/after year 9999/);
  });

  it('caps length at 64 characters', () => {
    const base = '1985-04-12T23:20:50.';
    expect(checkDatetime(`${base}${'1'.repeat(64 - base.length - 1)}Z`)).toBeNull();
    expect(checkDatetime(`${base}${'1'.repeat(64 - base.length)}Z`)).toMatch(/max 64/);
  });
});

describe('language', () => {
  it('accepts well-formed tags with repeated subtags, strict mode rejects them', () => {
    expect(checkLanguage('de-DE-1901-1901')).toBeNull();
    expect(checkLanguageStrict('de-DE-1901-1901')).toMatch(/repeated/);
    expect(checkLanguageStrict('en-x-foo-foo')).toBeNull(); // private use is exempt
  });

  it('explains failures', () => {
    expect(checkLanguage('en-a')).toMatch(/extension 'a'/);
    expect(checkLanguage('x')).toMatch(/private-use/);
    expect(checkLanguage('en-GB-x')).toMatch(/private-use/);
    expect(checkLanguage('en-US-Latn')).toMatch(/'Latn'/);
  });
});

describe('checkSyntax', () => {
  it('has the documented kinds', () => {
    expect([...SYNTAX_KINDS]).toEqual([
      'handle',
      'did',
      'nsid',
      'at-uri',
      'at-identifier',
      'rkey',
      'tid',
      'cid',
      'datetime',
      'language',
    ]);
  });

  it('dispatches to each checker', () => {
    const samples: Record<(typeof SYNTAX_KINDS)[number], [string, string]> = {
      handle: ['alice.bsky.social', 'alice'],
      did: ['did:plc:z72i7hdynmk6r22z27h6tvur', 'did:plc:'],
      nsid: ['app.bsky.feed.post', 'app.bsky'],
      'at-uri': ['at://alice.bsky.social/app.bsky.feed.post/3k5nobkf2w72g', 'at://alice.bsky.social/'],
      'at-identifier': ['did:web:example.com', '@alice'],
      rkey: ['self', '..'],
      tid: ['3jzfcijpj2z2a', '3jzfcijpj2z2'],
      cid: ['bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR'],
      datetime: ['2024-01-15T12:30:00.000Z', '2024-01-15'],
      language: ['pt-BR', 'PT-br'],
    };
    for (const kind of SYNTAX_KINDS) {
      const [good, bad] = samples[kind];
      expect(checkSyntax(kind, good), `${kind} ${good}`).toBeNull();
      expect(typeof checkSyntax(kind, bad), `${kind} ${bad}`).toBe('string');
    }
  });

  it('recognises kinds', () => {
    expect(isSyntaxKind('at-uri')).toBe(true);
    expect(isSyntaxKind('toString')).toBe(false);
    expect(isSyntaxKind('uri')).toBe(false);
    expect(checkSyntax('toString' as never, 'x')).toMatch(/unknown syntax kind/);
  });
});

describe('check functions never throw', () => {
  it('on odd input', () => {
    const odd: unknown[] = [undefined, null, 42, {}, '\u0000', '\uD800', 'a'.repeat(100_000)];
    for (const kind of SYNTAX_KINDS) {
      for (const v of odd) {
        expect(() => checkSyntax(kind, v as string)).not.toThrow();
        expect(typeof checkSyntax(kind, v as string)).toBe('string');
      }
    }
  });
});
