import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkDid, checkDidPlc, didMethod, isValidDid, parseDidWeb } from '../../../src/core/syntax/did.js';

function thrown(fn: () => unknown): AtcliError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AtcliError) return e;
    throw e;
  }
  throw new Error('expected an AtcliError');
}

describe('checkDid', () => {
  it('explains common mistakes', () => {
    expect(checkDid('did:plc:')).toBe('DID identifier is empty');
    expect(checkDid('DID:plc:abc')).toMatch(/lowercase 'did:'/);
    expect(checkDid('did:web:example.com/path')).toMatch(/paths, queries and fragments/);
    expect(checkDid(`did:plc:${'a'.repeat(2041)}`)).toMatch(/max 2048/);
    expect(isValidDid('did:plc:z72i7hdynmk6r22z27h6tvur')).toBe(true);
  });
});

describe('checkDidPlc', () => {
  it('accepts 24 base32 characters', () => {
    expect(checkDidPlc('did:plc:z72i7hdynmk6r22z27h6tvur')).toBeNull();
  });
  it('rejects wrong length, alphabet or method', () => {
    expect(checkDidPlc('did:plc:z72i7hdynmk6r22z27h6tvu')).toMatch(/23 characters/);
    expect(checkDidPlc('did:plc:z72i7hdynmk6r22z27h6tv01')).toMatch(/'0'/);
    expect(checkDidPlc('did:plc:Z72I7HDYNMK6R22Z27H6TVUR')).toMatch(/'Z'/);
    expect(checkDidPlc('did:web:example.com')).toMatch(/did:plc:/);
  });
});

describe('didMethod', () => {
  it('returns the method or null', () => {
    expect(didMethod('did:plc:z72i7hdynmk6r22z27h6tvur')).toBe('plc');
    expect(didMethod('did:web:example.com')).toBe('web');
    expect(didMethod('did:web:')).toBeNull();
    expect(didMethod('alice.test')).toBeNull();
  });
});

describe('parseDidWeb', () => {
  it('returns the host of a hostname-level did:web', () => {
    expect(parseDidWeb('did:web:example.com')).toEqual({ host: 'example.com' });
    expect(parseDidWeb('did:web:pds.example.co.uk')).toEqual({ host: 'pds.example.co.uk' });
  });

  it('rejects percent-encoded userinfo (SSRF: evil.com%40127.0.0.1)', () => {
    const e = thrown(() => parseDidWeb('did:web:evil.com%40127.0.0.1'));
    expect(e.kind).toBe('usage');
    expect(e.code).toBe('UnsupportedDidWeb');
    expect(() => parseDidWeb('did:web:evil.com%40127.0.0.1', { allowLocalhostPort: true })).toThrow(AtcliError);
  });

  it('rejects any other percent-encoding', () => {
    for (const did of [
      'did:web:example.com%2Fpath',
      'did:web:example.com%3A8080',
      'did:web:localhost%3a2583',
      'did:web:localhost%3A2583%2F',
      'did:web:127.0.0.1%3A80',
    ]) {
      expect(() => parseDidWeb(did, { allowLocalhostPort: true }), did).toThrow(AtcliError);
    }
  });

  it('rejects path-based did:web', () => {
    const e = thrown(() => parseDidWeb('did:web:example.com:user:alice'));
    expect(e.code).toBe('UnsupportedDidWeb');
    expect(e.message).toMatch(/path/);
  });

  it('allows localhost and localhost%3A<port> only with allowLocalhostPort', () => {
    expect(thrown(() => parseDidWeb('did:web:localhost%3A2583')).code).toBe('UnsupportedDidWeb');
    expect(thrown(() => parseDidWeb('did:web:localhost')).code).toBe('UnsupportedDidWeb');
    expect(parseDidWeb('did:web:localhost%3A2583', { allowLocalhostPort: true })).toEqual({
      host: 'localhost',
      port: 2583,
    });
    expect(parseDidWeb('did:web:localhost', { allowLocalhostPort: true })).toEqual({ host: 'localhost' });
    expect(() => parseDidWeb('did:web:localhost%3A0', { allowLocalhostPort: true })).toThrow(AtcliError);
    expect(() => parseDidWeb('did:web:localhost%3A65536', { allowLocalhostPort: true })).toThrow(AtcliError);
  });

  it('applies handle hostname syntax to the host (no IP literals)', () => {
    expect(() => parseDidWeb('did:web:127.0.0.1')).toThrow(/hostname/);
    expect(() => parseDidWeb('did:web:2130706433')).toThrow(AtcliError);
    expect(() => parseDidWeb('did:web:under_score.com')).toThrow(AtcliError);
    expect(() => parseDidWeb('did:web:Example.com')).toThrow(/lowercase/);
  });

  it('refuses disallowed TLDs, and .test unless allowTest', () => {
    expect(() => parseDidWeb('did:web:foo.onion')).toThrow(/\.onion/);
    expect(() => parseDidWeb('did:web:foo.localhost')).toThrow(AtcliError);
    expect(() => parseDidWeb('did:web:foo.test')).toThrow(/\.test/);
    expect(parseDidWeb('did:web:foo.test', { allowTest: true })).toEqual({ host: 'foo.test' });
  });

  it('rejects non-did:web and malformed DIDs with InvalidDid', () => {
    expect(thrown(() => parseDidWeb('did:plc:z72i7hdynmk6r22z27h6tvur')).code).toBe('InvalidDid');
    expect(thrown(() => parseDidWeb('did:web:')).code).toBe('InvalidDid');
    expect(thrown(() => parseDidWeb('did:web:example.com/x')).code).toBe('InvalidDid');
  });
});
