import { describe, expect, it } from 'vitest';
import { MAX_COMPONENT, decodeName, encodeName, recordFileComponents, recordFromComponents } from '../../../src/core/repo/file-names.js';
import { checkRecordKey } from '../../../src/core/syntax/recordkey.js';

const RKEY_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:~';

function randomRkey(seed: number, length: number): string {
  let x = seed;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += RKEY_CHARS[(x >>> 8) % RKEY_CHARS.length];
  }
  return checkRecordKey(out) === null ? out : `a${out.slice(1)}`;
}

const LONG_COLLECTION = `com.example.${Array.from({ length: 5 }, (_, i) => `segment${i}${'x'.repeat(50)}`).join('.')}`;

describe('record file names', () => {
  it('leave ordinary names alone', () => {
    expect(recordFileComponents('app.bsky.feed.post', '3kqbrnx5fsl2a')).toEqual(['app.bsky.feed.post', '3kqbrnx5fsl2a.json']);
    expect(recordFileComponents('app.bsky.actor.profile', 'self')).toEqual(['app.bsky.actor.profile', 'self.json']);
  });

  it.each([
    ['com.example.thing', 'Ab:c~d', 'com.example.thing', '^ab%3ac~d.json'],
    ['com.example.fooBar', '.hidden', 'com.example.foo^bar', '%2ehidden.json'],
    ['com.example.thing', 'con', 'com.example.thing', '%63on.json'],
    ['com.example.thing', 'LPT1', 'com.example.thing', '^l^p^t1.json'],
    ['com.example.thing', 'nul.x', 'com.example.thing', '%6eul.x.json'],
  ])('map %s/%s to %s/%s and back', (collection, rkey, dir, file) => {
    const parts = recordFileComponents(collection, rkey);
    expect(parts).toEqual([dir, file]);
    expect(recordFromComponents(parts)).toEqual({ collection, rkey });
  });

  it('are reversible, short, lower case and safe for every valid name, including 512-character keys', () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const rkey = randomRkey(i + 1, 1 + (i % 512));
      const collection = i % 7 === 0 ? LONG_COLLECTION : 'com.example.Things';
      const parts = recordFileComponents(collection, rkey);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(MAX_COMPONENT + 2);
        expect(p).toMatch(/^[a-z0-9._~%^+-]+$/);
        expect(p.startsWith('.')).toBe(false);
      }
      expect(recordFromComponents(parts)).toEqual({ collection, rkey });
      // Case-insensitive file systems: no two different records share a path once lower-cased.
      const path = parts.join('/').toLowerCase();
      const other = seen.get(path);
      if (other !== undefined) expect(other).toBe(`${collection}/${rkey}`);
      seen.set(path, `${collection}/${rkey}`);
    }
    expect(recordFileComponents('com.example.a', 'aB')).not.toEqual(recordFileComponents('com.example.a', 'Ab'));
  });

  it('decodeName inverts encodeName', () => {
    for (const s of ['abc', 'ABC', 'a:b:c', '~-_.x', 'x'.repeat(600)]) expect(decodeName(encodeName(s))).toBe(s);
  });
});
