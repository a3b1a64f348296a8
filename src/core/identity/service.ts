/**
 * A service named in a DID document (spec:did "DID Documents", https://atproto.com/specs/did):
 * `did:…#service_id` → the entry's `serviceEndpoint`, checked like a PDS endpoint (scheme, host,
 * port only; https, or http on loopback in dev mode).
 */
import { invalid, notFound } from '../errors.js';
import { parseServiceRef } from '../xrpc/index.js';
import { resolveDid } from './did.js';
import { checkDocumentId, checkPdsEndpoint } from './document.js';
import type { IdentityConfig } from './types.js';
import { quote } from './util.js';

export interface ResolvedService {
  did: string;
  /** "#service_id" as the document names it */
  id: string;
  type: string;
  /** the checked endpoint: scheme://host[:port] */
  endpoint: string;
}

/**
 * Resolves `did#service_id` to its endpoint. Throws notFound 'ServiceNotFound' when the document
 * has no such entry and invalid 'InvalidServiceEndpoint' when the entry's endpoint is unusable;
 * DID resolution errors pass through.
 */
export async function resolveServiceEndpoint(config: IdentityConfig, ref: string): Promise<ResolvedService> {
  const { did, id } = parseServiceRef(ref);
  const doc = await resolveDid(config, did);
  checkDocumentId(did, doc);
  const services = Array.isArray(doc['service']) ? (doc['service'] as unknown[]) : [];
  const wanted = new Set([`#${id}`, `${did}#${id}`]);
  for (const svc of services) {
    if (typeof svc !== 'object' || svc === null) continue;
    const entry = svc as Record<string, unknown>;
    if (typeof entry['id'] !== 'string' || !wanted.has(entry['id'])) continue;
    const checked = checkPdsEndpoint(entry['serviceEndpoint'], { dev: config.dev === true });
    if ('reason' in checked) {
      throw invalid('InvalidServiceEndpoint', `the DID document of ${did} names service #${id}, but ${checked.reason}`, {
        details: { did, id },
      });
    }
    return { did, id: `#${id}`, type: typeof entry['type'] === 'string' ? entry['type'] : '', endpoint: checked.url };
  }
  const known = services
    .map((s) => (typeof s === 'object' && s !== null ? (s as { id?: unknown }).id : undefined))
    .filter((x): x is string => typeof x === 'string')
    .map((x) => quote(x.slice(x.indexOf('#')), 40));
  throw notFound('ServiceNotFound', `the DID document of ${did} has no service #${id}${known.length > 0 ? ` (it has ${known.slice(0, 10).join(', ')})` : ' (it lists no services)'}`, {
    details: { did, id },
  });
}
