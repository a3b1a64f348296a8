import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkNsid, parseNsid } from '../../../src/core/syntax/nsid.js';

describe('parseNsid', () => {
  it('splits authority (reversed domain) and name', () => {
    expect(parseNsid('app.bsky.feed.post')).toEqual({
      authority: 'feed.bsky.app',
      name: 'post',
      segments: ['app', 'bsky', 'feed', 'post'],
    });
    expect(parseNsid('com.atproto.sync.getHead').authority).toBe('sync.atproto.com');
    expect(parseNsid('edu.university.dept.lab.blogging.getBlogPost').authority).toBe(
      'blogging.lab.dept.university.edu',
    );
  });

  it('lower-cases the authority but keeps the name case', () => {
    const p = parseNsid('one.two.three.four-and.FiVe');
    expect(p.authority).toBe('four-and.three.two.one');
    expect(p.name).toBe('FiVe');
    expect(parseNsid('Com.Example.fooBar').authority).toBe('example.com');
  });

  it('throws usage InvalidNsid with the reason', () => {
    let err: unknown;
    try {
      parseNsid('com.example');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).code).toBe('InvalidNsid');
    expect((err as AtcliError).kind).toBe('usage');
    expect((err as AtcliError).message).toMatch(/at least 3 segments/);
  });
});

describe('checkNsid reasons', () => {
  it('names the offending segment', () => {
    expect(checkNsid('com.example-.foo')).toBe("segment 'example-' ends with a hyphen");
    expect(checkNsid('com.example.fooBar.2')).toBe("name '2' starts with a digit");
    expect(checkNsid('com.example.foo*')).toMatch(/'\*'/);
  });
});
