import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { diffPreferences, parsePreferences } from '../../../src/core/account/preferences.js';
import { LexiconCatalog, loadLexicons } from '../../../src/core/lexicon/index.js';

const adult = { $type: 'app.bsky.actor.defs#adultContentPref', enabled: true };
const thread = (sort: string): object => ({ $type: 'app.bsky.actor.defs#threadViewPref', sort });
const label = (l: string, v: string): object => ({ $type: 'app.bsky.actor.defs#contentLabelPref', label: l, visibility: v });

describe('preferences diff', () => {
  it('pairs entries of a type in order and says what is added, removed and changed', () => {
    const d = diffPreferences([adult, thread('oldest'), label('nsfw', 'hide'), label('gore', 'warn')], [thread('newest'), label('nsfw', 'hide'), { $type: 'app.bsky.actor.defs#interestsPref', tags: ['cats'] }]);
    expect(d.changes.map((c) => [c.type.split('#')[1], c.change])).toEqual([
      ['adultContentPref', 'removed'],
      ['contentLabelPref', 'removed'],
      ['interestsPref', 'added'],
      ['threadViewPref', 'changed'],
    ]);
    expect(d.unchanged).toBe(1);
    expect(d.identical).toBe(false);
    expect(d.changes.find((c) => c.change === 'changed')).toMatchObject({ before: thread('oldest'), after: thread('newest') });
  });

  it('key order does not make a change', () => {
    const d = diffPreferences([{ $type: 'app.bsky.actor.defs#threadViewPref', sort: 'newest', hideReplies: true }], [{ hideReplies: true, sort: 'newest', $type: 'app.bsky.actor.defs#threadViewPref' }]);
    expect(d).toEqual({ changes: [], unchanged: 1, identical: true });
  });
});

describe('preferences import document', () => {
  let catalog: LexiconCatalog;
  beforeAll(async () => {
    catalog = new LexiconCatalog();
    await loadLexicons([fileURLToPath(new URL('../../../lexicons', import.meta.url))], catalog);
  });

  it('accepts the exported form and a bare list', () => {
    expect(parsePreferences({ preferences: [adult] }, catalog)).toEqual([adult]);
    expect(parsePreferences([adult, thread('newest')], catalog)).toHaveLength(2);
    // An open union: a preference type from a newer app is accepted.
    expect(parsePreferences([{ $type: 'app.bsky.actor.defs#somethingNewPref', x: 1 }], catalog)).toHaveLength(1);
  });

  it.each([
    [{ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: 'yes' }] }, /enabled/],
    [{ preferences: [{ $type: 'app.bsky.actor.defs#contentLabelPref', label: 'x', visibility: 'hide', labelerDid: 'not-a-did' }] }, /labelerDid/],
    [{ preferences: [{ enabled: true }] }, /\$type/],
    [{ preferences: 'all' }, /preferences/],
    [42, /preferences/],
  ])('refuses %j', (doc, message) => {
    expect(() => parsePreferences(doc, catalog)).toThrow(expect.objectContaining({ code: 'InvalidPreferences', kind: 'invalid', message: expect.stringMatching(message) }));
  });
});
