import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import {
  DISALLOWED_HANDLE_TLDS,
  checkHandle,
  checkResolvableHandle,
  isValidHandle,
  normalizeHandle,
} from '../../../src/core/syntax/handle.js';

describe('checkHandle', () => {
  it('gives label-level reasons', () => {
    expect(checkHandle('foo-.example.com')).toBe("label 'foo-' ends with a hyphen");
    expect(checkHandle('-foo.example.com')).toBe("label '-foo' starts with a hyphen");
    expect(checkHandle('alice.0com')).toMatch(/top-level domain '0com' starts with a digit/);
    expect(checkHandle('')).toBe('handle is empty');
  });

  it('rejects the Kelvin sign (U+212A), which toLowerCase() folds to k', () => {
    const spoof = '\u212Aelvin.example.com';
    expect(spoof.toLowerCase()).toBe('kelvin.example.com'); // the trap
    expect(checkHandle(spoof)).toMatch(/U\+212A/);
    expect(isValidHandle(spoof)).toBe(false);
  });

  it('rejects dotted capital I (U+0130)', () => {
    expect(checkHandle('\u0130nstagram.com')).toMatch(/U\+0130/);
  });
});

describe('normalizeHandle', () => {
  it('lower-cases valid handles', () => {
    expect(normalizeHandle('Alice.BSKY.Social')).toBe('alice.bsky.social');
    expect(normalizeHandle('XX.LCS.MIT.EDU')).toBe('xx.lcs.mit.edu');
  });

  it('validates before lower-casing (Kelvin sign is rejected, not folded)', () => {
    let err: unknown;
    try {
      normalizeHandle('\u212A.example.com');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    const e = err as AtcliError;
    expect(e.kind).toBe('usage');
    expect(e.code).toBe('InvalidHandle');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/U\+212A/);
  });

  it('throws InvalidHandle with the reason for bad syntax', () => {
    expect(() => normalizeHandle('john..test')).toThrow(/empty label/);
    expect(() => normalizeHandle('@alice.bsky.social')).toThrow(AtcliError);
  });
});

describe('checkResolvableHandle', () => {
  it('lists exactly the disallowed TLDs from the spec', () => {
    expect([...DISALLOWED_HANDLE_TLDS].sort()).toEqual(
      ['.alt', '.arpa', '.example', '.internal', '.invalid', '.local', '.localhost', '.onion'].sort(),
    );
  });

  it.each([...DISALLOWED_HANDLE_TLDS])('refuses the %s TLD', (tld) => {
    const handle = `name${tld}`;
    expect(checkHandle(handle)).toBeNull(); // syntactically fine
    expect(checkResolvableHandle(handle)).toMatch(/not resolvable/);
    expect(checkResolvableHandle(handle.toUpperCase())).toMatch(/not resolvable/);
  });

  it('never resolves handle.invalid', () => {
    expect(checkResolvableHandle('handle.invalid')).toMatch(/never resolvable/);
    expect(checkResolvableHandle('handle.invalid', { allowTest: true })).not.toBeNull();
  });

  it('allows .test only with allowTest', () => {
    expect(checkResolvableHandle('alice.test')).toMatch(/development/);
    expect(checkResolvableHandle('alice.test', { allowTest: true })).toBeNull();
  });

  it('accepts ordinary handles and passes syntax reasons through', () => {
    expect(checkResolvableHandle('alice.bsky.social')).toBeNull();
    expect(checkResolvableHandle('john..test')).toMatch(/empty label/);
  });

  it('limits length so _atproto.<handle> fits in 253 characters', () => {
    const label = 'a'.repeat(60);
    const at244 = `${label}.${label}.${label}.${'b'.repeat(57)}.com`;
    expect(at244.length).toBe(244);
    expect(checkResolvableHandle(at244)).toBeNull();
    const at245 = `${label}.${label}.${label}.${'b'.repeat(58)}.com`;
    expect(checkHandle(at245)).toBeNull();
    expect(checkResolvableHandle(at245)).toMatch(/max 244/);
  });
});
