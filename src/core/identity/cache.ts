/**
 * In-memory TTL cache for identity look-ups.
 *
 * Successes live `ttlMs`; definitive failures (not found / invalid) live `errorTtlMs`
 * (short, default min(ttlMs, 30 s)); transient failures (network, timeouts) are never stored.
 * Values are cloned in and out, so callers cannot mutate what the cache holds.
 */
import type { AtcliError } from '../errors.js';
import type { CacheEntry, DidDocument, HandleResolution, IdentityCache, IdentityConfig } from './types.js';

export interface MemoryIdentityCacheOptions {
  /** TTL of cached failures, default min(ttlMs, 30 000). */
  errorTtlMs?: number;
  /** Entry limit per kind (oldest dropped first), default 10 000. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Stored<T> {
  entry: CacheEntry<T>;
  expires: number;
}

/** Failures worth remembering for a short while; everything else is retried. */
function cacheableError(err: AtcliError): boolean {
  return err.kind === 'notFound' || err.kind === 'invalid' || err.kind === 'usage';
}

export class MemoryIdentityCache implements IdentityCache {
  readonly ttlMs: number;
  readonly errorTtlMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  private readonly handles = new Map<string, Stored<HandleResolution>>();
  private readonly dids = new Map<string, Stored<DidDocument>>();

  constructor(ttlMs: number, options: MemoryIdentityCacheOptions = {}) {
    if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError('ttlMs must be a non-negative number');
    this.ttlMs = ttlMs;
    this.errorTtlMs = options.errorTtlMs ?? Math.min(ttlMs, 30_000);
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  getHandle(handle: string): CacheEntry<HandleResolution> | undefined {
    return this.get(this.handles, handle);
  }

  setHandle(handle: string, entry: CacheEntry<HandleResolution>): void {
    this.set(this.handles, handle, entry);
  }

  getDid(did: string): CacheEntry<DidDocument> | undefined {
    return this.get(this.dids, did);
  }

  setDid(did: string, entry: CacheEntry<DidDocument>): void {
    this.set(this.dids, did, entry);
  }

  invalidate(key: string): void {
    this.handles.delete(key);
    this.dids.delete(key);
  }

  clear(): void {
    this.handles.clear();
    this.dids.clear();
  }

  get size(): number {
    return this.handles.size + this.dids.size;
  }

  private get<T>(map: Map<string, Stored<T>>, key: string): CacheEntry<T> | undefined {
    const stored = map.get(key);
    if (stored === undefined) return undefined;
    if (stored.expires <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return stored.entry.ok ? { ok: true, value: structuredClone(stored.entry.value) } : stored.entry;
  }

  private set<T>(map: Map<string, Stored<T>>, key: string, entry: CacheEntry<T>): void {
    let ttl: number;
    if (entry.ok) ttl = this.ttlMs;
    else if (cacheableError(entry.error)) ttl = this.errorTtlMs;
    else return;
    if (ttl <= 0) return;
    map.delete(key);
    map.set(key, {
      entry: entry.ok ? { ok: true, value: structuredClone(entry.value) } : entry,
      expires: this.now() + ttl,
    });
    while (map.size > this.maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
  }
}

/** Default TTL of the implicit cache: one hour (the TS reference marks entries stale after 1 h). */
export const DEFAULT_CACHE_TTL_MS = 60 * 60 * 1000;

const defaultCaches = new WeakMap<IdentityConfig, IdentityCache>();

/** The config's cache, or one in-memory cache tied to this config object. */
export function cacheFor(config: IdentityConfig): IdentityCache {
  if (config.cache !== undefined) return config.cache;
  let cache = defaultCaches.get(config);
  if (cache === undefined) {
    cache = new MemoryIdentityCache(DEFAULT_CACHE_TTL_MS);
    defaultCaches.set(config, cache);
  }
  return cache;
}

/** Concurrent look-ups of the same key share one promise (per cache object). */
const inflight = new WeakMap<IdentityCache, Map<string, Promise<unknown>>>();

export function shareInflight<T>(cache: IdentityCache, key: string, run: () => Promise<T>): Promise<T> {
  let map = inflight.get(cache);
  if (map === undefined) {
    map = new Map();
    inflight.set(cache, map);
  }
  const existing = map.get(key);
  if (existing !== undefined) return existing as Promise<T>;
  const p = run().finally(() => {
    map.delete(key);
  });
  map.set(key, p);
  return p;
}
