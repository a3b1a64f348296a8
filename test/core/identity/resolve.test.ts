/**
 * resolveIdentity: handle → DID → document → bi-directional check, against a local
 * DNS server, well-known host and PLC directory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { MemoryIdentityCache, parseIdentifierInput, resolveIdentity } from '../../../src/core/identity/index.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { MULTIKEY_K256, didDoc, plcDid, startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterEach(() => world.reset());
afterAll(async () => {
  await world.close();
  await closeHttp();
});

const A = plcDid('alice');
const B = plcDid('bob');

describe('resolveIdentity', () => {
  it('handle → DID → document, verified both ways', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const id = await resolveIdentity(world.config(), 'alice.test');
    expect(id).toMatchObject({
      did: A,
      handle: 'alice.test',
      claimedHandle: 'alice.test',
      handleVerified: true,
      pds: 'http://localhost:2583',
      signingKey: `did:key:${MULTIKEY_K256}`,
      method: 'dns',
    });
    expect(id.didDoc.id).toBe(A);
    expect(id.warnings).toEqual([]);
    // JSON field order: the contract fields first.
    expect(Object.keys(id).slice(0, 3)).toEqual(['did', 'handle', 'handleVerified']);
  });

  it('the handle is compared case-insensitively (both sides normalized)', async () => {
    world.wellKnown('alice.test', A);
    world.plcDoc(A, didDoc(A, 'Alice.Test'));
    const id = await resolveIdentity(world.config(), '@ALICE.test');
    expect(id).toMatchObject({ handle: 'alice.test', handleVerified: true, method: 'https' });
  });

  it('I10: handle → DID whose document claims another handle → handle.invalid', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(A, 'someone-else.test'));
    const id = await resolveIdentity(world.config(), 'alice.test');
    expect(id).toMatchObject({ did: A, handle: 'handle.invalid', handleVerified: false, claimedHandle: 'someone-else.test', method: 'dns' });
    expect(id.warnings.join('\n')).toMatch(/claims the handle someone-else\.test/);
  });

  it('handle → DID whose document claims no handle → handle.invalid', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(A, null));
    const id = await resolveIdentity(world.config(), 'alice.test');
    expect(id).toMatchObject({ handle: 'handle.invalid', handleVerified: false });
    expect(id.claimedHandle).toBeUndefined();
  });

  it('DID → document → claimed handle → same DID: verified', async () => {
    world.plcDoc(A, didDoc(A, 'alice.test'));
    world.wellKnown('alice.test', A);
    const id = await resolveIdentity(world.config(), A);
    expect(id).toMatchObject({ did: A, handle: 'alice.test', handleVerified: true, method: 'https' });
  });

  it('DID → claimed handle that resolves to another DID → handle.invalid', async () => {
    world.plcDoc(A, didDoc(A, 'bob.test'));
    world.txt('_atproto.bob.test', [[`did=${B}`]]);
    const id = await resolveIdentity(world.config(), A);
    expect(id).toMatchObject({ did: A, handle: 'handle.invalid', handleVerified: false, claimedHandle: 'bob.test' });
    expect(id.method).toBeUndefined();
    expect(id.warnings.join('\n')).toMatch(new RegExp(`bob\\.test resolves to ${B}`));
  });

  it('DID → claimed handle that does not resolve → handle.invalid with a warning, no throw', async () => {
    world.plcDoc(A, didDoc(A, 'gone.test'));
    const id = await resolveIdentity(world.config(), A);
    expect(id).toMatchObject({ handle: 'handle.invalid', handleVerified: false, claimedHandle: 'gone.test' });
    expect(id.warnings.join('\n')).toMatch(/could not be verified/);
  });

  it('DID → claimed handle under a refused TLD → handle.invalid, never looked up', async () => {
    world.plcDoc(A, didDoc(A, 'laptop.local'));
    const id = await resolveIdentity(world.config(), A);
    expect(id).toMatchObject({ handle: 'handle.invalid', handleVerified: false, claimedHandle: 'laptop.local' });
    expect(world.dns.queries).toEqual([]);
  });

  it('an at:// URI resolves through its authority', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const byHandle = await resolveIdentity(world.config(), 'at://alice.test/app.bsky.feed.post/3jzfcijpj2z2a');
    expect(byHandle).toMatchObject({ did: A, handleVerified: true });
    const byDid = await resolveIdentity(world.config(), `at://${A}`);
    expect(byDid).toMatchObject({ did: A, handleVerified: true });
  });

  it('a DID that does not exist → notFound DidNotFound', async () => {
    await expect(resolveIdentity(world.config(), B)).rejects.toMatchObject({ kind: 'notFound', code: 'DidNotFound' });
  });

  it('a handle that does not resolve → notFound HandleNotFound', async () => {
    await expect(resolveIdentity(world.config(), 'nobody.test')).rejects.toMatchObject({ kind: 'notFound', code: 'HandleNotFound' });
  });

  it('a handle resolving to a DID whose document is for another DID → DidDocumentMismatch', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(B, 'alice.test'));
    const err = await resolveIdentity(world.config(), 'alice.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtcliError);
    expect(err).toMatchObject({ kind: 'invalid', code: 'DidDocumentMismatch' });
  });

  it('document warnings (no PDS, no key) are passed on', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, { id: A, alsoKnownAs: ['at://alice.test'] });
    const id = await resolveIdentity(world.config(), 'alice.test');
    expect(id).toMatchObject({ handleVerified: true });
    expect(id.pds).toBeUndefined();
    expect(id.signingKey).toBeUndefined();
    expect(id.warnings.join('\n')).toMatch(/signing key/);
    expect(id.warnings.join('\n')).toMatch(/PDS/);
  });

  it('a shared cache serves repeat look-ups; noCache refreshes', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const cache = new MemoryIdentityCache(60_000);
    await resolveIdentity(world.config({ cache }), 'alice.test');
    await resolveIdentity(world.config({ cache }), A);
    expect(world.requests.filter((r) => r.startsWith('127.0.0.1 /plc/')).length).toBe(1);
    expect(world.dns.queries.length).toBe(1);
    await resolveIdentity(world.config({ cache }), 'alice.test', { noCache: true });
    expect(world.requests.filter((r) => r.startsWith('127.0.0.1 /plc/')).length).toBe(2);
    expect(world.dns.queries.length).toBe(2);
  });
});

describe('parseIdentifierInput', () => {
  it.each([
    ['alice.test', { handle: 'alice.test' }],
    ['@alice.test', { handle: 'alice.test' }],
    ['  alice.test\n', { handle: 'alice.test' }],
    [A, { did: A }],
    [`at://${A}`, { did: A }],
    [`at://${A}/app.bsky.feed.post/3jzfcijpj2z2a`, { did: A }],
    ['at://alice.test', { handle: 'alice.test' }],
  ])('%j → %j', (input, want) => {
    expect(parseIdentifierInput(input)).toEqual(want);
  });

  it.each([[''], ['@'], ['at://'], ['at://alice.test/not an nsid/x']])('%j is a usage error', (input) => {
    expect(() => parseIdentifierInput(input)).toThrow(AtcliError);
  });
});
