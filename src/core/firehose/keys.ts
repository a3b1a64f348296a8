/**
 * Which signing keys may have signed an account's events, and where the account is hosted: the
 * facts verification needs about each DID, resolved concurrently and cached.
 *
 * - did:plc: the audit log (`/log/audit`) replayed by `signingKeyHistory` gives every key and the
 *   period it was in force (docs/key-history.md), and the PDS each operation named. An event is
 *   judged by the key in force at its `time` (set by the sequencer; the signer's `rev` proves
 *   nothing about when it was signed). A valid signature by a key that has been replaced since is
 *   still valid, reported with the time the key was replaced (`keyRotatedSince`).
 * - did:web: the current document only; there is no history to consult.
 * - A key given by the caller (a recording, a test) stands alone.
 *
 * {@link AccountDirectory} runs the look-ups: at most `concurrency` at once, one per DID at a
 * time, failures remembered for `errorTtlMs` and then retried; `invalidate` (an `#identity`
 * event) makes the next use fetch again, bypassing caches. Entries are bounded in number.
 */
import { runtime, isAtcliError } from '../errors.js';
import { checkPdsEndpoint, parseDidDocument, resolveDid, type IdentityConfig } from '../identity/index.js';
import { PlcDirectoryClient } from '../plc/directory.js';
import { signingKeyHistory } from '../plc/key-history.js';
import { operationData, parseOperation } from '../plc/operation.js';
import { findRepoStatus } from '../account/admin.js';
import { XrpcClient } from '../xrpc/client.js';

/** One period during which a key was the account's atproto signing key. */
export interface KeyWindow {
  /** did:key, or null (a tombstone, or no atproto key). */
  key: string | null;
  /** ISO datetime the key came into force. */
  from: string;
  /** When it was replaced; null while in force. */
  until: string | null;
  /** The PDS the DID document named during this period, when it named a valid one. */
  pds: string | null;
  /** The operation was nullified later by a recovery (it was still served until then). */
  nullified: boolean;
}

export interface AccountInfo {
  did: string;
  /** Where the keys come from: the PLC audit log, a did:web document, or the caller. */
  source: 'plc' | 'web' | 'given';
  /** The signing key in force now (did:key), or null. */
  current: string | null;
  /** did:plc: every key with its period, oldest first; null when there is no history. */
  history: KeyWindow[] | null;
  /** The PDS the current DID document names, or null. */
  pds: string | null;
  /** The account's hosting status when it was looked up, if the resolver asked for it. */
  status?: { active: boolean; status: string | null };
}

export type AccountResolver = (did: string, opts: { fresh: boolean }) => Promise<AccountInfo>;

/** Account look-ups in flight at once, by default. */
export const DEFAULT_LOOKUP_CONCURRENCY = 64;

/** Clock skew tolerated between the PLC directory's `createdAt` and the sequencer's `time`. */
export const KEY_CHANGE_SKEW_MS = 60_000;

/** The keys to try for an event of `info`'s account sequenced at `time`, and what each one means. */
export interface KeyCandidates {
  keys: string[];
  /** Per key: when it was replaced (null: still in force). */
  replacedAt: Array<string | null>;
  /** The PDS in force at `time` (did:plc history), else the current one. */
  pds: string | null;
  /** Why there is no key to try (keys is empty). */
  none?: string;
}

/**
 * The candidate keys for an event at `time`: the key in force then, and within
 * {@link KEY_CHANGE_SKEW_MS} of a key change the neighbouring key too. Without history (did:web,
 * a given key), the current key. A time that does not parse is judged by the current key.
 *
 * `earlier`: then also every key in force before that time, most recent first. A `#sync` event
 * re-announces the repository's current commit, which may be older than the event: a host that
 * imported a migrated account's repository serves the commit the old host signed until the
 * account's next write. Such a commit is genuine, signed by the key in force when it was made.
 */
export function candidateKeys(info: AccountInfo, time: string | null, options: { earlier?: boolean } = {}): KeyCandidates {
  const t = time === null ? Number.NaN : Date.parse(time);
  const windows = info.history;
  if (windows === null || windows.length === 0 || Number.isNaN(t)) {
    return info.current === null
      ? { keys: [], replacedAt: [], pds: info.pds, none: `the DID document of ${info.did} has no atproto signing key` }
      : { keys: [info.current], replacedAt: [null], pds: info.pds };
  }
  let at = -1;
  for (let i = 0; i < windows.length; i++) {
    if (Date.parse((windows[i] as KeyWindow).from) <= t) at = i;
    else break;
  }
  const keys: string[] = [];
  const replacedAt: Array<string | null> = [];
  /** When the key of window i stopped being the signing key (later operations may keep it: a handle change). */
  const replaced = (i: number): string | null => {
    const key = windows[i]!.key;
    for (let j = i + 1; j < windows.length; j++) if (windows[j]!.key !== key) return windows[j]!.from;
    return null;
  };
  const add = (i: number): void => {
    const w = windows[i];
    if (w === undefined || w.key === null || keys.includes(w.key)) return;
    keys.push(w.key);
    replacedAt.push(w.key === info.current ? null : replaced(i));
  };
  const inForce = at >= 0 ? windows[at] : undefined;
  if (at >= 0) add(at);
  if (inForce !== undefined && t - Date.parse(inForce.from) <= KEY_CHANGE_SKEW_MS) add(at - 1);
  const next = windows[at + 1];
  if (next !== undefined && Date.parse(next.from) - t <= KEY_CHANGE_SKEW_MS) add(at + 1);
  if (options.earlier === true) for (let i = at - 1; i >= 0; i--) add(i);
  const pds = inForce?.pds ?? info.pds;
  if (keys.length > 0) return { keys, replacedAt, pds };
  const none = inForce === undefined
    ? `${info.did} did not exist yet at ${time} (its first operation is from ${windows[0]!.from})`
    : `no atproto signing key was in force for ${info.did} at ${time}`;
  return { keys, replacedAt, pds, none };
}

/** An {@link AccountInfo} read back from JSON (a recording); null when it does not have that shape. */
export function parseAccountInfo(value: unknown, did: string): AccountInfo | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const str = (x: unknown): string | null | undefined => (x === null ? null : typeof x === 'string' ? x : undefined);
  const source = v.source;
  const current = str(v.current);
  const pds = str(v.pds);
  if ((source !== 'plc' && source !== 'web' && source !== 'given') || v.did !== did || current === undefined || pds === undefined) return null;
  let history: KeyWindow[] | null = null;
  if (Array.isArray(v.history)) {
    history = [];
    for (const w of v.history.slice(0, 10_000)) {
      if (typeof w !== 'object' || w === null) return null;
      const x = w as Record<string, unknown>;
      const key = str(x.key);
      const until = str(x.until);
      const wpds = str(x.pds);
      if (key === undefined || typeof x.from !== 'string' || until === undefined || wpds === undefined || typeof x.nullified !== 'boolean') return null;
      history.push({ key, from: x.from, until, pds: wpds, nullified: x.nullified });
    }
  } else if (v.history !== null) return null;
  const info: AccountInfo = { did, source, current, history, pds };
  const st = v.status as { active?: unknown; status?: unknown } | undefined;
  if (st !== undefined && typeof st === 'object' && st !== null && typeof st.active === 'boolean') {
    info.status = { active: st.active, status: typeof st.status === 'string' ? st.status : null };
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// Resolution from the network

function pdsOf(services: Record<string, { type: string; endpoint: string }> | undefined, dev: boolean): string | null {
  const endpoint = services?.['atproto_pds']?.endpoint;
  if (endpoint === undefined) return null;
  const checked = checkPdsEndpoint(endpoint, { dev });
  return 'url' in checked ? checked.url : null;
}

export interface NetworkAccountOptions {
  /**
   * Also ask this host (the relay or PDS being tailed) for the account's hosting status
   * (`com.atproto.sync.getRepoStatus`), so events of accounts that are not active are flagged
   * from the first one on, before any `#account` event says so.
   */
  statusHost?: string;
  /** Connections to the PLC directory at most (default 64: as many as look-ups in flight). */
  connections?: number;
}

/**
 * Resolve accounts from the network: did:plc from the PLC directory's audit log (replayed and
 * checked), did:web from its document. `fresh` bypasses the identity cache.
 */
export function networkAccountResolver(config: IdentityConfig, options: NetworkAccountOptions = {}): AccountResolver {
  const plc = new PlcDirectoryClient({ plcUrl: config.plcUrl, http: { ...config.http, maxConnections: options.connections ?? DEFAULT_LOOKUP_CONCURRENCY } });
  const dev = config.dev === true;
  const statusClient = options.statusHost !== undefined ? new XrpcClient({ service: options.statusHost, http: config.http }) : null;
  const withStatus = async (did: string, info: Promise<AccountInfo>): Promise<AccountInfo> => {
    if (statusClient === null) return info;
    // A status that cannot be read is no reason to fail the look-up: the events still say it.
    const [resolved, status] = await Promise.all([info, findRepoStatus(statusClient, did).catch(() => null)]);
    if (status !== null) resolved.status = { active: status.active, status: status.status ?? null };
    return resolved;
  };
  const resolve = async (did: string, fresh: boolean): Promise<AccountInfo> => {
    if (did.startsWith('did:plc:')) {
      const entries = await plc.getAuditLog(did);
      const history = signingKeyHistory(did, entries);
      if (history.windows.length === 0) throw runtime('NoKeyHistory', `the audit log of ${did} holds no operation that verifies`);
      const windows: KeyWindow[] = history.windows.map((w) => {
        let pds: string | null = null;
        try {
          const data = operationData(parseOperation((entries[w.index] as { operation?: unknown }).operation));
          pds = pdsOf(data?.services, dev);
        } catch {
          pds = null;
        }
        return { key: w.key, from: w.from, until: w.until, pds, nullified: w.nullified };
      });
      const head = [...windows].reverse().find((w) => !w.nullified) ?? windows[windows.length - 1]!;
      return { did, source: 'plc', current: history.current, history: windows, pds: head.pds };
    }
    const doc = await resolveDid(config, did, { noCache: fresh });
    const parsed = parseDidDocument(did, doc, { dev });
    return { did, source: 'web', current: parsed.signingKey?.did() ?? null, history: null, pds: parsed.pds ?? null };
  };
  return (did, { fresh }) => withStatus(did, resolve(did, fresh));
}

// ---------------------------------------------------------------------------------------------
// The directory

export type AccountLookup = { info: AccountInfo; error?: undefined } | { info?: undefined; error: string };

export interface AccountEntry {
  result: AccountLookup;
  /** When it was resolved (the directory's clock). */
  at: number;
  /** The DID's generation when the look-up started (see `invalidate`). */
  generation: number;
  /** Fetched bypassing caches. */
  fresh: boolean;
}

export interface AccountDirectoryOptions {
  /** Look-ups in flight at once (default 64). */
  concurrency?: number;
  /** How long a failed look-up is remembered before it is retried (default 30 s). */
  errorTtlMs?: number;
  /** Entries kept (default 200,000; the oldest are dropped first). */
  maxEntries?: number;
  clock?: () => number;
  /** Told about every look-up that finished (recordings keep them for offline replay). */
  onResolved?: (did: string, result: AccountLookup) => void | Promise<void>;
}

export interface DirectoryStats {
  lookups: number;
  failures: number;
  inFlight: number;
  maxInFlight: number;
  queued: number;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class AccountDirectory {
  readonly stats: DirectoryStats = { lookups: 0, failures: 0, inFlight: 0, maxInFlight: 0, queued: 0 };
  private readonly entries = new Map<string, AccountEntry>();
  private readonly generations = new Map<string, number>();
  private readonly pending = new Map<string, { generation: number; promise: Promise<AccountEntry> }>();
  private readonly waiting: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly errorTtlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(
    private readonly resolver: AccountResolver,
    private readonly options: AccountDirectoryOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_LOOKUP_CONCURRENCY);
    this.errorTtlMs = options.errorTtlMs ?? 30_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 200_000);
    this.clock = options.clock ?? Date.now;
  }

  /** Bumped by `invalidate`: entries from an older generation are not used. */
  generation(did: string): number {
    return this.generations.get(did) ?? 0;
  }

  /** An `#identity` event (or a key that stopped working): the next use fetches again, fresh. */
  invalidate(did: string): void {
    if (!this.entries.has(did) && !this.pending.has(did) && !this.generations.has(did)) return;
    this.generations.set(did, this.generation(did) + 1);
    if (this.generations.size > this.maxEntries) this.generations.delete(this.generations.keys().next().value as string);
  }

  /** A usable cached entry (current generation, and a failure not older than the TTL), or undefined. */
  cached(did: string): AccountEntry | undefined {
    const e = this.entries.get(did);
    if (e === undefined || e.generation < this.generation(did)) return undefined;
    if (e.result.error !== undefined && this.clock() - e.at >= this.errorTtlMs) return undefined;
    return e;
  }

  /** Seed an entry (a recording's keys, a key given by the caller). */
  prime(did: string, result: AccountLookup): void {
    this.store(did, { result, at: this.clock(), generation: this.generation(did), fresh: false });
  }

  /**
   * The account's entry: cached when usable (and `fresh` is not asked), else looked up. Look-ups
   * of one DID are shared; at most `concurrency` run at once, the rest wait their turn.
   */
  lookup(did: string, fresh = false): Promise<AccountEntry> {
    if (!fresh) {
      const e = this.cached(did);
      if (e !== undefined) return Promise.resolve(e);
    }
    const generation = this.generation(did);
    const inflight = this.pending.get(did);
    if (inflight !== undefined && inflight.generation >= generation) return inflight.promise;
    const stale = this.entries.has(did);
    const promise = this.run(did, fresh || stale || generation > 0, generation);
    this.pending.set(did, { generation, promise });
    return promise;
  }

  private async run(did: string, fresh: boolean, generation: number): Promise<AccountEntry> {
    if (this.stats.inFlight >= this.concurrency) {
      this.stats.queued++;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.stats.queued--;
    }
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    this.stats.lookups++;
    let result: AccountLookup;
    try {
      result = { info: await this.resolver(did, { fresh }) };
    } catch (err) {
      if (isAtcliError(err) && err.kind === 'interrupted') {
        this.release(did);
        throw err;
      }
      this.stats.failures++;
      result = { error: errorText(err) };
    }
    const entry: AccountEntry = { result, at: this.clock(), generation, fresh };
    this.store(did, entry);
    this.release(did);
    await this.options.onResolved?.(did, result);
    return entry;
  }

  private release(did: string): void {
    this.pending.delete(did);
    this.stats.inFlight--;
    this.waiting.shift()?.();
  }

  private store(did: string, entry: AccountEntry): void {
    this.entries.delete(did);
    this.entries.set(did, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
