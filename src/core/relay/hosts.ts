/**
 * A relay's upstream hosts (`com.atproto.sync.listHosts`, `getHostStatus`) and crawl requests
 * (`com.atproto.sync.requestCrawl`), https://atproto.com/specs/sync. A relay is addressed as
 * https://host or by its firehose form wss://host; both name the same XRPC service.
 */
import { notFound, runtime } from '../errors.js';
import type { HttpConfig } from '../net/http.js';
import { serviceOrigin } from '../net/service-url.js';
import { describePds } from '../pds/server.js';
import { XrpcClient, XrpcError, paginate, sanitizeRemoteText } from '../xrpc/index.js';

/** An XRPC client for the relay at `url` (https://, wss://, or a bare host). */
export function relayClient(http: HttpConfig, url: string): XrpcClient {
  return new XrpcClient({ service: serviceOrigin(url), http });
}

export interface RelayHost {
  hostname: string;
  /** the relay's recent sequence number for the host's stream */
  seq?: number;
  accountCount?: number;
  /** active, idle, offline, throttled, banned, … */
  status?: string;
}

function parseHost(v: unknown): RelayHost | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['hostname'] !== 'string' || o['hostname'] === '') return undefined;
  const host: RelayHost = { hostname: sanitizeRemoteText(o['hostname'], 260) };
  if (typeof o['seq'] === 'number' && Number.isSafeInteger(o['seq'])) host.seq = o['seq'];
  if (typeof o['accountCount'] === 'number' && Number.isSafeInteger(o['accountCount'])) host.accountCount = o['accountCount'];
  if (typeof o['status'] === 'string' && o['status'] !== '') host.status = sanitizeRemoteText(o['status'], 40);
  return host;
}

/** Every host the relay consumes from, page by page. */
export async function* listHosts(client: XrpcClient, opts: { pageSize?: number } = {}): AsyncGenerator<RelayHost, void, undefined> {
  const limit = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? 500)));
  for await (const page of paginate(client, 'com.atproto.sync.listHosts', 'hosts', { limit })) {
    for (const entry of page) {
      const host = parseHost(entry);
      if (host !== undefined) yield host;
    }
  }
}

/** `getHostStatus`. Throws notFound 'RelayHostUnknown' when the relay does not know the host (the lexicon's HostNotFound). */
export async function hostStatus(client: XrpcClient, hostname: string): Promise<RelayHost> {
  const nsid = 'com.atproto.sync.getHostStatus';
  const name = hostnameOf(hostname);
  let out: unknown;
  try {
    out = await client.query<unknown>(nsid, { hostname: name });
  } catch (err) {
    if (err instanceof XrpcError && (err.xrpcError === 'HostNotFound' || err.status === 404)) {
      throw notFound('RelayHostUnknown', `${new URL(client.service).host} does not know the host ${name}`, { details: { hostname: name } });
    }
    throw err;
  }
  const host = parseHost(out);
  if (host === undefined) throw runtime('InvalidResponse', `${nsid}: the answer has no "hostname"`);
  return host;
}

/** The hostname a relay knows a host by: the host (and port, if any) without scheme or path. */
export function hostnameOf(input: string): string {
  return new URL(serviceOrigin(input)).host;
}

export interface CrawlRequest {
  relay: string;
  hostname: string;
  /** what the host answered to describeServer before the relay was asked */
  pds: { url: string; did: string };
}

/**
 * Asks a relay to crawl a PDS, after checking that the PDS answers `describeServer` (a relay
 * refuses, or silently drops, hosts that do not). Throws runtime 'PdsNotAnswering' when the check
 * fails, and runtime 'HostBanned' when the relay has banned the host.
 */
export async function requestCrawl(http: HttpConfig, relayUrl: string, pdsHost: string): Promise<CrawlRequest> {
  const client = relayClient(http, relayUrl);
  const pdsUrl = serviceOrigin(pdsHost);
  let did: string;
  try {
    did = (await describePds(http, pdsUrl)).did;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw runtime('PdsNotAnswering', `${pdsUrl} does not answer com.atproto.server.describeServer, so a relay would not crawl it: ${why}`, {
      hint: 'the PDS must be reachable over https at its hostname and serve describeServer before a relay can crawl it',
      cause: err,
      details: { pds: pdsUrl },
    });
  }
  const hostname = new URL(pdsUrl).host;
  try {
    await client.procedure('com.atproto.sync.requestCrawl', { hostname });
  } catch (err) {
    if (err instanceof XrpcError && err.xrpcError === 'HostBanned') {
      throw runtime('HostBanned', `${new URL(client.service).host} has banned the host ${hostname}`, { details: { hostname } });
    }
    throw err;
  }
  return { relay: client.service, hostname, pds: { url: pdsUrl, did } };
}
