import { afterAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { XrpcClient, XrpcError, serverWaitMs } from '../../../src/core/xrpc/index.js';
import { baseConfig, readBody, startServer } from '../net/helpers.js';

afterAll(async () => {
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

function json(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const fast = { backoffBaseMs: 5 };

describe('XrpcClient basics', () => {
  it('encodes params (arrays repeat, booleans as true/false, undefined skipped) and parses JSON', async () => {
    let seen = '';
    let ua: string | undefined;
    const s = await startServer((req, res) => {
      seen = req.url ?? '';
      ua = req.headers['user-agent'];
      json(res, 200, { ok: true });
    });
    const c = new XrpcClient({ service: `${s.url}/ignored/path`, http: baseConfig() });
    const out = await c.query<{ ok: boolean }>('com.example.thing', {
      actor: 'alice.test',
      limit: 10,
      flag: false,
      uris: ['at://a', 'at://b c'],
      cursor: undefined,
    });
    expect(out).toEqual({ ok: true });
    expect(seen).toBe('/xrpc/com.example.thing?actor=alice.test&limit=10&flag=false&uris=at%3A%2F%2Fa&uris=at%3A%2F%2Fb+c');
    expect(ua).toBe('atcli-test/0.0');
    await s.close();
  });

  it('sends procedures as JSON or raw bytes; empty success bodies are undefined', async () => {
    const seen: Array<{ ct: string | undefined; body: string }> = [];
    const s = await startServer(async (req, res) => {
      seen.push({ ct: req.headers['content-type'], body: await readBody(req) });
      res.writeHead(200);
      res.end();
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    expect(await c.procedure('com.example.do', { a: 1 })).toBeUndefined();
    await c.procedure('com.example.upload', { bytes: new TextEncoder().encode('raw'), contentType: 'image/png' });
    expect(seen).toEqual([
      { ct: 'application/json', body: '{"a":1}' },
      { ct: 'image/png', body: 'raw' },
    ]);
    await s.close();
  });

  it('queryBytes returns body and content type', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      res.end(Buffer.from([1, 2, 3]));
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const r = await c.queryBytes('com.atproto.sync.getRepo', { did: 'did:plc:x' });
    expect([...r.body]).toEqual([1, 2, 3]);
    expect(r.contentType).toBe('application/vnd.ipld.car');
    await s.close();
  });

  it('queryStream streams the body; an error answer becomes an XrpcError', async () => {
    const s = await startServer((req, res) => {
      if (req.url?.includes('missing')) return json(res, 400, { error: 'RepoNotFound', message: 'Could not find repo: did:plc:missing' });
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const r = await c.queryStream('com.atproto.sync.getRepo', { did: 'did:plc:x' });
    let text = '';
    for await (const chunk of r.body) text += Buffer.from(chunk).toString();
    expect(text).toBe('hello');
    expect(r.contentLength).toBe(5);
    const e = await rejection(c.queryStream('com.atproto.sync.getRepo', { did: 'did:plc:missing' }));
    expect(e).toBeInstanceOf(XrpcError);
    expect(e.kind).toBe('notFound');
    expect(e.code).toBe('RepoNotFound');
    await s.close();
  });

  it('rejects a bad NSID and a bad service URL', async () => {
    expect(() => new XrpcClient({ service: 'ftp://x', http: baseConfig() })).toThrow(AtcliError);
    const c = new XrpcClient({ service: 'http://127.0.0.1:9', http: baseConfig() });
    const e = await rejection(c.query('../../etc/passwd'));
    expect(e.code).toBe('InvalidNsid');
  });
});

describe('XRPC errors', () => {
  it('maps {error, message} bodies', async () => {
    const s = await startServer((req, res) => {
      const u = req.url ?? '';
      if (u.includes('rec')) return json(res, 400, { error: 'RecordNotFound', message: 'Could not locate record' });
      if (u.includes('auth')) return json(res, 401, { error: 'AuthRequired', message: 'Authentication Required' });
      if (u.includes('find')) return json(res, 400, { error: 'InvalidRequest', message: 'Could not find repo: did:plc:abc' });
      if (u.includes('bad')) return json(res, 400, { error: 'InvalidRequest', message: 'Input/limit must be <= 100' });
      if (u.includes('evil')) return json(res, 400, { error: 'Bad Name!', message: 'x\u001b[31mred\u001b[0m' });
      return json(res, 404, { error: 'NotFound', message: 'nope' });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), retries: 0 });
    const rec = (await rejection(c.query('com.atproto.repo.getRecord', { x: 'rec' }))) as XrpcError;
    expect(rec).toBeInstanceOf(XrpcError);
    expect(rec.kind).toBe('notFound');
    expect(rec.code).toBe('RecordNotFound');
    expect(rec.status).toBe(400);
    expect(rec.xrpcError).toBe('RecordNotFound');
    expect(rec.message).toContain('Could not locate record');
    expect(rec.message).toContain('com.atproto.repo.getRecord');
    expect(rec.details).toMatchObject({ status: 400, xrpcError: 'RecordNotFound', nsid: 'com.atproto.repo.getRecord' });
    const auth = await rejection(c.query('com.example.q', { x: 'auth' }));
    expect(auth.kind).toBe('auth');
    expect(auth.exitCode).toBe(5);
    expect(auth.hint).toBe('this method needs an authenticated session');
    const find = await rejection(c.query('com.example.q', { x: 'find' }));
    expect(find.kind).toBe('notFound');
    const bad = await rejection(c.query('com.example.q', { x: 'bad' }));
    expect(bad.kind).toBe('runtime');
    expect(bad.code).toBe('InvalidRequest');
    const evil = (await rejection(c.query('com.example.q', { x: 'evil' }))) as XrpcError;
    expect(evil.xrpcError).toBeUndefined();
    expect(evil.code).toBe('BadRequest');
    expect(evil.message).not.toContain('\u001b');
    const nf = await rejection(c.query('com.example.q', { x: 'other' }));
    expect(nf.kind).toBe('notFound');
    await s.close();
  });

  it('an HTML 502 from a load balancer becomes a clear message', async () => {
    let hits = 0;
    const s = await startServer((_req, res) => {
      hits++;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>');
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), retries: 2, ...fast });
    const e = (await rejection(c.query('app.bsky.actor.getProfile', { actor: 'a' }))) as XrpcError;
    expect(hits).toBe(3);
    expect(e.status).toBe(502);
    expect(e.code).toBe('BadGateway');
    expect(e.kind).toBe('runtime');
    expect(e.message).toMatch(/HTTP 502 Bad Gateway/);
    expect(e.message).toContain('HTML');
    expect(e.message).not.toContain('<h1>');
    await s.close();
  });

  it('a success body that is not JSON is InvalidResponse', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>welcome</html>');
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const e = await rejection(c.query('com.example.q'));
    expect(e.code).toBe('InvalidResponse');
    expect(e.kind).toBe('runtime');
    await s.close();
  });

  it('caps JSON responses (and the caller can raise the cap)', async () => {
    const s = await startServer((_req, res) => json(res, 200, { data: 'x'.repeat(5000) }));
    const c = new XrpcClient({ service: s.url, http: baseConfig(), maxBytes: 1000 });
    const e = await rejection(c.query('com.example.q'));
    expect(e.code).toBe('ResponseTooLarge');
    const ok = await c.query<{ data: string }>('com.example.q', {}, { maxBytes: 10_000 });
    expect(ok.data.length).toBe(5000);
    await s.close();
  });
});

describe('retries', () => {
  it('retries a query after 503, then succeeds', async () => {
    let hits = 0;
    const s = await startServer((_req, res) => {
      hits++;
      if (hits === 1) return json(res, 503, { error: 'ServiceUnavailable' });
      json(res, 200, { ok: hits });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    expect(await c.query('com.example.q')).toEqual({ ok: 2 });
    expect(hits).toBe(2);
    await s.close();
  });

  it('does not retry 501, nor non-idempotent procedures; idempotent procedures are retried', async () => {
    let hits = 0;
    const s = await startServer((req, res) => {
      hits++;
      if (req.url?.includes('notimpl')) return json(res, 501, { error: 'MethodNotImplemented' });
      json(res, 500, { error: 'InternalServerError', message: 'boom' });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    const e1 = await rejection(c.query('com.example.notimpl'));
    expect(hits).toBe(1);
    expect(e1.code).toBe('MethodNotImplemented');
    hits = 0;
    const e2 = await rejection(c.procedure('com.example.write', { a: 1 }));
    expect(hits).toBe(1);
    expect(e2.code).toBe('InternalServerError');
    hits = 0;
    await rejection(c.procedure('com.example.write', { a: 1 }, { idempotent: true }));
    expect(hits).toBe(4);
    await s.close();
  });

  it('retries after a dropped connection', async () => {
    let hits = 0;
    const s = await startServer((req, res) => {
      hits++;
      if (hits === 1) return void req.socket.destroy();
      json(res, 200, { ok: true });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    expect(await c.query('com.example.q')).toEqual({ ok: true });
    expect(hits).toBe(2);
    await s.close();
  });

  it('gives up on connection refused after the retries', async () => {
    const s = await startServer(() => undefined);
    const port = s.port;
    await s.close();
    const c = new XrpcClient({ service: `http://127.0.0.1:${port}`, http: baseConfig(), retries: 2, ...fast });
    const e = await rejection(c.query('com.example.q'));
    expect(e.code).toBe('NetworkError');
    expect(e.details?.cause).toBe('ECONNREFUSED');
  });

  it('honours Retry-After on 429', async () => {
    let hits = 0;
    const times: number[] = [];
    const s = await startServer((_req, res) => {
      hits++;
      times.push(Date.now());
      if (hits === 1) return json(res, 429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, { 'retry-after': '1' });
      json(res, 200, { ok: true });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    expect(await c.query('com.example.q')).toEqual({ ok: true });
    expect(hits).toBe(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    await s.close();
  });

  it('honours RateLimit-Reset (epoch seconds)', async () => {
    let hits = 0;
    const s = await startServer((_req, res) => {
      hits++;
      if (hits === 1) {
        return json(res, 429, { error: 'RateLimitExceeded' }, {
          'ratelimit-limit': '3000',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
        });
      }
      json(res, 200, { ok: true });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    const t0 = Date.now();
    expect(await c.query('com.example.q')).toEqual({ ok: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await s.close();
  });

  it('fails fast with the reset time when the wait is beyond the maximum', async () => {
    let hits = 0;
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const s = await startServer((_req, res) => {
      hits++;
      json(res, 429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, { 'ratelimit-reset': String(reset) });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    const t0 = Date.now();
    const e = await rejection(c.query('com.example.q'));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(hits).toBe(1);
    expect(e.code).toBe('RateLimitExceeded');
    expect(e.hint).toContain(new Date(reset * 1000).toISOString());
    await s.close();
  });

  it('a non-idempotent procedure hit by 429 fails with a hint', async () => {
    const s = await startServer((_req, res) => json(res, 429, { error: 'RateLimitExceeded' }, { 'retry-after': '2' }));
    const c = new XrpcClient({ service: s.url, http: baseConfig(), ...fast });
    const e = await rejection(c.procedure('com.atproto.repo.createRecord', {}));
    expect(e.hint).toMatch(/rate limited; try again after/);
    await s.close();
  });

  it('Ctrl-C during a back-off wait is an interruption', async () => {
    const s = await startServer((_req, res) => json(res, 503, {}, { 'retry-after': '30' }));
    const ctl = new AbortController();
    // The request deadline leaves room for the 30 s wait, so the client sits in it.
    const c = new XrpcClient({ service: s.url, http: baseConfig({ signal: ctl.signal, timeoutMs: 60_000 }) });
    setTimeout(() => ctl.abort(), 100);
    const e = await rejection(c.query('com.example.q'));
    expect(e.kind).toBe('interrupted');
    await s.close();
  });
});

describe('serverWaitMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('Retry-After seconds and HTTP date', () => {
    expect(serverWaitMs({ 'retry-after': '7' }, now)?.waitMs).toBe(7000);
    expect(serverWaitMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)?.waitMs).toBe(30_000);
  });
  it('RateLimit-Reset epoch or delta seconds', () => {
    expect(serverWaitMs({ 'ratelimit-reset': String(now / 1000 + 12) }, now)?.waitMs).toBe(12_000);
    expect(serverWaitMs({ 'ratelimit-reset': '5' }, now)?.waitMs).toBe(5000);
  });
  it('nothing usable', () => {
    expect(serverWaitMs({}, now)).toBeNull();
    expect(serverWaitMs({ 'retry-after': 'soon' }, now)).toBeNull();
  });
});

describe('the timeout is per request, retries included', () => {
  it('a server that never answers costs one timeout, not one per attempt', async () => {
    let hits = 0;
    const s = await startServer(() => {
      hits++; // never answers
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig({ timeoutMs: 800 }), retries: 3, backoffBaseMs: 20 });
    const t0 = Date.now();
    const e = await rejection(c.query('com.example.q'));
    const elapsed = Date.now() - t0;
    expect(e.code).toBe('Timeout');
    expect(elapsed).toBeLessThan(2000); // 4 × 800 ms before
    expect(hits).toBeGreaterThanOrEqual(1);
    await s.close();
  });

  it('does not sit through a server-requested wait that ends after the deadline', async () => {
    const s = await startServer((_req, res) => json(res, 503, {}, { 'retry-after': '5' }));
    const c = new XrpcClient({ service: s.url, http: baseConfig({ timeoutMs: 1000 }) });
    const t0 = Date.now();
    const e = await rejection(c.query('com.example.q'));
    expect(e.exitCode).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    await s.close();
  });

  it('refuses a timeout beyond what a timer holds', async () => {
    const c = new XrpcClient({ service: 'https://pds.example.com', http: baseConfig({ timeoutMs: 2 ** 31 }) });
    const e = await rejection(c.query('com.example.q'));
    expect(e.code).toBe('InvalidTimeout');
    expect(e.exitCode).toBe(2);
  });
});
