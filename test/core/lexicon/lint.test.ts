import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LINT_RULES,
  LexiconCatalog,
  TEMPLATE_KINDS,
  lexiconTemplate,
  lintLexicon,
  lintLexiconFiles,
  parseLexiconText,
  ruleFilter,
  type LexFinding,
} from '../../../src/core/lexicon/index.js';
import { asDoc, doc } from './helpers.js';

/** A record whose object has `props` (and `extra` object fields). */
function record(props: Record<string, unknown>, extra: Record<string, unknown> = {}, id = 'com.example.thing'): Record<string, unknown> {
  return doc({ main: { type: 'record', description: 'A thing.', key: 'tid', record: { type: 'object', properties: props, ...extra } } }, id);
}
/** A plain object def `o` with `props`, in a document that has nothing else. */
function object(props: Record<string, unknown>, extra: Record<string, unknown> = {}, id = 'com.example.thing'): Record<string, unknown> {
  return doc({ o: { type: 'object', description: 'An object.', properties: props, ...extra } }, id);
}
const str = { type: 'string', maxLength: 100, description: 'Some text.' };
const otherDoc = asDoc(doc({ main: { type: 'object', properties: {} }, tok: { type: 'token', description: 'A token.' } }, 'com.other.lib'));

interface Case {
  code: string;
  json?: Record<string, unknown>;
  text?: string;
  catalog?: LexiconCatalog;
  files?: Record<string, string>;
  path?: string;
}

const CASES: Case[] = [
  // goat's rules
  { code: 'schema-json-parse', files: { 'com/example/bad.json': '{"lexicon": 1,\n  "id": }' } },
  { code: 'unexpected-field', json: doc({ t: { type: 'token', description: 'A token.', colour: 'red' } }), path: 'defs.t.colour' },
  { code: 'invalid-nsid', json: { lexicon: 1, id: 'not-an-nsid', defs: { t: { type: 'token', description: 'x' } } }, path: 'id' },
  { code: 'lexicon-version', json: { lexicon: 2, id: 'com.example.thing', defs: {} }, path: 'lexicon' },
  { code: 'lexicon-schema', json: object({ s: { type: 'string', format: 'colour' } }), path: 'defs.o.properties.s.format' },
  { code: 'def-name-syntax', json: doc({ my_token: { type: 'token', description: 'x' } }), path: 'defs.my_token' },
  { code: 'defs-main-definition', json: doc({ main: { type: 'token', description: 'x' } }, 'com.example.defs'), path: 'defs.main' },
  { code: 'non-main-primary', json: doc({ post: { type: 'record', key: 'tid', record: { type: 'object', properties: {} } } }), path: 'defs.post' },
  { code: 'missing-primary-description', json: doc({ main: { type: 'record', key: 'tid', record: { type: 'object', properties: {} } } }), path: 'defs.main' },
  { code: 'endpoint-output-undefined', json: doc({ main: { type: 'query', description: 'Gets.' } }, 'com.example.getThing'), path: 'defs.main' },
  { code: 'subscription-no-messages', json: doc({ main: { type: 'subscription', description: 'Events.' } }, 'com.example.subscribeThings'), path: 'defs.main' },
  { code: 'permissionset-no-title', json: doc({ main: { type: 'permission-set', detail: 'd', permissions: [{ type: 'permission', resource: 'repo', collection: ['com.example.thing'] }] } }, 'com.example.authThing'), path: 'defs.main' },
  { code: 'permissionset-no-permissions', json: doc({ main: { type: 'permission-set', title: 't', detail: 'd', permissions: [] } }, 'com.example.authThing'), path: 'defs.main.permissions' },
  { code: 'large-string', json: object({ s: { type: 'string', maxLength: 30000, description: 'x' } }), path: 'defs.o.properties.s.maxLength' },
  { code: 'unlimited-string', json: object({ s: { type: 'string', description: 'x' } }), path: 'defs.o.properties.s' },
  { code: 'known-string-local-ref', json: object({ s: { ...str, knownValues: ['#thing'] } }), path: 'defs.o.properties.s.knownValues[0]' },
  { code: 'unlimited-bytes', json: object({ b: { type: 'bytes', description: 'x' } }), path: 'defs.o.properties.b' },
  { code: 'large-bytes', json: object({ b: { type: 'bytes', maxLength: 30000, description: 'x' } }), path: 'defs.o.properties.b.maxLength' },
  { code: 'field-name-syntax', json: object({ snake_case: str }), path: 'defs.o.properties.snake_case' },
  { code: 'nullable-and-optional', json: object({ s: str }, { nullable: ['s'] }), path: 'defs.o.properties.s' },
  { code: 'undescribed-token', json: doc({ t: { type: 'token' } }), path: 'defs.t' },
  { code: 'unspecified-encoding', json: doc({ main: { type: 'query', description: 'Gets.', output: { schema: { type: 'object', properties: {} } } } }, 'com.example.getThing'), path: 'defs.main.output' },
  // atcli's rules
  { code: 'def-not-allowed', json: doc({ u: { type: 'union', refs: [] } }), path: 'defs.u.type' },
  { code: 'float-value', json: object({ n: { type: 'integer', maximum: 1.5 } }), path: 'defs.o.properties.n.maximum' },
  { code: 'duplicate-key', text: '{"lexicon": 1, "id": "com.example.thing", "defs": {"t": {"type": "token", "description": "a", "description": "b"}}}', path: 'defs.t.description' },
  {
    code: 'duplicate-id',
    files: {
      'com/example/thing.json': JSON.stringify(doc({ t: { type: 'token', description: 'x' } })),
      'com/example/thingCopy.json': JSON.stringify(doc({ t: { type: 'token', description: 'x' } })),
    },
  },
  { code: 'file-path-mismatch', files: { 'com/example/other.json': JSON.stringify(doc({ t: { type: 'token', description: 'x' } })) } },
  { code: 'ref-unresolved', json: object({ r: { type: 'ref', ref: '#missing' } }), path: 'defs.o.properties.r.ref' },
  { code: 'union-ref-unresolved', json: object({ u: { type: 'union', refs: ['com.other.lib#missing'] } }), catalog: LexiconCatalog.from([otherDoc]), path: 'defs.o.properties.u.refs[0]' },
  { code: 'ref-not-in-catalog', json: object({ r: { type: 'ref', ref: 'com.unknown.lib#thing' } }), path: 'defs.o.properties.r.ref' },
  { code: 'ref-target-type', json: object({ r: { type: 'ref', ref: 'com.other.lib#tok' } }), catalog: LexiconCatalog.from([otherDoc]), path: 'defs.o.properties.r.ref' },
  { code: 'union-ref-type', json: doc({ o: { type: 'object', properties: { u: { type: 'union', refs: ['#s'] } } }, s: { type: 'string', maxLength: 5 } }), path: 'defs.o.properties.u.refs[0]' },
  { code: 'ref-main-suffix', json: object({ r: { type: 'ref', ref: 'com.other.lib#main' } }), catalog: LexiconCatalog.from([otherDoc]), path: 'defs.o.properties.r.ref' },
  {
    code: 'subscription-message-local',
    json: doc({ main: { type: 'subscription', description: 'Events.', message: { schema: { type: 'union', refs: ['com.other.lib'] } } } }, 'com.example.subscribeThings'),
    catalog: LexiconCatalog.from([otherDoc]),
    path: 'defs.main.message.schema.refs[0]',
  },
  { code: 'constraint-conflict', json: object({ s: { ...str, maxLength: 3, default: 'too long' } }), path: 'defs.o.properties.s.default' },
  { code: 'duplicate-entry', json: object({ s: str }, { required: ['s', 's'] }), path: 'defs.o.required' },
  { code: 'nsid-name-case', json: doc({ t: { type: 'token', description: 'x' } }, 'com.example.Thing'), path: 'id' },
  { code: 'nsid-authority-case', json: doc({ t: { type: 'token', description: 'x' } }, 'com.Example.thing'), path: 'id' },
  { code: 'def-name-case', json: doc({ MyToken: { type: 'token', description: 'x' } }), path: 'defs.MyToken' },
  { code: 'field-name-case', json: object({ Name: str }), path: 'defs.o.properties.Name' },
  { code: 'field-name-dollar', json: object({ $kind: str }), path: 'defs.o.properties.$kind' },
  { code: 'error-name-case', json: doc({ main: { type: 'query', description: 'Gets.', output: { encoding: 'application/json' }, errors: [{ name: 'not_found' }] } }, 'com.example.getThing'), path: 'defs.main.errors[0].name' },
  { code: 'reserved-name', json: doc({ default: { type: 'token', description: 'x' } }), path: 'defs.default' },
  { code: 'description-empty', json: doc({ t: { type: 'token', description: 'x' }, s: { ...str, description: '  ' } }), path: 'defs.s.description' },
  { code: 'ambiguous-field-description', json: object({ uri: { type: 'string', format: 'at-uri' } }), path: 'defs.o.properties.uri' },
  { code: 'known-value-case', json: object({ s: { ...str, knownValues: ['SomeValue'] } }), path: 'defs.o.properties.s.knownValues[0]' },
  { code: 'grapheme-without-length', json: object({ s: { type: 'string', maxGraphemes: 10, description: 'x' } }), path: 'defs.o.properties.s' },
  { code: 'grapheme-length-ratio', json: object({ s: { type: 'string', maxGraphemes: 10, maxLength: 30, description: 'x' } }), path: 'defs.o.properties.s.maxLength' },
  { code: 'format-with-length', json: object({ d: { type: 'string', format: 'did', maxLength: 100, description: 'x' } }), path: 'defs.o.properties.d' },
  { code: 'record-handle-reference', json: record({ who: { type: 'string', format: 'handle', description: 'x' } }), path: 'defs.main.record.properties.who.format' },
  { code: 'closed-union', json: doc({ o: { type: 'object', properties: { u: { type: 'union', refs: ['#p'], closed: true } } }, p: { type: 'object', properties: {} } }), path: 'defs.o.properties.u.closed' },
  { code: 'closed-enum', json: object({ s: { type: 'string', enum: ['a', 'b'], description: 'x' } }), path: 'defs.o.properties.s.enum' },
  { code: 'boolean-default-true', json: object({ b: { type: 'boolean', default: true, description: 'x' } }), path: 'defs.o.properties.b.default' },
  { code: 'unknown-in-record', json: record({ extra: { type: 'unknown', description: 'x' } }), path: 'defs.main.record.properties.extra' },
  {
    code: 'permission-resource-unsupported',
    json: doc({ main: { type: 'permission-set', title: 't', detail: 'd', permissions: [{ type: 'permission', resource: 'blob', accept: ['image/*'] }] } }, 'com.example.authThing'),
    path: 'defs.main.permissions[0].resource',
  },
  { code: 'permissionset-no-detail', json: doc({ main: { type: 'permission-set', title: 't', permissions: [{ type: 'permission', resource: 'repo', collection: ['com.example.thing'] }] } }, 'com.example.authThing'), path: 'defs.main' },
  { code: 'subscription-name', json: doc({ main: { type: 'subscription', description: 'Events.', message: { schema: { type: 'union', refs: ['#e'] } } }, e: { type: 'object', properties: {} } }, 'com.example.events'), path: 'id' },
];

async function findingsOf(c: Case): Promise<LexFinding[]> {
  if (c.files !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    for (const [name, content] of Object.entries(c.files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return (await lintLexiconFiles([dir])).findings;
  }
  if (c.text !== undefined) {
    const parsed = parseLexiconText(c.text);
    return lintLexicon(parsed.json, c.catalog, { duplicateKeys: parsed.duplicateKeys });
  }
  return lintLexicon(c.json, c.catalog);
}

describe('lint rules', () => {
  it.each(CASES.map((c) => [c.code, c] as const))('%s', async (code, c) => {
    const findings = await findingsOf(c);
    const hit = findings.filter((f) => f.code === code);
    expect(hit, JSON.stringify(findings, null, 1)).not.toHaveLength(0);
    expect(hit[0]!.level).toBe(LINT_RULES.find((r) => r.code === code)!.level);
    if (c.path !== undefined) expect(hit.map((f) => f.path)).toContain(c.path);
    expect(hit[0]!.message).not.toBe('');
  });

  it('has a test case for every rule (and no case for a rule that does not exist)', () => {
    expect(new Set(CASES.map((c) => c.code))).toEqual(new Set(LINT_RULES.map((r) => r.code)));
  });

  it('covers goat\'s 22 rules under the same names', () => {
    const goat = LINT_RULES.filter((r) => r.origin === 'goat').map((r) => r.code);
    expect(goat).toHaveLength(22);
    for (const code of LINT_RULES.map((r) => r.code)) expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each(TEMPLATE_KINDS.map((k) => [k] as const))('the %s template lints without any finding', (kind) => {
    const nsid = kind === 'subscription' ? 'com.example.cal.subscribeEvents' : 'com.example.cal.thing';
    expect(lintLexicon(lexiconTemplate(kind, nsid), new LexiconCatalog())).toEqual([]);
  });
});

describe('rule selection', () => {
  const json = object({ s: { type: 'string' }, Name: str });

  it('--rule reports only the selected codes', () => {
    const codes = lintLexicon(json, undefined, { rules: ['field-name-case'] }).map((f) => f.code);
    expect(codes).toEqual(['field-name-case']);
  });

  it('--ignore drops codes', () => {
    const codes = lintLexicon(json, undefined, { ignore: ['unlimited-string'] }).map((f) => f.code);
    expect(codes).toContain('field-name-case');
    expect(codes).not.toContain('unlimited-string');
  });

  it('an unknown code is a usage error listing the rules', () => {
    expect(() => ruleFilter({ ignore: ['no-such-rule'] })).toThrowError(expect.objectContaining({ code: 'UnknownLintRule', kind: 'usage' }));
  });

  it('errors that stop parsing are reported even when --rule selects other codes, unless ignored', () => {
    const bad = { lexicon: 1, id: 'nope', defs: {} };
    expect(lintLexicon(bad, undefined, { rules: ['unlimited-string'] }).map((f) => f.code)).toContain('invalid-nsid');
    expect(lintLexicon(bad, undefined, { ignore: ['invalid-nsid'] }).map((f) => f.code)).not.toContain('invalid-nsid');
  });
});

describe('lint details', () => {
  it('a float written as 1.0 in the text is still a float', () => {
    const parsed = parseLexiconText('{"lexicon": 1, "id": "com.example.thing", "defs": {"n": {"type": "integer", "maximum": 10.0}}}');
    expect(parsed.ok).toBe(false);
    expect(lintLexicon(parsed.json, undefined, { floatPaths: ['defs.n.maximum'] }).map((f) => f.code)).toContain('float-value');
  });

  it('cross-file refs resolve against the catalog, and missing defs in a loaded file are errors', () => {
    const catalog = LexiconCatalog.from([otherDoc]);
    const ok = lintLexicon(object({ r: { type: 'ref', ref: 'com.other.lib' } }), catalog);
    expect(ok.map((f) => f.code)).toEqual([]);
    const bad = lintLexicon(object({ r: { type: 'ref', ref: 'com.other.lib#nope' } }), catalog);
    expect(bad.map((f) => f.code)).toEqual(['ref-unresolved']);
  });

  it('the document\'s own defs win over a stale copy in the catalog', () => {
    const stale = asDoc(doc({ o: { type: 'object', properties: {} } }));
    const json = doc({ o: { type: 'object', properties: { r: { type: 'ref', ref: '#p' } } }, p: { type: 'object', properties: {} } });
    expect(lintLexicon(json, LexiconCatalog.from([stale])).map((f) => f.code)).toEqual([]);
  });

  it('unlimited-string does not fire for enum or const strings', () => {
    const findings = lintLexicon(object({ s: { type: 'string', const: 'x', description: 'x' } }));
    expect(findings.map((f) => f.code)).not.toContain('unlimited-string');
  });

  it('integer default outside the range is a constraint conflict', () => {
    const findings = lintLexicon(object({ n: { type: 'integer', minimum: 1, maximum: 10, default: 50, description: 'x' } }));
    expect(findings.find((f) => f.code === 'constraint-conflict')?.path).toBe('defs.o.properties.n.default');
  });

  it('lintLexiconFiles lists at most 20 findings per file and counts the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    mkdirSync(join(dir, 'com', 'example'), { recursive: true });
    const defs = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`t${i}`, { type: 'token' }]));
    writeFileSync(join(dir, 'com/example/thing.json'), JSON.stringify({ lexicon: 1, id: 'com.example.thing', defs }, null, 2));
    const report = await lintLexiconFiles([dir]);
    expect(report.warnings).toBe(500);
    expect(report.findings).toHaveLength(20);
    expect(report.findingsOmitted).toBe(480);
  });

  it('lintLexiconFiles locates findings by line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    mkdirSync(join(dir, 'com', 'example'), { recursive: true });
    writeFileSync(join(dir, 'com/example/thing.json'), '{\n  "lexicon": 1,\n  "id": "com.example.thing",\n  "defs": {\n    "t": { "type": "token" }\n  }\n}\n');
    const report = await lintLexiconFiles([dir]);
    expect(report).toMatchObject({ files: 1, errors: 0, warnings: 1 });
    expect(report.findings[0]).toMatchObject({ code: 'undescribed-token', path: 'defs.t', line: 5, column: 5, nsid: 'com.example.thing' });
  });

  it('lintLexiconFiles reports JSON syntax errors with line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    writeFileSync(join(dir, 'x.json'), '{\n  "lexicon": 1,\n  "id": "com.example.x"\n  "defs": {}\n}\n');
    const report = await lintLexiconFiles([dir]);
    expect(report.findings).toEqual([expect.objectContaining({ code: 'schema-json-parse', level: 'error', line: 4, column: 3 })]);
  });

  it('a missing path is a usage error (the input named is wrong)', async () => {
    await expect(lintLexiconFiles(['/no/such/lexicons'])).rejects.toMatchObject({ code: 'FileNotFound', kind: 'usage' });
    await expect(lintLexiconFiles(['/no/such/thing.json'])).rejects.toMatchObject({ code: 'FileNotFound', kind: 'usage' });
  });

  it('a file that is not UTF-8 is an error, located', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    mkdirSync(join(dir, 'com', 'example'), { recursive: true });
    const text = Buffer.from('{\n  "lexicon": 1,\n  "id": "com.example.thing",\n  "description": "caf\u00e9 \ufffd X",\n  "defs": { "t": { "type": "token", "description": "x" } }\n}\n');
    // Replace the "X" with a lone Latin-1 byte; the genuine U+FFFD before it is data.
    const bad = Buffer.from(text);
    bad[text.indexOf('X')] = 0xe9;
    writeFileSync(join(dir, 'com/example/thing.json'), bad);
    const report = await lintLexiconFiles([dir]);
    expect(report.errors).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ code: 'schema-json-parse', level: 'error', line: 4, column: text.indexOf('X') - text.indexOf('  "description"') + 1 })]);
    expect(report.findings[0]?.message).toContain('UTF-8');
    writeFileSync(join(dir, 'com/example/thing.json'), text);
    expect((await lintLexiconFiles([dir])).errors).toBe(0);
  });

  it('file-path-mismatch finds the Lexicon root above the folder named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lint-'));
    mkdirSync(join(dir, 'lexicons', 'com', 'example'), { recursive: true });
    const thing = JSON.stringify(doc({ t: { type: 'token', description: 'x' } }));
    writeFileSync(join(dir, 'lexicons/com/example/thing.json'), thing);
    const mismatches = async (paths: string[], roots?: string[]) =>
      (await lintLexiconFiles(paths, roots === undefined ? {} : { roots })).findings.filter((f) => f.code === 'file-path-mismatch').length;
    expect(await mismatches([join(dir, 'lexicons/com/example')])).toBe(0);
    expect(await mismatches([join(dir, 'lexicons/com')])).toBe(0);
    expect(await mismatches([join(dir, 'lexicons')])).toBe(0);
    expect(await mismatches([join(dir, 'lexicons/com/example/thing.json')])).toBe(0);
    expect(await mismatches([join(dir, 'lexicons/com/example')], [join(dir, 'lexicons')])).toBe(0);
    // In the wrong place: under another name, or nested below the project's root.
    writeFileSync(join(dir, 'lexicons/com/example/other.json'), thing.replace('com.example.thing', 'com.example.another'));
    expect(await mismatches([join(dir, 'lexicons/com/example')])).toBe(1);
    mkdirSync(join(dir, 'lexicons', 'extra', 'com', 'example'), { recursive: true });
    writeFileSync(join(dir, 'lexicons/extra/com/example/third.json'), thing.replace('com.example.thing', 'com.example.third'));
    expect(await mismatches([join(dir, 'lexicons/extra')])).toBe(0);
    expect(await mismatches([join(dir, 'lexicons/extra')], [join(dir, 'lexicons')])).toBe(1);
  });
});
