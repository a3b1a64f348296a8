/**
 * Handle → DID resolution (spec:handle "Handle Resolution"; invariants H2–H6, N1–N3).
 *
 * DNS TXT `_atproto.<handle>` and HTTPS `/.well-known/atproto-did` run in parallel; DNS wins
 * when they disagree. The XRPC resolver (com.atproto.identity.resolveHandle on a configured
 * service) is asked when both fail, or first with `handleResolverFirst`.
 *
 * This establishes handle → DID only. Callers must still check the DID document claims the
 * handle (H7) — `resolveIdentity` does.
 */
import { AtcliError, invalid, notFound, runtime, usage } from '../errors.js';
import { httpRequest } from '../net/http.js';
import { checkResolvableHandle, normalizeHandle } from '../syntax/index.js';
import { XrpcClient, XrpcError } from '../xrpc/index.js';
import { cacheFor, shareInflight } from './cache.js';
import { checkDnsServers, lookupTxt } from './dns.js';
import type { HandleAttempt, HandleMethod, HandleResolution, IdentityConfig } from './types.js';
import { errorMessage, isDidSyntax, quote } from './util.js';

/** Go's limit for the well-known body (H5). */
export const WELL_KNOWN_MAX_BYTES = 2048;
/** [P] redirect hops followed for the well-known (H5). */
export const WELL_KNOWN_MAX_REDIRECTS = 3;
export const DEFAULT_DNS_TIMEOUT_MS = 3000;
/** len('_atproto.' + handle) must stay ≤ 253 (H3). */
const DNS_MAX_HANDLE_LENGTH = 244;
/** Cap of the XRPC resolveHandle response. */
const XRPC_MAX_BYTES = 16 * 1024;

export interface ResolveHandleOptions {
  /** Skip the cache read (the fresh result is still stored). */
  noCache?: boolean;
}

type Outcome =
  | { ok: true; did: string; detail: string }
  | { ok: false; transient: boolean; detail: string; ambiguous?: string[] };

/**
 * Validate (before lower-casing, H2) and normalize a handle, and refuse the ones that must not
 * be resolved (H3): reserved TLDs, `handle.invalid`, `.test` outside dev mode.
 */
export function checkHandleForResolution(input: string, opts: { dev?: boolean } = {}): string {
  const handle = normalizeHandle(input);
  const refusal = checkResolvableHandle(handle, { allowTest: opts.dev === true });
  if (refusal !== null) {
    throw usage('UnresolvableHandle', `handle ${handle} cannot be resolved: ${refusal}`, {
      hint: handle.endsWith('.test') ? 'The .test TLD is only resolved in development mode.' : undefined,
      details: { handle },
    });
  }
  return handle;
}

// ---- DNS TXT (H4) ----------------------------------------------------------------------------

async function viaDns(config: IdentityConfig, handle: string): Promise<Outcome> {
  if (handle.length > DNS_MAX_HANDLE_LENGTH) {
    return { ok: false, transient: false, detail: `handle longer than ${DNS_MAX_HANDLE_LENGTH} characters cannot use DNS` };
  }
  const name = `_atproto.${handle}`;
  const opts: Parameters<typeof lookupTxt>[1] = { timeoutMs: config.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS };
  if (config.dnsServers !== undefined) opts.servers = config.dnsServers;
  if (config.http.signal !== undefined) opts.signal = config.http.signal;
  const res = await lookupTxt(name, opts);
  if (res.kind === 'none') return { ok: false, transient: false, detail: res.detail };
  if (res.kind === 'error') return { ok: false, transient: true, detail: `${name}: ${res.detail}` };
  const dids = new Set<string>();
  const bad: string[] = [];
  for (const value of res.records) {
    if (!value.startsWith('did=')) continue;
    const did = value.slice('did='.length);
    if (isDidSyntax(did)) dids.add(did);
    else bad.push(value);
  }
  if (dids.size > 1) {
    const list = [...dids];
    return { ok: false, transient: false, detail: `${name} has ${list.length} different DIDs: ${list.join(', ')}`, ambiguous: list };
  }
  const [did] = dids;
  if (did !== undefined) {
    const note = bad.length > 0 ? ` (ignored ${bad.length} malformed did= value${bad.length > 1 ? 's' : ''})` : '';
    return { ok: true, did, detail: `TXT ${name} = did=${did}${note}` };
  }
  if (bad.length > 0) {
    return { ok: false, transient: false, detail: `${name} has no valid DID (malformed: ${bad.map((b) => quote(b, 80)).join(', ')})` };
  }
  return { ok: false, transient: false, detail: `${name} has no did= TXT record` };
}

// ---- HTTPS well-known (H5) -------------------------------------------------------------------

/** In dev mode, `.test` handles are looked up over http:// (the http layer may route them with connectTo). */
export function wellKnownUrl(handle: string, dev: boolean): string {
  const scheme = dev && handle.endsWith('.test') ? 'http' : 'https';
  return `${scheme}://${handle}/.well-known/atproto-did`;
}

const TRANSIENT_NET_CAUSES = new Set(['EAI_AGAIN', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Timeouts and flaky-network failures are retryable; refusals, bad hosts, caps and TLS errors are answers. */
function isTransientHttpError(err: unknown): boolean {
  if (!(err instanceof AtcliError)) return true;
  if (err.kind !== 'runtime') return false;
  if (err.code === 'Timeout') return true;
  const cause = err.details?.['cause'];
  return err.code === 'NetworkError' && typeof cause === 'string' && TRANSIENT_NET_CAUSES.has(cause);
}

/** Ctrl-C must end the whole resolution, not be recorded as one failed method. */
function rethrowInterrupt(err: unknown): void {
  if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
}

function checkInterrupted(config: IdentityConfig): void {
  if (config.http.signal?.aborted === true) {
    throw new AtcliError('interrupted', 'Interrupted', 'handle resolution was interrupted');
  }
}

function describeBody(text: string): string {
  const t = text.trim();
  if (t === '') return 'the body is empty';
  if (t.startsWith('<')) return 'the body is HTML, not a DID';
  if (/^[{[]/.test(t)) return 'the body is JSON, not a plain DID';
  if (/\s/.test(t) && t.split(/\s+/).every((w) => w.startsWith('did:'))) return 'the body holds more than one DID';
  return `the body is not a DID: ${quote(t, 60)}`;
}

async function viaHttps(config: IdentityConfig, handle: string): Promise<Outcome> {
  const url = wellKnownUrl(handle, config.dev === true);
  let res;
  try {
    res = await httpRequest(config.http, {
      url,
      method: 'GET',
      headers: { accept: 'text/plain' },
      maxBytes: WELL_KNOWN_MAX_BYTES,
      maxRedirects: WELL_KNOWN_MAX_REDIRECTS,
    });
  } catch (err) {
    rethrowInterrupt(err);
    return { ok: false, transient: isTransientHttpError(err), detail: errorMessage(err) };
  }
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(res.body);
  } catch {
    text = undefined;
  }
  const trimmed = (text ?? '').trim();
  const isDid = trimmed.startsWith('did:') && isDidSyntax(trimmed);
  if (res.status < 200 || res.status >= 300) {
    const note = isDid ? ' (the body holds a DID, but only a 2xx answer counts)' : '';
    return { ok: false, transient: res.status >= 500 || res.status === 429, detail: `${url}: HTTP ${res.status}${note}` };
  }
  if (text === undefined) return { ok: false, transient: false, detail: `${url}: the body is not valid UTF-8` };
  if (!isDid) return { ok: false, transient: false, detail: `${url}: ${describeBody(text)}` };
  return { ok: true, did: trimmed, detail: `${res.url === url ? url : `${url} → ${res.url}`} = ${trimmed}` };
}

// ---- XRPC resolver ---------------------------------------------------------------------------

async function viaXrpc(config: IdentityConfig, service: string, handle: string): Promise<Outcome> {
  const nsid = 'com.atproto.identity.resolveHandle';
  // A malformed resolver URL is the caller's mistake: it throws (usage) instead of counting as an attempt.
  const client = new XrpcClient({ service, http: config.http, maxBytes: XRPC_MAX_BYTES, retries: 1 });
  let out: unknown;
  try {
    out = await client.query(nsid, { handle });
  } catch (err) {
    rethrowInterrupt(err);
    if (err instanceof XrpcError) {
      const definitive = err.status >= 400 && err.status < 500 && err.status !== 429;
      return { ok: false, transient: !definitive, detail: `${service}: ${errorMessage(err)}` };
    }
    return { ok: false, transient: isTransientHttpError(err), detail: `${service}: ${errorMessage(err)}` };
  }
  const did = typeof out === 'object' && out !== null ? (out as { did?: unknown }).did : undefined;
  if (typeof did !== 'string' || !isDidSyntax(did)) {
    return { ok: false, transient: false, detail: `${service}: ${nsid} returned no valid "did"` };
  }
  return { ok: true, did, detail: `${service} ${nsid} = ${did}` };
}

// ---- each method on its own (diagnostics) ----------------------------------------------------

export interface HandleMethodLookup {
  method: 'dns' | 'https';
  /**
   * found: the method names one DID; none: it definitively has no answer (no record, 404, not a
   * DID); conflict: DNS names several DIDs; error: it failed in a way that may pass on retry.
   */
  status: 'found' | 'none' | 'conflict' | 'error';
  did?: string;
  /** every DID when DNS names more than one */
  dids?: string[];
  detail: string;
}

function lookupOf(method: 'dns' | 'https', o: Outcome): HandleMethodLookup {
  if (o.ok) return { method, status: 'found', did: o.did, detail: o.detail };
  if (o.ambiguous !== undefined) return { method, status: 'conflict', dids: o.ambiguous, detail: o.detail };
  return { method, status: o.transient ? 'error' : 'none', detail: o.detail };
}

/**
 * DNS TXT and HTTPS well-known asked separately, uncached, with no preference between them: what
 * each method says about `handle` (for checks that must tell the two apart, such as a handle
 * change or a diagnosis). Throws only for a handle that must not be resolved at all.
 */
export async function lookupHandleMethods(config: IdentityConfig, input: string): Promise<{ handle: string; dns: HandleMethodLookup; https: HandleMethodLookup }> {
  const handle = checkHandleForResolution(input, { dev: config.dev === true });
  if (config.dnsServers !== undefined && config.dnsServers.length > 0) checkDnsServers(config.dnsServers);
  const [dns, https] = await Promise.all([viaDns(config, handle), viaHttps(config, handle)]);
  checkInterrupted(config);
  return { handle, dns: lookupOf('dns', dns), https: lookupOf('https', https) };
}

// ---- orchestration (H6) ----------------------------------------------------------------------

function attempt(method: HandleMethod, o: Outcome): HandleAttempt {
  return { method, ok: o.ok, detail: o.detail };
}

async function resolveFresh(config: IdentityConfig, handle: string): Promise<HandleResolution> {
  const attempts: HandleAttempt[] = [];
  const warnings: string[] = [];
  const outcomes: Outcome[] = [];
  const done = (did: string, method: HandleMethod): HandleResolution => ({ handle, did, method, attempts, warnings });

  const resolver = config.handleResolver;
  if (resolver !== undefined && config.handleResolverFirst === true) {
    const x = await viaXrpc(config, resolver, handle);
    attempts.push(attempt('xrpc', x));
    outcomes.push(x);
    if (x.ok) return done(x.did, 'xrpc');
  }

  const [dns, https] = await Promise.all([viaDns(config, handle), viaHttps(config, handle)]);
  checkInterrupted(config);
  attempts.push(attempt('dns', dns), attempt('https', https));
  outcomes.push(dns, https);
  if (!dns.ok && dns.ambiguous !== undefined) {
    throw invalid('AmbiguousHandle', `handle ${handle} is ambiguous: DNS names ${dns.ambiguous.length} different DIDs (${dns.ambiguous.join(', ')})`, {
      hint: 'Only one did= TXT record may exist at _atproto.<handle>; the owner must remove the stale one.',
      details: { handle, dids: dns.ambiguous, attempts },
    });
  }
  if (dns.ok) {
    if (https.ok && https.did !== dns.did) {
      warnings.push(`DNS and HTTPS disagree for ${handle}: DNS says ${dns.did}, HTTPS says ${https.did}; using DNS`);
    }
    return done(dns.did, 'dns');
  }
  if (https.ok) return done(https.did, 'https');

  if (resolver !== undefined && config.handleResolverFirst !== true) {
    const x = await viaXrpc(config, resolver, handle);
    attempts.push(attempt('xrpc', x));
    outcomes.push(x);
    if (x.ok) return done(x.did, 'xrpc');
  }

  const summary = attempts.map((a) => `${a.method}: ${a.detail}`).join('; ');
  const allTransient = outcomes.every((o) => !o.ok && o.transient);
  const hintParts = [
    `A handle resolves through a DNS TXT record at _atproto.${handle} (did=<DID>) or https://${handle}/.well-known/atproto-did.`,
  ];
  if (resolver === undefined) hintParts.push('An XRPC resolver service (com.atproto.identity.resolveHandle) can be asked as well.');
  if (allTransient) {
    throw runtime('HandleResolutionFailed', `could not resolve handle ${handle} (${summary})`, {
      hint: `Every look-up failed with a temporary error; try again later. ${hintParts.join(' ')}`,
      details: { handle, attempts },
    });
  }
  throw notFound('HandleNotFound', `handle ${handle} does not resolve to a DID (${summary})`, {
    hint: `Check the spelling. ${hintParts.join(' ')}`,
    details: { handle, attempts },
  });
}

/**
 * Resolve a handle to a DID. Throws usage 'InvalidHandle' / 'UnresolvableHandle' before any
 * network use, invalid 'AmbiguousHandle' when DNS names two DIDs, notFound 'HandleNotFound'
 * (details.attempts) when nothing resolves, runtime 'HandleResolutionFailed' when every method
 * failed with a temporary error.
 */
export async function resolveHandle(
  config: IdentityConfig,
  input: string,
  opts: ResolveHandleOptions = {},
): Promise<HandleResolution> {
  const handle = checkHandleForResolution(input, { dev: config.dev === true });
  if (config.dnsServers !== undefined && config.dnsServers.length > 0) checkDnsServers(config.dnsServers);
  const cache = cacheFor(config);
  if (opts.noCache !== true) {
    const hit = cache.getHandle(handle);
    if (hit !== undefined) {
      if (hit.ok) return hit.value;
      throw hit.error;
    }
  }
  const res = await shareInflight(cache, `handle:${handle}`, async () => {
    try {
      const fresh = await resolveFresh(config, handle);
      cache.setHandle(handle, { ok: true, value: fresh });
      return fresh;
    } catch (err) {
      if (err instanceof AtcliError) cache.setHandle(handle, { ok: false, error: err });
      throw err;
    }
  });
  return structuredClone(res);
}
