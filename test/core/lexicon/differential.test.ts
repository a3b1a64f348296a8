// Differential test: atcli's record validator against the reference, @atproto/lexicon, on records
// from a seeded generator (valid records of every record schema in lexicons/ and a fixture schema
// using every field type, each mutated in one named way). They must agree, except in the classes
// of docs/lexicon-validation.md ("Differences from the reference"), where atcli follows the spec.
//
// ATCLI_DIFF_SEED picks another seed, ATCLI_DIFF_COUNT another number of records (for exploring).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lexicons, jsonToLex } from '@atproto/lexicon';
import { describe, expect, it } from 'vitest';
import { LexiconCatalog, findLexiconFiles, parseLexiconText, validateRecord } from '../../../src/core/lexicon/index.js';
import { MUTATIONS, RecordGenerator, Rng, type GeneratedCase } from './differential/generator.js';
import { SHIPPED } from './helpers.js';

const DEFAULT_SEED = 20_241_111;
const SEED = Number(process.env.ATCLI_DIFF_SEED ?? DEFAULT_SEED);
const COUNT = Math.max(10_000, Number(process.env.ATCLI_DIFF_COUNT ?? 10_000));
const FIXTURE = fileURLToPath(new URL('../../fixtures/lexicon-diff/', import.meta.url));
const DOC = fileURLToPath(new URL('../../../docs/lexicon-validation.md', import.meta.url));

/**
 * Where atcli rejects what the reference accepts, by the mutation that makes the difference.
 * Every class has a row in the documentation's table, with the rule that decides it.
 */
const CLASSES: Record<string, readonly string[]> = {
  'blob-object': ['blob-size-zero', 'blob-size-negative', 'blob-size-float', 'blob-ref-dag-cbor', 'blob-empty-mime-type'],
  'blob-constraints': ['blob-mime-not-accepted', 'blob-over-max-size'],
  cidv0: ['format-cid-cidv0', 'cid-link-cidv0'],
  'no-floats': ['extra-field-float'],
  'lone-surrogates': ['string-lone-surrogate', 'extra-field-lone-surrogate'],
  datetime: ['format-datetime-no-timezone', 'format-datetime-impossible-date', 'format-datetime-leap-second', 'format-datetime-offset-without-colon'],
  int64: ['integer-beyond-int64'],
  'nesting-depth': ['nesting-40'],
  'unlisted-union-member': ['union-known-unlisted-type'],
  'main-suffix': ['union-main-suffix'],
  'unknown-not-object': ['unknown-array', 'unknown-blob'],
};
const classOf = new Map(Object.entries(CLASSES).flatMap(([id, mutations]) => mutations.map((m) => [m, id] as const)));

async function loadBoth(): Promise<{ catalog: LexiconCatalog; reference: Lexicons }> {
  const catalog = new LexiconCatalog();
  const reference = new Lexicons();
  for (const file of await findLexiconFiles([SHIPPED, FIXTURE])) {
    const text = readFileSync(file, 'utf8');
    const parsed = parseLexiconText(text, { source: file });
    if (!parsed.ok) throw new Error(`${file} does not parse`);
    catalog.add(parsed.document, { source: file });
    reference.add(JSON.parse(text) as never);
  }
  return { catalog, reference };
}

interface Verdict {
  valid: boolean;
  why: string;
}

function atcliVerdict(catalog: LexiconCatalog, c: GeneratedCase): Verdict {
  const errors = validateRecord(catalog, c.nsid, c.record);
  return { valid: errors.length === 0, why: errors.map((e) => `${e.path}: ${e.message}`).join('; ') };
}

function referenceVerdict(reference: Lexicons, c: GeneratedCase): Verdict {
  try {
    reference.assertValidRecord(c.nsid, jsonToLex(c.record as never));
    return { valid: true, why: '' };
  } catch (err) {
    return { valid: false, why: err instanceof Error ? err.message : String(err) };
  }
}

describe('differential: atcli vs @atproto/lexicon', () => {
  it(`agrees on ${COUNT} generated records (seed ${SEED}) outside the documented classes`, async () => {
    const { catalog, reference } = await loadBoth();
    const generator = new RecordGenerator(catalog);
    const rng = new Rng(SEED);
    const seen = new Map<string, number>();
    const unexplained: string[] = [];
    const invalidBase: string[] = [];
    let generated = 0;
    for (let i = 0; generated < COUNT; i++) {
      // One in six records is left valid; the rest cycle through every mutation.
      const mutation = i % 6 === 0 ? undefined : MUTATIONS[i % MUTATIONS.length];
      const c = generator.generate(rng, mutation);
      if (c === undefined) continue;
      generated++;
      const ours = atcliVerdict(catalog, c);
      const theirs = referenceVerdict(reference, c);
      if (c.mutation === 'none' && !(ours.valid && theirs.valid)) invalidBase.push(`${c.nsid}: atcli "${ours.why}", reference "${theirs.why}"`);
      if (ours.valid === theirs.valid) continue;
      const cls = classOf.get(c.mutation);
      if (cls !== undefined && !ours.valid) {
        seen.set(cls, (seen.get(cls) ?? 0) + 1);
        continue;
      }
      unexplained.push(
        `${c.nsid} / ${c.mutation}: atcli ${ours.valid ? 'accepts' : `rejects (${ours.why})`}, reference ${theirs.valid ? 'accepts' : `rejects (${theirs.why})`}\n  ${JSON.stringify(c.record).slice(0, 400)}`,
      );
    }
    expect(invalidBase.slice(0, 5), 'the generator must produce valid records').toEqual([]);
    expect(unexplained.slice(0, 10), `${unexplained.length} disagreements outside the documented classes`).toEqual([]);
    if (SEED === DEFAULT_SEED) {
      // Every documented class still occurs, so the table holds nothing stale.
      expect([...seen.keys()].sort()).toEqual(Object.keys(CLASSES).sort());
    }
  }, 240_000);

  it('every class is in the documentation table, and the table lists nothing else', () => {
    const text = readFileSync(DOC, 'utf8');
    const start = text.indexOf('## Differences from the reference');
    const end = text.indexOf('\n## ', start + 1);
    const section = text.slice(start, end < 0 ? undefined : end);
    const documented = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(CLASSES).sort());
    for (const mutations of Object.values(CLASSES)) for (const m of mutations) expect(MUTATIONS.some((x) => x.id === m)).toBe(true);
  });
});
