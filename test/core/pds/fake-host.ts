/**
 * A fake host serving listRepos (pages of `pageSize`, cursor = index) and getRepoStatus from an
 * array, on loopback with real HTTP: for the paging, filtering and diff logic with orders and
 * answers a real PDS or relay will not produce on demand.
 */
import { startServer, type TestServer } from '../net/helpers.js';

export interface FakeRepo {
  did: string;
  rev?: string;
  active?: boolean;
  status?: string;
  [k: string]: unknown;
}

export interface FakeHost extends TestServer {
  repos: FakeRepo[];
  calls: Record<string, number>;
}

export async function startFakeHost(repos: FakeRepo[], opts: { pageSize?: number; loopCursor?: boolean } = {}): Promise<FakeHost> {
  const calls: Record<string, number> = {};
  const host = (await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const nsid = url.pathname.replace('/xrpc/', '');
    calls[nsid] = (calls[nsid] ?? 0) + 1;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (nsid === 'com.atproto.sync.listRepos') {
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const size = opts.pageSize ?? Number(url.searchParams.get('limit') ?? 500);
      const page = repos.slice(start, start + size).map((r) => ({ head: 'bafyhead', rev: '3kaaaaaaaaaa2', ...r }));
      return send(200, { repos: page, cursor: opts.loopCursor ? '0' : start + size < repos.length ? String(start + size) : undefined });
    }
    if (nsid === 'com.atproto.sync.getRepoStatus') {
      const r = repos.find((x) => x.did === url.searchParams.get('did'));
      if (!r) return send(400, { error: 'RepoNotFound', message: 'no such repo' });
      return send(200, { did: r.did, active: r.active !== false, ...(r.status ? { status: r.status } : {}), ...(r.rev ? { rev: r.rev } : {}) });
    }
    send(501, { error: 'MethodNotImplemented' });
  })) as FakeHost;
  host.repos = repos;
  host.calls = calls;
  return host;
}

/** did:plc:<24 chars> from a number, stable and valid. */
export function fakeDid(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let s = '';
  let x = n + 1;
  for (let i = 0; i < 24; i++) {
    s += alphabet[x % 32];
    x = Math.floor(x / 32) + i * 7 + n;
  }
  return `did:plc:${s}`;
}
