/**
 * DID resolution: did:plc through the PLC directory, did:web through /.well-known/did.json
 * (invariants I1–I3, J1, N1–N3).
 */
import { AtcliError, invalid, notFound, runtime, usage } from '../errors.js';
import { httpRequest } from '../net/http.js';
import { checkDid, checkDidPlc, checkResolvableHandle, parseDidWeb } from '../syntax/index.js';
import { cacheFor, shareInflight } from './cache.js';
import { checkDocumentId } from './document.js';
import type { DidDocument, IdentityConfig } from './types.js';
import { quote, withContext } from './util.js';

/** N3: DID documents are small; anything bigger is refused. */
export const DID_DOC_MAX_BYTES = 64 * 1024;

export interface ResolveDidOptions {
  /** Skip the cache read (the fresh result is still stored). */
  noCache?: boolean;
}

/**
 * Check a DID typed by a user or found in data, and say which method it uses. Throws usage
 * 'InvalidDid' (syntax) or 'UnsupportedDidMethod'.
 */
export function checkResolvableDid(did: string, opts: { dev?: boolean } = {}): { method: 'plc' | 'web'; url?: string } {
  const caseHint = (): { hint?: string } => {
    const lower = did.toLowerCase();
    return lower !== did && checkDid(lower) === null && (!lower.startsWith('did:plc:') || checkDidPlc(lower) === null)
      ? { hint: `DIDs are case-sensitive; did you mean ${lower}?` }
      : {};
  };
  const reason = checkDid(did);
  if (reason !== null) throw usage('InvalidDid', `invalid DID ${quote(did, 100)}: ${reason}`, caseHint());
  if (did.startsWith('did:plc:')) {
    const plcReason = checkDidPlc(did);
    if (plcReason !== null) throw usage('InvalidDid', `invalid did:plc ${quote(did, 100)}: ${plcReason}`, caseHint());
    return { method: 'plc' };
  }
  if (did.startsWith('did:web:')) {
    const dev = opts.dev === true;
    const { host, port } = parseDidWeb(did, { allowLocalhostPort: dev, allowTest: dev });
    const lowerHost = host.toLowerCase();
    if (lowerHost === 'localhost') {
      if (!dev) {
        throw usage('UnsupportedDidWeb', `${did}: did:web on localhost is only allowed in dev mode`, {
          hint: 'did:web on localhost is for local development.',
        });
      }
      return { method: 'web', url: `http://localhost${port === undefined ? '' : `:${port}`}/.well-known/did.json` };
    }
    if (port !== undefined) {
      throw usage('UnsupportedDidWeb', `${did}: a port is only allowed for did:web:localhost in dev mode`);
    }
    const refusal = checkResolvableHandle(lowerHost, { allowTest: dev });
    if (refusal !== null) {
      throw usage('UnsupportedDidWeb', `${did}: host ${lowerHost} cannot be resolved: ${refusal}`);
    }
    return { method: 'web', url: `https://${lowerHost}/.well-known/did.json` };
  }
  const method = /^did:([a-z]+):/.exec(did)?.[1] ?? '?';
  throw usage('UnsupportedDidMethod', `DID method "${method}" is not supported (atproto uses did:plc and did:web)`, {
    details: { did },
  });
}

export function plcDocUrl(plcUrl: string, did: string): string {
  return `${plcUrl.replace(/\/+$/, '')}/${did}`;
}

function parseDocBody(did: string, body: Uint8Array, source: string): DidDocument {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw invalid('InvalidDidDocument', `DID document for ${did} from ${source} is not valid UTF-8`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const looksHtml = /^\s*</.test(text);
    throw invalid(
      'InvalidDidDocument',
      `DID document for ${did} from ${source} is not JSON${looksHtml ? ' (looks like HTML)' : ''}`,
      { cause: err },
    );
  }
  checkDocumentId(did, doc);
  return doc as DidDocument;
}

async function fetchDidDocument(config: IdentityConfig, did: string): Promise<DidDocument> {
  const { method, url: webUrl } = checkResolvableDid(did, { dev: config.dev === true });
  const url = method === 'plc' ? plcDocUrl(config.plcUrl, did) : webUrl!;
  let res;
  try {
    res = await httpRequest(config.http, {
      url,
      method: 'GET',
      headers: { accept: 'application/did+ld+json, application/json;q=0.9' },
      maxBytes: DID_DOC_MAX_BYTES,
      maxRedirects: 0,
    });
  } catch (err) {
    throw withContext(err, `resolving ${did} (${url})`);
  }
  if (res.status === 404 || res.status === 410) {
    throw notFound('DidNotFound', `${did} not found (${url} answered ${res.status}${res.status === 410 ? ', deactivated' : ''})`, {
      hint: method === 'plc' ? 'Check the DID, or which PLC directory is asked.' : 'The did:web host does not serve a DID document.',
      details: { did, status: res.status },
    });
  }
  if (res.status >= 300 && res.status < 400) {
    throw invalid('DidResolutionRedirect', `resolving ${did}: ${url} answered ${res.status} redirect; redirects are not followed for DID documents`, {
      details: { did, status: res.status, location: res.headers['location'] },
    });
  }
  if (res.status < 200 || res.status >= 300) {
    throw runtime('DidResolutionFailed', `resolving ${did}: ${url} answered HTTP ${res.status}`, {
      hint: 'The server may be down; try again later.',
      details: { did, status: res.status },
    });
  }
  return parseDocBody(did, res.body, url);
}

/**
 * Fetch the DID document of `did` and check that its `id` is exactly `did`. No redirects,
 * 64 KiB cap. Throws usage for bad/unsupported DIDs, notFound 'DidNotFound', invalid for bad
 * documents, runtime for network/server failures.
 */
export async function resolveDid(config: IdentityConfig, did: string, opts: ResolveDidOptions = {}): Promise<DidDocument> {
  const cache = cacheFor(config);
  if (opts.noCache !== true) {
    const hit = cache.getDid(did);
    if (hit !== undefined) {
      if (hit.ok) return hit.value;
      throw hit.error;
    }
  }
  const doc = await shareInflight(cache, `did:${did}`, async () => {
    try {
      const fresh = await fetchDidDocument(config, did);
      cache.setDid(did, { ok: true, value: fresh });
      return fresh;
    } catch (err) {
      if (err instanceof AtcliError && err.kind !== 'usage') cache.setDid(did, { ok: false, error: err });
      throw err;
    }
  });
  return structuredClone(doc);
}
