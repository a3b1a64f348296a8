import { beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestNetwork } from '../network/client.js';
import { runCli, stderrJsonError, stdoutJson, tempDir } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
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
    const r = await runIn([...flags, 'repo', 'export', alice.did, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const exported = stdoutJson<{ path: string; did: string; rev: string; bytes: number; blocks: number; verified: boolean }>(r);
    expect(exported).toMatchObject({ path: out, did: alice.did, verified: true });
    expect(exported.bytes).toBe(statSync(out).size);

    const v = await runIn([...flags, 'repo', 'verify', out, '--json']);
    expect(v.code, v.stdout).toBe(0);
    const report = stdoutJson<{ valid: boolean; records: number; checks: Array<{ name: string; ok: boolean }> }>(v);
    expect(report.valid).toBe(true);
    expect(report.records).toBe(1051);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);

    const online = await runIn([...flags, 'repo', 'verify', alice.handle]);
    expect(online.code, online.stdout + online.stderr).toBe(0);
    expect(online.stdout).toContain('is valid: 1,051 records');

    const { data, rebuilt } = await recomputedRoot(out);
    expect(rebuilt).toBe(data);

    const again = await runIn([...flags, 'repo', 'export', alice.did, '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('repo ls equals listRecords for every collection', async () => {
    const car = join(dir, 'ls.car');
    expect((await runIn([...flags, 'repo', 'export', alice.did, '-o', car, '--no-verify'])).code).toBe(0);
    const r = await runIn([...flags, 'repo', 'ls', car, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { collection: string; rkey: string; cid: string });
    for (const collection of COLLECTIONS) {
      const fromPds = (await listAll(alice, collection)).map((x) => `${x.uri.split('/').pop()} ${x.cid}`).sort();
      const fromCar = rows.filter((x) => x.collection === collection).map((x) => `${x.rkey} ${x.cid}`).sort();
      expect(fromCar, collection).toEqual(fromPds);
      expect(fromCar.length).toBeGreaterThan(0);
    }
    const live = await runIn([...flags, 'repo', 'ls', alice.did, '-c', 'app.bsky.graph.follow']);
    expect(live.stdout.trim().split('\n')).toHaveLength(200);
  });

  it('repo diff of two exports around a batch of creates, updates and deletes reports exactly that batch', async () => {
    const bob = await newAccount(net, 'differ');
    await populate(bob, { posts: 30, likes: 10, follows: 5 });
    const bobFlags = [...devFlags(net), ...refuse(bob.handle)];
    const before = join(dir, 'before.car');
    const after = join(dir, 'after.car');
    expect((await runIn([...bobFlags, 'repo', 'export', bob.did, '-o', before])).code).toBe(0);

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
    expect((await runIn([...bobFlags, 'repo', 'export', bob.did, '-o', after])).code).toBe(0);

    const r = await runIn(['repo', 'diff', before, after, '--json']);
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
    const r = await runIn([...flags, 'repo', 'inspect', alice.handle, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<{ did: string; records: number; collections: Record<string, number> }>(r);
    expect(out.did).toBe(alice.did);
    expect(out.collections).toMatchObject({ 'app.bsky.feed.post': 500, 'app.bsky.feed.like': 350, 'app.bsky.graph.follow': 200, 'app.bsky.actor.profile': 1 });
  });

  it('an export verified against a key the account does not use fails (exit 3)', async () => {
    const key = stdoutJson<{ publicKey: string }>(await runIn(['key', 'generate', '--json'])).publicKey;
    const car = join(dir, 'alice.car');
    const r = await runIn(['repo', 'verify', car, '--key', key, '--json']);
    expect(r.code).toBe(3);
    expect(readFileSync(car).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!networkInfo)('atcli repo import and xrpc procedure against the local PDS', () => {
  it('repo import verifies first: a CAR of another account is refused before upload; --dry-run changes nothing; an own export is imported', async () => {
    const net = await network();
    const owner = await newAccount(net, 'importer');
    const other = await newAccount(net, 'stranger');
    await populate(owner, { posts: 5, likes: 2, follows: 1 });
    await populate(other, { posts: 3, likes: 0, follows: 0 });
    const flags = [...devFlags(net), ...routeTo(owner.handle, net.pds.a.port), ...routeTo(other.handle, net.pds.a.port)];
    const dir = tempDir('atcli-import-');
    const own = join(dir, 'own.car');
    const foreign = join(dir, 'foreign.car');
    expect((await runIn([...flags, 'repo', 'export', owner.did, '-o', own])).code).toBe(0);
    expect((await runIn([...flags, 'repo', 'export', other.did, '-o', foreign])).code).toBe(0);
    const env = { ATCLI_IDENTIFIER: owner.handle, ATCLI_PASSWORD: owner.password, ATCLI_PDS_URL: owner.pdsUrl };

    const refused = await runIn([...flags, 'repo', 'import', foreign, '--yes', '--json'], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('nothing was uploaded');

    // With the PLC directory unreachable the signature cannot be checked: could not verify, nothing uploaded.
    const unchecked = await runIn(['--dev', '--plc', 'http://127.0.0.1:1', '--timeout', '5', 'repo', 'import', own, '--yes', '--json'], { env });
    expect(unchecked.code, unchecked.stderr).toBe(1);
    expect(stderrJsonError(unchecked)).toMatchObject({ code: 'RepoUnchecked', message: expect.stringContaining('nothing was uploaded') as unknown });

    const dry = await runIn([...flags, 'repo', 'import', own, '--dry-run', '--json'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(stdoutJson(dry)).toMatchObject({ did: owner.did, records: 9, imported: false, dryRun: true });

    const noConfirm = await runIn([...flags, 'repo', 'import', own], { env });
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr).toContain('--yes');

    const done = await runIn([...flags, 'repo', 'import', own, '--yes', '--json'], { env });
    expect(done.code, done.stderr).toBe(0);
    expect(stdoutJson(done)).toMatchObject({ did: owner.did, records: 9, imported: true });
    expect((await listAll(owner, 'app.bsky.feed.post')).length).toBe(5);
  });

  it('xrpc procedure @pds sends a JSON body from a file and from key=value fields', async () => {
    const net = await network();
    const acct = await newAccount(net, 'procedure');
    const env = { ATCLI_IDENTIFIER: acct.handle, ATCLI_PASSWORD: acct.password, ATCLI_PDS_URL: acct.pdsUrl };
    const body = join(tempDir('atcli-proc-'), 'create.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(body, JSON.stringify({ repo: acct.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'via xrpc procedure', createdAt: new Date().toISOString() } }));
    const created = await runCli([...devFlags(net), 'xrpc', 'procedure', '@pds', 'com.atproto.repo.createRecord', `@${body}`], { env });
    expect(created.code, created.stderr).toBe(0);
    const ref = stdoutJson<{ uri: string; cid: string }>(created);
    expect(ref.uri).toMatch(new RegExp(`^at://${acct.did}/app.bsky.feed.post/`));
    const rkey = ref.uri.split('/').pop() as string;
    const deleted = await runCli([...devFlags(net), 'xrpc', 'procedure', '@pds', 'com.atproto.repo.deleteRecord', `repo=${acct.did}`, 'collection=app.bsky.feed.post', `rkey=${rkey}`], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await listAll(acct, 'app.bsky.feed.post')).toEqual([]);
  });
});
