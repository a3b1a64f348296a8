import { afterEach, describe, expect, it } from 'vitest';
import { ATPROTO_PROXY_HEADER, XrpcClient, adminAuthorization, parseHeaderLine, parseHeaderLines, parseServiceRef, proxyHeader } from '../../../src/core/xrpc/index.js';
import { clientWithSignal } from '../../../src/core/blob/index.js';
import { baseConfig, startServer, type TestServer } from '../net/helpers.js';

describe('header lines', () => {
  it.each([
    ['Atproto-Proxy: did:web:api.bsky.app#bsky_appview', 'atproto-proxy', 'did:web:api.bsky.app#bsky_appview'],
    ['x-custom:value with spaces  ', 'x-custom', 'value with spaces'],
    ['Accept-Language:   en, de;q=0.5', 'accept-language', 'en, de;q=0.5'],
    ['x-empty:', 'x-empty', ''],
  ])('%s', (line, name, value) => {
    expect(parseHeaderLine(line)).toEqual({ name, value });
  });

  it.each([
    ['no colon', 'InvalidHeader'],
    [': value', 'InvalidHeader'],
    ['bad name: x', 'InvalidHeader'],
    ['x-a: one\r\nx-b: smuggled', 'InvalidHeader'],
    ['x-a: bell\u0007', 'InvalidHeader'],
    ['Host: evil.example', 'ReservedHeader'],
    ['content-length: 5', 'ReservedHeader'],
  ])('refuses %j', (line, code) => {
    expect(() => parseHeaderLine(line)).toThrow(expect.objectContaining({ code, kind: 'usage' }));
  });

  it('several lines: the last of a repeated name wins', () => {
    expect(parseHeaderLines(['x-a: 1', 'X-A: 2', 'x-b: 3'])).toEqual({ 'x-a': '2', 'x-b': '3' });
  });
});

describe('service references and proxying', () => {
  it('parses did#service', () => {
    expect(parseServiceRef('did:web:api.bsky.app#bsky_appview')).toEqual({ did: 'did:web:api.bsky.app', id: 'bsky_appview' });
    expect(parseServiceRef('did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto_labeler')).toEqual({ did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', id: 'atproto_labeler' });
    expect(proxyHeader('did:web:api.bsky.app#bsky_appview')).toEqual({ [ATPROTO_PROXY_HEADER]: 'did:web:api.bsky.app#bsky_appview' });
  });

  it.each(['did:web:api.bsky.app', 'did:web:api.bsky.app#', 'nodid#x', 'did:web:api.bsky.app#bad id', 'did:web:a#b\r\nx: y'])('refuses %j', (ref) => {
    expect(() => parseServiceRef(ref)).toThrow(expect.objectContaining({ code: 'InvalidServiceRef', kind: 'usage' }));
  });
});

describe('admin authorization', () => {
  it('is Basic admin:<password>', () => {
    const h = adminAuthorization('s3cret pw');
    expect(h).toEqual({ authorization: `Basic ${Buffer.from('admin:s3cret pw').toString('base64')}` });
  });

  it('refuses an empty password or a line break, without echoing it', () => {
    expect(() => adminAuthorization('')).toThrow(expect.objectContaining({ code: 'AdminPasswordMissing' }));
    try {
      adminAuthorization('hunter2\nx');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('default headers on a client', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('go with every call, a call may override them, and a client with another signal keeps them', async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    server = await startServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const client = new XrpcClient({ service: server.url, http: baseConfig(), headers: { 'X-Extra': 'one', ...proxyHeader('did:web:example.com#svc') } });
    await client.query('com.example.ping');
    await client.query('com.example.ping', {}, { headers: { 'x-extra': 'two' } });
    await clientWithSignal(client, new AbortController().signal).procedure('com.example.ping', { a: 1 });
    expect(seen.map((h) => [h['x-extra'], h['atproto-proxy']])).toEqual([
      ['one', 'did:web:example.com#svc'],
      ['two', 'did:web:example.com#svc'],
      ['one', 'did:web:example.com#svc'],
    ]);
  });
});
