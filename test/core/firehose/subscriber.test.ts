// The subscriber against a loopback test relay: URL
// mapping, cursor semantics (drop seq ≤ last processed), reconnects with no gap and no duplicate,
// error frames, invalid frames handed over and skipped, back-pressure with a bounded queue, the
// cursor file, and stopping on an AbortSignal.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtcliError } from '../../../src/core/errors.js';
import {
  inspectFrame,
  readCursorFile,
  subscribe,
  subscribeReposUrl,
  type InboundFrame,
  type SubscribeOptions,
  type SubscriberNotice,
} from '../../../src/core/firehose/subscriber.js';
import { concat, frame } from './commit-builder.js';
import { TestRelay, errorFrame, type RelayEntry } from './test-relay.js';

const DID = 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw';

function identityFrame(seq: number): Uint8Array {
  return frame({ op: 1, t: '#identity' }, { seq, did: DID, time: '2024-06-01T12:00:00.000Z', handle: `h${seq}.test` });
}

function entries(from: number, to: number): RelayEntry[] {
  const out: RelayEntry[] = [];
  for (let s = from; s <= to; s++) out.push({ seq: s, data: identityFrame(s) });
  return out;
}

const relays: TestRelay[] = [];
async function relay(opts: ConstructorParameters<typeof TestRelay>[0] = {}): Promise<TestRelay> {
  const r = await TestRelay.start(opts);
  relays.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

const fast = { backoff: { initialMs: 10, maxMs: 50 }, random: () => 1 } satisfies Partial<SubscribeOptions>;

/** Subscribe until `n` frames were handed over (then stop), collecting frames and notices. */
async function collect(r: TestRelay, n: number, extra: Partial<SubscribeOptions> = {}) {
  const frames: InboundFrame[] = [];
  const notices: SubscriberNotice[] = [];
  const result = await subscribe({
    url: r.url,
    ...fast,
    ...extra,
    onNotice: (x) => notices.push(x),
    onFrame: async (f) => {
      frames.push(f);
      await extra.onFrame?.(f);
      return frames.length < n;
    },
  });
  return { frames, notices, result, seqs: frames.map((f) => f.seq) };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('subscribeReposUrl', () => {
  it.each([
    ['https://bsky.network', 'wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos'],
    ['wss://bsky.network/', 'wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos'],
    ['https://pds.example.com/xrpc/com.atproto.sync.subscribeRepos?cursor=5', 'wss://pds.example.com/xrpc/com.atproto.sync.subscribeRepos'],
    ['http://localhost:2583', 'ws://localhost:2583/xrpc/com.atproto.sync.subscribeRepos'],
    ['ws://127.0.0.1:9/', 'ws://127.0.0.1:9/xrpc/com.atproto.sync.subscribeRepos'],
  ])('%s → %s', (input, expected) => {
    expect(subscribeReposUrl(input)).toBe(expected);
  });

  it('refuses ws:// and http:// to other hosts unless insecure connections are allowed (dev)', () => {
    expect(() => subscribeReposUrl('http://relay.example.com')).toThrow(/unencrypted/);
    expect(() => subscribeReposUrl('ws://10.0.0.1')).toThrow(/unencrypted/);
    expect(subscribeReposUrl('ws://relay.example.com', { allowInsecure: true })).toBe('ws://relay.example.com/xrpc/com.atproto.sync.subscribeRepos');
  });

  it('rejects other schemes, credentials and non-URLs as usage errors', () => {
    for (const bad of ['ftp://relay.example.com', 'https://user:pw@relay.example.com', 'relay.example.com']) {
      let err: unknown;
      try {
        subscribeReposUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AtcliError);
      expect((err as AtcliError).exitCode).toBe(2);
    }
  });
});

describe('inspectFrame', () => {
  it('reads the seq of sequenced messages only', () => {
    expect(inspectFrame(identityFrame(7)).seq).toBe(7);
    expect(inspectFrame(frame({ op: 1, t: '#info' }, { name: 'OutdatedCursor' })).seq).toBeNull();
    expect(inspectFrame(errorFrame('FutureCursor')).seq).toBeNull();
    expect(inspectFrame(frame({ op: 1, t: '#identity' }, { seq: 2 ** 53, did: DID, time: '2024-06-01T12:00:00.000Z' })).seq).toBeNull();
  });

  it('keeps the seq of a frame with trailing bytes or over the size cap; a text frame has none', () => {
    const trailing = inspectFrame(concat(identityFrame(9), new Uint8Array([0])));
    expect(trailing).toMatchObject({ kind: 'invalid', seq: 9 });
    expect(trailing.kind === 'invalid' && trailing.error.reason).toBe('trailing-bytes');
    const big = inspectFrame(identityFrame(10), { maxFrameBytes: 20 });
    expect(big.kind === 'invalid' && big.error.reason).toBe('too-large');
    expect(big.seq).toBe(10);
    const text = inspectFrame('{"seq": 11}');
    expect(text).toMatchObject({ kind: 'invalid', seq: null });
    expect(text.kind === 'invalid' && text.error.reason).toBe('text-frame');
  });
});

describe('subscribe', () => {
  it('hands over every frame in order and sends the cursor; drops the repeat of seq == cursor (spec: seq ≥ cursor)', async () => {
    const r = await relay({ entries: entries(1, 10) });
    const { seqs, result } = await collect(r, 6, { cursor: 4 });
    expect(r.connections[0]?.cursor).toBe(4);
    expect(r.connections[0]?.sent[0]).toBe(4);
    expect(seqs).toEqual(range(5, 10));
    expect(result).toMatchObject({ reason: 'stopped', cursor: 10, connections: 1, duplicates: 1 });
  });

  it('without a cursor connects live (no cursor parameter)', async () => {
    const r = await relay({ entries: entries(1, 3) });
    const { seqs } = await collect(r, 3);
    expect(r.connections[0]?.cursor).toBeNull();
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('reconnects when the connection drops mid-stream and resumes from the last processed seq: no gap, no duplicate', async () => {
    const r = await relay({ entries: entries(1, 30), dropAfter: [7, 5, 9] });
    const { seqs, notices, result } = await collect(r, 30, { cursor: 0 });
    expect(seqs).toEqual(range(1, 30));
    expect(r.connections.map((c) => c.cursor)).toEqual([0, 7, 11, 19]);
    expect(notices.filter((n) => n.type === 'reconnecting')).toHaveLength(3);
    expect(result.connections).toBe(4);
  });

  it('a clean close by the server (close frame) also reconnects', async () => {
    const r = await relay({ entries: entries(1, 12), dropAfter: [4], dropMode: 'close' });
    const { seqs } = await collect(r, 12, { cursor: 0 });
    expect(seqs).toEqual(range(1, 12));
    expect(r.connections).toHaveLength(2);
  });

  it('also works with servers that send seq > cursor', async () => {
    const r = await relay({ entries: entries(1, 12), dropAfter: [4], exclusiveCursor: true });
    const { seqs, result } = await collect(r, 12, { cursor: 0 });
    expect(seqs).toEqual(range(1, 12));
    expect(result.duplicates).toBe(0);
  });

  it('drops a seq that repeats or goes backwards mid-stream, unprocessed (E8)', async () => {
    const list = [...entries(1, 3), { seq: 3, data: identityFrame(3) }, { seq: 2, data: identityFrame(2) }, ...entries(4, 5)];
    const r = await relay({ entries: list });
    const { seqs, notices, result } = await collect(r, 5);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(result.duplicates).toBe(2);
    expect(notices.filter((n) => n.type === 'duplicate')).toEqual([
      { type: 'duplicate', seq: 3, lastSeq: 3 },
      { type: 'duplicate', seq: 2, lastSeq: 3 },
    ]);
  });

  it('FutureCursor stops with a clear error and never resets the cursor (E7)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-sub-'));
    const cursorFile = join(dir, 'cursor.json');
    const r = await relay({ entries: entries(1, 3) });
    let err: unknown;
    try {
      await subscribe({ url: r.url, cursor: 999, cursorFile, ...fast, onFrame: () => {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).code).toBe('FutureCursor');
    expect((err as AtcliError).exitCode).toBe(1);
    expect((err as AtcliError).message).toMatch(/cursor 999 is in the future/);
    expect((err as AtcliError).hint).toMatch(/smaller cursor/);
    expect(r.connections).toHaveLength(1);
    expect(existsSync(cursorFile)).toBe(false);
  });

  it('ConsumerTooSlow (and other error frames) reconnect from the last processed seq', async () => {
    const r = await relay({ entries: [...entries(1, 3), { data: errorFrame('ConsumerTooSlow', 'slow down'), once: true, closeAfter: true }, ...entries(4, 6)] });
    const { seqs, notices } = await collect(r, 6, { cursor: 0 });
    expect(seqs).toEqual(range(1, 6));
    expect(notices).toContainEqual({ type: 'error-frame', error: 'ConsumerTooSlow', message: 'slow down' });
    expect(r.connections.map((c) => c.cursor)).toEqual([0, 3]);
  });

  it('hands over a text frame, an oversized frame and trailing bytes as invalid, then reconnects and goes on past them', async () => {
    const big = frame({ op: 1, t: '#identity' }, { seq: 5, did: DID, time: '2024-06-01T12:00:00.000Z', pad: new Uint8Array(6_000_000) });
    const r = await relay({
      entries: [
        ...entries(1, 2),
        { data: 'a text frame', once: true },
        ...entries(3, 4),
        { seq: 5, data: big },
        ...entries(6, 7),
        { seq: 8, data: concat(identityFrame(8), new Uint8Array([0xff])) },
        ...entries(9, 10),
      ],
    });
    const { frames } = await collect(r, 10 + 1, { cursor: 0 });
    const summary = frames.map((f) => (f.kind === 'invalid' ? `${f.error.reason}:${f.seq}` : f.seq));
    expect(summary).toEqual([1, 2, 'text-frame:null', 3, 4, 'too-large:5', 6, 7, 'trailing-bytes:8', 9, 10]);
    // Each invalid frame closed the connection; the next one resumed after it.
    expect(r.connections.map((c) => c.cursor)).toEqual([0, 2, 5, 8]);
  }, 20_000);

  it('applies back-pressure: one frame at a time; a full queue pauses the socket (the server waits), nothing is lost, no reconnect', async () => {
    const big = (seq: number): Uint8Array => frame({ op: 1, t: '#identity' }, { seq, did: DID, time: '2024-06-01T12:00:00.000Z', pad: new Uint8Array(200_000) });
    const list: RelayEntry[] = [];
    for (let s = 1; s <= 80; s++) list.push({ seq: s, data: big(s) });
    const r = await relay({ entries: list });
    let busy = 0;
    let overlapped = false;
    const { seqs, result } = await collect(r, 80, {
      cursor: 0,
      maxQueuedFrames: 4,
      onFrame: async () => {
        busy++;
        if (busy > 1) overlapped = true;
        await new Promise((res) => setTimeout(res, 10));
        busy--;
      },
    });
    expect(overlapped).toBe(false);
    expect(seqs).toEqual(range(1, 80));
    expect(result.connections).toBe(1);
    // 16 MB cannot sit in socket buffers: the relay had to wait for the reader.
    expect(r.waitedForDrain).toBeGreaterThan(0);
  }, 30_000);

  it('a refused handshake says its HTTP status: 429/503 are retried after Retry-After, 404 stops at once', async () => {
    const r = await relay({ entries: entries(1, 3), refuse: [{ status: 429, headers: { 'retry-after': '1' }, body: '{"error":"RateLimitExceeded","message":"slow down"}' }, { status: 503 }] });
    const started = Date.now();
    const { seqs, notices } = await collect(r, 3, { cursor: 0 });
    expect(seqs).toEqual([1, 2, 3]);
    const retries = notices.filter((n) => n.type === 'reconnecting');
    expect(retries.map((n) => n.type === 'reconnecting' && n.status)).toEqual([429, 503]);
    expect(retries[0]).toMatchObject({ reason: expect.stringMatching(/HTTP 429 \(RateLimitExceeded: slow down\)/) });
    expect(retries[0]!.type === 'reconnecting' && retries[0]!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const gone = await relay({ entries: entries(1, 3), refuse: [{ status: 404, body: '<html><body>Not Found</body></html>' }] });
    await expect(collect(gone, 1, { cursor: 0 })).rejects.toMatchObject({ code: 'FirehoseRefused', message: expect.stringMatching(/HTTP 404: Not Found/) });
    expect(gone.refusals).toBe(1);
    expect(gone.connections).toHaveLength(0);
  }, 20_000);

  it('persists the cursor atomically, and a second run resumes from it; a cursor file of another host is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-sub-'));
    const cursorFile = join(dir, 'cursor.json');
    const r = await relay({ entries: entries(1, 20) });
    const first = await collect(r, 8, { cursor: 0, cursorFile, saveEveryEvents: 3 });
    expect(first.seqs).toEqual(range(1, 8));
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ seq: 8, url: subscribeReposUrl(r.url) });
    expect(readdirSync(dir)).toEqual(['cursor.json']);

    const second = await collect(r, 5, { cursorFile });
    expect(second.notices).toContainEqual({ type: 'resumed', seq: 8, from: 'cursor-file' });
    expect(second.seqs).toEqual(range(9, 13));
    expect(await readCursorFile(cursorFile)).toMatchObject({ seq: 13 });

    const other = await relay({ entries: entries(1, 3) });
    await expect(collect(other, 1, { cursorFile })).rejects.toThrow(/belongs to/);

    writeFileSync(cursorFile, '3\n');
    expect(await readCursorFile(cursorFile)).toEqual({ seq: 3 });
    writeFileSync(cursorFile, 'nonsense');
    await expect(readCursorFile(cursorFile)).rejects.toThrow(/does not hold a firehose cursor/);
  });

  it('stops cleanly on an AbortSignal: the frame in flight finishes, the cursor is saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-sub-'));
    const cursorFile = join(dir, 'cursor.json');
    const r = await relay({ entries: entries(1, 5) });
    const ctl = new AbortController();
    const seen: Array<number | null> = [];
    const result = await subscribe({
      url: r.url,
      cursor: 0,
      cursorFile,
      signal: ctl.signal,
      ...fast,
      onFrame: async (f) => {
        seen.push(f.seq);
        if (f.seq === 5) {
          ctl.abort();
          await new Promise((res) => setTimeout(res, 5));
        }
      },
    });
    expect(result).toMatchObject({ reason: 'aborted', cursor: 5 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(await readCursorFile(cursorFile)).toMatchObject({ seq: 5 });
  });

  it('gives up when the first connection cannot be opened at all', async () => {
    const r = await relay();
    const url = r.url;
    await r.close();
    relays.splice(relays.indexOf(r), 1);
    await expect(subscribe({ url, ...fast, maxInitialAttempts: 2, onFrame: () => {} })).rejects.toMatchObject({ code: 'FirehoseUnreachable' });
  });
});
