import { beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestNetwork } from '../network/client.js';
import { runCli, stdoutJson, tempDir } from '../cli/run-cli.js';
import { applyWrites, devFlags, listAll, network, networkInfo, newAccount, populate, refuse, routeTo, type TestAccount } from './helpers.js';
import { verifyRepoCar } from '../../src/core/repo/verify.js';
import { buildMst } from '../../src/core/repo/mst.js';
import type { Cid } from '../../src/core/codec/index.js';

const COLLECTIONS = ['app.bsky.actor.profile', 'app.bsky.feed.like', 'app.bsky.feed.post', 'app.bsky.graph.follow'];

async function* file(path: string): AsyncIterable<Uint8Array> {
  yield* createReadStream(path) as AsyncIterable<Buffer>;
}

/** Rebuilds the MST from the key set the export holds and returns the recomputed root. */
async function recomputedRoot(path: string): Promise<{ data: string | null; rebuilt: string }> {
  const pairs: Array<[string, Cid]> = [];
  const report = await verifyRepoCar(file(path), { skipSignature: true, onEntry: (e) => pairs.push([e.path, e.cid]) });
  return { data: report.data, rebuilt: buildMst(pairs).root.toString() };
}

describe.skipIf(!networkInfo)('atcli repo against the local PDS', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let flags: string[];
  const dir = tempDir('atcli-repo-e2e-');

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'bigrepo');
    await populate(alice, { posts: 500, likes: 350, follows: 200, imagePosts: 5 });
    flags = [...devFlags(net), ...routeTo(alice.handle, net.pds.a.port)];
  }, 180_000);

  it('an account with ≥ 1,000 records exports and verifies valid; the tree rebuilt from its keys reproduces data', async () => {
    const out = join(dir, 'alice.car');
    const r = await runCli([...flags, 'repo', 'export', alice.did, '-o', out, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const exported = stdoutJson<{ path: string; did: string; rev: string; bytes: number; blocks: number; verified: boolean }>(r);
    expect(exported).toMatchObject({ path: out, did: alice.did, verified: true });
    expect(exported.bytes).toBe(statSync(out).size);

    const v = await runCli([...flags, 'repo', 'verify', out, '--json'], { timeoutMs: 60_000 });
    expect(v.code, v.stdout).toBe(0);
    const report = stdoutJson<{ valid: boolean; records: number; checks: Array<{ name: string; ok: boolean }> }>(v);
    expect(report.valid).toBe(true);
    expect(report.records).toBe(1051);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);

    const online = await runCli([...flags, 'repo', 'verify', alice.handle], { timeoutMs: 60_000, env: {} });
    expect(online.code, online.stdout + online.stderr).toBe(0);
    expect(online.stdout).toContain('is valid: 1051 records');

    const { data, rebuilt } = await recomputedRoot(out);
    expect(rebuilt).toBe(data);

    const again = await runCli([...flags, 'repo', 'export', alice.did, '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('repo ls equals listRecords for every collection', async () => {
    const car = join(dir, 'ls.car');
    expect((await runCli([...flags, 'repo', 'export', alice.did, '-o', car, '--no-verify'])).code).toBe(0);
    const r = await runCli([...flags, 'repo', 'ls', car, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { collection: string; rkey: string; cid: string });
    for (const collection of COLLECTIONS) {
      const fromPds = (await listAll(alice, collection)).map((x) => `${x.uri.split('/').pop()} ${x.cid}`).sort();
      const fromCar = rows.filter((x) => x.collection === collection).map((x) => `${x.rkey} ${x.cid}`).sort();
      expect(fromCar, collection).toEqual(fromPds);
      expect(fromCar.length).toBeGreaterThan(0);
    }
    const live = await runCli([...flags, 'repo', 'ls', alice.did, '-c', 'app.bsky.graph.follow'], { timeoutMs: 60_000 });
    expect(live.stdout.trim().split('\n')).toHaveLength(200);
  });

  it('repo diff of two exports around a batch of creates, updates and deletes reports exactly that batch', async () => {
    const bob = await newAccount(net, 'differ');
    await populate(bob, { posts: 30, likes: 10, follows: 5 });
    const bobFlags = [...devFlags(net), ...refuse(bob.handle)];
    const before = join(dir, 'before.car');
    const after = join(dir, 'after.car');
    expect((await runCli([...bobFlags, 'repo', 'export', bob.did, '-o', before])).code).toBe(0);

    const posts = await listAll(bob, 'app.bsky.feed.post');
    const likes = await listAll(bob, 'app.bsky.feed.like');
    const rkey = (uri: string) => uri.split('/').pop() as string;
    const updated = posts.slice(0, 3).map((p) => rkey(p.uri));
    const deleted = [...posts.slice(10, 12), ...likes.slice(0, 2)].map((x) => ({ collection: x.uri.split('/')[3] as string, rkey: rkey(x.uri) }));
    const created = ['3laaaaaaaaaa2', '3laaaaaaaaaa3', '3laaaaaaaaaa4', '3laaaaaaaaaa5'];
    await applyWrites(bob, [
      ...updated.map((k) => ({ $type: 'com.atproto.repo.applyWrites#update' as const, collection: 'app.bsky.feed.post', rkey: k, value: { $type: 'app.bsky.feed.post', text: `edited ${k}`, createdAt: new Date().toISOString() } })),
      ...deleted.map((d) => ({ $type: 'com.atproto.repo.applyWrites#delete' as const, collection: d.collection, rkey: d.rkey })),
      ...created.map((k) => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'app.bsky.feed.post', rkey: k, value: { $type: 'app.bsky.feed.post', text: `new ${k}`, createdAt: new Date().toISOString() } })),
    ]);
    expect((await runCli([...bobFlags, 'repo', 'export', bob.did, '-o', after])).code).toBe(0);

    const r = await runCli(['repo', 'diff', before, after, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { op: string; collection: string; rkey: string; cid: string | null; prev: string | null });
    const got = rows.map((x) => `${x.op} ${x.collection}/${x.rkey}`).sort();
    const want = [
      ...updated.map((k) => `update app.bsky.feed.post/${k}`),
      ...deleted.map((d) => `delete ${d.collection}/${d.rkey}`),
      ...created.map((k) => `create app.bsky.feed.post/${k}`),
    ].sort();
    expect(got).toEqual(want);
    for (const row of rows) {
      if (row.op === 'update') expect(row.prev).toBe(posts.find((p) => rkey(p.uri) === row.rkey)?.cid);
      if (row.op === 'delete') expect(row.cid).toBeNull();
      if (row.op === 'create') expect(row.prev).toBeNull();
    }
    for (const path of [before, after]) {
      const { data, rebuilt } = await recomputedRoot(path);
      expect(rebuilt).toBe(data);
    }
  });

  it('inspect and mst work on a live account and on the export', async () => {
    const r = await runCli([...flags, 'repo', 'inspect', alice.handle, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<{ did: string; records: number; collections: Record<string, number> }>(r);
    expect(out.did).toBe(alice.did);
    expect(out.collections).toMatchObject({ 'app.bsky.feed.post': 500, 'app.bsky.feed.like': 350, 'app.bsky.graph.follow': 200, 'app.bsky.actor.profile': 1 });
  });

  it('an export verified against a key the account does not use fails (exit 3)', async () => {
    const key = stdoutJson<{ publicKey: string }>(await runCli(['key', 'generate', '--json'])).publicKey;
    const car = join(dir, 'alice.car');
    const r = await runCli(['repo', 'verify', car, '--key', key, '--json']);
    expect(r.code).toBe(3);
    expect(readFileSync(car).length).toBeGreaterThan(0);
  });
});
