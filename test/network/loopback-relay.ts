// A relay for tests, on loopback, serving the relay half of com.atproto.sync as the bundled
// lexicons define it (no relay implementation installs from the npm registry: `npm view` finds
// no package of the reference Go relay, and @atproto/* ships none).
//
// Every query's parameters are checked against its lexicon (types, required, minimum/maximum) and
// every answer is validated against the lexicon's output schema before it is sent, so a test
// against this relay tests against the lexicons' shapes.
//
// State comes from real PDSes: `requestCrawl` (or `crawl()`) reads the host's describeServer and
// its whole com.atproto.sync.listRepos. Tests make it lag or differ on demand: `hold(did)` keeps an
// account at its current state through later crawls, `set(did, …)` overrides it, `forget(did)`
// drops it, `setHost(…)` changes a host's status.
//
// Served: listRepos, getRepoStatus, getLatestCommit, listHosts, getHostStatus, requestCrawl.
// Everything else answers 501 MethodNotImplemented.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LexiconCatalog, loadLexiconDocument, validateData } from '../../src/core/lexicon/index.js';
import { jsonToCbor } from '../../src/core/codec/index.js';

const SERVED = [
  'com.atproto.sync.listRepos',
  'com.atproto.sync.getRepoStatus',
  'com.atproto.sync.getLatestCommit',
  'com.atproto.sync.listHosts',
  'com.atproto.sync.getHostStatus',
  'com.atproto.sync.requestCrawl',
] as const;
type Served = (typeof SERVED)[number];

export interface RelayAccount {
  did: string;
  head: string;
  rev: string;
  active: boolean;
  status?: string;
  /** the host it was crawled from */
  host: string;
}

export interface RelayHostState {
  hostname: string;
  status: string;
  seq: number;
  /** the URL it is crawled at */
  url: string;
}

export interface LoopbackRelay {
  url: string;
  /** every hostname requestCrawl was called with, in order (also refused ones) */
  crawlRequests: string[];
  /** re-read every host (or one) from its listRepos; held accounts keep their state */
  crawl(hostname?: string): Promise<void>;
  /** keep this account's current state through later crawls (a relay that lags on it) */
  hold(did: string): void;
  release(did: string): void;
  /** override what the relay says about an account (held until released) */
  set(did: string, state: Partial<Omit<RelayAccount, 'did'>>): void;
  forget(did: string): void;
  setHost(hostname: string, state: Partial<Omit<RelayHostState, 'hostname'>>): void;
  account(did: string): RelayAccount | undefined;
  hosts(): RelayHostState[];
  close(): Promise<void>;
}

interface Lexicon {
  params: Record<string, { type: string; minimum?: number; maximum?: number; default?: number }>;
  required: string[];
  outputRef?: string;
}

const lexiconDir = fileURLToPath(new URL('../../lexicons/com/atproto/sync/', import.meta.url));

/** The served methods' lexicons, plus one synthetic document holding each output schema as a named def. */
function loadLexicons(): { catalog: LexiconCatalog; methods: Map<Served, Lexicon> } {
  const catalog = new LexiconCatalog();
  const methods = new Map<Served, Lexicon>();
  const outputs: Record<string, unknown> = {};
  for (const file of ['defs', 'listRepos', 'getRepoStatus', 'getLatestCommit', 'listHosts', 'getHostStatus', 'requestCrawl']) {
    catalog.add(loadLexiconDocument(JSON.parse(readFileSync(`${lexiconDir}${file}.json`, 'utf8'))), { replace: true });
  }
  for (const nsid of SERVED) {
    const raw = JSON.parse(readFileSync(`${lexiconDir}${nsid.split('.').pop()}.json`, 'utf8')) as { defs: { main: Record<string, unknown> } };
    const main = raw.defs.main;
    const params = ((main['parameters'] as { properties?: Lexicon['params'] } | undefined)?.properties ?? {}) as Lexicon['params'];
    const required = ((main['parameters'] as { required?: string[] } | undefined)?.required ?? []) as string[];
    const schema = (main['output'] as { schema?: unknown } | undefined)?.schema;
    const lex: Lexicon = { params, required };
    if (schema !== undefined) {
      const name = nsid.split('.').pop() as string;
      outputs[name] = absolutize(schema, nsid);
      lex.outputRef = `test.loopbackrelay.outputs#${name}`;
    }
    methods.set(nsid, lex);
  }
  catalog.add(loadLexiconDocument({ lexicon: 1, id: 'test.loopbackrelay.outputs', defs: outputs }), { replace: true });
  return { catalog, methods };
}

/** Local references (`#repo`) rewritten against the document they came from. */
function absolutize(node: unknown, nsid: string): unknown {
  if (Array.isArray(node)) return node.map((n) => absolutize(n, nsid));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'ref' && typeof v === 'string' && v.startsWith('#')) out[k] = `${nsid}${v}`;
    else if (k === 'refs' && Array.isArray(v)) out[k] = v.map((r) => (typeof r === 'string' && r.startsWith('#') ? `${nsid}${r}` : r));
    else out[k] = absolutize(v, nsid);
  }
  return out;
}

class XrpcFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

function parseParams(lex: Lexicon, query: URLSearchParams): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const name of lex.required) {
    if (!query.has(name)) throw new XrpcFailure(400, 'InvalidRequest', `Error: Params must have the property "${name}"`);
  }
  for (const [name, def] of Object.entries(lex.params)) {
    const raw = query.get(name);
    if (raw === null) {
      if (def.default !== undefined) out[name] = def.default;
      continue;
    }
    if (def.type === 'integer') {
      if (!/^-?[0-9]+$/.test(raw)) throw new XrpcFailure(400, 'InvalidRequest', `Error: ${name} must be an integer`);
      const n = Number(raw);
      if (def.minimum !== undefined && n < def.minimum) throw new XrpcFailure(400, 'InvalidRequest', `Error: ${name} can not be less than ${def.minimum}`);
      if (def.maximum !== undefined && n > def.maximum) throw new XrpcFailure(400, 'InvalidRequest', `Error: ${name} can not be greater than ${def.maximum}`);
      out[name] = n;
    } else {
      out[name] = raw;
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

/** Where a host is crawled: http:// for loopback names (the test PDSes), https:// otherwise. */
function hostUrl(hostname: string): string {
  const bare = hostname.replace(/:[0-9]+$/, '');
  return `${bare === 'localhost' || bare === '127.0.0.1' ? 'http' : 'https'}://${hostname}`;
}

export async function startLoopbackRelay(): Promise<LoopbackRelay> {
  const { catalog, methods } = loadLexicons();
  const accounts = new Map<string, RelayAccount>();
  const held = new Set<string>();
  const hosts = new Map<string, RelayHostState>();
  const crawlRequests: string[] = [];
  let seq = 0;

  const answer = (nsid: Served, body: unknown): unknown => {
    const ref = methods.get(nsid)?.outputRef;
    if (ref !== undefined) {
      const errors = validateData(catalog, ref, jsonToCbor(body));
      if (errors.length > 0) throw new Error(`loopback relay: its own ${nsid} answer breaks the lexicon: ${JSON.stringify(errors)}`);
    }
    return body;
  };

  const crawlHost = async (hostname: string): Promise<void> => {
    const host = hosts.get(hostname);
    if (host === undefined) throw new Error(`loopback relay: unknown host ${hostname}`);
    let cursor: string | undefined;
    for (;;) {
      const url = new URL('/xrpc/com.atproto.sync.listRepos', host.url);
      url.searchParams.set('limit', '1000');
      if (cursor !== undefined) url.searchParams.set('cursor', cursor);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`loopback relay: listRepos of ${hostname}: HTTP ${res.status}`);
      const page = (await res.json()) as { repos: Array<{ did: string; head: string; rev: string; active?: boolean; status?: string }>; cursor?: string };
      for (const r of page.repos) {
        if (held.has(r.did)) continue;
        const entry: RelayAccount = { did: r.did, head: r.head, rev: r.rev, active: r.active !== false, host: hostname };
        if (r.status !== undefined) entry.status = r.status;
        accounts.set(r.did, entry);
        seq++;
      }
      if (page.repos.length === 0 || page.cursor === undefined || page.cursor === cursor) break;
      cursor = page.cursor;
    }
    host.seq = seq;
  };

  const handle = async (nsid: Served, params: Record<string, string | number>, req: IncomingMessage): Promise<unknown> => {
    switch (nsid) {
      case 'com.atproto.sync.listRepos': {
        const all = [...accounts.values()];
        const start = typeof params['cursor'] === 'string' ? Number(params['cursor']) : 0;
        const limit = Number(params['limit'] ?? 500);
        const slice = all.slice(start, start + limit);
        const repos = slice.map((a) => ({ did: a.did, head: a.head, rev: a.rev, active: a.active, ...(a.status !== undefined ? { status: a.status } : {}) }));
        return answer(nsid, { repos, ...(start + limit < all.length ? { cursor: String(start + limit) } : {}) });
      }
      case 'com.atproto.sync.getRepoStatus': {
        const a = accounts.get(String(params['did']));
        if (a === undefined) throw new XrpcFailure(400, 'RepoNotFound', `Could not find repo for DID: ${String(params['did'])}`);
        return answer(nsid, { did: a.did, active: a.active, ...(a.status !== undefined ? { status: a.status } : {}), ...(a.active ? { rev: a.rev } : {}) });
      }
      case 'com.atproto.sync.getLatestCommit': {
        const a = accounts.get(String(params['did']));
        if (a === undefined) throw new XrpcFailure(400, 'RepoNotFound', `Could not find repo for DID: ${String(params['did'])}`);
        return answer(nsid, { cid: a.head, rev: a.rev });
      }
      case 'com.atproto.sync.listHosts': {
        const all = [...hosts.values()];
        const start = typeof params['cursor'] === 'string' ? Number(params['cursor']) : 0;
        const limit = Number(params['limit'] ?? 200);
        const page = all.slice(start, start + limit).map((h) => ({ hostname: h.hostname, seq: h.seq, status: h.status, accountCount: countFor(h.hostname) }));
        return answer(nsid, { hosts: page, ...(start + limit < all.length ? { cursor: String(start + limit) } : {}) });
      }
      case 'com.atproto.sync.getHostStatus': {
        const h = hosts.get(String(params['hostname']));
        if (h === undefined) throw new XrpcFailure(400, 'HostNotFound', `Unknown host: ${String(params['hostname'])}`);
        return answer(nsid, { hostname: h.hostname, seq: h.seq, status: h.status, accountCount: countFor(h.hostname) });
      }
      case 'com.atproto.sync.requestCrawl': {
        const body = (await readBody(req)) as { hostname?: unknown } | undefined;
        const hostname = body?.hostname;
        if (typeof hostname !== 'string' || hostname === '' || /[/\s]/.test(hostname)) throw new XrpcFailure(400, 'InvalidRequest', 'Input must have the property "hostname"');
        crawlRequests.push(hostname);
        const url = hostUrl(hostname);
        // As a relay does: the host must answer describeServer before it is followed.
        const probe = await fetch(`${url}/xrpc/com.atproto.server.describeServer`).catch(() => undefined);
        if (probe === undefined || !probe.ok) throw new XrpcFailure(400, 'InvalidRequest', `host ${hostname} did not answer describeServer`);
        if (hosts.get(hostname)?.status === 'banned') throw new XrpcFailure(400, 'HostBanned', `host ${hostname} is banned`);
        if (!hosts.has(hostname)) hosts.set(hostname, { hostname, status: 'active', seq: 0, url });
        await crawlHost(hostname);
        return undefined;
      }
    }
  };

  const countFor = (hostname: string): number => {
    let n = 0;
    for (const a of accounts.values()) if (a.host === hostname) n++;
    return n;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown): void => {
      const data = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    };
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const nsid = url.pathname.replace(/^\/xrpc\//, '');
    if (!(SERVED as readonly string[]).includes(nsid)) return send(501, { error: 'MethodNotImplemented', message: `Method Not Implemented: ${nsid}` });
    const method = nsid as Served;
    const wantPost = method === 'com.atproto.sync.requestCrawl';
    if ((req.method === 'POST') !== wantPost) return send(405, { error: 'InvalidRequest', message: 'Incorrect HTTP method' });
    Promise.resolve()
      .then(() => handle(method, parseParams(methods.get(method) as Lexicon, url.searchParams), req))
      .then(
        (body) => send(200, body),
        (err: unknown) => {
          if (err instanceof XrpcFailure) send(err.status, { error: err.error, message: err.message });
          else send(500, { error: 'InternalServerError', message: String(err) });
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    crawlRequests,
    async crawl(hostname) {
      for (const h of hostname === undefined ? [...hosts.keys()] : [hostname]) await crawlHost(h);
    },
    hold: (did) => void held.add(did),
    release: (did) => void held.delete(did),
    set(did, state) {
      const before = accounts.get(did);
      const next = { did, head: '', rev: '', active: true, host: '', ...before, ...state } as RelayAccount;
      if (state.active === true && state.status === undefined) delete next.status;
      accounts.set(did, next);
      held.add(did);
    },
    forget(did) {
      accounts.delete(did);
      held.add(did);
    },
    setHost(hostname, state) {
      const before = hosts.get(hostname) ?? { hostname, status: 'active', seq: 0, url: hostUrl(hostname) };
      hosts.set(hostname, { ...before, ...state, hostname });
    },
    account: (did) => {
      const a = accounts.get(did);
      return a === undefined ? undefined : { ...a };
    },
    hosts: () => [...hosts.values()].map((h) => ({ ...h })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
