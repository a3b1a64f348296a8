// Every schema that ships with atcli (lexicons/**) parses, and lints without errors.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LexiconCatalog, findLexiconFiles, lintLexicon, parseLexiconText, validateRecord, type LexiconDocument } from '../../../src/core/lexicon/index.js';
import { SHIPPED } from './helpers.js';

const files = await findLexiconFiles([SHIPPED]);
const parsed = files.map((file) => ({ file, name: relative(SHIPPED, file), result: parseLexiconText(readFileSync(file, 'utf8'), { source: file }) }));
const catalog = LexiconCatalog.from(parsed.flatMap((p) => (p.result.ok ? [p.result.document] : [])));

describe('shipped lexicons', () => {
  it('are all there', () => {
    expect(files.length).toBeGreaterThan(250);
  });

  it.each(parsed.map((p) => [p.name, p] as const))('%s parses and lints without errors', (name, p) => {
    expect(p.result.ok ? [] : p.result.errors).toEqual([]);
    const doc = (p.result as { document: LexiconDocument }).document;
    expect(`${doc.id.split('.').join('/')}.json`).toBe(name);
    const findings = lintLexicon(doc, catalog, { unexpectedFields: p.result.unexpectedFields, duplicateKeys: p.result.duplicateKeys });
    expect(findings.filter((f) => f.level === 'error')).toEqual([]);
  });
});

describe('typical app.bsky records against the shipped schemas', () => {
  const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  const BLOB = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  const strongRef = { uri: `at://${DID}/app.bsky.feed.post/3jzfcijpj2z2a`, cid: CID };
  const image = (mimeType = 'image/jpeg', size = 123456) => ({ $type: 'blob', ref: { $link: BLOB }, mimeType, size });
  const now = '2024-05-01T12:00:00.000Z';

  const valid: Array<[string, Record<string, unknown>]> = [
    ['post with facets', { $type: 'app.bsky.feed.post', text: 'hi @alice.test #tag', createdAt: now, facets: [{ index: { byteStart: 3, byteEnd: 14 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: DID }] }, { index: { byteStart: 15, byteEnd: 19 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'tag' }] }] }],
    ['post with images', { $type: 'app.bsky.feed.post', text: '', createdAt: now, embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'a cat', image: image(), aspectRatio: { width: 4, height: 3 } }] } }],
    ['post with an external link', { $type: 'app.bsky.feed.post', text: 'look', createdAt: now, embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: 'Example', description: 'An example' } } }],
    ['quote post with media', { $type: 'app.bsky.feed.post', text: 'quote', createdAt: now, embed: { $type: 'app.bsky.embed.recordWithMedia', record: { $type: 'app.bsky.embed.record', record: strongRef }, media: { $type: 'app.bsky.embed.images', images: [{ alt: '', image: image('image/png') }] } } }],
    ['reply', { $type: 'app.bsky.feed.post', text: 'reply', createdAt: now, reply: { root: strongRef, parent: strongRef }, langs: ['en', 'pt-BR'] }],
    ['like', { $type: 'app.bsky.feed.like', subject: strongRef, createdAt: now }],
    ['repost', { $type: 'app.bsky.feed.repost', subject: strongRef, createdAt: now }],
    ['follow', { $type: 'app.bsky.graph.follow', subject: DID, createdAt: now }],
    ['block', { $type: 'app.bsky.graph.block', subject: DID, createdAt: now }],
    ['profile', { $type: 'app.bsky.actor.profile', displayName: 'Alice', description: 'hello', avatar: image('image/png', 50000), labels: { $type: 'com.atproto.label.defs#selfLabels', values: [{ val: '!no-unauthenticated' }] } }],
    ['profile with a legacy avatar blob', { $type: 'app.bsky.actor.profile', avatar: { cid: BLOB, mimeType: 'image/jpeg' } }],
  ];
  it.each(valid)('%s is valid', (_name, record) => {
    expect(validateRecord(catalog, record.$type as string, record)).toEqual([]);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['post text over 300 graphemes', { $type: 'app.bsky.feed.post', text: 'x'.repeat(301), createdAt: now }, 'text'],
    ['post without createdAt', { $type: 'app.bsky.feed.post', text: 'x' }, 'createdAt'],
    ['post image without alt', { $type: 'app.bsky.feed.post', text: '', createdAt: now, embed: { $type: 'app.bsky.embed.images', images: [{ image: image() }] } }, 'embed.images[0].alt'],
    ['post with five images', { $type: 'app.bsky.feed.post', text: '', createdAt: now, embed: { $type: 'app.bsky.embed.images', images: Array.from({ length: 5 }, () => ({ alt: '', image: image() })) } }, 'embed.images'],
    ['facet mention with a handle', { $type: 'app.bsky.feed.post', text: 'x', createdAt: now, facets: [{ index: { byteStart: 0, byteEnd: 1 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'alice.test' }] }] }, 'facets[0].features[0].did'],
    ['like with a bad uri', { $type: 'app.bsky.feed.like', subject: { uri: 'https://example.com', cid: CID }, createdAt: now }, 'subject.uri'],
    ['follow of a handle', { $type: 'app.bsky.graph.follow', subject: 'alice.test', createdAt: now }, 'subject'],
    ['profile avatar as gif', { $type: 'app.bsky.actor.profile', avatar: image('image/gif', 10) }, 'avatar'],
    ['profile avatar too large', { $type: 'app.bsky.actor.profile', avatar: image('image/png', 2_000_000) }, 'avatar'],
    ['profile with a bad datetime', { $type: 'app.bsky.actor.profile', createdAt: '2024-05-01 12:00' }, 'createdAt'],
  ];
  it.each(invalid)('%s is invalid at the right path', (_name, record, path) => {
    const errors = validateRecord(catalog, record.$type as string, record);
    expect(errors.map((e) => e.path)).toContain(path);
  });
});
