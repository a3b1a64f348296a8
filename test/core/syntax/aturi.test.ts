import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkAtUri, parseAtUri } from '../../../src/core/syntax/aturi.js';

describe('parseAtUri', () => {
  it('parses authority, collection and rkey', () => {
    expect(parseAtUri('at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k5nobkf2w72g')).toEqual({
      authority: 'did:plc:z72i7hdynmk6r22z27h6tvur',
      collection: 'app.bsky.feed.post',
      rkey: '3k5nobkf2w72g',
    });
    expect(parseAtUri('at://retr0.id/app.bsky.feed.post')).toEqual({
      authority: 'retr0.id',
      collection: 'app.bsky.feed.post',
    });
    expect(parseAtUri('at://retr0.id')).toEqual({ authority: 'retr0.id' });
  });

  it('throws usage InvalidAtUri', () => {
    for (const bad of ['at://foo.com/', 'at://user:pass@foo.com', 'at://foo.com/example/123', 'https://foo.com']) {
      let err: unknown;
      try {
        parseAtUri(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AtcliError);
      expect((err as AtcliError).code).toBe('InvalidAtUri');
    }
  });

  it('explains why', () => {
    expect(checkAtUri('at://foo.com/')).toBe('AT URI must not end with a slash');
    expect(checkAtUri('at://foo.com/com.example.foo/1#frag')).toMatch(/fragment/);
    expect(checkAtUri('at://foo.com/com.example.foo/a/b')).toMatch(/too many segments/);
  });
});
