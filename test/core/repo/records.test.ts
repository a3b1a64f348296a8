// Record listing across collections and CID arguments, against a loopback server that answers
// describeRepo and listRecords in pages (the real PDS is exercised in test/cli/record.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../../../src/core/net/http.js';
import { XrpcClient } from '../../../src/core/xrpc/index.js';
import { listAccountRecords, parseCidArgument } from '../../../src/core/repo/records.js';
import { baseConfig, startServer } from '../net/helpers.js';

afterAll(async () => {
  await closeHttp();
});

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
const STORE: Record<string, string[]> = {
  'app.bsky.feed.post': ['3kaaaaaaaaaa2', '3kaaaaaaaaaa3', '3kaaaaaaaaaa4'],
  'app.bsky.feed.like': ['3kaaaaaaaaab2', '3kaaaaaaaaab3'],
};

async function fakePds(): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(`${url.pathname.slice('/xrpc/'.length)} ${url.searchParams.get('collection') ?? ''} ${url.searchParams.get('limit') ?? ''}`.trim());
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.pathname === '/xrpc/com.atproto.repo.describeRepo') {
      res.end(JSON.stringify({ collections: Object.keys(STORE) }));
      return;
    }
    const collection = url.searchParams.get('collection') as string;
    const limit = Number(url.searchParams.get('limit'));
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const keys = (STORE[collection] ?? []).slice(start, start + limit);
    const next = start + keys.length < (STORE[collection] ?? []).length ? String(start + keys.length) : undefined;
    res.end(JSON.stringify({ records: keys.map((k) => ({ uri: `at://${DID}/${collection}/${k}`, cid: CID, value: {} })), ...(next ? { cursor: next } : {}) }));
  });
  return { url: server.url, asked, close: () => server.close() };
}

describe('listAccountRecords', () => {
  it('walks every collection of the repository when none is named', async () => {
    const pds = await fakePds();
    try {
      const client = new XrpcClient({ service: pds.url, http: baseConfig({ allowPrivateNetwork: true }) });
      const { collections, records } = await listAccountRecords(client, DID, { pageSize: 2 });
      expect(collections).toEqual(['app.bsky.feed.post', 'app.bsky.feed.like']);
      const got: string[] = [];
      for await (const r of records) got.push(`${r.collection}/${r.rkey}`);
      expect(got).toEqual(Object.entries(STORE).flatMap(([c, keys]) => keys.map((k) => `${c}/${k}`)));
    } finally {
      await pds.close();
    }
  });

  it('stops after the limit in all, asking only for what is still wanted', async () => {
    const pds = await fakePds();
    try {
      const client = new XrpcClient({ service: pds.url, http: baseConfig({ allowPrivateNetwork: true }) });
      const { records } = await listAccountRecords(client, DID, { collections: ['app.bsky.feed.like', 'app.bsky.feed.post', 'app.bsky.feed.like'], limit: 3 });
      const got: string[] = [];
      for await (const r of records) got.push(`${r.collection}/${r.rkey}`);
      expect(got).toEqual(['app.bsky.feed.like/3kaaaaaaaaab2', 'app.bsky.feed.like/3kaaaaaaaaab3', 'app.bsky.feed.post/3kaaaaaaaaaa2']);
      expect(pds.asked).toEqual(['com.atproto.repo.listRecords app.bsky.feed.like 3', 'com.atproto.repo.listRecords app.bsky.feed.post 1']);
    } finally {
      await pds.close();
    }
  });
});

describe('parseCidArgument', () => {
  it('normalises a CID and refuses what does not decode as one, naming no flag', () => {
    expect(parseCidArgument(CID)).toBe(CID);
    for (const bad of ['nope', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6', '']) {
      let error: unknown;
      try {
        parseCidArgument(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ kind: 'usage', code: 'InvalidCid' });
      expect((error as Error).message).not.toContain('--');
    }
  });
});
