/**
 * Shared types of the identity layer: configuration, results, and the cache contract.
 */
import type { AtcliError } from '../errors.js';
import type { HttpConfig } from '../net/http.js';

export interface IdentityConfig {
  http: HttpConfig;
  /** PLC directory base URL, e.g. https://plc.directory (the caller supplies the default). */
  plcUrl: string;
  /** DNS servers as 'ip', 'ip:port' or '[v6]:port'; default: the system resolver. */
  dnsServers?: string[];
  /** XRPC service used for com.atproto.identity.resolveHandle when DNS and HTTPS do not answer. */
  handleResolver?: string;
  /** Ask handleResolver before DNS and HTTPS. */
  handleResolverFirst?: boolean;
  /**
   * Development mode: allows `.test` handles, `did:web:localhost%3APORT` (fetched over http://),
   * http:// well-known look-ups for `.test` handles, and http:// loopback PDS endpoints.
   */
  dev?: boolean;
  /** TTL cache; default: one in-memory cache per config object. */
  cache?: IdentityCache;
  /** Total deadline of one DNS TXT look-up, default 3000 ms. */
  dnsTimeoutMs?: number;
}

export type HandleMethod = 'dns' | 'https' | 'xrpc';

export interface HandleAttempt {
  method: HandleMethod;
  ok: boolean;
  detail: string;
}

export interface HandleResolution {
  handle: string;
  did: string;
  method: HandleMethod;
  attempts: HandleAttempt[];
  /** e.g. DNS and HTTPS disagreed (DNS wins). */
  warnings: string[];
}

export interface DidDocument {
  id: string;
  alsoKnownAs?: string[];
  verificationMethod?: unknown[];
  service?: unknown[];
  [k: string]: unknown;
}

export interface AtprotoIdentity {
  did: string;
  /** The bi-directionally verified handle, or 'handle.invalid'. */
  handle: string;
  /** The handle the DID document claims (first valid at:// entry in alsoKnownAs), normalized. */
  claimedHandle?: string;
  handleVerified: boolean;
  /** PDS base URL (scheme, host, optional port), when the document names a valid one. */
  pds?: string;
  /** The atproto signing key as did:key, when the document has a usable one. */
  signingKey?: string;
  didDoc: DidDocument;
  /** How the handle resolved to the DID. */
  method?: HandleMethod;
  warnings: string[];
}

export type CacheEntry<T> = { ok: true; value: T } | { ok: false; error: AtcliError };

/**
 * Cache for handle → DID and DID → document results. Implementations decide how long
 * entries live; failed look-ups (`ok: false`) should live much shorter than successes.
 */
export interface IdentityCache {
  getHandle(handle: string): CacheEntry<HandleResolution> | undefined;
  setHandle(handle: string, entry: CacheEntry<HandleResolution>): void;
  getDid(did: string): CacheEntry<DidDocument> | undefined;
  setDid(did: string, entry: CacheEntry<DidDocument>): void;
  /** Forget what is known about a handle or a DID (e.g. after an #identity event). */
  invalidate(key: string): void;
}
