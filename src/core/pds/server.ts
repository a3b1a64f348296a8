/**
 * What a PDS says about itself: `com.atproto.server.describeServer` (its service DID, the handle
 * domains it offers, invite and verification requirements, links, contact) and its health
 * endpoint `/xrpc/_health` (the reference PDS answers `{version}`; 503 with an error when its
 * database is unusable).
 */
import { runtime } from '../errors.js';
import { httpRequest, type HttpConfig } from '../net/http.js';
import { serviceOrigin } from '../net/service-url.js';
import { describeServer, type ServerDescription } from '../account/admin.js';
import { XrpcClient, sanitizeRemoteText } from '../xrpc/index.js';

export interface PdsDescription extends ServerDescription {
  /** the URL asked */
  url: string;
}

/** `describeServer` of the PDS at `url` (https://host, a bare host, or http:// on loopback). */
export async function describePds(http: HttpConfig, url: string): Promise<PdsDescription> {
  const origin = serviceOrigin(url);
  const description = await describeServer(new XrpcClient({ service: origin, http }));
  return { url: origin, ...description };
}

export interface PdsHealth {
  url: string;
  /** the endpoint answered 2xx */
  healthy: boolean;
  /** HTTP status of the answer */
  status: number;
  /** the software version the server reports, when it does */
  version?: string;
  /** the server's own error text, when unhealthy */
  error?: string;
  /** time to the full answer (ms) */
  latencyMs: number;
}

const HEALTH_MAX_BYTES = 64 * 1024;

/**
 * GET `<url>/xrpc/_health`. An answer of any status is a result (`healthy` false for non-2xx);
 * only a host that does not answer at all throws (NetworkError, Timeout, …).
 */
export async function pdsHealth(http: HttpConfig, url: string): Promise<PdsHealth> {
  const origin = serviceOrigin(url);
  const started = Date.now();
  const res = await httpRequest(http, { url: `${origin}/xrpc/_health`, headers: { accept: 'application/json' }, maxBytes: HEALTH_MAX_BYTES });
  const out: PdsHealth = { url: origin, healthy: res.status >= 200 && res.status < 300, status: res.status, latencyMs: Date.now() - started };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(res.body).toString('utf8'));
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null) {
    const o = body as Record<string, unknown>;
    if (typeof o['version'] === 'string') out.version = sanitizeRemoteText(o['version'], 100);
    const err = typeof o['error'] === 'string' ? o['error'] : typeof o['message'] === 'string' ? o['message'] : undefined;
    if (err !== undefined && !out.healthy) out.error = sanitizeRemoteText(err, 200);
  } else if (out.healthy) {
    throw runtime('InvalidResponse', `${origin}/xrpc/_health answered HTTP ${res.status} with a body that is not JSON`, {
      details: { url: origin, status: res.status },
    });
  }
  return out;
}
