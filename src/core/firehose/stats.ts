/**
 * Live traffic statistics for `firehose stats`: fed with the outputs of the firehose pipeline (or
 * of the Jetstream mapper, which has the same shapes), it keeps a sliding window of one-second
 * buckets and produces snapshots — events/s by type, ops/s by action and by collection, the
 * busiest accounts, the lag between an event's `time` and now, and failures by kind.
 *
 * Memory is bounded whatever the stream: each bucket keeps at most `capacity` counters for
 * accounts and for collections (Misra–Gries "frequent items": when the table is full, a new key
 * decrements every counter instead of being added, which undercounts any key by at most the
 * number of such rounds — reported as `maxUndercount`), and lag goes into a fixed log-scale
 * histogram (about 5% resolution). A snapshot merges the buckets of the window.
 */

/** What the aggregator reads from a pipeline output; `PipelineOutput` and `JetstreamOutput` fit it. */
export type StatsItem =
  | { kind: 'event'; value: { type: string; did?: string; time?: string; ops?: ReadonlyArray<{ op: string; collection: string }> } }
  | { kind: 'op'; value: { type: string; seq: number; did: string; time: string; op: string; collection: string } }
  | { kind: 'failure'; value: { type: string | null; did: string | null; reasons: readonly string[] } };

export const FAILURE_KINDS = ['signature', 'key', 'chain', 'proof', 'commit', 'event', 'frame', 'other'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

// Ordered: the first pattern that matches a reason names its kind. They follow the reasons
// written by src/core/firehose/verify.ts, events.ts, frame.ts and pipeline.ts.
const FAILURE_PATTERNS: ReadonlyArray<readonly [FailureKind, RegExp]> = [
  ['key', /cannot get the signing key/],
  ['signature', /\bsignature\b/],
  ['chain', /continue the chain|rev not newer|\bsince\b/],
  ['frame', /^invalid frame/],
  ['event', /^invalid #?\w+ (event|message)/i],
  ['proof', /incomplete proof|in the tree|inverted root|prevData|record block|record CID|\bMST\b/],
  ['commit', /^commit\b|CAR root|^blocks|commit block|commit CID|tooBig|rebase|ops, over|\bop (create|update|delete)\b/],
];

/** The kind of one failure reason (for counting failures by reason). */
export function failureKind(reason: string): FailureKind {
  for (const [kind, pattern] of FAILURE_PATTERNS) if (pattern.test(reason)) return kind;
  return 'other';
}

// ---------------------------------------------------------------------------------------------
// Frequent items (Misra–Gries)

/** Counts keys in at most `capacity` counters; see the module comment for the error bound. */
export class FrequentCounter {
  readonly counts = new Map<string, number>();
  /** Decrement rounds: any key's count is low by at most this much. */
  rounds = 0;
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('FrequentCounter: capacity must be a positive integer');
  }

  add(key: string, n = 1): void {
    this.total += n;
    const have = this.counts.get(key);
    if (have !== undefined) {
      this.counts.set(key, have + n);
      return;
    }
    if (this.counts.size < this.capacity) {
      this.counts.set(key, n);
      return;
    }
    // Full: take the new key's weight off every counter (and off the new key), dropping zeros.
    let left = n;
    while (left > 0 && this.counts.size >= this.capacity) {
      let min = left;
      for (const c of this.counts.values()) if (c < min) min = c;
      this.rounds += min;
      left -= min;
      for (const [k, c] of this.counts) {
        if (c === min) this.counts.delete(k);
        else this.counts.set(k, c - min);
      }
    }
    if (left > 0) this.counts.set(key, left);
  }

  clear(): void {
    this.counts.clear();
    this.rounds = 0;
    this.total = 0;
  }
}

/** Sum several counters' tables; the undercount bounds add up. */
export function mergeFrequent(counters: readonly FrequentCounter[]): { counts: Map<string, number>; maxUndercount: number; total: number } {
  const counts = new Map<string, number>();
  let maxUndercount = 0;
  let total = 0;
  for (const c of counters) {
    maxUndercount += c.rounds;
    total += c.total;
    for (const [k, n] of c.counts) counts.set(k, (counts.get(k) ?? 0) + n);
  }
  return { counts, maxUndercount, total };
}

/** The `n` largest entries, largest first (ties by key, so output is stable). */
export function topEntries(counts: ReadonlyMap<string, number>, n: number): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Lag histogram

const LAG_FACTOR = 1.1;
/** Bin 0: lag < 1 ms; bin i ≥ 1: [1.1^(i-1), 1.1^i) ms; the last bin takes everything beyond ~3 days. */
export const LAG_BINS = 240;
const LOG_FACTOR = Math.log(LAG_FACTOR);

export function lagBin(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(LAG_BINS - 1, 1 + Math.floor(Math.log(ms) / LOG_FACTOR));
}

/** Upper edge of a bin in ms (what a percentile reports: "at most this"). */
export function lagBinUpperMs(bin: number): number {
  return bin === 0 ? 1 : LAG_FACTOR ** bin;
}

/** The q-quantile (0 < q ≤ 1) of a histogram, as its bin's upper edge, capped at the exact max. */
export function histogramQuantile(bins: ArrayLike<number>, q: number, maxMs: number): number {
  let total = 0;
  for (let i = 0; i < bins.length; i++) total += bins[i] as number;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i] as number;
    if (seen >= rank) return Math.min(lagBinUpperMs(i), maxMs);
  }
  return maxMs;
}

// ---------------------------------------------------------------------------------------------
// Aggregator

export interface StatsOptions {
  /** Length of the sliding window (default 60,000 ms). */
  windowMs?: number;
  /** Bucket length (default 1,000 ms); the window is a whole number of buckets. */
  bucketMs?: number;
  /** Accounts and collections listed in a snapshot (default 10 and 20). */
  topAccounts?: number;
  topCollections?: number;
  /** Counters per bucket for accounts and for collections (default 1,000 each). */
  capacity?: number;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  clock?: () => number;
}

export interface RateRow {
  count: number;
  perSecond: number;
}

export interface StatsSnapshot {
  /** When the snapshot was taken (ISO 8601). */
  at: string;
  /** The span the window counts and rates cover: the window, or less right after the start. */
  windowSeconds: number;
  /** Since the aggregator started. */
  totals: { events: number; ops: number; failures: number };
  /** In the window. */
  events: RateRow;
  ops: RateRow;
  failures: RateRow;
  byType: Array<{ type: string } & RateRow>;
  byAction: Array<{ op: string } & RateRow>;
  /** Ops by collection, busiest first; `others` counts the ops of collections not listed. */
  collections: { top: Array<{ collection: string } & RateRow>; others: number; maxUndercount: number };
  /** Events by account, busiest first; counts may be low by up to `maxUndercount`. */
  accounts: { top: Array<{ did: string } & RateRow>; maxUndercount: number };
  /** Event time to arrival, over the window's events with a readable `time`; null when none. */
  lag: { samples: number; p50Ms: number; p95Ms: number; maxMs: number; ahead: number } | null;
  /** Failures by kind (one count per kind per failure), most frequent first. */
  failuresByKind: Array<{ kind: FailureKind; count: number }>;
}

interface Bucket {
  /** Bucket index (start / bucketMs); -1 while unused. */
  index: number;
  events: number;
  ops: number;
  failures: number;
  byType: Map<string, number>;
  byAction: Map<string, number>;
  failureKinds: Map<FailureKind, number>;
  collections: FrequentCounter;
  accounts: FrequentCounter;
  lag: Uint32Array;
  lagSamples: number;
  lagMax: number;
  ahead: number;
}

/** Types and actions are open sets in the data: anything else is counted under "other". */
const KNOWN_TYPES = new Set(['commit', 'sync', 'identity', 'account', 'info']);
const KNOWN_ACTIONS = new Set(['create', 'update', 'delete']);

const round2 = (n: number): number => Math.round(n * 100) / 100;

function bump<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

export class StreamStats {
  private readonly bucketMs: number;
  private readonly buckets: Bucket[];
  private readonly clock: () => number;
  private readonly topAccounts: number;
  private readonly topCollections: number;
  private readonly startedAt: number;
  private readonly totals = { events: 0, ops: 0, failures: 0 };
  /** The commit whose op rows are arriving (ops mode: one event per commit, not per row). */
  private lastOpCommit: { seq: number; did: string } | null = null;

  constructor(options: StatsOptions = {}) {
    this.bucketMs = options.bucketMs ?? 1000;
    const windowMs = options.windowMs ?? 60_000;
    if (!(this.bucketMs > 0) || !(windowMs >= this.bucketMs)) throw new RangeError('StreamStats: need 0 < bucketMs ≤ windowMs');
    const capacity = options.capacity ?? 1000;
    this.buckets = Array.from({ length: Math.ceil(windowMs / this.bucketMs) }, () => ({
      index: -1,
      events: 0,
      ops: 0,
      failures: 0,
      byType: new Map(),
      byAction: new Map(),
      failureKinds: new Map(),
      collections: new FrequentCounter(capacity),
      accounts: new FrequentCounter(capacity),
      lag: new Uint32Array(LAG_BINS),
      lagSamples: 0,
      lagMax: 0,
      ahead: 0,
    }));
    this.clock = options.clock ?? Date.now;
    this.topAccounts = options.topAccounts ?? 10;
    this.topCollections = options.topCollections ?? 20;
    this.startedAt = this.clock();
  }

  private bucket(now: number): Bucket {
    const index = Math.floor(now / this.bucketMs);
    const b = this.buckets[index % this.buckets.length] as Bucket;
    if (b.index !== index) {
      b.index = index;
      b.events = b.ops = b.failures = b.lagSamples = b.lagMax = b.ahead = 0;
      b.byType.clear();
      b.byAction.clear();
      b.failureKinds.clear();
      b.collections.clear();
      b.accounts.clear();
      b.lag.fill(0);
    }
    return b;
  }

  private event(b: Bucket, type: string, did: string | undefined, time: string | undefined, now: number): void {
    b.events++;
    this.totals.events++;
    bump(b.byType, KNOWN_TYPES.has(type) ? type : 'other');
    if (did !== undefined) b.accounts.add(did);
    if (time !== undefined) {
      const t = Date.parse(time);
      if (Number.isFinite(t)) {
        const lag = now - t;
        if (lag < 0) b.ahead++;
        b.lag[lagBin(lag)]! += 1;
        b.lagSamples++;
        if (lag > b.lagMax) b.lagMax = lag;
      }
    }
  }

  private op(b: Bucket, action: string, collection: string): void {
    b.ops++;
    this.totals.ops++;
    bump(b.byAction, KNOWN_ACTIONS.has(action) ? action : 'other');
    b.collections.add(collection);
  }

  /** Count one pipeline output. */
  add(item: StatsItem, now = this.clock()): void {
    const b = this.bucket(now);
    switch (item.kind) {
      case 'event': {
        const v = item.value;
        this.lastOpCommit = null;
        this.event(b, v.type, v.did, v.time, now);
        for (const o of v.ops ?? []) this.op(b, o.op, o.collection);
        return;
      }
      case 'op': {
        const v = item.value;
        const last = this.lastOpCommit;
        if (last === null || last.seq !== v.seq || last.did !== v.did) {
          this.lastOpCommit = { seq: v.seq, did: v.did };
          this.event(b, v.type, v.did, v.time, now);
        }
        this.op(b, v.op, v.collection);
        return;
      }
      case 'failure': {
        this.lastOpCommit = null;
        b.failures++;
        this.totals.failures++;
        const kinds = new Set(item.value.reasons.map(failureKind));
        if (kinds.size === 0) kinds.add('other');
        for (const k of kinds) bump(b.failureKinds, k);
        return;
      }
    }
  }

  snapshot(now = this.clock()): StatsSnapshot {
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.buckets.length + 1;
    const live = this.buckets.filter((b) => b.index >= oldest && b.index <= current);
    const spanMs = Math.min(now - this.startedAt, (this.buckets.length - 1) * this.bucketMs + (now - current * this.bucketMs));
    const seconds = Math.max(spanMs, Math.min(this.bucketMs, 1000)) / 1000;
    const rate = (count: number): RateRow => ({ count, perSecond: round2(count / seconds) });

    const sum = (pick: (b: Bucket) => number): number => live.reduce((n, b) => n + pick(b), 0);
    const mergeMaps = <K>(pick: (b: Bucket) => Map<K, number>): Map<K, number> => {
      const out = new Map<K, number>();
      for (const b of live) for (const [k, n] of pick(b)) bump(out, k, n);
      return out;
    };
    const sorted = <K extends string>(m: Map<K, number>): Array<[K, number]> => topEntries(m, m.size) as Array<[K, number]>;

    const collections = mergeFrequent(live.map((b) => b.collections));
    const topCollections = topEntries(collections.counts, this.topCollections);
    const listed = topCollections.reduce((n, [, c]) => n + c, 0);
    const accounts = mergeFrequent(live.map((b) => b.accounts));

    const lagSamples = sum((b) => b.lagSamples);
    let lag: StatsSnapshot['lag'] = null;
    if (lagSamples > 0) {
      const bins = new Uint32Array(LAG_BINS);
      let maxMs = 0;
      for (const b of live) {
        if (b.lagSamples === 0) continue;
        for (let i = 0; i < LAG_BINS; i++) bins[i]! += b.lag[i]!;
        if (b.lagMax > maxMs) maxMs = b.lagMax;
      }
      lag = {
        samples: lagSamples,
        p50Ms: Math.round(histogramQuantile(bins, 0.5, maxMs)),
        p95Ms: Math.round(histogramQuantile(bins, 0.95, maxMs)),
        maxMs: Math.round(maxMs),
        ahead: sum((b) => b.ahead),
      };
    }

    return {
      at: new Date(now).toISOString(),
      windowSeconds: round2(seconds),
      totals: { ...this.totals },
      events: rate(sum((b) => b.events)),
      ops: rate(sum((b) => b.ops)),
      failures: rate(sum((b) => b.failures)),
      byType: sorted(mergeMaps((b) => b.byType)).map(([type, n]) => ({ type, ...rate(n) })),
      byAction: sorted(mergeMaps((b) => b.byAction)).map(([op, n]) => ({ op, ...rate(n) })),
      collections: {
        top: topCollections.map(([collection, n]) => ({ collection, ...rate(n) })),
        others: Math.max(0, collections.total - listed),
        maxUndercount: collections.maxUndercount,
      },
      accounts: { top: topEntries(accounts.counts, this.topAccounts).map(([did, n]) => ({ did, ...rate(n) })), maxUndercount: accounts.maxUndercount },
      lag,
      failuresByKind: sorted(mergeMaps((b) => b.failureKinds)).map(([kind, count]) => ({ kind, count })),
    };
  }
}
