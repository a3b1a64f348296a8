import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LexiconCatalog, lexiconTemplate, loadLexicons, writeLexiconFile, loadLexiconFile, lexiconRelativePath } from '../../../src/core/lexicon/index.js';
import { asDoc, doc, interopCatalog } from './helpers.js';

describe('LexiconCatalog', () => {
  const a = asDoc(doc({ main: { type: 'object', properties: {} }, x: { type: 'token', description: 't' } }, 'com.example.a'));
  const b = asDoc(doc({ y: { type: 'string', maxLength: 5 } }, 'com.example.b'));

  it('adds, lists and resolves local, cross-file and main refs', () => {
    const c = new LexiconCatalog();
    c.add(b, { source: 'b.json' });
    c.add(a);
    expect(c.nsids()).toEqual(['com.example.a', 'com.example.b']);
    expect(c.size).toBe(2);
    expect(c.sourceOf('com.example.b')).toBe('b.json');
    expect(c.resolve('com.example.a')?.ref).toBe('com.example.a');
    expect(c.resolve('com.example.a#main')?.ref).toBe('com.example.a');
    expect(c.resolve('#x', 'com.example.a')?.def.type).toBe('token');
    expect(c.resolve('com.example.b#y')).toMatchObject({ nsid: 'com.example.b', name: 'y', ref: 'com.example.b#y' });
    expect(c.resolve('com.example.b#nope')).toBeUndefined();
    expect(c.resolve('com.example.c#y')).toBeUndefined();
    expect(c.resolve('#x')).toBeUndefined();
  });

  it('refuses a second document with the same id unless replacing', () => {
    const c = LexiconCatalog.from([a]);
    expect(() => c.add(a)).toThrowError(expect.objectContaining({ code: 'DuplicateLexicon' }));
    c.add(a, { replace: true });
    expect(c.size).toBe(1);
  });

  it('loads the interop catalog', () => {
    expect(interopCatalog().resolve('example.lexicon.record#demoObject')?.def.type).toBe('object');
  });
});

describe('files', () => {
  it('writeLexiconFile writes <dir>/a/b/c.json, refuses to overwrite without force, and reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lex-'));
    const d = lexiconTemplate('record', 'com.example.cal.event');
    const w = await writeLexiconFile(dir, d);
    expect(w).toMatchObject({ written: true, overwritten: false, file: join(dir, 'com/example/cal/event.json') });
    expect(JSON.parse(readFileSync(w.file, 'utf8'))).toEqual(d);
    await expect(writeLexiconFile(dir, d)).rejects.toMatchObject({ code: 'FileExists', kind: 'usage' });
    expect((await writeLexiconFile(dir, d, { force: true })).overwritten).toBe(true);
    expect(await loadLexiconFile(w.file)).toEqual(d);
    const dry = await writeLexiconFile(join(dir, 'other'), d, { dryRun: true });
    expect(dry.written).toBe(false);
    expect(existsSync(dry.file)).toBe(false);
  });

  it('loadLexicons skips invalid files and reports why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lex-'));
    await writeLexiconFile(dir, lexiconTemplate('query', 'com.example.getThing'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'broken.json'), '{');
    writeFileSync(join(dir, 'wrong.json'), '{"lexicon": 1, "id": "x", "defs": {}}');
    const { catalog, skipped } = await loadLexicons([dir]);
    expect(catalog.nsids()).toEqual(['com.example.getThing']);
    expect(skipped.map((s) => s.file).sort()).toEqual([join(dir, 'broken.json'), join(dir, 'wrong.json')]);
  });

  it('loadLexiconFile throws InvalidJson with the position, and InvalidLexicon for schema errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lex-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'a.json'), '{\n  "lexicon": 1,\n}');
    writeFileSync(join(dir, 'b.json'), '{"lexicon": 1, "id": "com.example.b", "defs": {"x": {"type": "nope"}}}');
    await expect(loadLexiconFile(join(dir, 'a.json'))).rejects.toMatchObject({ code: 'InvalidJson', details: { line: 3, column: 1 } });
    await expect(loadLexiconFile(join(dir, 'b.json'))).rejects.toMatchObject({ code: 'InvalidLexicon', kind: 'invalid' });
    await expect(loadLexiconFile(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'FileNotFound', kind: 'usage' });
  });

  it('lexiconRelativePath', () => {
    expect(lexiconRelativePath('app.bsky.feed.post')).toBe('app/bsky/feed/post.json');
  });
});

describe('templates', () => {
  it('rejects an invalid NSID', () => {
    expect(() => lexiconTemplate('record', 'not-an-nsid')).toThrowError(expect.objectContaining({ code: 'InvalidNsid', kind: 'usage' }));
  });
});
