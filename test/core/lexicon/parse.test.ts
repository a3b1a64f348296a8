import { describe, expect, it } from 'vitest';
import { loadLexiconDocument, parseLexiconDocument, parseLexiconText, type SchemaIssue } from '../../../src/core/lexicon/index.js';
import { doc } from './helpers.js';

function problems(json: unknown): SchemaIssue[] {
  const r = parseLexiconDocument(json);
  return r.ok ? [] : r.errors;
}

const record = (extra: Record<string, unknown> = {}, props: Record<string, unknown> = {}): Record<string, unknown> =>
  doc({ main: { type: 'record', key: 'tid', record: { type: 'object', properties: props }, ...extra } });

describe('parseLexiconDocument: file shape', () => {
  it.each([
    ['L1 lexicon: 2', { lexicon: 2, id: 'com.example.thing', defs: { t: { type: 'token' } } }, 'lexicon-version', 'lexicon'],
    ['L1 lexicon missing', { id: 'com.example.thing', defs: { t: { type: 'token' } } }, 'lexicon-version', 'lexicon'],
    ['L1 defs: {}', { lexicon: 1, id: 'com.example.thing', defs: {} }, 'lexicon-schema', 'defs'],
    ['L1 defs missing', { lexicon: 1, id: 'com.example.thing' }, 'lexicon-schema', 'defs'],
    ['L1 id with a fragment', { lexicon: 1, id: 'com.example.thing#main', defs: { t: { type: 'token' } } }, 'invalid-nsid', 'id'],
    ['L1 def name with "#"', doc({ '#t': { type: 'token' } }), 'lexicon-schema', 'defs["#t"]'],
    ['L1 union as a named def', doc({ u: { type: 'union', refs: [] } }), 'def-not-allowed', 'defs.u.type'],
    ['L1 params as a named def', doc({ p: { type: 'params', properties: {} } }), 'def-not-allowed', 'defs.p.type'],
    ['L1 required names an undeclared property', doc({ o: { type: 'object', required: ['nope'], properties: {} } }), 'lexicon-schema', 'defs.o.required[0]'],
    ['L1 nullable names an undeclared property', doc({ o: { type: 'object', nullable: ['nope'], properties: {} } }), 'lexicon-schema', 'defs.o.nullable[0]'],
    ['L1 record of a non-object', record({ record: { type: 'string' } }), 'lexicon-schema', 'defs.main.record.type'],
    ['L2 record not named main', doc({ post: { type: 'record', key: 'tid', record: { type: 'object', properties: {} } } }), 'non-main-primary', 'defs.post'],
    ['L2 query not named main', doc({ get: { type: 'query' } }), 'non-main-primary', 'defs.get'],
    ['L3 float in an integer def', doc({ n: { type: 'integer', maximum: 1.5 } }), 'float-value', 'defs.n.maximum'],
    ['L3 float in a description-free place', doc({ t: { type: 'token', extra: 0.5 } }), 'float-value', 'defs.t.extra'],
    ['L4 key uuid', record({ key: 'uuid' }), 'lexicon-schema', 'defs.main.key'],
    ['L4 key literal: (empty)', record({ key: 'literal:' }), 'lexicon-schema', 'defs.main.key'],
    ['L4 key literal:.. (invalid rkey)', record({ key: 'literal:..' }), 'lexicon-schema', 'defs.main.key'],
    ['L5 subscription message of type object', doc({ main: { type: 'subscription', message: { schema: { type: 'object', properties: {} } } } }), 'lexicon-schema', 'defs.main.message.schema.type'],
  ])('%s', (_name, json, code, path) => {
    const errs = problems(json);
    expect(errs, JSON.stringify(errs)).toEqual(expect.arrayContaining([expect.objectContaining({ code, path })]));
  });

  it('accepts every record key form', () => {
    for (const key of ['tid', 'nsid', 'any', 'literal:self']) expect(problems(record({ key }))).toEqual([]);
  });
});

describe('parseLexiconDocument: field checks, located by path', () => {
  it.each([
    ['maxLength not an integer', { type: 'string', maxLength: 'ten' }, 'defs.f.maxLength'],
    ['negative maxLength', { type: 'string', maxLength: -1 }, 'defs.f.maxLength'],
    ['max < min', { type: 'string', minLength: 5, maxLength: 2 }, 'defs.f.maxLength'],
    ['graphemes max < min', { type: 'string', minGraphemes: 5, maxGraphemes: 2 }, 'defs.f.maxGraphemes'],
    ['unknown format', { type: 'string', format: 'email' }, 'defs.f.format'],
    ['default and const', { type: 'string', default: 'a', const: 'b' }, 'defs.f.const'],
    ['empty enum', { type: 'string', enum: [] }, 'defs.f.enum'],
    ['enum of non-strings', { type: 'string', enum: [1] }, 'defs.f.enum[0]'],
    ['integer min > max', { type: 'integer', minimum: 5, maximum: 1 }, 'defs.f.maximum'],
    ['boolean default not boolean', { type: 'boolean', default: 'yes' }, 'defs.f.default'],
    ['bytes max < min', { type: 'bytes', minLength: 5, maxLength: 1 }, 'defs.f.maxLength'],
    ['blob partial glob', { type: 'blob', accept: ['text/ht*'] }, 'defs.f.accept[0]'],
    ['blob lone star', { type: 'blob', accept: ['*'] }, 'defs.f.accept[0]'],
    ['blob maxSize 0', { type: 'blob', maxSize: 0 }, 'defs.f.maxSize'],
    ['array without items', { type: 'array' }, 'defs.f.items'],
    ['array of tokens', { type: 'array', items: { type: 'token' } }, 'defs.f.items.type'],
    ['object without properties', { type: 'object' }, 'defs.f.properties'],
    ['object property of type params', { type: 'object', properties: { p: { type: 'params', properties: {} } } }, 'defs.f.properties.p.type'],
    ['ref to an invalid NSID', { type: 'object', properties: { r: { type: 'ref', ref: 'not valid' } } }, 'defs.f.properties.r.ref'],
    ['closed empty union', { type: 'object', properties: { u: { type: 'union', refs: [], closed: true } } }, 'defs.f.properties.u.refs'],
    ['unknown type', { type: 'float' }, 'defs.f.type'],
    ['no type', { description: 'x' }, 'defs.f.type'],
  ])('%s', (_name, def, path) => {
    const errs = problems(doc({ f: def }));
    expect(errs.map((e) => e.path), JSON.stringify(errs)).toContain(path);
  });

  it('params allow only boolean, integer, string, unknown and arrays of those', () => {
    const q = (props: Record<string, unknown>): unknown => doc({ main: { type: 'query', parameters: { type: 'params', properties: props } } });
    expect(problems(q({ a: { type: 'string' }, b: { type: 'integer' }, c: { type: 'boolean' }, d: { type: 'unknown' }, e: { type: 'array', items: { type: 'string' } } }))).toEqual([]);
    expect(problems(q({ o: { type: 'object', properties: {} } })).map((e) => e.path)).toContain('defs.main.parameters.properties.o.type');
    expect(problems(q({ a: { type: 'array', items: { type: 'ref', ref: '#x' } } })).map((e) => e.path)).toContain('defs.main.parameters.properties.a.items.type');
  });

  it('bodies: schema must be object, ref or union; encoding a MIME type', () => {
    const errs = problems(doc({ main: { type: 'procedure', input: { encoding: 'json', schema: { type: 'string' } } } }));
    expect(errs.map((e) => e.path)).toEqual(expect.arrayContaining(['defs.main.input.encoding', 'defs.main.input.schema.type']));
  });

  it('error names must not contain whitespace', () => {
    expect(problems(doc({ main: { type: 'query', errors: [{ name: 'Not Found' }] } })).map((e) => e.path)).toContain('defs.main.errors[0].name');
  });

  it('permission sets: repo needs collections, rpc needs aud or inheritAud, languages are checked', () => {
    const ps = (perm: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => doc({ main: { type: 'permission-set', permissions: [{ type: 'permission', ...perm }], ...extra } });
    expect(problems(ps({ resource: 'repo', collection: [] })).map((e) => e.path)).toContain('defs.main.permissions[0].collection');
    expect(problems(ps({ resource: 'repo', collection: ['com.example.x'], action: ['read'] })).map((e) => e.path)).toContain('defs.main.permissions[0].action[0]');
    expect(problems(ps({ resource: 'rpc', lxm: ['com.example.x'] })).map((e) => e.path)).toContain('defs.main.permissions[0]');
    expect(problems(ps({ resource: 'rpc', lxm: ['*'], aud: '*' })).map((e) => e.path)).toContain('defs.main.permissions[0].aud');
    expect(problems(ps({ resource: 'rpc', lxm: ['com.example.x'], aud: '*' }, { 'title:lang': { '12': 'x' } })).map((e) => e.path)).toContain('defs.main.title:lang["12"]');
    expect(problems(ps({ resource: 'account', attr: 'email' }))).toEqual([]); // unsupported resources are ignored, not errors
  });

  it('unknown fields do not fail parsing but are listed', () => {
    const r = parseLexiconDocument({ lexicon: 1, id: 'com.example.thing', extra: true, defs: { t: { type: 'token', colour: 'red' } } });
    expect(r.ok).toBe(true);
    expect(r.unexpectedFields).toEqual(['extra', 'defs.t.colour']);
  });

  it('keeps typed fields and drops unknown ones', () => {
    const r = parseLexiconDocument(doc({ main: { type: 'record', key: 'tid', description: 'd', junk: 1, record: { type: 'object', required: ['a'], properties: { a: { type: 'string', maxLength: 5 } } } } }));
    expect(r.ok && r.document.defs.main).toEqual({ type: 'record', key: 'tid', description: 'd', record: { type: 'object', required: ['a'], properties: { a: { type: 'string', maxLength: 5 } } } });
  });

  it('accepts a published record form with $type', () => {
    expect(problems({ $type: 'com.atproto.lexicon.schema', ...doc({ t: { type: 'token' } }) })).toEqual([]);
  });

  it('loadLexiconDocument throws InvalidLexicon listing every problem', () => {
    expect(() => loadLexiconDocument(doc({ a: { type: 'string', format: 'x' }, b: { type: 'integer', minimum: 2, maximum: 1 } }), { source: 'f.json' })).toThrowError(
      expect.objectContaining({ code: 'InvalidLexicon', kind: 'invalid', details: expect.objectContaining({ problems: [expect.stringContaining('defs.a.format'), expect.stringContaining('defs.b.maximum')] }) }),
    );
  });
});

describe('parseLexiconText', () => {
  it('flags floats written as 1.0 and returns positions', () => {
    const r = parseLexiconText('{\n  "lexicon": 1,\n  "id": "com.example.thing",\n  "defs": { "n": { "type": "integer", "maximum": 10.0 } }\n}');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([expect.objectContaining({ code: 'float-value', path: 'defs.n.maximum' })]);
    expect(r.positions.get('defs.n.maximum')).toEqual({ line: 4, column: 39, offset: expect.any(Number) });
  });

  it('throws InvalidJson with line and column for malformed text', () => {
    expect(() => parseLexiconText('{\n  "lexicon": 1,\n  oops\n}')).toThrowError(expect.objectContaining({ code: 'InvalidJson', details: expect.objectContaining({ line: 3, column: 3 }) }));
  });
});
