// The Jetstream client on a loopback server speaking Jetstream's wire format (test-relay.ts with
// path /subscribe, time_us as the position, "time_us ≥ cursor" replay and a future cursor
// meaning live): URL and filters, every event in order, a dropped connection resumed from the
// last time_us with nothing lost or repeated, the cursor file, zstd-compressed messages made by
// the zstd tool, a wrong dictionary, a message that is not JSON, and --verify refused.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { jetstreamQuery, jetstreamUrl, subscribeJetstream, type JetstreamSubscribeOptions } from '../../../src/core/jetstream/client.js';
import type { JetstreamOutput } from '../../../src/core/jetstream/events.js';
import { TestRelay, type RelayEntry } from '../firehose/test-relay.js';

const file = (name: string): Buffer => readFileSync(new URL(`../../fixtures/jetstream/${name}`, import.meta.url));
const T = 1_725_911_000_000_000;

function commitMessage(i: number, collection = 'app.bsky.feed.post'): Record<string, unknown> {
  return {
    did: `did:plc:${'abcdefghijklmnopqrstuvwx'.slice(0, 20)}${String(i % 10).repeat(4).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}`,
    time_us: T + i * 10,
    kind: 'commit',
    commit: {
      rev: `3l3qo2vutsw${'234567'[i % 6]}b`,
      operation: 'create',
      collection,
      rkey: `3l3qo2vuowo${'234567'[i % 6]}${'abcdefgh'[i % 8]}`,
      record: { $type: collection, text: `post ${i}`, createdAt: '2024-09-09T19:46:02.102Z' },
      cid: 'bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi',
    },
  };
}

const jsonEntries = (n: number, from = 0): RelayEntry[] =>
  Array.from({ length: n }, (_, k) => {
    const m = commitMessage(from + k);
    return { seq: m.time_us as number, data: JSON.stringify(m) };
  });

const relays: TestRelay[] = [];
async function jetstream(entries: RelayEntry[], opts: { dropAfter?: Array<number | undefined> } = {}): Promise<TestRelay> {
  const r = await TestRelay.start({ entries, path: '/subscribe', futureCursor: 'live', ...opts });
  relays.push(r);
  return r;
}
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

type Options = Omit<JetstreamSubscribeOptions, 'onOutputs'>;
/** Subscribe until `count` outputs arrived; returns them. */
async function collect(options: Options, count: number): Promise<{ outputs: JetstreamOutput[]; result: Awaited<ReturnType<typeof subscribeJetstream>> }> {
  const outputs: JetstreamOutput[] = [];
  const result = await subscribeJetstream({
    backoff: { initialMs: 20, maxMs: 100 },
    random: () => 0.5,
    ...options,
    onOutputs: (o) => {
      outputs.push(...o);
      return outputs.length < count;
    },
  });
  return { outputs, result };
}

describe('jetstreamUrl and jetstreamQuery', () => {
  it('maps http(s) to ws(s) and appends /subscribe; ws:// only to loopback', () => {
    expect(jetstreamUrl('https://jetstream2.us-east.bsky.network')).toBe('wss://jetstream2.us-east.bsky.network/subscribe');
    expect(jetstreamUrl('wss://js.example.com/subscribe?wantedCollections=x')).toBe('wss://js.example.com/subscribe');
    expect(jetstreamUrl('http://localhost:6008')).toBe('ws://localhost:6008/subscribe');
    expect(() => jetstreamUrl('ws://js.example.com')).toThrow(/unencrypted/);
    expect(() => jetstreamUrl('ftp://js.example.com')).toThrow(/the Jetstream URL/);
  });

  it('sends the filters Jetstream accepts; "*" means no collection filter; oversized filters stay on this side', () => {
    expect(jetstreamQuery({ collections: ['app.bsky.feed.post', 'app.bsky.graph.*'], dids: ['did:plc:a'] }, true)).toEqual({
      query: 'wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.graph.*&wantedDids=did%3Aplc%3Aa&compress=true',
      clientOnly: [],
    });
    expect(jetstreamQuery({ collections: ['*'] }, false)).toEqual({ query: '', clientOnly: [] });
    const many = Array.from({ length: 400 }, (_, i) => `did:plc:${String(i).padStart(24, 'a')}`);
    expect(jetstreamQuery({ collections: ['app.bsky.feed.post'], dids: many }, false)).toEqual({ query: 'wantedCollections=app.bsky.feed.post', clientOnly: ['dids'] });
    const collections = Array.from({ length: 101 }, (_, i) => `com.example.c${i}`);
    expect(jetstreamQuery({ collections }, false).clientOnly).toEqual(['collections']);
  });
});

describe('subscribeJetstream', () => {
  it('refuses to verify: Jetstream carries no signatures', async () => {
    const err = await subscribeJetstream({ url: 'http://localhost:1', verify: true, onOutputs: () => false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtcliError);
    expect(err).toMatchObject({ kind: 'usage', code: 'JetstreamCannotVerify' });
    expect((err as Error).message).toMatch(/no signatures/);
  });

  it('hands over every event in order with the filters sent, and resumes after a dropped connection from the last time_us: no gap, no repeat', async () => {
    const relay = await jetstream(jsonEntries(30), { dropAfter: [7, 12] });
    const { outputs, result } = await collect({ url: relay.url, collections: ['app.bsky.feed.post'], cursor: T }, 30);
    expect(outputs.map((o) => o.value.seq)).toEqual(jsonEntries(30).map((e) => e.seq));
    expect(outputs.every((o) => o.kind === 'event' && o.value.type === 'commit')).toBe(true);
    expect(relay.connections.length).toBe(3);
    expect(relay.connections[0]!.params.getAll('wantedCollections')).toEqual(['app.bsky.feed.post']);
    expect(relay.connections[0]!.cursor).toBe(T);
    // Each reconnect resumes at the last processed event's time_us (which the server sends again).
    expect(relay.connections[1]!.cursor).toBe(T + 6 * 10);
    expect(relay.connections[2]!.cursor).toBe(T + 17 * 10);
    expect(relay.connections[1]!.params.getAll('wantedCollections')).toEqual(['app.bsky.feed.post']);
    expect(result.stats.duplicates).toBe(2);
    expect(result).toMatchObject({ reason: 'stopped', cursor: T + 29 * 10, connections: 3 });
  });

  it('without a cursor connects live; a cursor in the future is live too', async () => {
    const relay = await jetstream(jsonEntries(3));
    const live = subscribeJetstream({ url: relay.url, cursor: T + 10_000_000, onOutputs: () => false });
    await new Promise((r) => setTimeout(r, 200));
    relay.push(...jsonEntries(1, 2_000_000));
    const result = await live;
    expect(result.stats.events).toBe(1);
    expect(result.cursor).toBe(T + 20_000_000);
  });

  it('keeps the cursor in a file and a second run resumes from it', async () => {
    const cursorFile = join(mkdtempSync(join(tmpdir(), 'atcli-js-')), 'cursor.json');
    const relay = await jetstream(jsonEntries(10));
    const first = await collect({ url: relay.url, cursor: 0, cursorFile }, 4);
    expect(first.outputs.map((o) => o.value.seq)).toEqual(jsonEntries(4).map((e) => e.seq));
    const saved = JSON.parse(readFileSync(cursorFile, 'utf8')) as { seq: number; url: string };
    expect(saved).toMatchObject({ seq: T + 30, url: jetstreamUrl(relay.url) });
    const second = await collect({ url: relay.url, cursorFile }, 6);
    expect(relay.connections[1]!.cursor).toBe(T + 30);
    // The resume microsecond is sent again and shown again: at-least-once across runs.
    expect(second.outputs.map((o) => o.value.seq)).toEqual(jsonEntries(6, 3).map((e) => e.seq));
  });

  it('reports a message that is not JSON and goes on without reconnecting', async () => {
    const entries = jsonEntries(3);
    entries.splice(1, 0, { data: '{"did": "did:plc:x", "time_us": ' });
    const relay = await jetstream(entries);
    const { outputs } = await collect({ url: relay.url, cursor: 0 }, 4);
    expect(outputs.map((o) => o.kind)).toEqual(['event', 'failure', 'event', 'event']);
    expect(outputs[1]!.value).toMatchObject({ ok: false, seq: null, reasons: [expect.stringMatching(/^invalid Jetstream message: not JSON/)] });
    expect(relay.connections).toHaveLength(1);
  });

  it('decompresses zstd messages with the dictionary, across a reconnect', async () => {
    const names = ['like', 'delete', 'identity'];
    const entries: RelayEntry[] = names.map((n) => ({ seq: (JSON.parse(file(`${n}.json`).toString('utf8')) as { time_us: number }).time_us, data: new Uint8Array(file(`${n}.json.zst`)) }));
    const relay = await jetstream(entries, { dropAfter: [2] });
    const { outputs } = await collect({ url: relay.url, cursor: 0, zstdDictionary: file('dictionary') }, 3);
    expect(outputs.map((o) => `${o.value.type} ${o.value.seq}`)).toEqual(['commit 1725911162329308', 'commit 1725911162329400', 'identity 1725911162329500']);
    expect(relay.connections.map((c) => c.params.get('compress'))).toEqual(['true', 'true']);
  });

  it('stops with a clear usage error when the messages need another dictionary', async () => {
    const relay = await jetstream([{ seq: 1725911162329308, data: new Uint8Array(file('like.other-dict.json.zst')) }]);
    const err = await collect({ url: relay.url, cursor: 0, zstdDictionary: file('dictionary') }, 1).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'usage', code: 'ZstdDictionaryMismatch' });
    expect((err as Error).message).toMatch(/dictionary 777, not with the given dictionary 4242/);
  });

  it('gives up when the first connection cannot be opened', async () => {
    const err = await subscribeJetstream({ url: 'http://127.0.0.1:1', backoff: { initialMs: 5, maxMs: 10 }, onOutputs: () => true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'runtime', code: 'JetstreamUnreachable' });
  });
});
