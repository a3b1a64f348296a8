// The Jetstream client against a loopback Jetstream (test/e2e/loopback-jetstream.ts) fed by the
// REAL local PDS's firehose: record creates, updates and deletes, a handle change and a
// deactivation made through the PDS arrive in order in the firehose pipeline's shapes, with the
// records; the server-side filters are sent; a connection dropped twice is resumed from the last
// time_us with nothing lost or repeated; a later run from a cursor starts there; compressed
// messages (zstd with a dictionary) give the same events; verification is refused.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeJetstream, type JetstreamSubscribeOptions } from '../../src/core/jetstream/client.js';
import type { JetstreamOutput } from '../../src/core/jetstream/events.js';
import { createRecord, uniqueHandle, updateHandle, xrpc, type StrongRef, type TestNetwork } from '../network/client.js';
import { network, networkInfo, newAccount, type TestAccount } from './helpers.js';
import { LoopbackJetstream } from './loopback-jetstream.js';
import { ndjsonLines, runIn } from '../support/test-io.js';

const dictionary = readFileSync(new URL('../fixtures/jetstream/dictionary', import.meta.url));
const now = (): string => new Date().toISOString();
const rkeyOf = (uri: string): string => uri.split('/').pop() as string;

type Options = Omit<JetstreamSubscribeOptions, 'onOutputs'>;
async function collectUntil(options: Options, done: (outputs: JetstreamOutput[]) => boolean): Promise<{ outputs: JetstreamOutput[]; result: Awaited<ReturnType<typeof subscribeJetstream>> }> {
  const outputs: JetstreamOutput[] = [];
  const signal = AbortSignal.timeout(60_000);
  const result = await subscribeJetstream({
    backoff: { initialMs: 50, maxMs: 200 },
    signal,
    ...options,
    onOutputs: (o) => {
      outputs.push(...o);
      return !done(outputs);
    },
  });
  if (result.reason === 'aborted') throw new Error(`timed out; got ${JSON.stringify(outputs.map((o) => o.value))}`);
  return { outputs, result };
}

const line = (o: JetstreamOutput): string => {
  const v = o.value;
  if (o.kind === 'failure') return `failure ${o.value.reasons.join('; ')}`;
  if (v.type === 'commit' && 'ops' in v) return v.ops.map((op) => `${op.op} ${op.collection}/${op.rkey} ${op.cid ?? 'null'}`).join(',');
  if (v.type === 'identity' && 'handle' in v) return `identity ${v.handle}`;
  if (v.type === 'account' && 'active' in v) return `account ${v.active} ${v.status ?? ''}`.trim();
  return JSON.stringify(v);
};

describe.skipIf(!networkInfo)('Jetstream client against a loopback Jetstream fed by the local PDS', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let jetstream: LoopbackJetstream;
  let compressed: LoopbackJetstream;
  const refs: Record<string, StrongRef> = {};
  let newHandle: string;
  let expected: string[];
  /** Reactivation: an active account event after an inactive one. */
  const done = (outputs: JetstreamOutput[]): boolean => {
    const i = outputs.findIndex((o) => o.value.type === 'account' && 'active' in o.value && o.value.active === false);
    return i >= 0 && outputs.slice(i).some((o) => o.value.type === 'account' && 'active' in o.value && o.value.active === true);
  };

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'jsalice');
    const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: now() });
    refs.post = await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'app.bsky.feed.post', post('hello jetstream'));
    refs.like = await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'app.bsky.feed.like', { $type: 'app.bsky.feed.like', subject: refs.post, createdAt: now() });
    const put = await xrpc<StrongRef>(alice.pdsUrl, 'com.atproto.repo.putRecord', {
      accessJwt: alice.accessJwt,
      body: { repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkeyOf(refs.post.uri), record: post('hello jetstream, edited') },
    });
    refs.edit = { uri: put.uri, cid: put.cid };
    await xrpc(alice.pdsUrl, 'com.atproto.repo.deleteRecord', { accessJwt: alice.accessJwt, body: { repo: alice.did, collection: 'app.bsky.feed.like', rkey: rkeyOf(refs.like.uri) } });
    newHandle = uniqueHandle('jsalice2');
    await updateHandle(alice.pdsUrl, alice.accessJwt, newHandle);
    await xrpc(alice.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: alice.accessJwt, body: {} });
    await xrpc(alice.pdsUrl, 'com.atproto.server.activateAccount', { accessJwt: alice.accessJwt, method: 'POST' });
    expected = [
      `create app.bsky.feed.post/${rkeyOf(refs.post.uri)} ${refs.post.cid}`,
      `create app.bsky.feed.like/${rkeyOf(refs.like.uri)} ${refs.like.cid}`,
      `update app.bsky.feed.post/${rkeyOf(refs.post.uri)} ${refs.edit.cid}`,
      `delete app.bsky.feed.like/${rkeyOf(refs.like.uri)} null`,
      `identity ${newHandle}`,
      'account false deactivated',
      'account true',
    ];
    jetstream = await LoopbackJetstream.start(alice.pdsUrl, { dropAfter: [3, 2] });
    compressed = await LoopbackJetstream.start(alice.pdsUrl, { dictionary });
  }, 120_000);

  afterAll(async () => {
    await jetstream?.close();
    await compressed?.close();
  });

  it('delivers the account history in order in the firehose shapes, across two dropped connections, with nothing lost or repeated', async () => {
    const { outputs, result } = await collectUntil({ url: jetstream.url, cursor: 0, dids: [alice.did] }, done);
    const lines = outputs.map(line);
    expect(outputs.every((o) => o.value.did === alice.did)).toBe(true);
    // Account creation announces the handle (and the account) before the first commit.
    expect(lines[0]).toBe(`identity ${alice.handle}`);
    expect(lines.slice(lines.findIndex((l) => l.startsWith('create ')))).toEqual(expected);
    expect(outputs.filter((o) => o.kind === 'failure')).toEqual([]);
    // Positions strictly increase and are the loopback's time_us values for these events.
    const seqs = outputs.map((o) => o.value.seq as number);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    const sent = jetstream.messages.filter((m) => m.did === alice.did).map((m) => m.time_us);
    expect(seqs).toEqual(sent.slice(0, seqs.length));
    // The filters went to the server on every connection; the reconnects resumed at the last time_us.
    const conns = jetstream.relay.connections;
    expect(conns.length).toBe(3);
    expect(conns.every((c) => c.params.getAll('wantedDids').join() === alice.did)).toBe(true);
    // Three messages on the first connection; the second resends the third, then one more.
    expect(conns[1]!.cursor).toBe(seqs[2]);
    expect(conns[2]!.cursor).toBe(seqs[3]);
    expect(result.stats.duplicates).toBe(2);
    // Commit events carry Jetstream's time as their time, and no commit CID.
    const commit = outputs.find((o) => o.value.type === 'commit')!;
    expect(commit.value).toMatchObject({ since: null, commit: null, time: new Date(Math.floor((commit.value.seq as number) / 1000)).toISOString() });
  }, 90_000);

  it('--ops rows carry the records as JSON', async () => {
    const { outputs } = await collectUntil({ url: jetstream.url, cursor: 0, dids: [alice.did], collections: ['app.bsky.feed.*'], ops: true }, (o) => o.length >= 4);
    expect(outputs.map((o) => (o.kind === 'op' ? `${o.value.op} ${o.value.collection}` : o.kind))).toEqual([
      'create app.bsky.feed.post',
      'create app.bsky.feed.like',
      'update app.bsky.feed.post',
      'delete app.bsky.feed.like',
    ]);
    const rows = outputs.map((o) => o.value) as Array<{ record: { text?: string; subject?: unknown } | null; cid: string | null }>;
    expect(rows[0]!.record?.text).toBe('hello jetstream');
    expect(rows[1]!.record?.subject).toEqual({ uri: refs.post!.uri, cid: refs.post!.cid });
    expect(rows[2]!.record?.text).toBe('hello jetstream, edited');
    expect(rows[3]).toMatchObject({ record: null, cid: null });
    expect(jetstream.relay.connections.at(-1)!.params.getAll('wantedCollections')).toEqual(['app.bsky.feed.*']);
  }, 90_000);

  it('a later run from a cursor starts at that microsecond', async () => {
    const mine = jetstream.messages.filter((m) => m.did === alice.did);
    const from = mine[3]!.time_us;
    const { outputs } = await collectUntil({ url: jetstream.url, cursor: from, dids: [alice.did] }, done);
    expect(outputs[0]!.value.seq).toBe(from);
    expect(outputs.map(line)).toEqual(expected.slice(expected.length - outputs.length));
  }, 90_000);

  it('compressed messages (zstd with the dictionary) give the same events', async () => {
    const { outputs } = await collectUntil({ url: compressed.url, cursor: 0, dids: [alice.did], zstdDictionary: dictionary }, done);
    expect(outputs.map(line).slice(-expected.length)).toEqual(expected);
    expect(compressed.relay.connections[0]!.params.get('compress')).toBe('true');
  }, 90_000);

  it('firehose tail --jetstream: the same events as NDJSON, compressed or not; --verify and --record refused with exit 2', async () => {
    const base = ['firehose', 'tail', '--did', alice.did, '--cursor', '0', '--limit', '4', '--json'];
    const plain = await runIn([...base, '--jetstream', jetstream.url], { env: {} });
    expect(plain.code, plain.stderr).toBe(0);
    const lines = ndjsonLines(plain.stdout);
    expect(lines.length).toBe(4);
    expect(lines.every((l) => l.did === alice.did)).toBe(true);
    const compressedRun = await runIn([...base, '--zstd-dictionary', new URL('../fixtures/jetstream/dictionary', import.meta.url).pathname], { env: { ATCLI_JETSTREAM_URL: compressed.url } });
    expect(compressedRun.code, compressedRun.stderr).toBe(0);
    // Each loopback stamps its own time_us: compare what the events say.
    const gist = (l: Record<string, unknown>): string => `${String(l.type)} ${String(l.did)} ${String(l.rev ?? '')} ${JSON.stringify(l.ops ?? null)}`;
    expect(ndjsonLines(compressedRun.stdout).map(gist)).toEqual(lines.map(gist));
    const verify = await runIn([...base, '--jetstream', jetstream.url, '--verify'], { env: {} });
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('JetstreamCannotVerify');
    const record = await runIn([...base, '--jetstream', jetstream.url, '--record', '/tmp/never-written.fh'], { env: {} });
    expect(record.code).toBe(2);
  }, 90_000);

  it('refuses to verify', async () => {
    await expect(subscribeJetstream({ url: jetstream.url, verify: true, onOutputs: () => false })).rejects.toMatchObject({ code: 'JetstreamCannotVerify', kind: 'usage' });
  });
});
