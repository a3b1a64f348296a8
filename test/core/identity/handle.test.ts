/**
 * Handle resolution against real local servers: a UDP DNS server and an HTTP server reached
 * through a connect-to rule (dev mode: `.test` handles, http:// well-known).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { resolveHandle } from '../../../src/core/identity/index.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { send, startWorld, plcDid, type World } from './world.js';

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

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected a rejection');
}

describe('DNS TXT (H4)', () => {
  it('one did= record resolves', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r).toMatchObject({ handle: 'alice.test', did: A, method: 'dns' });
    expect(r.attempts.find((a) => a.method === 'dns')).toMatchObject({ ok: true });
    expect(world.dns.queries).toContain('_atproto.alice.test');
  });

  it('normalizes the handle to lower case before asking', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const r = await resolveHandle(world.config(), 'Alice.TEST');
    expect(r).toMatchObject({ handle: 'alice.test', did: A });
  });

  it('I4: two different DIDs → AmbiguousHandle listing both', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`], [`did=${B}`]]);
    world.wellKnown('alice.test', A);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err).toMatchObject({ kind: 'invalid', code: 'AmbiguousHandle' });
    expect(err.message).toContain(A);
    expect(err.message).toContain(B);
    expect(err.details?.['dids']).toEqual([A, B]);
  });

  it('the same DID twice is not ambiguous', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`], [`did=${A}`]]);
    expect((await resolveHandle(world.config(), 'alice.test')).did).toBe(A);
  });

  it('I5: a TXT value split into several character-strings is joined', async () => {
    world.txt('_atproto.alice.test', [['did=did:plc:', A.slice('did:plc:'.length, 20), A.slice(20)]]);
    expect((await resolveHandle(world.config(), 'alice.test')).did).toBe(A);
  });

  it('values not starting with did= are ignored', async () => {
    world.txt('_atproto.alice.test', [['v=spf1 -all'], ['DID=' + B], [' did=' + B], ['hello'], [`did=${A}`]]);
    expect((await resolveHandle(world.config(), 'alice.test')).did).toBe(A);
  });

  it('a malformed did= value is not a DID; with no valid one, DNS fails', async () => {
    world.txt('_atproto.alice.test', [['did=not a did'], ['did=did:plc:']]);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err).toMatchObject({ kind: 'notFound', code: 'HandleNotFound' });
    const attempts = err.details?.['attempts'] as Array<{ method: string; ok: boolean; detail: string }>;
    expect(attempts.find((a) => a.method === 'dns')?.detail).toMatch(/no valid DID/);
  });

  it('a malformed did= value next to a valid one is ignored', async () => {
    world.txt('_atproto.alice.test', [['did=garbage'], [`did=${A}`]]);
    expect((await resolveHandle(world.config(), 'alice.test')).did).toBe(A);
  });

  it('NXDOMAIN (and no well-known) → notFound HandleNotFound with attempts and a hint', async () => {
    const err = await rejection(resolveHandle(world.config(), 'nobody.test'));
    expect(err).toMatchObject({ kind: 'notFound', code: 'HandleNotFound' });
    expect(err.hint).toMatch(/_atproto\.nobody\.test/);
    const attempts = err.details?.['attempts'] as Array<{ method: string; ok: boolean; detail: string }>;
    expect(attempts.map((a) => [a.method, a.ok])).toEqual([
      ['dns', false],
      ['https', false],
    ]);
    expect(attempts[0]!.detail).toMatch(/NXDOMAIN/);
    expect(attempts[1]!.detail).toMatch(/404/);
  });

  it('a name with no TXT records (NODATA) is "not found" for DNS', async () => {
    world.txt('_atproto.alice.test', []);
    world.wellKnown('alice.test', A);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r.method).toBe('https');
    expect(r.attempts[0]).toMatchObject({ method: 'dns', ok: false });
  });

  it('SERVFAIL is recorded as an error; HTTPS still answers', async () => {
    world.txt('_atproto.alice.test', 'servfail');
    world.wellKnown('alice.test', A);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'https' });
    expect(r.attempts[0]!.detail).toMatch(/SERVFAIL/);
  });

  it('a DNS server that never answers times out within dnsTimeoutMs', async () => {
    world.txt('_atproto.alice.test', 'drop');
    world.wellKnown('alice.test', A);
    const started = Date.now();
    const r = await resolveHandle(world.config({ dnsTimeoutMs: 300 }), 'alice.test');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toMatchObject({ did: A, method: 'https' });
    expect(r.attempts[0]).toMatchObject({ method: 'dns', ok: false });
    expect(r.attempts[0]!.detail).toMatch(/timed out/);
  });

  it('only temporary failures everywhere → runtime HandleResolutionFailed (retryable), not "not found"', async () => {
    world.txt('_atproto.alice.test', 'servfail');
    world.route('alice.test', '/.well-known/atproto-did', () => {
      /* never answers: the request times out */
    });
    const err = await rejection(resolveHandle(world.config({}, { timeoutMs: 300 }), 'alice.test'));
    expect(err).toMatchObject({ kind: 'runtime', code: 'HandleResolutionFailed' });
  });
});

describe('HTTPS well-known (H5)', () => {
  it('200 with the DID resolves; surrounding whitespace is trimmed', async () => {
    world.wellKnown('alice.test', `\n  ${A}\r\n`);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'https' });
    expect(world.requests).toContain('alice.test /.well-known/atproto-did');
  });

  it('I6: 404 with a DID body fails', async () => {
    world.wellKnown('alice.test', A, 404);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err.code).toBe('HandleNotFound');
    const attempts = err.details?.['attempts'] as Array<{ method: string; detail: string }>;
    expect(attempts[1]!.detail).toMatch(/404.*2xx/);
  });

  it('a 3 KiB body fails at the 2 KiB cap', async () => {
    world.wellKnown('alice.test', `${A}\n${' '.repeat(3 * 1024)}`);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    const attempts = err.details?.['attempts'] as Array<{ method: string; detail: string }>;
    expect(attempts[1]!.detail).toMatch(/exceeds the limit of 2048 bytes/);
  });

  it('a 3 KiB body without Content-Length (chunked) also fails at the cap', async () => {
    world.route('alice.test', '/.well-known/atproto-did', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(A);
      res.end(' '.repeat(3 * 1024));
    });
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(JSON.stringify(err.details?.['attempts'])).toMatch(/exceeds the limit/);
  });

  it('an HTML page fails with a clear message', async () => {
    world.route('alice.test', '/.well-known/atproto-did', (_req, res) =>
      send(res, 200, '<!DOCTYPE html><html><body>Welcome</body></html>', 'text/html'),
    );
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err.message).toMatch(/HTML, not a DID/);
  });

  it.each([
    ['two DIDs', `${A}\n${B}`, /more than one DID/],
    ['JSON', JSON.stringify({ did: A }), /JSON/],
    ['an empty body', '', /empty/],
    ['a DID with a prefix', `did=${A}`, /not a DID/],
    ['a malformed DID', 'did:plc:', /not a DID/],
  ])('a body with %s fails', async (_name, body, re) => {
    world.wellKnown('alice.test', body);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err.message).toMatch(re);
  });

  it('a body that is not UTF-8 fails', async () => {
    world.route('alice.test', '/.well-known/atproto-did', (_req, res) => send(res, 200, Buffer.from([0x64, 0x69, 0x64, 0x3a, 0xff, 0xfe])));
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err.message).toMatch(/not valid UTF-8/);
  });

  it('follows up to 3 redirects, across hosts', async () => {
    world.route('alice.test', '/.well-known/atproto-did', (_req, res) => {
      res.writeHead(302, { location: 'http://hop1.test/a' }).end();
    });
    world.route('hop1.test', '/a', (_req, res) => res.writeHead(301, { location: '/b' }).end());
    world.route('hop1.test', '/b', (_req, res) => res.writeHead(307, { location: 'http://hop2.test/did' }).end());
    world.text('hop2.test', '/did', A);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'https' });
  });

  it('a 4th redirect fails', async () => {
    world.route('alice.test', '/.well-known/atproto-did', (_req, res) => res.writeHead(302, { location: '/1' }).end());
    world.route('alice.test', '/1', (_req, res) => res.writeHead(302, { location: '/2' }).end());
    world.route('alice.test', '/2', (_req, res) => res.writeHead(302, { location: '/3' }).end());
    world.route('alice.test', '/3', (_req, res) => res.writeHead(302, { location: '/4' }).end());
    world.text('alice.test', '/4', A);
    const err = await rejection(resolveHandle(world.config(), 'alice.test'));
    expect(err.message).toMatch(/too many redirects/);
  });

  it('I7: a redirect to a private address is blocked when private networks are not allowed', async () => {
    // Outside dev mode the well-known is https:// and the http layer refuses any non-public target,
    // on the first hop and on every redirect hop alike: here the handle host itself maps to
    // 10.0.0.1 and 169.254.169.254 (I8: the connect-time check defeats DNS rebinding).
    for (const target of ['10.0.0.1', '169.254.169.254', '127.0.0.1']) {
      const cfg = world.config(
        { dev: false },
        { allowPrivateNetwork: false, connectTo: [{ host: 'alice.example.org', port: null, toHost: target, toPort: 443 }] },
      );
      const err = await rejection(resolveHandle(cfg, 'alice.example.org'));
      expect(JSON.stringify(err.details?.['attempts'])).toMatch(/non-public address/);
    }
  });

  it('I9: DNS and HTTPS disagree → DNS wins, with a warning', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    world.wellKnown('alice.test', B);
    const r = await resolveHandle(world.config(), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'dns' });
    expect(r.warnings.join('\n')).toMatch(/disagree/);
    expect(r.attempts.map((a) => a.ok)).toEqual([true, true]);
  });
});

describe('XRPC resolver', () => {
  function resolver(did: string | null, status = 200): void {
    world.route('resolver.test', '/xrpc/com.atproto.identity.resolveHandle', (req, res) => {
      const handle = new URL(req.url ?? '/', 'http://x').searchParams.get('handle');
      if (did === null || status !== 200) {
        return send(res, status === 200 ? 400 : status, JSON.stringify({ error: 'InvalidRequest', message: `Unable to resolve handle: ${handle}` }), 'application/json');
      }
      send(res, 200, JSON.stringify({ did }), 'application/json');
    });
  }

  it('is asked when DNS and HTTPS both fail', async () => {
    resolver(A);
    const r = await resolveHandle(world.config({ handleResolver: 'http://resolver.test' }), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'xrpc' });
    expect(r.attempts.map((a) => a.method)).toEqual(['dns', 'https', 'xrpc']);
    expect(world.requests).toContain('resolver.test /xrpc/com.atproto.identity.resolveHandle?handle=alice.test');
  });

  it('is not asked when DNS answers', async () => {
    resolver(B);
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const r = await resolveHandle(world.config({ handleResolver: 'http://resolver.test' }), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'dns' });
    expect(world.requests.some((x) => x.startsWith('resolver.test'))).toBe(false);
  });

  it('is asked first with handleResolverFirst', async () => {
    resolver(B);
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const r = await resolveHandle(world.config({ handleResolver: 'http://resolver.test', handleResolverFirst: true }), 'alice.test');
    expect(r).toMatchObject({ did: B, method: 'xrpc' });
    expect(world.dns.queries).toEqual([]);
  });

  it('falls back to DNS/HTTPS when the resolver-first call fails', async () => {
    resolver(null);
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const r = await resolveHandle(world.config({ handleResolver: 'http://resolver.test', handleResolverFirst: true }), 'alice.test');
    expect(r).toMatchObject({ did: A, method: 'dns' });
    expect(r.attempts[0]).toMatchObject({ method: 'xrpc', ok: false });
  });

  it('a resolver answer without a valid DID fails', async () => {
    world.json('resolver.test', '/xrpc/com.atproto.identity.resolveHandle', { did: 'nope' });
    const err = await rejection(resolveHandle(world.config({ handleResolver: 'http://resolver.test' }), 'alice.test'));
    expect(err.code).toBe('HandleNotFound');
    expect(err.message).toMatch(/no valid "did"/);
  });
});

describe('interruption', () => {
  it('an aborted signal ends the resolution as interrupted, not as "not found"', async () => {
    world.txt('_atproto.alice.test', 'drop');
    world.route('alice.test', '/.well-known/atproto-did', () => {
      /* never answers */
    });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const err = await rejection(resolveHandle(world.config({ dnsTimeoutMs: 5000 }, { signal: ctl.signal, timeoutMs: 5000 }), 'alice.test'));
    expect(err.kind).toBe('interrupted');
  });
});

describe('cache', () => {
  it('a second resolution is served from the cache; noCache asks again', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const cfg = world.config();
    await resolveHandle(cfg, 'alice.test');
    await resolveHandle(cfg, 'alice.test');
    expect(world.dns.queries.length).toBe(1);
    await resolveHandle(cfg, 'alice.test', { noCache: true });
    expect(world.dns.queries.length).toBe(2);
  });

  it('concurrent resolutions of one handle share one look-up', async () => {
    world.txt('_atproto.alice.test', [[`did=${A}`]]);
    const cfg = world.config();
    const all = await Promise.all([1, 2, 3].map(() => resolveHandle(cfg, 'alice.test')));
    expect(all.map((r) => r.did)).toEqual([A, A, A]);
    expect(world.dns.queries.length).toBe(1);
  });
});
