import { describe, expect, it } from 'vitest';
import { notFound, runtime, usage } from '../../../src/core/errors.js';
import { MemoryIdentityCache } from '../../../src/core/identity/cache.js';
import type { DidDocument, HandleResolution } from '../../../src/core/identity/types.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const doc: DidDocument = { id: DID, alsoKnownAs: ['at://alice.example.com'] };
const res: HandleResolution = { handle: 'alice.example.com', did: DID, method: 'dns', attempts: [], warnings: [] };

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('MemoryIdentityCache', () => {
  it('keeps successes for ttlMs', () => {
    const c = clock();
    const cache = new MemoryIdentityCache(1000, { now: c.now });
    cache.setDid(DID, { ok: true, value: doc });
    cache.setHandle('alice.example.com', { ok: true, value: res });
    c.advance(999);
    expect(cache.getDid(DID)).toEqual({ ok: true, value: doc });
    expect(cache.getHandle('alice.example.com')).toEqual({ ok: true, value: res });
    c.advance(1);
    expect(cache.getDid(DID)).toBeUndefined();
    expect(cache.getHandle('alice.example.com')).toBeUndefined();
  });

  it('keeps definitive failures only for errorTtlMs (default ≤ 30 s)', () => {
    const c = clock();
    const cache = new MemoryIdentityCache(3_600_000, { now: c.now });
    expect(cache.errorTtlMs).toBe(30_000);
    cache.setDid(DID, { ok: false, error: notFound('DidNotFound', 'gone') });
    expect(cache.getDid(DID)).toMatchObject({ ok: false });
    c.advance(30_000);
    expect(cache.getDid(DID)).toBeUndefined();
  });

  it('never stores transient (runtime) failures', () => {
    const cache = new MemoryIdentityCache(60_000);
    cache.setDid(DID, { ok: false, error: runtime('NetworkError', 'boom') });
    expect(cache.getDid(DID)).toBeUndefined();
    cache.setHandle('a.example.com', { ok: false, error: usage('InvalidHandle', 'y') });
    expect(cache.getHandle('a.example.com')).toMatchObject({ ok: false });
  });

  it('returns copies: callers cannot change what is cached', () => {
    const cache = new MemoryIdentityCache(60_000);
    const mine = structuredClone(doc);
    cache.setDid(DID, { ok: true, value: mine });
    mine.alsoKnownAs = ['at://changed.example.com'];
    const got = cache.getDid(DID);
    if (got?.ok !== true) throw new Error('expected a hit');
    got.value.alsoKnownAs = ['at://changed.example.com'];
    const again = cache.getDid(DID);
    expect(again).toEqual({ ok: true, value: doc });
  });

  it('invalidate forgets a key; maxEntries drops the oldest', () => {
    const cache = new MemoryIdentityCache(60_000, { maxEntries: 2 });
    cache.setDid(DID, { ok: true, value: doc });
    cache.invalidate(DID);
    expect(cache.getDid(DID)).toBeUndefined();
    for (const n of ['a', 'b', 'c']) cache.setHandle(`${n}.example.com`, { ok: true, value: { ...res, handle: `${n}.example.com` } });
    expect(cache.getHandle('a.example.com')).toBeUndefined();
    expect(cache.getHandle('c.example.com')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('ttl 0 caches nothing', () => {
    const cache = new MemoryIdentityCache(0);
    cache.setDid(DID, { ok: true, value: doc });
    expect(cache.getDid(DID)).toBeUndefined();
  });
});
