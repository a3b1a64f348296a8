// The firehose pipeline (core, history-aware verification through the real PLC directory) against
// the REAL local network: an account changes its handle, is deactivated and reactivated, then
// migrates from PDS A to PDS B (through the PDS endpoints) and writes on B.
//
// - Tailing A from cursor 0 with verification: its whole genuine history verifies, with no
//   failure; the commits signed before the migration carry keyRotatedSince (the key has changed
//   since); #identity and #account are reported; after the migration, A's own events for the
//   account are flagged hostMismatch (its DID document names B).
// - Tailing B: the account's events verify; its commits are signed by the current key.
// - A forged commit (the account's genuine commit re-signed by a key never in force), served
//   among the genuine frames by a loopback relay, fails.
// - A chain broken on purpose (one commit left out) is repaired by resync: the repository is
//   fetched from the PDS and verified, events it holds are not failures, and a later commit
//   continues the chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidForCbor, decodeCbor, encodeCar, encodeCbor, readCarBytes, type CborMap, type Cid } from '../../src/core/codec/index.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { FirehosePipeline, type PipelineOptions, type StreamOutput } from '../../src/core/firehose/pipeline.js';
import { networkAccountResolver } from '../../src/core/firehose/keys.js';
import { networkResync } from '../../src/core/firehose/resync.js';
import { subscribeFrames } from '../../src/core/firehose/subscriber.js';
import { decodeFrame } from '../../src/core/firehose/frame.js';
import { unsignedCommitBytes } from '../../src/core/repo/commit.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import { createRecord, updateHandle, uniqueHandle, xrpc, type TestNetwork } from '../network/client.js';
import { frame } from '../core/firehose/commit-builder.js';
import { TestRelay } from '../core/firehose/test-relay.js';
import { network, networkInfo, newAccount, type TestAccount } from './helpers.js';

type View = Record<string, unknown> & { seq?: number; type?: string; did?: string };

const http: HttpConfig = { timeoutMs: 15_000, userAgent: 'atcli-e2e', allowPrivateNetwork: false, connectTo: [] };
const now = (): string => new Date().toISOString();
const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: now() });

/** Frames of a host from `cursor` until `done` holds for the frames seen (each {seq, data}). */
async function capture(url: string, cursor: number, done: (frames: Array<{ seq: number; data: Uint8Array }>) => boolean, timeoutMs = 60_000): Promise<Array<{ seq: number; data: Uint8Array }>> {
  const frames: Array<{ seq: number; data: Uint8Array }> = [];
  const sub = subscribeFrames({ url, cursor });
  const timer = setTimeout(() => sub.close(), timeoutMs);
  try {
    for await (const f of sub) {
      if (f.seq === null || typeof f.data === 'string') continue;
      frames.push({ seq: f.seq, data: new Uint8Array(f.data) });
      if (done(frames)) break;
    }
  } finally {
    clearTimeout(timer);
    sub.close();
  }
  return frames;
}

const didOf = (data: Uint8Array): string | null => {
  const f = decodeFrame(data);
  if (f.kind !== 'message') return null;
  const d = f.body.repo ?? f.body.did;
  return typeof d === 'string' ? d : null;
};
const typeOf = (data: Uint8Array): string | null => {
  const f = decodeFrame(data);
  return f.kind === 'message' ? f.type : null;
};

/** Verify frames (or a host's live stream) for one account, until `done` holds for the outputs. */
async function verifyAccount(
  net: TestNetwork,
  source: { url: string; cursor: number } | TestRelay,
  did: string,
  done: (views: View[]) => boolean,
  extra: Partial<PipelineOptions> = {},
): Promise<{ views: View[]; outputs: StreamOutput[] }> {
  const p = new FirehosePipeline({ verify: true, dids: [did], workers: 1, resolveAccount: networkAccountResolver({ http, plcUrl: net.plcUrl, dev: true }), ...extra });
  const sub = source instanceof TestRelay ? subscribeFrames({ url: source.url, cursor: 0 }) : subscribeFrames({ url: source.url, cursor: source.cursor });
  const outputs: StreamOutput[] = [];
  const timer = setTimeout(() => sub.close(), 90_000);
  try {
    for await (const batch of p.run(sub)) {
      outputs.push(...batch);
      if (done(outputs.map((o) => o.value as unknown as View))) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return { views: outputs.map((o) => o.value as unknown as View), outputs };
}

async function latestPlcToken(net: TestNetwork, email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const mails = (await net.mail(email)).filter((x) => x.template === 'plcOperation' && x.token);
    const last = mails[mails.length - 1];
    if (last?.token) return last.token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no PLC token mail for ${email}`);
}

/** Moves `acct` from its PDS to `toUrl` with the PDS endpoints (the account-migration guide's steps). */
async function migrate(net: TestNetwork, acct: TestAccount, toUrl: string): Promise<{ accessJwt: string }> {
  const { did: serviceDid } = await xrpc<{ did: string }>(toUrl, 'com.atproto.server.describeServer');
  const { token } = await xrpc<{ token: string }>(acct.pdsUrl, 'com.atproto.server.getServiceAuth', { accessJwt: acct.accessJwt, params: { aud: serviceDid, lxm: 'com.atproto.server.createAccount' } });
  const created = await xrpc<{ accessJwt: string }>(toUrl, 'com.atproto.server.createAccount', {
    headers: { authorization: `Bearer ${token}` },
    body: { did: acct.did, handle: acct.handle, email: acct.email, password: acct.password },
  });
  const car = new Uint8Array(await (await fetch(`${acct.pdsUrl}/xrpc/com.atproto.sync.getRepo?did=${acct.did}`)).arrayBuffer());
  await xrpc(toUrl, 'com.atproto.repo.importRepo', { accessJwt: created.accessJwt, bytes: car, contentType: 'application/vnd.ipld.car' });
  const creds = await xrpc<Record<string, unknown>>(toUrl, 'com.atproto.identity.getRecommendedDidCredentials', { accessJwt: created.accessJwt });
  await xrpc(acct.pdsUrl, 'com.atproto.identity.requestPlcOperationSignature', { accessJwt: acct.accessJwt, method: 'POST' });
  const plcToken = await latestPlcToken(net, acct.email);
  const { operation } = await xrpc<{ operation: unknown }>(acct.pdsUrl, 'com.atproto.identity.signPlcOperation', { accessJwt: acct.accessJwt, body: { token: plcToken, ...creds } });
  await xrpc(toUrl, 'com.atproto.identity.submitPlcOperation', { accessJwt: created.accessJwt, body: { operation } });
  await xrpc(toUrl, 'com.atproto.server.activateAccount', { accessJwt: created.accessJwt, method: 'POST' });
  await xrpc(acct.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: acct.accessJwt, body: {} });
  return created;
}

/** A genuine commit frame re-signed with another key: new commit block, CID and CAR. */
function forge(data: Uint8Array, seq: number): Uint8Array {
  const f = decodeFrame(data);
  if (f.kind !== 'message' || f.type !== '#commit') throw new Error('not a commit frame');
  const body = f.body;
  const blocks = [...readCarBytes(body.blocks as Uint8Array)];
  const commitCid = body.commit as Cid;
  const old = decodeCbor(blocks.find((b) => b.cid.equals(commitCid))!.bytes) as CborMap;
  const forger = generatePrivateKey('k256');
  const map: CborMap = { ...old };
  delete map.sig;
  map.sig = forger.sign(unsignedCommitBytes(map));
  const bytes = encodeCbor(map);
  const cid = cidForCbor(bytes);
  const car = encodeCar([cid], [{ cid, bytes }, ...blocks.filter((b) => !b.cid.equals(commitCid)).map((b) => ({ cid: b.cid, bytes: b.bytes }))]);
  return frame({ op: 1, t: '#commit' }, { ...body, seq, commit: cid, blocks: car });
}

describe.skipIf(!networkInfo)('firehose verification through a handle change, a deactivation and a migration (real network)', () => {
  let net: TestNetwork;
  let acct: TestAccount;
  let newHandle: string;
  const relays: TestRelay[] = [];

  beforeAll(async () => {
    net = await network();
    acct = await newAccount(net, 'fhhist', 'a');
    for (let i = 0; i < 3; i++) await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', post(`on A ${i}`));
    newHandle = uniqueHandle('fhhist2');
    await updateHandle(acct.pdsUrl, acct.accessJwt, newHandle);
    acct.handle = newHandle;
    await xrpc(acct.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: acct.accessJwt, body: {} });
    await xrpc(acct.pdsUrl, 'com.atproto.server.activateAccount', { accessJwt: acct.accessJwt, method: 'POST' });
    await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', post('on A, after reactivation'));
    // Make sure the migration happens after these events' sequencing times.
    await new Promise((r) => setTimeout(r, 1500));
    const onB = await migrate(net, acct, net.pds.b.url);
    for (let i = 0; i < 2; i++) await createRecord(net.pds.b.url, onB.accessJwt, acct.did, 'app.bsky.feed.post', post(`on B ${i}`));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
  });

  it('tailing the old host from cursor 0: the genuine history verifies; commits signed before the migration carry keyRotatedSince; the events after it are flagged as hosted elsewhere', async () => {
    const { views } = await verifyAccount(net, { url: net.pds.a.url, cursor: 0 }, acct.did, (v) => v.filter((x) => x.type === 'account' && x.active === false).length >= 2, { hostCheck: net.pds.a.url });
    expect(views.filter((v) => v.ok === false)).toEqual([]);
    const commits = views.filter((v) => v.type === 'commit');
    expect(commits.length).toBeGreaterThanOrEqual(5); // the first commit, three posts, one after reactivation
    for (const c of commits) expect(c, JSON.stringify(c)).toMatchObject({ verified: true, keyRotatedSince: expect.any(String) });
    for (const c of commits) expect(c).not.toHaveProperty('hostMismatch');
    // The handle change, then the deactivation and the reactivation, then the migration's deactivation.
    const identity = views.find((v) => v.type === 'identity' && v.handle === newHandle);
    expect(identity).toBeDefined();
    const accounts = views.filter((v) => v.type === 'account' && (v.seq as number) > (identity!.seq as number)).map((v) => `${v.active}:${v.status}`);
    expect(accounts).toEqual(['false:deactivated', 'true:null', 'false:deactivated']);
    // The last deactivation came from the migration: by then the DID document named host B.
    const last = views.filter((v) => v.type === 'account').at(-1)!;
    expect(last.hostMismatch).toBe(net.pds.b.url);
    // keyRotatedSince is when the PLC operation of the migration replaced the key.
    const rotated = commits[0]!.keyRotatedSince as string;
    expect(Date.parse(rotated)).toBeGreaterThan(Date.parse(commits.at(-1)!.time as string));
  }, 120_000);

  it('the hosting status asked for at first sight (getRepoStatus on the host) flags the account as inactive from its first event on', async () => {
    const { views } = await verifyAccount(net, { url: net.pds.a.url, cursor: 0 }, acct.did, (v) => v.filter((x) => x.type === 'commit').length >= 2, {
      resolveAccount: networkAccountResolver({ http, plcUrl: net.plcUrl, dev: true }, { statusHost: net.pds.a.url }),
    });
    // Host A says the account is deactivated there now (it moved), so every event is flagged.
    const commits = views.filter((v) => v.type === 'commit');
    expect(commits.length).toBeGreaterThanOrEqual(2);
    for (const c of commits) expect(c).toMatchObject({ verified: true, inactive: 'deactivated' });
  }, 120_000);

  it('tailing the new host: the account verifies there, signed by the current key', async () => {
    const { views } = await verifyAccount(net, { url: net.pds.b.url, cursor: 0 }, acct.did, (v) => v.filter((x) => x.type === 'commit').length >= 2);
    // The reference PDS announces an activated, imported account with a #sync whose `rev` is not
    // the rev of the commit it carries (the imported one); the lexicon says they must match, and
    // that is the one thing reported about it.
    const failures = views.filter((v) => v.ok === false);
    for (const f of failures) expect(f).toMatchObject({ type: 'sync', reasons: [expect.stringMatching(/^commit rev \w+ != event rev \w+$/)] });
    expect(failures.length).toBeLessThanOrEqual(1);
    const commits = views.filter((v) => v.type === 'commit');
    for (const c of commits) {
      expect(c).toMatchObject({ verified: true });
      expect(c).not.toHaveProperty('keyRotatedSince');
    }
    // Activation on the new host announces the account (and, on hosts that send it, its state).
    expect(views.some((v) => v.type === 'account' && v.active === true)).toBe(true);
    for (const s of views.filter((v) => v.type === 'sync' && v.ok !== false)) expect(s).toMatchObject({ verified: true });
  }, 120_000);

  it('a commit re-signed by a key that was never in force fails, among genuine frames that verify', async () => {
    const frames = await capture(net.pds.a.url, 0, (f) => f.filter((x) => didOf(x.data) === acct.did && typeOf(x.data) === '#commit').length >= 4);
    const mine = frames.filter((f) => didOf(f.data) === acct.did);
    const genuine = mine.filter((f) => typeOf(f.data) === '#commit');
    const entries = mine.map((f) => ({ seq: f.seq, data: f.data }));
    const lastSeq = entries.at(-1)!.seq;
    entries.push({ seq: lastSeq + 1, data: forge(genuine[1]!.data, lastSeq + 1) });
    const relay = await TestRelay.start({ entries });
    relays.push(relay);
    const { views } = await verifyAccount(net, relay, acct.did, (v) => v.some((x) => x.seq === lastSeq + 1));
    const failures = views.filter((v) => v.ok === false);
    // (It is also an old commit replayed: the chain says so too.)
    expect(failures).toEqual([expect.objectContaining({ seq: lastSeq + 1, type: 'commit', reasons: expect.arrayContaining([expect.stringMatching(/bad signature: .*not signed by the key in force at the event's time/)]) })]);
    expect(views.filter((v) => v.type === 'commit' && v.verified === true).length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

describe.skipIf(!networkInfo)('resync repairs a broken chain (real network)', () => {
  const relays: TestRelay[] = [];
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
  });

  it('one commit left out: the next one fails the chain, the repository is fetched and verified, and the chain goes on', async () => {
    const net = await network();
    const acct = await newAccount(net, 'fhresync', 'a');
    for (let i = 0; i < 5; i++) await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', post(`resync ${i}`));
    const frames = await capture(net.pds.a.url, 0, (f) => f.filter((x) => didOf(x.data) === acct.did && typeOf(x.data) === '#commit').length >= 6);
    const commits = frames.filter((f) => didOf(f.data) === acct.did && typeOf(f.data) === '#commit');
    const dropped = commits[2]!.seq;
    const relay = await TestRelay.start({ entries: frames.filter((f) => didOf(f.data) === acct.did && f.seq !== dropped) });
    relays.push(relay);

    let pushed = false;
    const { views, outputs } = await verifyAccount(
      net,
      relay,
      acct.did,
      (v) => {
        // Once the resync is done, a new commit is made on the PDS and its frame passed on.
        if (!pushed && v.some((x) => x.type === 'resync')) {
          pushed = true;
          void (async () => {
            await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.feed.post', post('after the resync'));
            const more = await capture(net.pds.a.url, commits.at(-1)!.seq, (f) => f.some((x) => didOf(x.data) === acct.did && typeOf(x.data) === '#commit'));
            relay.push(...more.filter((f) => didOf(f.data) === acct.did).map((f) => ({ seq: f.seq, data: f.data })));
          })();
        }
        return v.some((x) => x.type === 'commit' && x.verified === true && (x.seq as number) > commits.at(-1)!.seq);
      },
      { resync: networkResync({ http }) },
    );
    const failures = outputs.filter((o) => o.kind === 'failure').map((o) => o.value as unknown as View);
    // The only failure is the commit after the gap; the resync right after it succeeded.
    expect(failures).toEqual([expect.objectContaining({ seq: commits[3]!.seq, type: 'commit', reasons: [expect.stringMatching(/prevData does not continue the chain/)] })]);
    const resync = views.find((v) => v.type === 'resync');
    expect(resync).toMatchObject({ seq: commits[3]!.seq, did: acct.did, ok: true, from: net.pds.a.url, records: expect.any(Number) });
    // Every commit after the gap verified: those the fetched repository already held, and the new one.
    const after = views.filter((v) => v.type === 'commit' && (v.seq as number) > commits[3]!.seq);
    expect(after.map((c) => c.seq)).toEqual([...commits.slice(4).map((c) => c.seq), expect.any(Number)]);
    for (const c of after) expect(c).toMatchObject({ verified: true });
  }, 180_000);
});
