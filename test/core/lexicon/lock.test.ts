import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithLock, lockPathFor, parseLock, readLock, serializeLock, updateLock, writeLock, type ResolvedLexicon } from '../../../src/core/lexicon/network.js';

const CID_A = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
const CID_B = 'bafyreid4eon66wcpkfuuckzdbhqpdzygqthkhgaptf7qpwvxavf5iy6gza';
const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const DID2 = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';

function fetched(nsid: string, cid: string, did = DID, rev = '3l2zpbbhuvw2h'): ResolvedLexicon {
  return { nsid, cid, did, rev, authority: '', pds: '', uri: '', signingKey: '', json: {}, document: { lexicon: 1, id: nsid, defs: {} }, checks: [] };
}

describe('lock file', () => {
  it('sits beside the Lexicon folder', () => {
    expect(lockPathFor('lexicons')).toBe(resolve('lexicons.lock.json'));
    expect(lockPathFor('/p/schemas/lexicons')).toBe('/p/schemas/lexicons.lock.json');
  });

  it('serializes sorted and stable, and parses back', () => {
    const lock = updateLock(undefined, ['z.b.c', 'a.b.*'], [fetched('z.b.c', CID_A), fetched('a.b.c', CID_B)], true);
    const text = serializeLock(lock);
    expect(text).toBe(
      `{\n  "version": 1,\n  "pulled": [\n    "a.b.*",\n    "z.b.c"\n  ],\n  "lexicons": {\n    "a.b.c": {\n      "cid": "${CID_B}",\n      "did": "${DID}",\n      "rev": "3l2zpbbhuvw2h"\n    },\n    "z.b.c": {\n      "cid": "${CID_A}",\n      "did": "${DID}",\n      "rev": "3l2zpbbhuvw2h"\n    }\n  }\n}\n`,
    );
    expect(parseLock(text)).toEqual(lock);
    expect(serializeLock(parseLock(text))).toBe(text);
  });

  it('keeps an entry (and its rev) when the CID did not change; merges or replaces targets', () => {
    const first = updateLock(undefined, ['a.b.c'], [fetched('a.b.c', CID_A, DID, 'rev1')], true);
    const same = updateLock(first, ['a.b.c'], [fetched('a.b.c', CID_A, DID, 'rev2')], true);
    expect(same.lexicons['a.b.c']!.rev).toBe('rev1');
    const changed = updateLock(first, ['a.b.c'], [fetched('a.b.c', CID_B, DID, 'rev3')], true);
    expect(changed.lexicons['a.b.c']).toEqual({ cid: CID_B, did: DID, rev: 'rev3' });
    const merged = updateLock(first, ['x.y.z'], [fetched('x.y.z', CID_B)], false);
    expect(Object.keys(merged.lexicons)).toEqual(['a.b.c', 'x.y.z']);
    expect(merged.pulled).toEqual(['a.b.c', 'x.y.z']);
    const replaced = updateLock(merged, ['x.y.z'], [fetched('x.y.z', CID_B)], true);
    expect(Object.keys(replaced.lexicons)).toEqual(['x.y.z']);
  });

  it('detects drift: not locked, changed CID, another publisher, and (complete) locked schemas no longer reached', () => {
    const lock = updateLock(undefined, ['a.b.*'], [fetched('a.b.one', CID_A), fetched('a.b.two', CID_A), fetched('a.b.gone', CID_A)], true);
    const drift = compareWithLock(lock, [fetched('a.b.one', CID_A), fetched('a.b.two', CID_B), fetched('a.b.new', CID_A), fetched('a.b.gone', CID_A, DID2)], false);
    expect(drift.map((d) => [d.nsid, d.kind])).toEqual([
      ['a.b.gone', 'moved'],
      ['a.b.new', 'not-locked'],
      ['a.b.two', 'changed'],
    ]);
    expect(compareWithLock(lock, [fetched('a.b.one', CID_A)], true).map((d) => d.kind)).toEqual(['removed', 'removed']);
    expect(compareWithLock(lock, [fetched('a.b.one', CID_A), fetched('a.b.two', CID_A), fetched('a.b.gone', CID_A)], true)).toEqual([]);
  });

  it('refuses a malformed lock with the reason', () => {
    for (const [text, why] of [
      ['nope', /not JSON/],
      ['[]', /not a JSON object/],
      ['{"version":2}', /unsupported version/],
      ['{"version":1,"lexicons":{"bad":{}}}', /not an NSID/],
      ['{"version":1,"lexicons":{"a.b.c":{"cid":"x","did":"did:plc:x","rev":"r"}}}', /not a CID/],
      [`{"version":1,"lexicons":{"a.b.c":{"cid":"${CID_A}","did":"nope","rev":"r"}}}`, /not a DID/],
      ['{"version":1,"pulled":"a.b.c"}', /pulled/],
    ] as const) {
      expect(() => parseLock(text, 'x.lock.json')).toThrow(why);
    }
  });

  it('writes atomically, and only when the text changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-lock-'));
    const path = join(dir, 'lexicons.lock.json');
    expect(await readLock(path)).toBeUndefined();
    const lock = updateLock(undefined, ['a.b.c'], [fetched('a.b.c', CID_A)], true);
    expect(await writeLock(path, lock)).toBe(true);
    const mtime = statSync(path).mtimeMs;
    expect(await writeLock(path, updateLock(lock, ['a.b.c'], [fetched('a.b.c', CID_A, DID, 'later')], true))).toBe(false);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(await readLock(path)).toEqual(lock);
    writeFileSync(path, '{');
    await expect(readLock(path)).rejects.toMatchObject({ code: 'InvalidLockFile', kind: 'invalid' });
    expect(readFileSync(path, 'utf8')).toBe('{');
  });
});
