import { describe, expect, it } from 'vitest';
import { formatPath, locate, parentPath, parseJsonText } from '../../../src/core/lexicon/index.js';

describe('parseJsonText', () => {
  it('parses like JSON.parse', () => {
    const samples = ['{}', '[]', '{"a":[1,-2,3e2,0.5,true,false,null,"x\\n\\u00e9\\ud83d\\ude00"]}', ' "s" ', '0', '-0.0e-1'];
    for (const s of samples) expect(parseJsonText(s).value).toEqual(JSON.parse(s));
  });

  it('records positions of members and elements, 1-based', () => {
    const r = parseJsonText('{\n  "a": {\n    "b": [10,\n      20]\n  }\n}');
    expect(r.positions.get('a')).toMatchObject({ line: 2, column: 3 });
    expect(r.positions.get('a.b')).toMatchObject({ line: 3, column: 5 });
    expect(r.positions.get('a.b[1]')).toMatchObject({ line: 4, column: 7 });
  });

  it('notes float literals and duplicate keys', () => {
    const r = parseJsonText('{"n": 1.0, "m": 2, "e": 1e3, "d": 1, "d": 2}');
    expect(r.floats).toEqual(['n', 'e']);
    expect(r.duplicateKeys).toEqual(['d']);
  });

  it.each([
    ['{"a": 1,}', 1, 9],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['[1, 2', 1, 6],
    ['{"a": tru}', 1, 7],
    ['{"a": "x\ny"}', 1, 9],
    ['{} {}', 1, 4],
    ['', 1, 1],
    ['{"a": 01}', 1, 8],
  ])('rejects %j at line %i, column %i', (text, line, column) => {
    expect(() => parseJsonText(text)).toThrowError(expect.objectContaining({ code: 'InvalidJson', kind: 'invalid', details: expect.objectContaining({ line, column }) }));
  });

  it('limits nesting depth instead of overflowing the stack', () => {
    expect(() => parseJsonText('['.repeat(100000))).toThrowError(expect.objectContaining({ code: 'InvalidJson' }));
  });

  it('keeps a "__proto__" key as data', () => {
    const v = parseJsonText('{"__proto__": {"x": 1}}').value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('paths', () => {
  it('formatPath quotes keys that are not plain names', () => {
    expect(formatPath(['defs', 'main', 'record', 'properties', 'text', 'maxLength'])).toBe('defs.main.record.properties.text.maxLength');
    expect(formatPath(['a', 0, 'b.c', 'cid-link', 'title:lang', '12'])).toBe('a[0]["b.c"].cid-link.title:lang["12"]');
  });

  it('parentPath walks up one segment at a time', () => {
    expect(parentPath('a.b[0].c')).toBe('a.b[0]');
    expect(parentPath('a.b[0]')).toBe('a.b');
    expect(parentPath('a["x.y"]')).toBe('a');
    expect(parentPath('a')).toBe('');
  });

  it('locate falls back to the nearest ancestor', () => {
    const r = parseJsonText('{\n  "a": {\n    "b": 1\n  }\n}');
    expect(locate(r.positions, 'a.b.missing.deeper')).toMatchObject({ line: 3, column: 5 });
    expect(locate(r.positions, 'zzz')).toMatchObject({ line: 1, column: 1 });
  });
});
