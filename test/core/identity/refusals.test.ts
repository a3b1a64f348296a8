/**
 * Inputs that must be refused before any network use: did:web SSRF tricks,
 * bad handles, bad DIDs. A local DNS server and HTTP server count what reaches them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { resolveDid, resolveHandle, resolveIdentity } from '../../../src/core/identity/index.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterEach(() => {
  // Nothing may have reached the network.
  expect(world.requests).toEqual([]);
  expect(world.dns.queries).toEqual([]);
  world.reset();
});
afterAll(async () => {
  await world.close();
  await closeHttp();
});

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected a rejection');
}

describe('did:web refusals (H10–H12)', () => {
  it.each([
    ['did:web:evil.com%40127.0.0.1', 'userinfo smuggling (H10)'],
    ['did:web:evil.com%2Fpath', 'path injection (H10)'],
    ['did:web:evil.com%2fpath', 'lower-case escape'],
    ['did:web:example.com%3A8080', 'port on a non-localhost host'],
    ['did:web:example.com:user:alice', 'path-based did:web (H11)'],
    ['did:web:localhost%3A2583', 'localhost port outside dev (H12)'],
    ['did:web:localhost', 'localhost outside dev'],
    ['did:web:127.0.0.1', 'IP literal'],
  ])('%s is refused: %s', async (did) => {
    for (const dev of [false, true]) {
      if (dev && did.startsWith('did:web:localhost')) continue;
      const err = await rejection(resolveDid(world.config({ dev }), did));
      expect(err.kind).toBe('usage');
      expect(['UnsupportedDidWeb', 'InvalidDid']).toContain(err.code);
    }
  });

  it.each([['did:web:laptop.local'], ['did:web:x.onion'], ['did:web:foo.internal'], ['did:web:handle.invalid'], ['did:web:alice.test']])(
    '%s (refused TLD) is refused outside dev',
    async (did) => {
      const err = await rejection(resolveDid(world.config({ dev: false }), did));
      expect(err.kind).toBe('usage');
    },
  );

  it('did:web with an upper-case host is refused (DIDs are case-sensitive)', async () => {
    expect((await rejection(resolveDid(world.config(), 'did:web:Example.com'))).kind).toBe('usage');
  });
});

describe('DID refusals', () => {
  it.each([
    ['did:plc:short', 'InvalidDid'],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oi1', 'InvalidDid'],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto', 'InvalidDid'],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oiz?x=1', 'InvalidDid'],
    ['DID:PLC:EWVI7NXZYOUN6ZHXRHS64OIZ', 'InvalidDid'],
    ['did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF', 'UnsupportedDidMethod'],
    ['did:example:123', 'UnsupportedDidMethod'],
    ['did:', 'InvalidDid'],
  ])('%s → usage %s', async (did, code) => {
    const err = await rejection(resolveDid(world.config(), did));
    expect(err).toMatchObject({ kind: 'usage', code });
  });

  it('wrong casing gets a hint with the lower-case DID', async () => {
    const err = await rejection(resolveDid(world.config(), 'did:plc:EWVI7NXZYOUN6ZHXRHS64OIZ'));
    expect(err.hint).toContain('did:plc:ewvi7nxzyoun6zhxrhs64oiz');
  });
});

describe('handle refusals (I1–I3)', () => {
  it('I1: a handle with U+212A KELVIN SIGN is invalid (validated before lower-casing)', async () => {
    const err = await rejection(resolveHandle(world.config({ dev: true }), '\u212Aelvin.test'));
    expect(err).toMatchObject({ kind: 'usage', code: 'InvalidHandle' });
  });

  it.each([['alice.example.com.'], ['127.0.0.1'], ['john..test'], ['-alice.test'], ['alice'], ['alice.test '], ['jo@hn.test'], ['x'.repeat(64) + '.test']])(
    'I2: %j is invalid syntax',
    async (handle) => {
      const err = await rejection(resolveHandle(world.config({ dev: true }), handle));
      expect(err).toMatchObject({ kind: 'usage', code: 'InvalidHandle' });
    },
  );

  it.each([['laptop.local'], ['x.onion'], ['handle.invalid'], ['blah.arpa'], ['foo.example'], ['bar.internal'], ['a.localhost'], ['b.alt']])(
    'I3: %s is never resolved',
    async (handle) => {
      for (const dev of [false, true]) {
        const err = await rejection(resolveHandle(world.config({ dev }), handle));
        expect(err).toMatchObject({ kind: 'usage', code: 'UnresolvableHandle' });
      }
    },
  );

  it('.test handles are refused outside dev mode', async () => {
    const err = await rejection(resolveHandle(world.config({ dev: false }), 'alice.test'));
    expect(err).toMatchObject({ kind: 'usage', code: 'UnresolvableHandle' });
    expect(err.hint).toMatch(/dev/);
  });

  it('a handle too long for the _atproto. prefix is refused', async () => {
    const handle = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.test`;
    expect(handle.length).toBeGreaterThan(244);
    expect((await rejection(resolveHandle(world.config(), handle))).code).toBe('UnresolvableHandle');
  });

  it.each([[['dns.google']], [['1.1.1.1:notaport']], [['http://1.1.1.1']]])('a malformed DNS server %j is a usage error', async (servers) => {
    const err = await rejection(resolveHandle(world.config({ dnsServers: servers }), 'alice.test'));
    expect(err).toMatchObject({ kind: 'usage', code: 'InvalidDnsServer' });
  });

  it('resolveIdentity refuses the same inputs before any network use', async () => {
    for (const id of ['laptop.local', 'at://handle.invalid', '@x.onion', 'did:web:evil.com%40127.0.0.1', 'not a handle', '']) {
      const err = await rejection(resolveIdentity(world.config(), id));
      expect(err.kind).toBe('usage');
    }
  });
});
