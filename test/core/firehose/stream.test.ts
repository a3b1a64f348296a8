// FirehosePipeline.run: the whole-stream path. Outputs equal the frame-at-a-time path, in seq
// order, on worker threads too; a DID seen for the first time is looked up concurrently while
// other accounts' frames keep being processed; failed look-ups are remembered briefly and
// retried; keys are history-aware (keyRotatedSince, never-in-force keys fail, did:web says it has
// no history); inactive accounts and hosts that do not match are flagged; a broken chain can be
// resynchronised; and reading stops while the consumer is behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { FirehosePipeline, type FrameInput, type FrameSource, type PipelineOptions, type StreamOutput } from '../../../src/core/firehose/pipeline.js';
import type { AccountInfo, KeyWindow } from '../../../src/core/firehose/keys.js';
import { readCursorFile, subscribeFrames } from '../../../src/core/firehose/subscriber.js';
import { post, tid } from '../repo/repo-builder.js';
import { TestRepo, commitBody, frame, type BuiltCommit } from './commit-builder.js';
import { TestRelay, doctoredStream } from './test-relay.js';
import { firehoseWorkerUrl } from './worker-bundle.js';

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A well-formed did:plc for account `i`. */
function plcDid(i: number): string {
  let s = '';
  let n = i;
  for (let k = 0; k < 6; k++) {
    s += B32[n % 32];
    n = Math.floor(n / 32);
  }
  return `did:plc:${s.padEnd(24, 'q')}`;
}

const rkey = (i: number): string => tid(8_000_000 + i);

function commitFrame(c: BuiltCommit, seq: number): Uint8Array {
  return frame({ op: 1, t: '#commit' }, commitBody({ ...c.evt, seq }));
}

/** A source over fixed frames that counts how many were pulled; after the first, it can wait for `gate`. */
function arraySource(frames: Array<Uint8Array | string>, receivedAt = Date.now(), gate?: Promise<void>): FrameSource & { pulled: number } {
  const src = {
    pulled: 0,
    async *[Symbol.asyncIterator](): AsyncGenerator<FrameInput> {
      for (const data of frames) {
        if (src.pulled === 1 && gate !== undefined) await gate;
        src.pulled++;
        yield { data, receivedAt };
      }
    },
  };
  return src;
}

/** Options that start the worker threads at the first frame, and a promise that they are up. */
async function onThreads(): Promise<{ options: PipelineOptions; up: Promise<void> }> {
  let started!: () => void;
  const up = new Promise<void>((resolve) => (started = resolve));
  const options: PipelineOptions = {
    workers: 2,
    workerUrl: await firehoseWorkerUrl(),
    inlineFrames: 0,
    onNotice: (n) => {
      if (n.type === 'workers') started();
      else throw new Error(`no worker threads: ${JSON.stringify(n)}`);
    },
  };
  return { options, up };
}

async function collect(p: FirehosePipeline, src: FrameSource): Promise<StreamOutput[]> {
  const out: StreamOutput[] = [];
  for await (const batch of p.run(src)) out.push(...batch);
  return out;
}

const json = (outs: StreamOutput[]): unknown[] => outs.map((o) => JSON.parse(JSON.stringify(o)));

function given(did: string, key: string): AccountInfo {
  return { did, source: 'given', current: key, history: null, pds: null };
}

/** `accounts` repositories committing in turn (k256 and p256 keys), as one stream. */
function interleaved(accounts: number, commitsEach: number): { frames: Uint8Array[]; repos: TestRepo[]; keys: Map<string, PrivateKey> } {
  const repos = Array.from({ length: accounts }, (_, i) => new TestRepo({ did: plcDid(i), key: generatePrivateKey(i % 3 === 2 ? 'p256' : 'k256'), records: [['app.bsky.actor.profile/self', { $type: 'app.bsky.actor.profile' }]] }));
  const frames: Uint8Array[] = [];
  let seq = 0;
  for (let c = 0; c < commitsEach; c++) {
    for (const [i, repo] of repos.entries()) {
      const writes = c > 0 && c % 3 === 0
        ? [{ action: 'delete' as const, path: `app.bsky.feed.post/${rkey(i * 100 + c - 1)}` }]
        : [{ action: 'create' as const, path: `app.bsky.feed.post/${rkey(i * 100 + c)}`, record: post(`account ${i} commit ${c}`) }];
      frames.push(commitFrame(repo.commit(writes), ++seq));
    }
  }
  return { frames, repos, keys: new Map(repos.map((r) => [r.did, r.key])) };
}

const relays: TestRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe('run(): the whole stream, in order, on worker threads', () => {
  it('gives exactly what process() gives, frame by frame, with and without worker threads', async () => {
    const doctored = doctoredStream();
    const many = interleaved(9, 6);
    for (const [name, frames, keyOf] of [
      ['doctored', doctored.entries.map((e) => e.data), () => doctored.repo.key.publicKey.did()],
      ['interleaved', many.frames, (did: string) => many.keys.get(did)!.publicKey.did()],
    ] as const) {
      const options = (): PipelineOptions => ({ verify: true, resolveAccount: async (did) => given(did, keyOf(did)) });
      const one = new FirehosePipeline(options());
      const expected: StreamOutput[] = [];
      for (const data of frames) expected.push(...(await one.process({ data, receivedAt: Date.now() })));
      const inline = await collect(new FirehosePipeline({ ...options(), workers: 1 }), arraySource([...frames]));
      const threads = await onThreads();
      const threaded = new FirehosePipeline({ ...options(), ...threads.options, maxPendingFrames: 16 });
      const onThreadsOut = await collect(threaded, arraySource([...frames], Date.now(), threads.up));
      expect(json(inline), name).toEqual(json(expected));
      expect(json(onThreadsOut), name).toEqual(json(expected));
      expect(threaded.stats).toEqual(one.stats);
    }
    // Every interleaved commit verified, in seq order, each account's chain continuous.
    const threads = await onThreads();
    const all = await collect(new FirehosePipeline({ verify: true, resolveAccount: async (did) => given(did, many.keys.get(did)!.publicKey.did()), ...threads.options }), arraySource(many.frames, Date.now(), threads.up));
    expect(all.map((o) => (o.kind === 'event' && o.value.type === 'commit' && o.value.verified ? o.value.seq : -1))).toEqual(many.frames.map((_, i) => i + 1));
  }, 120_000);

  it('from a relay: subscribeFrames → run → every doctored frame reported; the cursor file holds the last seq handed over', async () => {
    const stream = doctoredStream();
    const relay = await TestRelay.start({ entries: stream.entries });
    relays.push(relay);
    const cursorFile = join(mkdtempSync(join(tmpdir(), 'atcli-stream-')), 'cursor.json');
    const frames = subscribeFrames({ url: relay.url, cursor: 0, cursorFile, saveEveryEvents: 1000, backoff: { initialMs: 10, maxMs: 50 } });
    const threads = await onThreads();
    const p = new FirehosePipeline({ verify: true, resolveAccount: async (did) => given(did, stream.repo.key.publicKey.did()), ...threads.options });
    const out: StreamOutput[] = [];
    for await (const batch of p.run(frames)) {
      out.push(...batch);
      if (p.stats.frames >= stream.frames) break;
    }
    // Stopping early (as --limit does): what was handled is acknowledged by the consumer.
    await frames.acknowledge(p.lastYieldedSeq!);
    const lines = out.map((o) => `${o.kind === 'failure' ? '✗' : ''}${('seq' in o.value ? o.value.seq : null) ?? '-'}`);
    expect(lines).toEqual(stream.expected.map((e) => `${e.ok ? '' : '✗'}${e.seq ?? '-'}`));
    out.forEach((o, i) => {
      const e = stream.expected[i]!;
      if (!e.ok && o.kind === 'failure') expect(o.value.reasons.join('\n')).toMatch(e.reason!);
    });
    const lastSeq = Math.max(...stream.expected.map((e) => e.seq ?? 0));
    expect(await readCursorFile(cursorFile)).toMatchObject({ seq: lastSeq });
  }, 60_000);
});

describe('account look-ups never stall the stream', () => {
  it('a slow account is looked up while the other accounts are looked up (bounded) and processed; output stays in order', async () => {
    const { frames, keys } = interleaved(12, 2);
    const slow = plcDid(0);
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    let p!: FirehosePipeline;
    let othersDone = 0;
    p = new FirehosePipeline({
      verify: true,
      keyConcurrency: 4,
      workers: 1,
      resolveAccount: async (did) => {
        if (did === slow) await slowGate;
        else {
          await new Promise((r) => setTimeout(r, 20));
          if (++othersDone === 11) releaseSlow();
        }
        return given(did, keys.get(did)!.publicKey.did());
      },
    });
    const out = await collect(p, arraySource(frames));
    // The slow account's look-up only finished once all eleven others had been looked up.
    expect(othersDone).toBe(11);
    expect(p.lookups).toMatchObject({ lookups: 12, failures: 0, maxInFlight: 4 });
    expect(out.map((o) => (o.kind === 'event' ? (o.value as { seq: number }).seq : `✗${o.value.seq}`))).toEqual(frames.map((_, i) => i + 1));
  }, 60_000);

  it('a failed look-up is a failure naming it, remembered for errorTtlMs, then retried; #identity looks up again at once', async () => {
    const repo = new TestRepo({ did: plcDid(3) });
    let now = Date.parse('2026-01-01T00:00:00Z');
    let fail = true;
    const calls: boolean[] = [];
    let looked!: () => void;
    let lookedUp = new Promise<void>((r) => (looked = r));
    const p = new FirehosePipeline({
      verify: true,
      workers: 1,
      errorTtlMs: 30_000,
      clock: () => now,
      resolveAccount: async (did, { fresh }) => {
        calls.push(fresh);
        looked();
        if (fail) throw new Error(`${did} is not in the PLC directory`);
        return given(did, repo.key.publicKey.did());
      },
    });
    const c = (i: number) => commitFrame(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(i)}`, record: post(`${i}`) }]), i);
    const src: FrameSource = {
      async *[Symbol.asyncIterator]() {
        yield { data: c(1), receivedAt: now };
        await lookedUp;
        await new Promise((r) => setTimeout(r, 20));
        yield { data: c(2), receivedAt: now }; // within the TTL: not looked up again
        await new Promise((r) => setTimeout(r, 20));
        now += 31_000;
        fail = false;
        lookedUp = new Promise<void>((r) => (looked = r));
        yield { data: c(3), receivedAt: now }; // after the TTL: retried
        await lookedUp;
        await new Promise((r) => setTimeout(r, 20));
        yield { data: frame({ op: 1, t: '#identity' }, { seq: 4, did: repo.did, time: '2026-01-01T00:01:00.000Z' }), receivedAt: now };
        yield { data: c(5), receivedAt: now }; // after #identity: looked up again, fresh
      },
    };
    const out = await collect(p, src);
    expect(out[0]).toMatchObject({ kind: 'failure', value: { seq: 1, reasons: [expect.stringMatching(/cannot get the signing key of .*: .* is not in the PLC directory/)] } });
    // seq 2 chains from nothing verified: it fails on its key only.
    expect(out[1]).toMatchObject({ kind: 'failure', value: { seq: 2 } });
    expect(out.slice(2).map((o) => `${o.kind} ${(o.value as { seq: number }).seq}`)).toEqual(['event 3', 'event 4', 'event 5']);
    expect(calls).toEqual([false, true, true]);
  });
});

describe('history-aware keys', () => {
  const T0 = '2025-01-01T00:00:00.000Z';
  const T1 = '2025-06-01T00:00:00.000Z';
  const at = (base: string, deltaMs: number): string => new Date(Date.parse(base) + deltaMs).toISOString();

  function setup(source: 'plc' | 'web') {
    const k1 = generatePrivateKey('k256');
    const k2 = generatePrivateKey('p256');
    const repo = new TestRepo({ did: source === 'plc' ? plcDid(7) : 'did:web:example.com', key: k1 });
    // A handle change in between: an operation that keeps the key.
    const TH = '2025-03-01T00:00:00.000Z';
    const history: KeyWindow[] = [
      { key: k1.publicKey.did(), from: T0, until: TH, pds: 'https://old.example', nullified: false },
      { key: k1.publicKey.did(), from: TH, until: T1, pds: 'https://old.example', nullified: false },
      { key: k2.publicKey.did(), from: T1, until: null, pds: 'https://new.example', nullified: false },
    ];
    const info: AccountInfo = source === 'plc'
      ? { did: repo.did, source, current: k2.publicKey.did(), history, pds: 'https://new.example' }
      : { did: repo.did, source, current: k2.publicKey.did(), history: null, pds: 'https://new.example' };
    let seq = 0;
    const c = (signWith: PrivateKey, time: string): Uint8Array => commitFrame(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(++seq)}`, record: post(`${seq}`) }], { signWith, time }), seq);
    return { k1, k2, repo, info, c };
  }

  it('judges each event by the key in force at its time; a replaced key is valid with keyRotatedSince; another key fails', async () => {
    const { k1, k2, info, c } = setup('plc');
    const k3 = generatePrivateKey('k256');
    const frames = [
      c(k1, at(T0, 3_600_000)), // old key, while in force
      c(k1, at(T1, 30_000)), // old key, 30 s after the change: within the tolerated skew
      c(k1, at(T1, 3_600_000)), // old key, an hour after it was replaced
      c(k3, at(T0, 7_200_000)), // a key never in force
      c(k2, at(T1, 3_600_000)), // the current key
      c(k2, at(T0, 3_600_000)), // the current key, before it was in force
    ];
    // One pipeline per frame: each is judged on its own (no chain between them).
    const out: StreamOutput[] = [];
    let keyRotated = 0;
    for (const f of frames) {
      const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info });
      out.push(...(await collect(p, arraySource([f]))));
      keyRotated += p.stats.keyRotated;
    }
    const view = (i: number) => out[i]!.value as unknown as Record<string, unknown>;
    expect(out.map((o) => o.kind)).toEqual(['event', 'event', 'failure', 'failure', 'event', 'failure']);
    expect(view(0)).toMatchObject({ verified: true, keyRotatedSince: T1 });
    expect(view(1)).toMatchObject({ verified: true, keyRotatedSince: T1 });
    expect(view(4)).toMatchObject({ verified: true });
    expect(view(4)).not.toHaveProperty('keyRotatedSince');
    for (const i of [2, 3, 5]) expect((view(i).reasons as string[]).join('\n')).toMatch(/bad signature: .*not signed by the key in force at the event's time/);
    expect(keyRotated).toBe(2);
  });

  it('a #sync may re-announce a commit signed by an earlier key (a host serving an imported repository): valid, with keyRotatedSince', async () => {
    const { k1, repo, info } = setup('plc');
    const { evt } = repo.sync({ signWith: k1 });
    const sync = (time: string) => frame({ op: 1, t: '#sync' }, { seq: 1, did: repo.did, blocks: evt.blocks, rev: evt.rev, time });
    const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info });
    const out = await collect(p, arraySource([sync(at(T1, 3_600_000))]));
    expect(out[0]).toMatchObject({ kind: 'event', value: { type: 'sync', verified: true, keyRotatedSince: T1 } });
    // A commit is judged by the key in force when it was sequenced: the same key an hour after it was replaced fails.
    const { c } = setup('plc');
    const q = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info });
    expect((await collect(q, arraySource([c(k1, at(T1, 3_600_000))])))[0]?.kind).toBe('failure');
  });

  it('did:web has no history: a key that does not match says so', async () => {
    const { k1, info, c } = setup('web');
    const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info });
    const out = await collect(p, arraySource([c(k1, at(T0, 1000))]));
    expect(out[0]).toMatchObject({ kind: 'failure', value: { reasons: [expect.stringMatching(/did:web keeps no key history/)] } });
  });

  it('an event before the DID existed has no key to check: a failure that says so', async () => {
    const { k1, info, c } = setup('plc');
    const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info });
    const out = await collect(p, arraySource([c(k1, '2024-01-01T00:00:00.000Z')]));
    expect(out[0]).toMatchObject({ kind: 'failure', value: { reasons: [expect.stringMatching(/did not exist yet/)] } });
  });

  it('hostCheck flags events whose DID document named another PDS at their time', async () => {
    const { k1, k2, info, c } = setup('plc');
    const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => info, hostCheck: 'https://old.example/' });
    const out = await collect(p, arraySource([c(k1, at(T0, 1000)), c(k2, at(T1, 3_600_000))]));
    expect(out[0]!.value).not.toHaveProperty('hostMismatch');
    expect(out[1]!.value).toMatchObject({ verified: true, hostMismatch: 'https://new.example' });
    expect(p.stats.hostMismatch).toBe(1);
  });
});

describe('flags and resync', () => {
  it('events of an account that is not active are flagged until it is active again', async () => {
    const repo = new TestRepo({ did: plcDid(9) });
    const time = '2026-01-01T00:00:00.000Z';
    let seq = 0;
    const c = () => commitFrame(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(seq + 1)}`, record: post('x') }]), ++seq);
    const acct = (active: boolean) => frame({ op: 1, t: '#account' }, active ? { seq: ++seq, did: repo.did, time, active } : { seq: ++seq, did: repo.did, time, active, status: 'deactivated' });
    const frames = [c(), acct(false), c(), frame({ op: 1, t: '#identity' }, { seq: ++seq, did: repo.did, time }), acct(true), c()];
    const p = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async (did) => given(did, repo.key.publicKey.did()) });
    const out = await collect(p, arraySource(frames));
    expect(out.map((o) => `${(o.value as { type: string }).type}:${(o.value as { inactive?: string }).inactive ?? '-'}`)).toEqual([
      'commit:-', 'account:-', 'commit:deactivated', 'identity:deactivated', 'account:-', 'commit:-',
    ]);
    expect(p.stats.inactive).toBe(2);
  });

  it('a broken chain is resynchronised from the repository: events it already holds are not failures, and the chain continues from its commit', async () => {
    const repo = new TestRepo({ did: plcDid(11) });
    const mk = (i: number) => repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(i)}`, record: post(`${i}`) }]);
    const c1 = mk(1);
    mk(2); // never sent
    const c3 = mk(3);
    const c4 = mk(4);
    // The repository is fetched when c3 is judged; by then the host already holds c4.
    const c5 = mk(5);
    const calls: string[] = [];
    const p = new FirehosePipeline({
      verify: true,
      workers: 1,
      resolveAccount: async (did) => given(did, repo.key.publicKey.did()),
      resync: async (did) => {
        calls.push(did);
        return { ok: true, rev: c4.evt.rev, commit: c4.commit.cid.toString(), data: c4.data.toString(), records: 4, from: 'https://pds.example' };
      },
    });
    const out = await collect(p, arraySource([commitFrame(c1, 1), commitFrame(c3, 3), commitFrame(c4, 4), commitFrame(c5, 5)]));
    expect(out.map((o) => o.kind)).toEqual(['event', 'failure', 'resync', 'event', 'event']);
    expect(out[1]).toMatchObject({ value: { seq: 3, reasons: [expect.stringMatching(/prevData does not continue the chain/)] } });
    expect(out[2]).toMatchObject({ value: { type: 'resync', seq: 3, did: repo.did, ok: true, rev: c4.evt.rev, records: 4, from: 'https://pds.example' } });
    expect(out[3]).toMatchObject({ value: { seq: 4, verified: true } });
    expect(out[4]).toMatchObject({ value: { seq: 5, verified: true } });
    expect(p.state(repo.did)?.rev).toBe(c5.evt.rev);
    expect(calls).toEqual([repo.did]);
    expect(p.stats.resyncs).toBe(1);

    // A resync that fails is reported, and the next commit is judged on its own.
    const q = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async (did) => given(did, repo.key.publicKey.did()), resync: async () => ({ ok: false, reasons: ['the repository does not verify'], from: 'https://pds.example' }) });
    const out2 = await collect(q, arraySource([commitFrame(c1, 1), commitFrame(c3, 3), commitFrame(c4, 4)]));
    expect(out2.map((o) => `${o.kind}:${o.value.type}`)).toEqual(['event:commit', 'failure:commit', 'failure:resync', 'event:commit']);
    expect((out2[2]!.value as { reasons: string[] }).reasons[0]).toMatch(/resync from https:\/\/pds\.example: the repository does not verify/);
  });
});

describe('back-pressure', () => {
  it('a slow consumer stops the reads: frames pulled stay within the window of those consumed', async () => {
    const { frames, keys } = interleaved(4, 15);
    const src = arraySource(frames);
    const p = new FirehosePipeline({ verify: true, workers: 1, maxPendingFrames: 8, maxBatch: 2, resolveAccount: async (did) => given(did, keys.get(did)!.publicKey.did()) });
    let consumed = 0;
    let worst = 0;
    for await (const batch of p.run(src)) {
      consumed += batch.length;
      worst = Math.max(worst, src.pulled - consumed);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(consumed).toBe(frames.length);
    expect(worst).toBeLessThanOrEqual(8 + 2 + 1);
  }, 60_000);
});
