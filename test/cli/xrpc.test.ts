// `atcli xrpc query|procedure` in-process against a small XRPC server on loopback: how responses
// are printed by content type, -o written atomically and never over an existing file without
// --force, request bodies from files, stdin and key=value words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn, type InProcessResult } from '../support/test-io.js';
import { readBody, startServer, type TestServer } from '../core/net/helpers.js';

const BINARY = Buffer.from([0x3a, 0xa2, 0x65, 0x72, 0x6f, 0x6f, 0x74, 0x73, 0x00, 0xff, 0xfe]);

function jsonError(r: InProcessResult): { code: string; message: string; hint?: string } {
  return (JSON.parse(r.stderr.trim().split('\n').pop() as string) as { error: { code: string; message: string; hint?: string } }).error;
}

describe('atcli xrpc', () => {
  let server: TestServer;
  let flags: string[];
  const seen: Array<{ method: string; path: string; body: string; contentType: string | undefined }> = [];

  beforeAll(async () => {
    server = await startServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, body: await readBody(req), contentType: req.headers['content-type'] });
      const send = (status: number, type: string, body: string | Buffer): void => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      switch (url.pathname) {
        case '/xrpc/com.example.json':
          return send(200, 'application/json', JSON.stringify({ params: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])) }));
        case '/xrpc/com.example.text':
          return send(200, 'text/plain; charset=utf-8', 'plain words\n');
        case '/xrpc/com.example.binary':
          return send(200, 'application/vnd.ipld.car', BINARY);
        case '/xrpc/com.example.echo':
          return send(200, 'application/json', JSON.stringify({ got: JSON.parse(seen[seen.length - 1]!.body || 'null') }));
        case '/xrpc/com.example.missing':
          return send(400, 'application/json', JSON.stringify({ error: 'RecordNotFound', message: 'Could not locate record' }));
        default:
          return send(501, 'application/json', JSON.stringify({ error: 'MethodNotImplemented', message: 'Method Not Implemented' }));
      }
    });
    flags = ['--dev', '--timeout', '5'];
  });
  afterAll(async () => {
    await server.close();
  });

  it('query: JSON pretty-printed, repeated keys as arrays, text as is; an error keeps its exit status', async () => {
    const r = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.json', 'a=1', 'b=x', 'b=y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ params: { a: ['1'], b: ['x', 'y'] } }, null, 2)}\n`);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', path: '/xrpc/com.example.json?a=1&b=x&b=y' });
    const text = await runIn([...flags, 'xrpc', 'query', `${server.url}/`, 'com.example.text']);
    expect(text.stdout).toBe('plain words\n');
    const missing = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.missing', '--json']);
    expect(missing.code).toBe(4);
    expect(jsonError(missing).code).toBe('RecordNotFound');
  });

  it('query: a binary body goes to a pipe byte for byte, is refused on a terminal, and -o writes it', async () => {
    const piped = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.binary']);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.io.stdoutBytes().equals(BINARY)).toBe(true);
    const tty = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.binary'], { tty: { stdout: true } });
    expect(tty.code).toBe(2);
    expect(tty.stderr).toContain('the response is binary (application/vnd.ipld.car, 11 bytes) and stdout is a terminal');
    expect(tty.stderr).toContain('-o <path>');
  });

  it('query -o: never over an existing file without --force (nothing is requested); with --force replaced atomically', async () => {
    const dir = tempDir('atcli-xrpc-out-');
    const file = join(dir, 'repo.car');
    const written = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.binary', '-o', file]);
    expect(written.code, written.stderr).toBe(0);
    expect(readFileSync(file).equals(BINARY)).toBe(true);
    expect(written.stderr).toBe(`wrote 11 B (application/vnd.ipld.car) to ${file}\n`);

    writeFileSync(file, 'keep me');
    const requests = seen.length;
    const refused = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.binary', '-o', file, '--json']);
    expect(refused.code).toBe(2);
    expect(jsonError(refused)).toMatchObject({ code: 'FileExists', hint: expect.stringContaining('--force') });
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(seen.length).toBe(requests);

    const forced = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.binary', '--output', file, '-f']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(file).equals(BINARY)).toBe(true);
    expect(readdirSync(dir)).toEqual(['repo.car']);

    // A failed call leaves the existing file as it was.
    const failed = await runIn([...flags, 'xrpc', 'query', server.url, 'com.example.missing', '-o', file, '--force']);
    expect(failed.code).toBe(4);
    expect(readFileSync(file).equals(BINARY)).toBe(true);
    expect(readdirSync(dir)).toEqual(['repo.car']);
  });

  it('procedure: the body from @file, @- (stdin) or key=value fields', async () => {
    const dir = tempDir('atcli-xrpc-body-');
    const body = join(dir, 'body.json');
    writeFileSync(body, '{"text":"from a file","n":1}');
    const fromFile = await runIn([...flags, 'xrpc', 'procedure', server.url, 'com.example.echo', `@${body}`]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual({ got: { text: 'from a file', n: 1 } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', contentType: 'application/json' });
    const fromStdin = await runIn([...flags, 'xrpc', 'procedure', server.url, 'com.example.echo', '@-'], { stdin: '{"from":"stdin"}' });
    expect(JSON.parse(fromStdin.stdout)).toEqual({ got: { from: 'stdin' } });
    const fields = await runIn([...flags, 'xrpc', 'procedure', server.url, 'com.example.echo', 'handle=alice.example.com']);
    expect(JSON.parse(fields.stdout)).toEqual({ got: { handle: 'alice.example.com' } });
  });

  it('usage errors: words that are not key=value, a body for a query, two bodies, a bad NSID or service; @pds needs a login', async () => {
    for (const args of [
      ['xrpc', 'query', server.url, 'com.example.json', 'novalue'],
      ['xrpc', 'query', server.url, 'com.example.json', '@body.json'],
      ['xrpc', 'procedure', server.url, 'com.example.echo', '@a.json', '@b.json'],
      ['xrpc', 'procedure', server.url, 'com.example.echo', '@a.json', 'k=v'],
      ['xrpc', 'query', server.url, 'not an nsid'],
      ['xrpc', 'query', 'ftp://example.com', 'com.example.json'],
    ]) {
      const r = await runIn([...flags, ...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const pds = await runIn(['xrpc', 'query', '@pds', 'com.atproto.server.getSession', '--json']);
    expect(pds.code).toBe(5);
    expect(jsonError(pds)).toMatchObject({ code: 'NotLoggedIn', hint: expect.stringContaining('atcli account login') });
  });
});
