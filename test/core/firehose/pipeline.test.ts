// The pipeline shared by `firehose tail` and `replay`: per-account state updated only after a
// verified commit, the key cache (resolve once, refresh on #identity and once on a failed
// signature), filters, structured failures and statistics — and, through the loopback test relay,
// a stream of doctored frames where every failure is reported with its reason and the stream
// goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey, type PublicKey } from '../../../src/core/crypto/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { FirehosePipeline, type PipelineOptions, type PipelineOutput } from '../../../src/core/firehose/pipeline.js';
import { inspectFrame, subscribe } from '../../../src/core/firehose/subscriber.js';
import { post, tid } from '../repo/repo-builder.js';
import { TestRepo, commitBody, frame, type BuiltCommit } from './commit-builder.js';
import { TestRelay, doctoredStream, type ExpectedLine, type RelayEntry } from './test-relay.js';

const TIME = '2024-06-01T12:00:00.000Z';
const rkey = (i: number): string => tid(7_000_000 + i);

function keyResolver(keys: () => PublicKey) {
  const calls: Array<{ did: string; fresh: boolean }> = [];
  return {
    calls,
    resolveKey: async (did: string, opts: { fresh: boolean }) => {
      calls.push({ did, fresh: opts.fresh });
      return keys();
    },
  };
}

async function runOffline(p: FirehosePipeline, entries: RelayEntry[]): Promise<PipelineOutput[]> {
  const out: PipelineOutput[] = [];
  for (const e of entries) out.push(...(await p.process(inspectFrame(e.data))));
  return out;
}

/** One output per frame: check each against what the stream says it should be. */
function expectLines(outputs: PipelineOutput[], expected: ExpectedLine[]): void {
  expect(outputs.map((o) => (o.kind === 'failure' ? `✗ ${o.value.seq}` : `${'seq' in o.value ? o.value.seq : '-'}`))).toEqual(
    expected.map((e) => (e.ok ? `${e.seq}` : `✗ ${e.seq}`)),
  );
  outputs.forEach((o, i) => {
    const e = expected[i]!;
    if (!e.ok) {
      expect(o.kind, `line ${i}`).toBe('failure');
      if (o.kind !== 'failure') return;
      expect(o.value.ok).toBe(false);
      expect(o.value.type).toBe(e.type);
      expect(o.value.reasons.join('\n'), `seq ${e.seq}`).toMatch(e.reason!);
      return;
    }
    expect(o.kind, `line ${i}: ${JSON.stringify(o.value)}`).toBe('event');
    if (o.kind !== 'event') return;
    expect(o.value.type).toBe(e.type);
    if (e.type === 'commit' || e.type === 'sync') expect(o.value).toMatchObject({ verified: true });
    if (e.ops && o.value.type === 'commit') expect(o.value.ops.map((x) => `${x.op} ${x.collection}/${x.rkey}`)).toEqual(e.ops);
  });
}

const relays: TestRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe('doctored frames through the loopback test relay', () => {
  it('every doctored frame is reported as a failure naming its reason, and the stream goes on', async () => {
    const stream = doctoredStream();
    const relay = await TestRelay.start({ entries: stream.entries });
    relays.push(relay);
    const keys = keyResolver(() => stream.repo.key.publicKey);
    const p = new FirehosePipeline({ verify: true, resolveKey: keys.resolveKey });
    const outputs: PipelineOutput[] = [];
    let frames = 0;
    const result = await subscribe({
      url: relay.url,
      cursor: 0,
      backoff: { initialMs: 10, maxMs: 50 },
      onFrame: async (f) => {
        outputs.push(...(await p.process(f)));
        return ++frames < stream.frames;
      },
    });
    expectLines(outputs, stream.expected);
    expect(result.reason).toBe('stopped');
    // text, oversized and trailing-bytes frames each closed the connection.
    expect(relay.connections.length).toBe(4);
    expect(p.stats).toMatchObject({ frames: stream.frames, failures: stream.expected.filter((e) => !e.ok).length, lastSeq: stream.expected.at(-1)!.seq });
    expect(p.state(stream.repo.did)?.data.equals(stream.repo.data)).toBe(true);
    // One resolution, plus one refresh after the bad signature.
    expect(keys.calls).toEqual([
      { did: stream.repo.did, fresh: false },
      { did: stream.repo.did, fresh: true },
    ]);
  }, 30_000);

  it('the same frames offline give the same outputs', async () => {
    const stream = doctoredStream();
    const p = new FirehosePipeline({ verify: true, resolveKey: keyResolver(() => stream.repo.key.publicKey).resolveKey });
    expectLines(await runOffline(p, stream.entries), stream.expected);
  });

  it('without --verify only framing and parsing fail; commits are shown as sent', async () => {
    const stream = doctoredStream();
    const p = new FirehosePipeline({});
    const outputs = await runOffline(p, stream.entries);
    const failures = outputs.filter((o) => o.kind === 'failure').map((o) => (o.kind === 'failure' ? o.value.reasons[0] : ''));
    expect(failures).toHaveLength(3);
    expect(failures.join('\n')).toMatch(/text message[\s\S]*frame limit[\s\S]*after the payload/);
    expect(outputs.filter((o) => o.kind === 'event' && o.value.type === 'commit' && 'verified' in o.value)).toEqual([]);
  });
});

function commitFrame(c: BuiltCommit, seq = c.evt.seq): Uint8Array {
  return frame({ op: 1, t: '#commit' }, commitBody({ ...c.evt, seq }));
}

describe('per-account state and the key cache', () => {
  it('state changes only after a verified commit; the key is resolved once', async () => {
    const repo = new TestRepo();
    const keys = keyResolver(() => repo.key.publicKey);
    const p = new FirehosePipeline({ verify: true, resolveKey: keys.resolveKey });
    const c1 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(1)}`, record: post('one') }]);
    expect((await p.process(inspectFrame(commitFrame(c1))))[0]?.kind).toBe('event');
    const st = p.state(repo.did);
    expect([st?.rev, st?.data.toString(), st?.commitCid?.toString()]).toEqual([c1.evt.rev, c1.data.toString(), c1.commit.cid.toString()]);

    const forged = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(2)}`, record: post('two') }], { signWith: generatePrivateKey('k256') });
    const out = await p.process(inspectFrame(commitFrame(forged)));
    expect(out[0]).toMatchObject({ kind: 'failure', value: { seq: forged.evt.seq, did: repo.did, type: 'commit', ok: false } });
    expect(p.state(repo.did)?.rev).toBe(c1.evt.rev);

    // A stale replay of c1: rev not newer, no state change.
    const stale = await p.process(inspectFrame(commitFrame(c1, 999)));
    expect(stale[0]?.kind === 'failure' && stale[0].value.reasons.join()).toMatch(/rev not newer/);
    expect(p.state(repo.did)?.rev).toBe(c1.evt.rev);
    expect(keys.calls.filter((c) => !c.fresh)).toHaveLength(1);
  });

  it('#identity marks the key stale: the next commit re-resolves it, bypassing caches', async () => {
    const repo = new TestRepo();
    const keys = keyResolver(() => repo.key.publicKey);
    const p = new FirehosePipeline({ verify: true, resolveKey: keys.resolveKey });
    const c1 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(1)}`, record: post('one') }]);
    await p.process(inspectFrame(commitFrame(c1)));
    await p.process(inspectFrame(frame({ op: 1, t: '#identity' }, { seq: 500, did: repo.did, time: TIME })));
    const c2 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(2)}`, record: post('two') }]);
    await p.process(inspectFrame(commitFrame(c2, 501)));
    const c3 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(3)}`, record: post('three') }]);
    await p.process(inspectFrame(commitFrame(c3, 502)));
    expect(keys.calls.map((c) => c.fresh)).toEqual([false, true]);
  });

  it('a rotated key is picked up by one refresh after a failed signature check (D9), at most once per interval', async () => {
    let now = Date.now();
    const oldKey = generatePrivateKey('k256');
    const newKey = generatePrivateKey('k256');
    let current = oldKey;
    const repo = new TestRepo({ key: oldKey });
    const keys = keyResolver(() => current.publicKey);
    const p = new FirehosePipeline({ verify: true, resolveKey: keys.resolveKey, clock: () => now });
    const c1 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(1)}`, record: post('one') }]);
    expect((await p.process(inspectFrame(commitFrame(c1))))[0]?.kind).toBe('event');
    current = newKey;
    const c2 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(2)}`, record: post('two') }], { signWith: newKey });
    expect((await p.process(inspectFrame(commitFrame(c2))))[0]).toMatchObject({ kind: 'event', value: { verified: true } });
    expect(keys.calls.map((c) => c.fresh)).toEqual([false, true]);

    // Forged commits within 10 s of that refresh do not refresh again; after 10 s one does.
    const bad = generatePrivateKey('k256');
    const forge = async (i: number): Promise<void> => {
      const c = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(i)}`, record: post(`${i}`) }], { signWith: bad });
      const out = await p.process(inspectFrame(commitFrame(c)));
      expect(out[0]?.kind === 'failure' && out[0].value.reasons.join()).toMatch(/bad signature/);
    };
    await forge(3);
    await forge(4);
    expect(keys.calls.map((c) => c.fresh)).toEqual([false, true]);
    now += 11_000;
    await forge(5);
    await forge(6);
    expect(keys.calls.map((c) => c.fresh)).toEqual([false, true, true]);
  });

  it('an unresolvable key is a failure naming it, remembered until #identity; an interruption propagates', async () => {
    const repo = new TestRepo();
    let fail = true;
    const calls: boolean[] = [];
    const p = new FirehosePipeline({
      verify: true,
      resolveKey: async (_did, { fresh }) => {
        calls.push(fresh);
        if (fail) throw new AtcliError('notFound', 'DidNotFound', `${repo.did} is not in the PLC directory`);
        return repo.key.publicKey;
      },
    });
    const c1 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(1)}`, record: post('one') }]);
    const out = await p.process(inspectFrame(commitFrame(c1)));
    expect(out[0]?.kind === 'failure' && out[0].value.reasons[0]).toMatch(/cannot get the signing key of .*: .* is not in the PLC directory/);
    const c2 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(2)}`, record: post('two') }]);
    await p.process(inspectFrame(commitFrame(c2)));
    expect(calls).toEqual([false]);
    fail = false;
    await p.process(inspectFrame(frame({ op: 1, t: '#identity' }, { seq: 900, did: repo.did, time: TIME })));
    const c3 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(3)}`, record: post('three') }]);
    expect((await p.process(inspectFrame(commitFrame(c3, 901))))[0]?.kind).toBe('event');
    expect(calls).toEqual([false, true]);

    const q = new FirehosePipeline({ verify: true, resolveKey: async () => Promise.reject(new AtcliError('interrupted', 'Interrupted', 'interrupted')) });
    await expect(q.process(inspectFrame(commitFrame(c3)))).rejects.toMatchObject({ kind: 'interrupted' });
  });

  it('needs a key resolver to verify', () => {
    expect(() => new FirehosePipeline({ verify: true })).toThrow(/resolveKey/);
  });
});

describe('filters, outputs and statistics', () => {
  async function sample(options: PipelineOptions) {
    const alice = new TestRepo({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    const bob = new TestRepo({ did: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb' });
    const like = { $type: 'app.bsky.feed.like', subject: 'x', createdAt: TIME };
    const frames = [
      commitFrame(alice.commit([{ action: 'create', path: `app.bsky.feed.post/${rkey(1)}`, record: post('alice post') }]), 1),
      commitFrame(bob.commit([{ action: 'create', path: `app.bsky.feed.like/${rkey(2)}`, record: like }]), 2),
      commitFrame(alice.commit([
        { action: 'create', path: `app.bsky.feed.like/${rkey(3)}`, record: like },
        { action: 'create', path: `app.bsky.graph.follow/${rkey(4)}`, record: { $type: 'app.bsky.graph.follow', subject: bob.did, createdAt: TIME } },
      ]), 3),
      frame({ op: 1, t: '#identity' }, { seq: 4, did: alice.did, time: TIME, handle: 'alice.test' }),
      frame({ op: 1, t: '#account' }, { seq: 5, did: bob.did, time: TIME, active: false, status: 'deactivated' }),
      frame({ op: 1, t: '#info' }, { name: 'OutdatedCursor', message: 'too old' }),
      frame({ op: 1, t: '#labels' }, { seq: 6 }),
      commitFrame(alice.commit([{ action: 'delete', path: `app.bsky.feed.post/${rkey(1)}` }]), 7),
    ];
    const keys: Record<string, PublicKey> = { [alice.did]: alice.key.publicKey, [bob.did]: bob.key.publicKey };
    const p = new FirehosePipeline({ ...options, resolveKey: async (did) => keys[did]! });
    const out: PipelineOutput[] = [];
    for (const f of frames) out.push(...(await p.process(inspectFrame(f))));
    return { out, p, alice, bob };
  }
  const lines = (out: PipelineOutput[]) => out.map((o) => JSON.parse(JSON.stringify(o.value)) as Record<string, unknown>);

  it('no filters: every event, one line each, with seq, type, did, time (and rev, ops for commits)', async () => {
    const { out, p, alice, bob } = await sample({ verify: true });
    const l = lines(out);
    expect(l.map((x) => x.type)).toEqual(['commit', 'commit', 'commit', 'identity', 'account', 'info', 'commit']);
    expect(l[0]).toMatchObject({ seq: 1, type: 'commit', did: alice.did, time: TIME, verified: true, ops: [{ op: 'create', collection: 'app.bsky.feed.post', rkey: rkey(1) }] });
    expect(typeof l[0]!.rev).toBe('string');
    expect(l[3]).toEqual({ seq: 4, type: 'identity', did: alice.did, time: TIME, handle: 'alice.test' });
    expect(l[4]).toEqual({ seq: 5, type: 'account', did: bob.did, time: TIME, active: false, status: 'deactivated' });
    expect(l[5]).toEqual({ type: 'info', name: 'OutdatedCursor', message: 'too old' });
    expect(l[6]).toMatchObject({ seq: 7, ops: [{ op: 'delete', collection: 'app.bsky.feed.post', cid: null }] });
    expect(p.stats).toEqual({ frames: 8, events: 6, shown: 7, failures: 0, skipped: 1, lastSeq: 7, inactive: 0, hostMismatch: 0, keyRotated: 0, resyncs: 0 });
  });

  it('-c keeps a commit when any op matches (and implies commits only); --ops then emits only the matching ops, with records', async () => {
    const c = await sample({ verify: true, collections: ['app.bsky.feed.like'] });
    expect(lines(c.out).map((x) => x.seq)).toEqual([2, 3]);
    expect((lines(c.out)[1]!.ops as unknown[]).length).toBe(2);
    const ops = await sample({ verify: true, collections: ['app.bsky.feed.like'], ops: true });
    expect(lines(ops.out)).toEqual([
      expect.objectContaining({ seq: 2, op: 'create', collection: 'app.bsky.feed.like', rkey: rkey(2), record: { $type: 'app.bsky.feed.like', subject: 'x', createdAt: TIME }, verified: true }),
      expect.objectContaining({ seq: 3, op: 'create', collection: 'app.bsky.feed.like', rkey: rkey(3) }),
    ]);
    const prefix = await sample({ collections: ['app.bsky.graph.*'], ops: true });
    expect(lines(prefix.out).map((x) => `${x.seq} ${x.collection}`)).toEqual(['3 app.bsky.graph.follow']);
    expect(lines(prefix.out)[0]!.record).toMatchObject({ $type: 'app.bsky.graph.follow' });
    expect(lines(prefix.out)[0]).not.toHaveProperty('verified');
  });

  it('--did and --events select exactly what they name', async () => {
    const d = await sample({ verify: true, dids: ['did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'] });
    expect(lines(d.out).map((x) => `${x.seq} ${x.type}`)).toEqual(['2 commit', '5 account']);
    const e = await sample({ events: ['identity', 'account'] });
    expect(lines(e.out).map((x) => `${x.seq} ${x.type}`)).toEqual(['4 identity', '5 account']);
    const both = await sample({ events: ['commit', 'identity'], dids: ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'], collections: ['app.bsky.feed.post'] });
    expect(lines(both.out).map((x) => `${x.seq} ${x.type}`)).toEqual(['1 commit', '4 identity', '7 commit']);
  });

  it('commits hidden by -c are still verified, so the chain of a later shown commit holds', async () => {
    const { out, p, alice } = await sample({ verify: true, collections: ['app.bsky.feed.post'] });
    expect(out.every((o) => o.kind === 'event')).toBe(true);
    expect(p.state(alice.did)?.data.equals(alice.data)).toBe(true);
  });

  it('events that do not parse are failures with seq, did and type', async () => {
    const p = new FirehosePipeline({});
    const out = await p.process(inspectFrame(frame({ op: 1, t: '#account' }, { seq: 12, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', time: TIME })));
    expect(out).toEqual([{ kind: 'failure', value: { seq: 12, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', type: 'account', ok: false, reasons: [expect.stringMatching(/active/)] } }]);
    const huge = await p.process(inspectFrame(frame({ op: 1, t: '#identity' }, { seq: 2 ** 53, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', time: TIME })));
    expect(huge[0]?.kind).toBe('failure');
    expect(p.stats.failures).toBe(2);
  });
});
