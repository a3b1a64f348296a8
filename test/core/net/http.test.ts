import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkTimeoutMs, closeHttp, httpRequest, httpRequestStream, parseConnectTo } from '../../../src/core/net/http.js';
import { baseConfig, readBody, startServer } from './helpers.js';

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

describe('parseConnectTo', () => {
  it('parses the four fields', () => {
    expect(parseConnectTo('example.com:443:127.0.0.1:8443')).toEqual({
      host: 'example.com',
      port: 443,
      toHost: '127.0.0.1',
      toPort: 8443,
    });
  });
  it('empty HOST1/PORT1 match any', () => {
    expect(parseConnectTo('::localhost:2583')).toEqual({ host: '', port: null, toHost: 'localhost', toPort: 2583 });
  });
  it('empty HOST2/PORT2 keep the original', () => {
    expect(parseConnectTo('a.test:443::8443')).toEqual({ host: 'a.test', port: 443, toHost: '', toPort: 8443 });
    expect(parseConnectTo('a.test:443:b.test:')).toEqual({ host: 'a.test', port: 443, toHost: 'b.test', toPort: 0 });
  });
  it('IPv6 in brackets', () => {
    expect(parseConnectTo('[::1]:443:[fe80::2]:80')).toEqual({ host: '::1', port: 443, toHost: 'fe80::2', toPort: 80 });
  });
  it.each(['', 'a:b', 'a:1:b', 'a:x:b:1', 'a:1:b:70000', 'a:1:b:1:extra', 'a:0:b:1'])('rejects %j', (spec) => {
    let err: unknown;
    try {
      parseConnectTo(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).kind).toBe('usage');
  });
});

describe('httpRequest basics', () => {
  it('GETs from a local http server with the configured User-Agent', async () => {
    let ua: string | undefined;
    const s = await startServer((req, res) => {
      ua = req.headers['user-agent'];
      res.setHeader('x-thing', 'yes');
      res.end('hello');
    });
    const lines: string[] = [];
    const r = await httpRequest(baseConfig({ log: (l) => lines.push(l) }), {
      url: `${s.url}/path?q=1`,
      maxBytes: 1000,
      headers: { Authorization: 'Bearer SECRET-TOKEN' },
    });
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body).toString()).toBe('hello');
    expect(r.headers['x-thing']).toBe('yes');
    expect(r.url).toBe(`${s.url}/path?q=1`);
    expect(ua).toBe('atcli-test/0.0');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/path\?q=1 200 \d+ms$/);
    expect(lines.join('\n')).not.toContain('SECRET');
    await s.close();
  });

  it('allows http://localhost without flags and POSTs a body', async () => {
    let got = '';
    let ct: string | undefined;
    const s = await startServer(async (req, res) => {
      got = await readBody(req);
      ct = req.headers['content-type'];
      res.end('{}');
    });
    const r = await httpRequest(baseConfig(), {
      url: `http://localhost:${s.port}/x`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      maxBytes: 10,
    });
    expect(r.status).toBe(200);
    expect(got).toBe('{"a":1}');
    expect(ct).toBe('application/json');
    await s.close();
  });

  it('returns non-2xx responses as they are', async () => {
    const s = await startServer((_req, res) => {
      res.statusCode = 404;
      res.end('nope');
    });
    const r = await httpRequest(baseConfig(), { url: s.url, maxBytes: 100 });
    expect(r.status).toBe(404);
    await s.close();
  });
});

describe('URL and scheme rules', () => {
  it('refuses plain http to a non-loopback host', async () => {
    const e = await rejection(httpRequest(baseConfig(), { url: 'http://example.com/', maxBytes: 10 }));
    expect(e.code).toBe('InsecureUrl');
  });

  it('refuses http://10.0.0.1 and https://10.0.0.1 (SSRF) from the URL text, without connecting', async () => {
    expect((await rejection(httpRequest(baseConfig(), { url: 'http://10.0.0.1/', maxBytes: 10 }))).code).toBe('InsecureUrl');
    for (const url of ['https://10.0.0.1/', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:127.0.0.1]/']) {
      const e = await rejection(httpRequest(baseConfig(), { url, maxBytes: 10 }));
      expect(e.code).toBe('PrivateAddress');
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain('--');
    }
  });

  it.each(['http://0x7f.1/', 'http://2130706433/', 'http://127.1/', 'https://0177.0.0.1/', 'http://%31%32%37.0.0.1/', 'https://ex%61mple.com/'])(
    'refuses ambiguous numeric host %s',
    async (url) => {
      const e = await rejection(httpRequest(baseConfig(), { url, maxBytes: 10 }));
      expect(e.code).toBe('InvalidUrl');
    },
  );

  it('refuses userinfo, other schemes and garbage without echoing the password', async () => {
    const e1 = await rejection(httpRequest(baseConfig(), { url: 'https://user:hunter2@example.com/', maxBytes: 10 }));
    expect(e1.code).toBe('InvalidUrl');
    expect(e1.message).not.toContain('hunter2');
    const e2 = await rejection(httpRequest(baseConfig(), { url: 'ftp://example.com/', maxBytes: 10 }));
    expect(e2.code).toBe('InvalidUrl');
    const e3 = await rejection(httpRequest(baseConfig(), { url: 'not a url', maxBytes: 10 }));
    expect(e3.code).toBe('InvalidUrl');
  });
});

describe('SSRF and connectTo', () => {
  it('https://example.test redirected to 127.0.0.1 is refused without allowPrivateNetwork', async () => {
    let connections = 0;
    const srv = createNetServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const e = await rejection(
      httpRequest(baseConfig({ connectTo: [parseConnectTo(`example.test:443:127.0.0.1:${port}`)] }), {
        url: 'https://example.test/',
        maxBytes: 10,
      }),
    );
    expect(e.code).toBe('BlockedAddress');
    // The name path (lookup at connect time) is checked too.
    const e2 = await rejection(
      httpRequest(baseConfig({ connectTo: [parseConnectTo(`example.test:443:localhost:${port}`)] }), {
        url: 'https://example.test/',
        maxBytes: 10,
      }),
    );
    expect(e2.code).toBe('BlockedAddress');
    expect(connections).toBe(0);
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it('with allowPrivateNetwork the connection goes to the rewritten address, SNI stays as written', async () => {
    let sni: string | undefined;
    const srv = createNetServer((sock: Socket) => {
      sock.once('data', (buf: Buffer) => {
        sni = extractSni(buf);
        sock.destroy();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const e = await rejection(
      httpRequest(baseConfig({ allowPrivateNetwork: true, connectTo: [parseConnectTo(`example.test:443:127.0.0.1:${port}`)] }), {
        url: 'https://example.test/',
        maxBytes: 10,
      }),
    );
    // We reached the server (which hung up mid-handshake): a network error, not a block.
    expect(e.code).toBe('NetworkError');
    expect(sni).toBe('example.test');
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it('with allowPrivateNetwork, http://example.test via connectTo keeps the Host header', async () => {
    let host: string | undefined;
    const s = await startServer((req, res) => {
      host = req.headers.host;
      res.end('ok');
    });
    const r = await httpRequest(baseConfig({ allowPrivateNetwork: true, connectTo: [parseConnectTo(`::127.0.0.1:${s.port}`)] }), {
      url: 'http://example.test/hello',
      maxBytes: 10,
    });
    expect(r.status).toBe(200);
    expect(host).toBe('example.test');
    expect(r.url).toBe('http://example.test/hello');
    await s.close();
  });

  it('a connectTo rule sending localhost to a private address is refused', async () => {
    const e = await rejection(
      httpRequest(baseConfig({ timeoutMs: 1000, connectTo: [parseConnectTo('localhost::10.255.255.1:80')] }), {
        url: 'http://localhost:1234/',
        maxBytes: 10,
      }),
    );
    expect(e.code).toBe('BlockedAddress');
  });
});

describe('response size caps', () => {
  it('aborts a streamed oversize body early; the server sees the connection closed', async () => {
    let closed = false;
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const limit = 512 * 1024 * 1024;
    let resolveClosed: () => void;
    const closedP = new Promise<void>((r) => (resolveClosed = r));
    const s = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => {
        closed = true;
        resolveClosed();
      });
      const pump = (): void => {
        while (!closed && sent < limit) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!closed) res.end();
      };
      pump();
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const e = await rejection(httpRequest(baseConfig(), { url: `${s.url}/big`, maxBytes: 1024 * 1024 }));
    const heapAfter = process.memoryUsage().heapUsed;
    expect(e.code).toBe('ResponseTooLarge');
    expect(e.message).toContain('/big');
    expect(e.message).toContain('1048576');
    await closedP;
    expect(closed).toBe(true);
    // The server was stopped long before it could send its 512 MiB.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await s.close();
  });

  it('refuses an oversize declared Content-Length before reading', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    const e = await rejection(httpRequest(baseConfig(), { url: s.url, maxBytes: 1024 }));
    expect(e.code).toBe('ResponseTooLarge');
    await s.close();
  });

  it('accepts a body exactly at the cap', async () => {
    const s = await startServer((_req, res) => void res.end(Buffer.alloc(1000, 1)));
    const r = await httpRequest(baseConfig(), { url: s.url, maxBytes: 1000 });
    expect(r.body.byteLength).toBe(1000);
    await s.close();
  });
});

describe('redirects', () => {
  it('maxRedirects 0 returns the 3xx as it is', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const r = await httpRequest(baseConfig(), { url: s.url, maxBytes: 100 });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/elsewhere');
    await s.close();
  });

  it('follows a same-origin redirect keeping Authorization', async () => {
    const auths: Array<string | undefined> = [];
    const s = await startServer((req, res) => {
      auths.push(req.headers.authorization);
      if (req.url === '/a') {
        res.writeHead(302, { location: '/b' });
        res.end();
      } else res.end('final');
    });
    const r = await httpRequest(baseConfig(), {
      url: `${s.url}/a`,
      maxBytes: 100,
      maxRedirects: 3,
      headers: { authorization: 'Bearer tok' },
    });
    expect(Buffer.from(r.body).toString()).toBe('final');
    expect(r.url).toBe(`${s.url}/b`);
    expect(auths).toEqual(['Bearer tok', 'Bearer tok']);
    await s.close();
  });

  it('never forwards Authorization to another origin', async () => {
    let seenAuth: string | undefined = 'unset';
    let seenOther: string | undefined;
    const b = await startServer((req, res) => {
      seenAuth = req.headers.authorization;
      seenOther = req.headers['x-other'] as string | undefined;
      res.end('b');
    });
    const a = await startServer((_req, res) => {
      res.writeHead(307, { location: `http://localhost:${b.port}/landing` });
      res.end();
    });
    const r = await httpRequest(baseConfig(), {
      url: `${a.url}/start`,
      maxBytes: 100,
      maxRedirects: 2,
      headers: { Authorization: 'Bearer secret', 'x-other': 'kept' },
    });
    expect(r.status).toBe(200);
    expect(r.url).toBe(`http://localhost:${b.port}/landing`);
    expect(seenAuth).toBeUndefined();
    expect(seenOther).toBe('kept');
    await a.close();
    await b.close();
  });

  it('caps a redirect loop', async () => {
    let hits = 0;
    const s = await startServer((_req, res) => {
      hits++;
      res.writeHead(301, { location: '/loop' });
      res.end();
    });
    const e = await rejection(httpRequest(baseConfig(), { url: `${s.url}/loop`, maxBytes: 100, maxRedirects: 3 }));
    expect(e.code).toBe('TooManyRedirects');
    expect(hits).toBe(4);
    await s.close();
  });

  it('re-checks every hop: a redirect to a private http host is refused', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(302, { location: 'http://10.1.2.3/internal' });
      res.end();
    });
    const e = await rejection(httpRequest(baseConfig(), { url: s.url, maxBytes: 100, maxRedirects: 3 }));
    expect(e.code).toBe('InvalidRedirect');
    expect(e.message).toContain('unencrypted');
    const s2 = await startServer((_req, res) => {
      res.writeHead(302, { location: 'https://169.254.169.254/latest' });
      res.end();
    });
    const e2 = await rejection(httpRequest(baseConfig(), { url: s2.url, maxBytes: 100, maxRedirects: 3 }));
    expect(e2.code).toBe('InvalidRedirect');
    await s.close();
    await s2.close();
  });

  it('303 turns a POST into a GET without body', async () => {
    const seen: string[] = [];
    const s = await startServer(async (req, res) => {
      const body = await readBody(req);
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/post') {
        res.writeHead(303, { location: '/result' });
        res.end();
      } else res.end('ok');
    });
    await httpRequest(baseConfig(), { url: `${s.url}/post`, method: 'POST', body: 'data', maxBytes: 10, maxRedirects: 1 });
    expect(seen).toEqual(['POST /post data', 'GET /result ']);
    await s.close();
  });
});

describe('failures', () => {
  it('times out when the server never answers', async () => {
    const s = await startServer(() => {
      /* never respond */
    });
    const t0 = Date.now();
    const e = await rejection(httpRequest(baseConfig({ timeoutMs: 300 }), { url: s.url, maxBytes: 10 }));
    expect(e.code).toBe('Timeout');
    expect(e.kind).toBe('runtime');
    expect(Date.now() - t0).toBeLessThan(3000);
    await s.close();
  });

  it('times out when the body stalls (total deadline)', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const e = await rejection(httpRequest(baseConfig({ timeoutMs: 300 }), { url: s.url, maxBytes: 1000 }));
    expect(e.code).toBe('Timeout');
    await s.close();
  });

  it('reports connection refused with the URL and cause', async () => {
    const s = await startServer(() => undefined);
    const port = s.port;
    await s.close();
    const e = await rejection(httpRequest(baseConfig(), { url: `http://127.0.0.1:${port}/x`, maxBytes: 10 }));
    expect(e.code).toBe('NetworkError');
    expect(e.message).toContain(`http://127.0.0.1:${port}/x`);
    expect(e.details?.cause).toBe('ECONNREFUSED');
  });

  it('an aborted signal is an interruption', async () => {
    const s = await startServer(() => undefined);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const e = await rejection(httpRequest(baseConfig({ signal: ctl.signal }), { url: s.url, maxBytes: 10 }));
    expect(e.kind).toBe('interrupted');
    await s.close();
  });
});

describe('httpRequestStream', () => {
  it('streams a big body chunk by chunk', async () => {
    const total = 8 * 1024 * 1024;
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const r = await httpRequestStream(baseConfig(), { url: s.url });
    expect(r.status).toBe(200);
    expect(r.contentLength).toBe(total);
    let n = 0;
    for await (const c of r.body) n += c.byteLength;
    expect(n).toBe(total);
    await s.close();
  });

  it('aborts when maxBytes is exceeded', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 7);
      let closed = false;
      res.on('close', () => (closed = true));
      const pump = (): void => {
        while (!closed) if (!res.write(chunk)) return void res.once('drain', pump);
      };
      pump();
    });
    const r = await httpRequestStream(baseConfig(), { url: s.url, maxBytes: 100_000 });
    let err: unknown;
    try {
      for await (const _c of r.body) {
        /* consume */
      }
    } catch (e) {
      err = e;
    }
    expect((err as AtcliError).code).toBe('ResponseTooLarge');
    await s.close();
  });

  it('the deadline does not cut off a body that keeps flowing; an idle body times out', async () => {
    const s = await startServer((req, res) => {
      res.writeHead(200);
      let i = 0;
      const t = setInterval(() => {
        res.write('x');
        if (++i === 6 && req.url === '/flow') {
          clearInterval(t);
          res.end();
        }
        if (i === 2 && req.url === '/stall') clearInterval(t);
      }, 100);
      res.on('close', () => clearInterval(t));
    });
    // A body this slow is stopped by the rate floor (tested below); here only idleness counts.
    const r = await httpRequestStream(baseConfig({ timeoutMs: 350, minBytesPerSecond: 0 }), { url: `${s.url}/flow` });
    let n = 0;
    for await (const c of r.body) n += c.byteLength;
    expect(n).toBe(6);
    const r2 = await httpRequestStream(baseConfig({ timeoutMs: 350, minBytesPerSecond: 0 }), { url: `${s.url}/stall` });
    let err: unknown;
    try {
      for await (const _c of r2.body) {
        /* consume */
      }
    } catch (e) {
      err = e;
    }
    expect((err as AtcliError).code).toBe('Timeout');
    await s.close();
  });
});

/** Pull the SNI host name out of a TLS ClientHello. */
function extractSni(buf: Buffer): string | undefined {
  try {
    let p = 5 + 4 + 2 + 32; // record header, handshake header, version, random
    p += 1 + buf[p]!; // session id
    p += 2 + buf.readUInt16BE(p); // cipher suites
    p += 1 + buf[p]!; // compression
    const extEnd = p + 2 + buf.readUInt16BE(p);
    p += 2;
    while (p < extEnd) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      if (type === 0) {
        const nameLen = buf.readUInt16BE(p + 4 + 3);
        return buf.subarray(p + 4 + 5, p + 4 + 5 + nameLen).toString('ascii');
      }
      p += 4 + len;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

describe('streamed transfers from a hostile server', () => {
  async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; err: AtcliError | undefined }> {
    let bytes = 0;
    try {
      for await (const c of body) bytes += c.byteLength;
    } catch (e) {
      return { bytes, err: e as AtcliError };
    }
    return { bytes, err: undefined };
  }

  it('stops a server that trickles a byte at a time (below the minimum rate), however long it would go on', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      const t = setInterval(() => res.write('x'), 150);
      res.on('close', () => clearInterval(t));
    });
    const t0 = Date.now();
    const r = await httpRequestStream(baseConfig({ timeoutMs: 400 }), { url: s.url });
    const { err } = await drain(r.body);
    expect(err?.code).toBe('TransferTooSlow');
    expect(err?.exitCode).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000);
    await s.close();
  });

  it('a slow consumer does not count against the server', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200);
      let i = 0;
      const t = setInterval(() => {
        res.write(Buffer.alloc(64 * 1024, 1));
        if (++i === 8) {
          clearInterval(t);
          res.end();
        }
      }, 5);
      res.on('close', () => clearInterval(t));
    });
    const r = await httpRequestStream(baseConfig({ timeoutMs: 300, minBytesPerSecond: 100_000 }), { url: s.url });
    let bytes = 0;
    for await (const c of r.body) {
      bytes += c.byteLength;
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    expect(bytes).toBe(8 * 64 * 1024);
    await s.close();
  });

  it('ends a transfer at its overall deadline even while data keeps flowing fast enough', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write(Buffer.alloc(16 * 1024, 1)), 10);
      res.on('close', () => clearInterval(t));
    });
    const t0 = Date.now();
    const r = await httpRequestStream(baseConfig({ timeoutMs: 1000, transferTimeoutMs: 600 }), { url: s.url });
    const { bytes, err } = await drain(r.body);
    expect(err?.code).toBe('TransferTimeout');
    expect(bytes).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    await s.close();
  });
});

describe('timeouts a timer cannot hold', () => {
  it.each([2 ** 31, 2 ** 40, Number.POSITIVE_INFINITY, 0, -5, Number.NaN])('refuses timeoutMs %d as a usage error before any request', async (timeoutMs) => {
    const e = await rejection(httpRequest(baseConfig({ timeoutMs }), { url: 'https://example.com/', maxBytes: 10 }));
    expect(e.code).toBe('InvalidTimeout');
    expect(e.exitCode).toBe(2);
    const e2 = await rejection(httpRequestStream(baseConfig({ timeoutMs }), { url: 'https://example.com/' }));
    expect(e2.code).toBe('InvalidTimeout');
  });

  it('accepts the largest delay a timer holds', () => {
    expect(checkTimeoutMs(2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(() => checkTimeoutMs(2 ** 31, 'the transfer deadline')).toThrow(/transfer deadline/);
  });
});
