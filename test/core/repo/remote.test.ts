import { afterAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { downloadRepoCar } from '../../../src/core/repo/remote.js';
import { XrpcClient } from '../../../src/core/xrpc/client.js';
import { baseConfig, startServer } from '../net/helpers.js';

afterAll(() => closeHttp());

describe('downloadRepoCar', () => {
  it('refuses a declared length beyond the byte limit before reading the body', async () => {
    let wrote = 0;
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': String(10 ** 15) });
      const t = setInterval(() => {
        wrote += 65536;
        res.write(Buffer.alloc(65536));
      }, 5);
      res.on('close', () => clearInterval(t));
    });
    const client = new XrpcClient({ service: s.url, http: baseConfig() });
    const err = await downloadRepoCar(client, 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).code).toBe('ResponseTooLarge');
    expect((err as AtcliError).exitCode).toBe(1);
    expect(wrote).toBeLessThan(50 * 65536);
    await s.close();
  });

  it('stops an endless body at the byte limit', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      const t = setInterval(() => res.write(Buffer.alloc(65536)), 1);
      res.on('close', () => clearInterval(t));
    });
    const client = new XrpcClient({ service: s.url, http: baseConfig() });
    const download = await downloadRepoCar(client, 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw', { maxBytes: 1 << 20 });
    let bytes = 0;
    const err = await (async () => {
      for await (const c of download.body) bytes += c.byteLength;
    })().catch((e: unknown) => e);
    expect((err as AtcliError).code).toBe('ResponseTooLarge');
    expect(bytes).toBeLessThanOrEqual(1 << 20);
    await s.close();
  });
});
