/**
 * Identity: handle ⇄ DID resolution, DID documents, caching (invariants §4).
 */
export type {
  AtprotoIdentity,
  CacheEntry,
  DidDocument,
  HandleAttempt,
  HandleMethod,
  HandleResolution,
  IdentityCache,
  IdentityConfig,
} from './types.js';
export { MemoryIdentityCache, DEFAULT_CACHE_TTL_MS, type MemoryIdentityCacheOptions } from './cache.js';
export {
  resolveHandle,
  lookupHandleMethods,
  type HandleMethodLookup,
  checkHandleForResolution,
  wellKnownUrl,
  WELL_KNOWN_MAX_BYTES,
  WELL_KNOWN_MAX_REDIRECTS,
  DEFAULT_DNS_TIMEOUT_MS,
  type ResolveHandleOptions,
} from './handle.js';
export { resolveDid, checkResolvableDid, plcDocUrl, DID_DOC_MAX_BYTES, type ResolveDidOptions } from './did.js';
export {
  parseDidDocument,
  checkPdsEndpoint,
  checkDocumentId,
  type ParsedDidDocument,
  type ParseDidDocumentOptions,
} from './document.js';
export { resolveIdentity, parseIdentifierInput, INVALID_HANDLE, type ResolveIdentityOptions } from './resolve.js';
export { resolveServiceEndpoint, type ResolvedService } from './service.js';
