// Whole-repository validation on repositories built in memory: verdicts per collection, caps,
// schemas from a folder, and no record verdicts when the repository does not verify.
import { describe, expect, it } from 'vitest';
import type { CborMap } from '../../../src/core/codec/index.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { runtime } from '../../../src/core/errors.js';
import { loadLexiconDocument, type LexiconDocument } from '../../../src/core/lexicon/index.js';
import { SchemaFinder, validateRepository } from '../../../src/core/lexicon/network.js';
import { buildRepo, post, tid } from '../repo/repo-builder.js';
import { SHIPPED } from './helpers.js';
import { loadLexicons } from '../../../src/core/lexicon/index.js';


const note = loadLexiconDocument({
  lexicon: 1,
  id: 'com.example.notes.note',
  defs: { main: { type: 'record', key: 'tid', record: { type: 'object', required: ['body'], properties: { body: { type: 'string', maxLength: 20 }, ref: { type: 'ref', ref: 'com.example.elsewhere.defs#thing' } } } } },
});

async function finder(extra: LexiconDocument[] = []): Promise<SchemaFinder> {
  const { catalog } = await loadLexicons([SHIPPED]);
  for (const doc of extra) catalog.add(doc, { source: `/project/lexicons/${doc.id}.json` });
  return new SchemaFinder(catalog, { bundledDir: SHIPPED });
}

async function* chunks(bytes: Uint8Array, size = 4096): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('validateRepository', () => {
  const records: Array<[string, CborMap]> = [
    ...Array.from({ length: 12 }, (_x, i): [string, CborMap] => [`app.bsky.feed.post/${tid(i)}`, post(`post ${i}`)]),
    // Invalid: text over 3000 bytes, and no createdAt.
    ...Array.from({ length: 15 }, (_x, i): [string, CborMap] => [`app.bsky.feed.post/${tid(100 + i)}`, { $type: 'app.bsky.feed.post', text: 'x'.repeat(3001 + i) }]),
    ['app.bsky.actor.profile/self', { $type: 'app.bsky.actor.profile', displayName: 'Test' }],
    [`com.example.notes.note/${tid(200)}`, { $type: 'com.example.notes.note', body: 'fine' }],
    [`com.example.notes.note/${tid(201)}`, { $type: 'com.example.notes.note', body: 'much too long for this schema' }],
    [`com.example.notes.note/${tid(202)}`, { $type: 'com.example.notes.note', body: 'refers', ref: { a: 1 } }],
    [`org.example.unknown.thing/${tid(300)}`, { $type: 'org.example.unknown.thing', anything: true }],
    [`app.bsky.feed.like/${tid(400)}`, { $type: 'app.bsky.feed.post', text: 'in the wrong collection', createdAt: '2024-01-01T00:00:00.000Z' }],
  ];

  it('reports valid, invalid, no-schema and unchecked per collection, with the first problems listed', async () => {
    const repo = buildRepo({ records });
    const report = await validateRepository(chunks(repo.car), { schemas: await finder([note]), verify: { key: repo.key.publicKey, expectedDid: repo.did }, maxProblemsPerCollection: 4 });
    expect(report.repository.valid).toBe(true);
    expect(report.recordsValidated).toBe(true);
    expect(report.status).toBe('invalid');
    const by = Object.fromEntries(report.collections.map((c) => [c.collection, c]));
    expect(report.collections.map((c) => c.collection)).toEqual(['app.bsky.actor.profile', 'app.bsky.feed.like', 'app.bsky.feed.post', 'com.example.notes.note', 'org.example.unknown.thing']);
    expect(by['app.bsky.feed.post']).toMatchObject({ records: 27, valid: 12, invalid: 15, noSchema: 0, unchecked: 0, moreProblems: 11 });
    expect(by['app.bsky.feed.post']!.schema).toMatchObject({ kind: 'local', nsid: 'app.bsky.feed.post', bundled: true });
    const first = by['app.bsky.feed.post']!.problems[0]!;
    expect(first.uri).toBe(`at://${repo.did}/app.bsky.feed.post/${tid(100)}`);
    expect(first.cid).toBe(repo.records.get(`app.bsky.feed.post/${tid(100)}`)!.cid.toString());
    expect(first.errors.map((e) => e.path).sort()).toEqual(['createdAt', 'text']);
    expect(by['app.bsky.feed.post']!.problems).toHaveLength(4);
    expect(by['app.bsky.actor.profile']).toMatchObject({ records: 1, valid: 1 });
    // No schema is not invalid.
    expect(by['org.example.unknown.thing']).toMatchObject({ records: 1, valid: 0, invalid: 0, noSchema: 1, schema: null, reason: expect.stringContaining('no Lexicon schema') });
    // A schema from a folder; a reference to a schema nobody has makes that record unchecked.
    expect(by['com.example.notes.note']).toMatchObject({ records: 3, valid: 1, invalid: 1, unchecked: 1 });
    expect(by['com.example.notes.note']!.schema).toMatchObject({ kind: 'local', bundled: false });
    expect(by['app.bsky.feed.like']).toMatchObject({ records: 1, invalid: 1 });
    expect(by['app.bsky.feed.like']!.problems[0]!.errors[0]!.message).toContain('not the collection');
    expect(report.totals).toEqual({ records: 33, valid: 14, invalid: 17, noSchema: 1, unchecked: 1 });
  });

  it('valid when every record with a schema is; unchecked when some record could not be checked', async () => {
    const good = buildRepo({ records: [...records.slice(0, 12), records[31]!] });
    const report = await validateRepository(chunks(good.car), { schemas: await finder(), verify: { key: good.key.publicKey } });
    expect(report).toMatchObject({ status: 'valid', totals: { records: 13, valid: 12, noSchema: 1 } });
    const partial = buildRepo({ records: [records[0]!, records[30]!, records[31]!] });
    expect((await validateRepository(chunks(partial.car), { schemas: await finder([note]), verify: { key: partial.key.publicKey } })).status).toBe('unchecked');
  });

  it('lists no record verdicts when the repository does not verify', async () => {
    const repo = buildRepo({ records });
    const report = await validateRepository(chunks(repo.car), { schemas: await finder([note]), verify: { key: generatePrivateKey("k256").publicKey } });
    expect(report).toMatchObject({ status: 'invalid', recordsValidated: false, collections: [], totals: { records: 0 } });
    expect(report.repository.valid).toBe(false);
    expect(report.repository.errors.join(' ')).toMatch(/signature/);
  });

  it('a repository whose signature could not be checked is unchecked, not valid or invalid; its records are still validated', async () => {
    const good = buildRepo({ records: records.slice(0, 3) });
    const noKey = { resolveKey: async (): Promise<undefined> => { throw runtime('HostNotFound', 'could not resolve the DID: host not found'); } };
    const report = await validateRepository(chunks(good.car), { schemas: await finder(), verify: noKey });
    expect(report).toMatchObject({ status: 'unchecked', recordsValidated: true, totals: { records: 3, valid: 3 } });
    expect(report.repository).toMatchObject({ status: 'unchecked', valid: false });
    expect(report.repository.reason).toMatch(/host not found/);
    // A record that fails its schema is invalid whether or not the signature could be checked.
    const bad = buildRepo({ records: [records[0]!, records[12]!] });
    expect(await validateRepository(chunks(bad.car), { schemas: await finder(), verify: noKey })).toMatchObject({ status: 'invalid', totals: { invalid: 1 } });
  });

  it('caps the collections listed and sums the rest', async () => {
    const many: Array<[string, CborMap]> = Array.from({ length: 30 }, (_x, i) => [`org.example.c${i}.thing/${tid(i)}`, { $type: `org.example.c${i}.thing` }]);
    const repo = buildRepo({ records: many });
    const report = await validateRepository(chunks(repo.car), { schemas: await finder(), verify: { key: repo.key.publicKey }, maxCollections: 10 });
    expect(report.collections).toHaveLength(10);
    expect(report.otherCollections).toEqual({ collections: 20, records: 20, valid: 0, invalid: 0, noSchema: 20, unchecked: 0 });
  });
});
