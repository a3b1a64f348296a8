// The `firehose stats` aggregator on a fake clock: rates over the sliding window, buckets that
// fall out of it, ops by action and collection (including op rows of --ops mode counted as one
// event per commit), the busiest accounts with a bounded table, lag percentiles, failures by kind,
// and memory that stays bounded when every event comes from a new account.
import { describe, expect, it } from 'vitest';
import { FirehosePipeline } from '../../../src/core/firehose/pipeline.js';
import { inspectFrame } from '../../../src/core/firehose/subscriber.js';
import { doctoredStream } from './test-relay.js';
import {
  FrequentCounter,
  StreamStats,
  failureKind,
  histogramQuantile,
  lagBin,
  lagBinUpperMs,
  mergeFrequent,
  LAG_BINS,
  type StatsItem,
} from '../../../src/core/firehose/stats.js';

const T0 = Date.parse('2024-06-01T12:00:00.000Z');

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function commit(did: string, time: number, ops: Array<[string, string]>): StatsItem {
  return { kind: 'event', value: { type: 'commit', did, time: iso(time), ops: ops.map(([op, collection]) => ({ op, collection })) } };
}

describe('failureKind', () => {
  it.each([
    ['bad signature: signature does not match the message and public key (key did:key:z…)', 'signature'],
    ['cannot get the signing key of did:plc:x: not found', 'key'],
    ['prevData does not continue the chain: expected bafy…, got bafy…', 'chain'],
    ['rev not newer: 3l <= 3m', 'chain'],
    ['op create app.bsky.feed.post/3k: not in the tree (the op says bafy…)', 'proof'],
    ['op delete app.bsky.feed.post/3k: incomplete proof: MST node bafy… is missing from blocks', 'proof'],
    ['inverted root bafyA != prevData bafyB', 'proof'],
    ['commit rev 3z is in the future (2030-01-01T00:00:00.000Z)', 'commit'],
    ['CAR root bafyA != commit bafyB', 'commit'],
    ['invalid #commit event (seq 5): "rev" is missing, not a string', 'event'],
    ['invalid Jetstream message: "kind" is missing', 'event'],
    ['invalid frame: text message (the event stream is binary only)', 'frame'],
    ['something new', 'other'],
  ])('%s → %s', (reason, kind) => {
    expect(failureKind(reason)).toBe(kind);
  });
});

describe('FrequentCounter (Misra–Gries)', () => {
  it('counts exactly while under capacity', () => {
    const c = new FrequentCounter(4);
    for (const k of ['a', 'b', 'a', 'c', 'a']) c.add(k);
    expect(Object.fromEntries(c.counts)).toEqual({ a: 3, b: 1, c: 1 });
    expect(c.rounds).toBe(0);
  });

  it('never holds more than capacity keys; a heavy key survives and is low by at most `rounds`', () => {
    const c = new FrequentCounter(10);
    let heavy = 0;
    for (let i = 0; i < 20_000; i++) {
      if (i % 4 === 0) {
        c.add('heavy');
        heavy++;
      } else c.add(`k${i}`);
      expect(c.counts.size).toBeLessThanOrEqual(10);
    }
    const got = c.counts.get('heavy') ?? 0;
    expect(got).toBeLessThanOrEqual(heavy);
    expect(got).toBeGreaterThanOrEqual(heavy - c.rounds);
    // The bound is n / (k + 1): 20,000 / 11.
    expect(c.rounds).toBeLessThanOrEqual(Math.ceil(20_000 / 11));
    expect(c.total).toBe(20_000);
  });

  it('merges by summing; the bounds add up', () => {
    const a = new FrequentCounter(2);
    const b = new FrequentCounter(2);
    for (const k of ['x', 'x', 'y', 'z']) a.add(k);
    for (const k of ['x', 'w']) b.add(k);
    const m = mergeFrequent([a, b]);
    expect(m.total).toBe(6);
    expect(m.maxUndercount).toBe(a.rounds + b.rounds);
    expect(m.counts.get('x')).toBeGreaterThanOrEqual(3 - m.maxUndercount);
  });
});

describe('lag histogram', () => {
  it('bins are about 10% wide and quantiles report the bin edge, capped at the max', () => {
    expect(lagBin(-5)).toBe(0);
    expect(lagBin(0.5)).toBe(0);
    for (const ms of [1, 7, 100, 1234, 60_000, 3_600_000]) {
      const upper = lagBinUpperMs(lagBin(ms));
      expect(upper).toBeGreaterThan(ms);
      expect(upper).toBeLessThanOrEqual(ms * 1.1 + 1e-9);
    }
    expect(lagBin(1e12)).toBe(LAG_BINS - 1);
    const bins = new Uint32Array(LAG_BINS);
    for (let ms = 1; ms <= 100; ms++) bins[lagBin(ms)]! += 1;
    const p50 = histogramQuantile(bins, 0.5, 100);
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(55);
    expect(histogramQuantile(bins, 1, 100)).toBe(100);
    expect(histogramQuantile(new Uint32Array(LAG_BINS), 0.5, 0)).toBe(0);
  });
});

describe('StreamStats', () => {
  it('counts events by type, ops by action and collection, and rates over the elapsed time', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now });
    c.advance(500);
    s.add(commit('did:plc:alice', c.now() - 200, [['create', 'app.bsky.feed.post'], ['create', 'app.bsky.feed.like']]));
    s.add(commit('did:plc:alice', c.now() - 300, [['delete', 'app.bsky.feed.like']]));
    s.add({ kind: 'event', value: { type: 'identity', did: 'did:plc:bob', time: iso(c.now() - 1000) } });
    s.add({ kind: 'event', value: { type: 'info' } });
    c.advance(1500);
    const snap = s.snapshot();
    expect(snap.at).toBe(iso(T0 + 2000));
    expect(snap.windowSeconds).toBe(2);
    expect(snap.events).toEqual({ count: 4, perSecond: 2 });
    expect(snap.ops).toEqual({ count: 3, perSecond: 1.5 });
    expect(snap.totals).toEqual({ events: 4, ops: 3, failures: 0 });
    expect(snap.byType).toEqual([
      { type: 'commit', count: 2, perSecond: 1 },
      { type: 'identity', count: 1, perSecond: 0.5 },
      { type: 'info', count: 1, perSecond: 0.5 },
    ]);
    expect(snap.byAction).toEqual([
      { op: 'create', count: 2, perSecond: 1 },
      { op: 'delete', count: 1, perSecond: 0.5 },
    ]);
    expect(snap.collections.top).toEqual([
      { collection: 'app.bsky.feed.like', count: 2, perSecond: 1 },
      { collection: 'app.bsky.feed.post', count: 1, perSecond: 0.5 },
    ]);
    expect(snap.collections.others).toBe(0);
    expect(snap.accounts.top).toEqual([
      { did: 'did:plc:alice', count: 2, perSecond: 1 },
      { did: 'did:plc:bob', count: 1, perSecond: 0.5 },
    ]);
    expect(snap.accounts.maxUndercount).toBe(0);
    // Lags 200, 300 and 1000 ms (info has no time).
    expect(snap.lag?.samples).toBe(3);
    expect(snap.lag?.p50Ms).toBeGreaterThanOrEqual(300);
    expect(snap.lag?.p50Ms).toBeLessThanOrEqual(330);
    expect(snap.lag?.maxMs).toBe(1000);
    expect(snap.lag?.p95Ms).toBe(1000);
    expect(snap.lag?.ahead).toBe(0);
    expect(snap.failuresByKind).toEqual([]);
  });

  it('op rows (--ops) count one event per commit and one op per row', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now });
    const row = (seq: number, rkey: string, op = 'create'): StatsItem => ({
      kind: 'op',
      value: { type: 'commit', seq, did: 'did:plc:a', time: iso(c.now()), op, collection: 'app.bsky.feed.post' },
    });
    s.add(row(1, 'a'));
    s.add(row(1, 'b'));
    s.add(row(2, 'c', 'update'));
    c.advance(1000);
    const snap = s.snapshot();
    expect(snap.events.count).toBe(2);
    expect(snap.ops.count).toBe(3);
    expect(snap.byAction.map((r) => [r.op, r.count])).toEqual([
      ['create', 2],
      ['update', 1],
    ]);
  });

  it('buckets leave the window: old traffic no longer counts, totals keep it', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now, windowMs: 10_000 });
    for (let i = 0; i < 50; i++) s.add(commit('did:plc:old', c.now(), [['create', 'app.bsky.feed.like']]));
    c.advance(5_000);
    expect(s.snapshot().events.count).toBe(50);
    c.advance(20_000);
    for (let i = 0; i < 10; i++) s.add(commit('did:plc:new', c.now(), [['create', 'app.bsky.feed.post']]));
    c.advance(1_500);
    const snap = s.snapshot();
    // Ten one-second buckets, the current one half full: the window spans 9.5 s.
    expect(snap.windowSeconds).toBe(9.5);
    expect(snap.events).toEqual({ count: 10, perSecond: 1.05 });
    expect(snap.accounts.top.map((a) => a.did)).toEqual(['did:plc:new']);
    expect(snap.collections.top.map((r) => r.collection)).toEqual(['app.bsky.feed.post']);
    expect(snap.totals.events).toBe(60);
  });

  it('failures are counted by kind, once per kind per failure', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now });
    const fail = (...reasons: string[]): StatsItem => ({ kind: 'failure', value: { type: 'commit', did: 'did:plc:x', reasons } });
    s.add(fail('bad signature: no match (key did:key:z)'));
    s.add(fail('bad signature: no match (key did:key:z)', 'op create a.b.c/x: not in the tree (the op says bafy)', 'op create a.b.c/y: not in the tree (the op says bafy)'));
    s.add(fail('prevData does not continue the chain: expected a, got b'));
    s.add({ kind: 'failure', value: { type: null, did: null, reasons: ['invalid frame: text message'] } });
    c.advance(2000);
    const snap = s.snapshot();
    expect(snap.failures.count).toBe(4);
    expect(snap.failuresByKind).toEqual([
      { kind: 'signature', count: 2 },
      { kind: 'chain', count: 1 },
      { kind: 'frame', count: 1 },
      { kind: 'proof', count: 1 },
    ]);
  });

  it('events timestamped in the future count as "ahead" with lag 0', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now });
    s.add(commit('did:plc:a', c.now() + 5000, []));
    const snap = s.snapshot();
    expect(snap.lag).toEqual({ samples: 1, ahead: 1, p50Ms: 0, p95Ms: 0, maxMs: 0 });
  });

  it('stays bounded when every event comes from a new account and a new collection, and still finds the heavy hitter', () => {
    const c = clock();
    const s = new StreamStats({ clock: c.now, windowMs: 5_000, capacity: 50, topAccounts: 3 });
    let heavy = 0;
    for (let i = 0; i < 40_000; i++) {
      if (i % 5 === 0) {
        s.add(commit('did:plc:heavy', c.now(), [['create', 'app.bsky.feed.post']]));
        heavy++;
      } else {
        s.add(commit(`did:plc:u${i}`, c.now(), [['create', `com.example.c${i}`]]));
      }
      if (i % 4000 === 3999) c.advance(500);
    }
    const internal = (s as unknown as { buckets: Array<{ accounts: FrequentCounter; collections: FrequentCounter }> }).buckets;
    for (const b of internal) {
      expect(b.accounts.counts.size).toBeLessThanOrEqual(50);
      expect(b.collections.counts.size).toBeLessThanOrEqual(50);
    }
    const snap = s.snapshot();
    expect(snap.accounts.top[0]!.did).toBe('did:plc:heavy');
    const inWindow = snap.events.count / 5;
    expect(snap.accounts.top[0]!.count).toBeGreaterThanOrEqual(inWindow - snap.accounts.maxUndercount);
    expect(snap.accounts.maxUndercount).toBeGreaterThan(0);
    expect(snap.collections.top[0]!.collection).toBe('app.bsky.feed.post');
    expect(snap.collections.others + snap.collections.top.reduce((n, r) => n + r.count, 0)).toBe(snap.ops.count);
    expect(heavy).toBe(8000);
  });
});

describe('StreamStats on real pipeline outputs', () => {
  it('classifies every failure the verifier reports for doctored frames, none as "other"', async () => {
    const stream = doctoredStream();
    const p = new FirehosePipeline({ verify: true, resolveKey: async () => stream.repo.key.publicKey });
    const s = new StreamStats();
    for (const e of stream.entries) for (const o of await p.process(inspectFrame(e.data))) s.add(o);
    const snap = s.snapshot();
    const kinds = snap.failuresByKind.map((f) => f.kind);
    expect(snap.failures.count).toBe(stream.expected.filter((e) => !e.ok).length);
    expect(kinds).not.toContain('other');
    for (const k of ['signature', 'proof', 'commit', 'frame', 'chain'] as const) expect(kinds, k).toContain(k);
    expect(snap.byType.find((t) => t.type === 'commit')!.count).toBe(stream.expected.filter((e) => e.ok && e.type === 'commit').length);
  });
});
