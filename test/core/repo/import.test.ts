// Uploading a repository CAR (com.atproto.repo.importRepo) to a loopback server that records what
// it received: the bytes as they are, with the CAR content type; a CAR over the cap is refused
// before anything is sent.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { closeHttp } from '../../../src/core/net/http.js';
import { XrpcClient } from '../../../src/core/xrpc/index.js';
import { importRepoCar } from '../../../src/core/repo/import.js';
import { baseConfig, startServer } from '../net/helpers.js';
import { tempDir } from '../../cli/run-cli.js';
import { buildRepo } from './repo-builder.js';

afterAll(async () => {
  await closeHttp();
});

function bytesOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

describe('importRepoCar', () => {
  const repo = buildRepo();
  const file = join(tempDir('atcli-import-'), 'repo.car');
  writeFileSync(file, repo.car);

  it('sends the file as it is, as application/vnd.ipld.car, to importRepo', async () => {
    const seen: Array<{ url: string; type: string | undefined; body: Buffer }> = [];
    const server = await startServer(async (req, res) => {
      seen.push({ url: req.url ?? '', type: req.headers['content-type'], body: await bytesOf(req) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    try {
      const client = new XrpcClient({ service: server.url, http: baseConfig({ allowPrivateNetwork: true }) });
      expect(await importRepoCar(client, file)).toEqual({ bytes: repo.car.length });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.url).toBe('/xrpc/com.atproto.repo.importRepo');
      expect(seen[0]?.type).toBe('application/vnd.ipld.car');
      expect(Buffer.compare(seen[0]!.body, Buffer.from(repo.car))).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('refuses a CAR larger than the cap without sending anything', async () => {
    let calls = 0;
    const server = await startServer((_req, res) => {
      calls++;
      res.end('{}');
    });
    try {
      const client = new XrpcClient({ service: server.url, http: baseConfig({ allowPrivateNetwork: true }) });
      await expect(importRepoCar(client, file, { maxBytes: repo.car.length - 1 })).rejects.toMatchObject({ kind: 'usage', code: 'CarTooLarge' });
      expect(calls).toBe(0);
    } finally {
      await server.close();
    }
  });
});
