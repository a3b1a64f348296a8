import { describe, expect, it } from 'vitest';
import { BREAKING_RULES, breakingChanges, diffLexicons, lexiconTemplate, type LexiconDocument } from '../../../src/core/lexicon/index.js';
import { asDoc, doc } from './helpers.js';

const rec = (props: Record<string, unknown>, extra: Record<string, unknown> = {}, key = 'tid'): LexiconDocument =>
  asDoc(doc({ main: { type: 'record', description: 'A thing.', key, record: { type: 'object', properties: props, ...extra } }, p: { type: 'object', properties: {} }, q: { type: 'object', properties: {} } }));
const query = (main: Record<string, unknown>): LexiconDocument => asDoc(doc({ main: { type: 'query', description: 'Gets.', ...main } }, 'com.example.getThing'));
const proc = (main: Record<string, unknown>): LexiconDocument => asDoc(doc({ main: { type: 'procedure', description: 'Does.', ...main } }, 'com.example.doThing'));
const sub = (refs: string[]): LexiconDocument =>
  asDoc(doc({ main: { type: 'subscription', description: 'Events.', message: { schema: { type: 'union', refs } } }, a: { type: 'object', properties: {} }, b: { type: 'object', properties: {} } }, 'com.example.subscribeThings'));
const s = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'string', maxLength: 100, ...extra });
const json = { encoding: 'application/json', schema: { type: 'object', properties: {} } };

interface Case {
  name: string;
  code: string;
  level: 'error' | 'warning';
  old: LexiconDocument;
  new: LexiconDocument;
  path?: string;
}

const CASES: Case[] = [
  { name: 'field type changed', code: 'type-change', level: 'error', old: rec({ n: s() }), new: rec({ n: { type: 'integer' } }), path: 'defs.main.record.properties.n' },
  { name: 'def type changed', code: 'type-change', level: 'error', old: rec({}), new: asDoc(doc({ main: { type: 'object', properties: {} } })), path: 'defs.main' },
  { name: 'record key changed', code: 'record-key-type', level: 'error', old: rec({}), new: rec({}, {}, 'literal:self'), path: 'defs.main.key' },
  { name: 'body encoding changed', code: 'body-encoding', level: 'error', old: query({ output: json }), new: query({ output: { encoding: 'text/plain' } }), path: 'defs.main.output.encoding' },
  { name: 'const changed', code: 'const-value', level: 'error', old: rec({ n: { type: 'integer', const: 1 } }), new: rec({ n: { type: 'integer', const: 2 } }), path: 'defs.main.record.properties.n.const' },
  { name: 'const added', code: 'const-value', level: 'error', old: rec({ b: { type: 'boolean' } }), new: rec({ b: { type: 'boolean', const: true } }) },
  { name: 'const removed (looser)', code: 'const-value', level: 'warning', old: rec({ v: s({ const: 'x' }) }), new: rec({ v: s() }) },
  { name: 'enum value removed', code: 'enum-values', level: 'error', old: rec({ v: s({ enum: ['a', 'b'] }) }), new: rec({ v: s({ enum: ['a'] }) }), path: 'defs.main.record.properties.v.enum' },
  { name: 'enum added', code: 'enum-values', level: 'error', old: rec({ n: { type: 'integer' } }), new: rec({ n: { type: 'integer', enum: [1, 2] } }) },
  { name: 'enum value added (looser)', code: 'enum-values', level: 'warning', old: rec({ v: s({ enum: ['a'] }) }), new: rec({ v: s({ enum: ['a', 'b'] }) }) },
  { name: 'format added (narrowed)', code: 'string-format', level: 'error', old: rec({ v: s() }), new: rec({ v: s({ format: 'did' }) }), path: 'defs.main.record.properties.v.format' },
  { name: 'format changed', code: 'string-format', level: 'error', old: rec({ v: s({ format: 'handle' }) }), new: rec({ v: s({ format: 'did' }) }) },
  { name: 'format removed (looser)', code: 'string-format', level: 'warning', old: rec({ v: s({ format: 'did' }) }), new: rec({ v: s() }) },
  { name: 'existing field made required', code: 'object-required', level: 'error', old: rec({ v: s() }), new: rec({ v: s() }, { required: ['v'] }), path: 'defs.main.record.properties.v' },
  { name: 'required field made optional', code: 'object-required', level: 'error', old: rec({ v: s() }, { required: ['v'] }), new: rec({ v: s() }) },
  { name: 'field made nullable', code: 'object-nullable', level: 'error', old: rec({ v: s() }, { required: ['v'] }), new: rec({ v: s() }, { required: ['v'], nullable: ['v'] }) },
  { name: 'field no longer nullable', code: 'object-nullable', level: 'error', old: rec({ v: s() }, { required: ['v'], nullable: ['v'] }), new: rec({ v: s() }, { required: ['v'] }) },
  {
    name: 'parameter made required',
    code: 'params-required',
    level: 'error',
    old: query({ parameters: { type: 'params', properties: { q: s() } }, output: json }),
    new: query({ parameters: { type: 'params', required: ['q'], properties: { q: s() } }, output: json }),
    path: 'defs.main.parameters.properties.q',
  },
  { name: 'union closed', code: 'union-open-closed', level: 'error', old: rec({ u: { type: 'union', refs: ['#p'] } }), new: rec({ u: { type: 'union', refs: ['#p'], closed: true } }), path: 'defs.main.record.properties.u.closed' },
  { name: 'closed union gained a type', code: 'union-closed-refs', level: 'error', old: rec({ u: { type: 'union', refs: ['#p'], closed: true } }), new: rec({ u: { type: 'union', refs: ['#p', '#q'], closed: true } }), path: 'defs.main.record.properties.u.refs' },
  { name: 'integer maximum lowered', code: 'integer-range', level: 'error', old: rec({ n: { type: 'integer', maximum: 10 } }), new: rec({ n: { type: 'integer', maximum: 5 } }), path: 'defs.main.record.properties.n.maximum' },
  { name: 'integer minimum lowered (looser)', code: 'integer-range', level: 'warning', old: rec({ n: { type: 'integer', minimum: 5 } }), new: rec({ n: { type: 'integer', minimum: 1 } }), path: 'defs.main.record.properties.n.minimum' },
  { name: 'string maxLength lowered', code: 'string-length', level: 'error', old: rec({ v: s() }), new: rec({ v: s({ maxLength: 50 }) }), path: 'defs.main.record.properties.v.maxLength' },
  { name: 'string maxGraphemes added', code: 'string-length', level: 'error', old: rec({ v: s() }), new: rec({ v: s({ maxGraphemes: 10 }) }), path: 'defs.main.record.properties.v.maxGraphemes' },
  { name: 'string maxLength raised (looser)', code: 'string-length', level: 'warning', old: rec({ v: s() }), new: rec({ v: s({ maxLength: 200 }) }) },
  { name: 'bytes minLength raised', code: 'bytes-length', level: 'error', old: rec({ b: { type: 'bytes', maxLength: 10 } }), new: rec({ b: { type: 'bytes', minLength: 2, maxLength: 10 } }), path: 'defs.main.record.properties.b.minLength' },
  { name: 'array maxLength lowered', code: 'array-length', level: 'error', old: rec({ a: { type: 'array', items: s(), maxLength: 10 } }), new: rec({ a: { type: 'array', items: s(), maxLength: 3 } }), path: 'defs.main.record.properties.a.maxLength' },
  { name: 'blob accept narrowed', code: 'blob-accept', level: 'error', old: rec({ img: { type: 'blob', accept: ['image/*'] } }), new: rec({ img: { type: 'blob', accept: ['image/png'] } }), path: 'defs.main.record.properties.img.accept' },
  { name: 'blob accept added', code: 'blob-accept', level: 'error', old: rec({ img: { type: 'blob' } }), new: rec({ img: { type: 'blob', accept: ['image/png', 'image/jpeg'] } }) },
  { name: 'blob accept widened (looser)', code: 'blob-accept', level: 'warning', old: rec({ img: { type: 'blob', accept: ['image/png'] } }), new: rec({ img: { type: 'blob', accept: ['image/*'] } }) },
  { name: 'blob maxSize lowered', code: 'blob-size', level: 'error', old: rec({ img: { type: 'blob', maxSize: 1000 } }), new: rec({ img: { type: 'blob', maxSize: 500 } }), path: 'defs.main.record.properties.img.maxSize' },
  { name: 'blob maxSize raised (looser)', code: 'blob-size', level: 'warning', old: rec({ img: { type: 'blob', maxSize: 1000 } }), new: rec({ img: { type: 'blob', maxSize: 5000 } }) },
  { name: 'ref changed', code: 'ref-change', level: 'warning', old: rec({ r: { type: 'ref', ref: '#p' } }), new: rec({ r: { type: 'ref', ref: '#q' } }), path: 'defs.main.record.properties.r.ref' },
  { name: 'new required field', code: 'required-field-added', level: 'error', old: rec({ v: s() }), new: rec({ v: s(), w: s() }, { required: ['w'] }), path: 'defs.main.record.properties.w' },
  {
    name: 'new required parameter',
    code: 'required-field-added',
    level: 'error',
    old: query({ output: json }),
    new: query({ parameters: { type: 'params', required: ['q'], properties: { q: s() } }, output: json }),
    path: 'defs.main.parameters.properties.q',
  },
  { name: 'required field removed', code: 'field-removed', level: 'error', old: rec({ v: s(), w: s() }, { required: ['w'] }), new: rec({ v: s() }), path: 'defs.main.record.properties.w' },
  { name: 'optional field removed', code: 'field-removed', level: 'warning', old: rec({ v: s(), w: s() }), new: rec({ v: s() }) },
  { name: 'def removed', code: 'def-removed', level: 'warning', old: rec({}), new: asDoc(doc({ main: { type: 'record', description: 'A thing.', key: 'tid', record: { type: 'object', properties: {} } }, p: { type: 'object', properties: {} } })), path: 'defs.q' },
  { name: 'main removed', code: 'def-removed', level: 'error', old: rec({}), new: asDoc(doc({ p: { type: 'object', properties: {} } })), path: 'defs.main' },
  { name: 'open union lost a type', code: 'union-ref-removed', level: 'error', old: rec({ u: { type: 'union', refs: ['#p', '#q'] } }), new: rec({ u: { type: 'union', refs: ['#p'] } }), path: 'defs.main.record.properties.u.refs' },
  { name: 'procedure input added', code: 'body-added', level: 'error', old: proc({ output: json }), new: proc({ input: json, output: json }), path: 'defs.main.input' },
  { name: 'output removed', code: 'body-removed', level: 'error', old: query({ output: json }), new: query({}), path: 'defs.main.output' },
  { name: 'subscription message removed', code: 'message-removed', level: 'error', old: sub(['#a', '#b']), new: sub(['#a']), path: 'defs.main.message.schema' },
  { name: 'id changed', code: 'lexicon-id-change', level: 'error', old: rec({}), new: asDoc({ ...doc({ main: { type: 'record', description: 'x', key: 'tid', record: { type: 'object', properties: {} } } }, 'com.example.other') }), path: 'id' },
];

describe('breaking-change rules', () => {
  it.each(CASES.map((c) => [`${c.code}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const findings = breakingChanges(c.old, c.new);
    const hit = findings.filter((f) => f.code === c.code);
    expect(hit, JSON.stringify(findings, null, 1)).not.toHaveLength(0);
    expect(hit.map((f) => f.level)).toContain(c.level);
    if (c.path !== undefined) expect(hit.map((f) => f.path)).toContain(c.path);
  });

  it('has a test case for every rule, including goat\'s 18', () => {
    expect(new Set(CASES.map((c) => c.code))).toEqual(new Set(BREAKING_RULES.map((r) => r.code)));
    expect(BREAKING_RULES.filter((r) => r.origin === 'goat')).toHaveLength(18);
  });

  it('finds nothing between identical documents', () => {
    for (const kind of ['record', 'query', 'procedure', 'subscription', 'permission-set'] as const) {
      const d = lexiconTemplate(kind, 'com.example.subscribeThing');
      expect(breakingChanges(d, structuredClone(d))).toEqual([]);
    }
  });

  it('compatible edits are not findings: a new optional field, a description, knownValues, an open-union type', () => {
    const before = rec({ v: s({ knownValues: ['a'] }), u: { type: 'union', refs: ['#p'] } });
    const after = rec({ v: s({ knownValues: ['a', 'b'], description: 'now described' }), w: s(), u: { type: 'union', refs: ['#p', '#q'] } });
    expect(breakingChanges(before, after)).toEqual([]);
  });

  it('local and fully-qualified spellings of the same ref are the same', () => {
    expect(breakingChanges(rec({ r: { type: 'ref', ref: '#p' } }), rec({ r: { type: 'ref', ref: 'com.example.thing#p' } }))).toEqual([]);
  });
});

describe('diffLexicons', () => {
  it('lists added, removed and changed paths; set-like lists compare as sets', () => {
    const before = rec({ v: s(), gone: s() }, { required: ['v', 'gone'] });
    const after = rec({ v: s({ maxLength: 50 }), added: s() }, { required: ['v'] });
    const changes = diffLexicons(before, after);
    expect(changes).toEqual(
      expect.arrayContaining([
        { kind: 'changed', path: 'defs.main.record.properties.v.maxLength', before: 100, after: 50 },
        { kind: 'removed', path: 'defs.main.record.properties.gone', before: { type: 'string', maxLength: 100 } },
        { kind: 'added', path: 'defs.main.record.properties.added', after: { type: 'string', maxLength: 100 } },
        { kind: 'removed', path: 'defs.main.record.required', before: 'gone' },
      ]),
    );
    expect(changes).toHaveLength(4);
    expect(diffLexicons(rec({}, { required: [] }), rec({}, { required: [] }))).toEqual([]);
    const reordered = diffLexicons(rec({ a: s(), b: s() }, { required: ['a', 'b'] }), rec({ a: s(), b: s() }, { required: ['b', 'a'] }));
    expect(reordered).toEqual([]);
  });
});
