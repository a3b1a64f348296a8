// `atcli firehose tail|replay` against the REAL reference PDS's com.atproto.sync.subscribeRepos
// (test/setup/network.global.ts): creates, updates and deletes made through the PDS appear in
// order with the right ops and records, --verify passes on all of them (keys resolved through
// the real PLC directory), filters select exactly what they name, #identity and #account appear
// for a handle change and a deactivation, --record then replay reproduces the output, and — on
// a network of its own — a PDS restart mid-stream loses and repeats nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecord, startNetwork, uniqueHandle, updateHandle, xrpc, type StrongRef, type TestNetwork } from '../network/client.js';
import { BIN, cliEnv, runCli, tempDir, type CliResult } from '../cli/run-cli.js';
import { applyWrites, devFlags, network, networkInfo, newAccount, type TestAccount } from './helpers.js';

type Line = Record<string, unknown> & { seq?: number; type?: string; did?: string };

function ndjson(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

/** Runs `atcli firehose tail …` until `done(lines)` holds, then Ctrl-C; returns what it printed. */
async function tailUntil(args: string[], done: (lines: Line[]) => boolean, timeoutMs = 60_000): Promise<{ lines: Line[]; code: number | null; stdout: string; stderr: string }> {
  const scratch = tempDir('atcli-fh-e2e-home-');
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv({}, scratch), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tail did not see what it waited for within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    const check = (): void => {
      if (done(ndjson(stdout.slice(0, stdout.lastIndexOf('\n') + 1)))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      check();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tail exited early (${code})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  child.kill('SIGINT');
  const code = await exited;
  return { lines: ndjson(stdout), code, stdout, stderr };
}

function rkeyOf(uri: string): string {
  return uri.split('/').pop() as string;
}

function expectStrictlyIncreasing(lines: Line[]): void {
  const seqs = lines.map((l) => l.seq as number);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!, `seq after ${seqs[i - 1]}`).toBeGreaterThan(seqs[i - 1]!);
}

const now = (): string => new Date().toISOString();

describe.skipIf(!networkInfo)('atcli firehose against the local PDS', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let bob: TestAccount;
  let relay: string[];
  let newHandle: string;
  const refs: Record<string, StrongRef> = {};
  let lines: Line[];
  let tailResult: Awaited<ReturnType<typeof tailUntil>>;
  const recording = join(tempDir('atcli-fh-e2e-'), 'alice.fh');

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'fhalice');
    bob = await newAccount(net, 'fhbob');
    relay = [...devFlags(net), '--relay', net.pds.a.url];

    const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: now() });
    refs.post1 = await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'app.bsky.feed.post', post('first post'));
    refs.post2 = await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'app.bsky.feed.post', post('second post'));
    refs.like = await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'app.bsky.feed.like', { $type: 'app.bsky.feed.like', subject: refs.post1, createdAt: now() });
    // Update post1, delete post2.
    const put = await xrpc<StrongRef>(alice.pdsUrl, 'com.atproto.repo.putRecord', {
      accessJwt: alice.accessJwt,
      body: { repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkeyOf(refs.post1.uri), record: post('first post, edited') },
    });
    refs.post1edit = { uri: put.uri, cid: put.cid };
    await xrpc(alice.pdsUrl, 'com.atproto.repo.deleteRecord', { accessJwt: alice.accessJwt, body: { repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkeyOf(refs.post2.uri) } });
    // One commit with several ops.
    await applyWrites(alice, [
      { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.graph.follow', rkey: '3kfollowaaaa2', value: { $type: 'app.bsky.graph.follow', subject: bob.did, createdAt: now() } },
      { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.post', rkey: '3kpostbbbbbb2', value: post('batch post') },
      { $type: 'com.atproto.repo.applyWrites#delete', collection: 'app.bsky.feed.like', rkey: rkeyOf(refs.like.uri) },
    ]);
    await createRecord(bob.pdsUrl, bob.accessJwt, bob.did, 'app.bsky.feed.post', post('bob was here'));
    // #identity, then #account (deactivated, then active again).
    newHandle = uniqueHandle('fhalice2');
    await updateHandle(alice.pdsUrl, alice.accessJwt, newHandle);
    await xrpc(alice.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: alice.accessJwt, body: {} });
    await xrpc(alice.pdsUrl, 'com.atproto.server.activateAccount', { accessJwt: alice.accessJwt, method: 'POST' });

    tailResult = await tailUntil(
      [...relay, 'firehose', 'tail', '--cursor', '0', '--did', alice.did, '--verify', '--json', '--record', recording],
      (l) => l.some((x) => x.type === 'account' && x.active === true && l.some((y) => y.type === 'account' && y.active === false)),
    );
    lines = tailResult.lines;
  }, 180_000);

  it('creates, updates and deletes appear in order with the right ops and records; --verify passes on every event', () => {
    expect(tailResult.code, tailResult.stderr).toBe(130);
    expect(lines.filter((l) => l.ok === false)).toEqual([]);
    expect(lines.every((l) => l.did === alice.did)).toBe(true);
    expectStrictlyIncreasing(lines);
    for (const l of lines) if (l.type === 'commit' || l.type === 'sync') expect(l.verified, JSON.stringify(l)).toBe(true);

    const commits = lines.filter((l) => l.type === 'commit' && (l.ops as unknown[]).length > 0);
    const ops = commits.map((c) => (c.ops as Line[]).map((o) => `${o.op} ${o.collection}/${o.rkey} ${o.cid ?? 'null'}`));
    expect(ops.slice(0, 5)).toEqual([
      [`create app.bsky.feed.post/${rkeyOf(refs.post1!.uri)} ${refs.post1!.cid}`],
      [`create app.bsky.feed.post/${rkeyOf(refs.post2!.uri)} ${refs.post2!.cid}`],
      [`create app.bsky.feed.like/${rkeyOf(refs.like!.uri)} ${refs.like!.cid}`],
      [`update app.bsky.feed.post/${rkeyOf(refs.post1!.uri)} ${refs.post1edit!.cid}`],
      [`delete app.bsky.feed.post/${rkeyOf(refs.post2!.uri)} null`],
    ]);
    // The applyWrites batch: one commit, three ops.
    expect(ops[5]!.map((o) => o.replace(/ bafy\w+$/, ' <cid>')).sort()).toEqual(
      ['create app.bsky.feed.post/3kpostbbbbbb2 <cid>', 'create app.bsky.graph.follow/3kfollowaaaa2 <cid>', `delete app.bsky.feed.like/${rkeyOf(refs.like!.uri)} null`].sort(),
    );
    expect(ops).toHaveLength(6);
    // update and delete carry the previous CID.
    const update = (commits[3]!.ops as Line[])[0]!;
    expect(update.prev).toBe(refs.post1!.cid);
    // Each commit continues the previous one.
    const all = lines.filter((l) => l.type === 'commit');
    for (let i = 1; i < all.length; i++) expect(all[i]!.since).toBe(all[i - 1]!.rev);
  });

  it('#identity appears when the handle changes, #account when the account is deactivated and activated', () => {
    // Account creation announces the first handle; the change announces the new one.
    const identity = lines.filter((l) => l.type === 'identity');
    expect(identity[0]).toMatchObject({ did: alice.did, handle: alice.handle });
    const changed = identity.find((l) => l.handle === newHandle);
    expect(changed).toMatchObject({ did: alice.did, type: 'identity' });
    const accounts = lines.filter((l) => l.type === 'account').map((l) => [l.active, l.status]);
    expect(accounts).toContainEqual([false, 'deactivated']);
    expect(accounts.at(-1)).toEqual([true, null]);
    const idxChanged = lines.indexOf(changed!);
    const idxDeactivated = lines.findIndex((l) => l.type === 'account' && l.active === false);
    expect(idxChanged).toBeLessThan(idxDeactivated);
    // The last commit precedes the handle change (which writes no commit).
    expect(lines.findLastIndex((l) => l.type === 'commit' && (l.ops as unknown[]).length > 0)).toBeLessThan(idxChanged);
  });

  it('--ops gives one line per op with the record as written', async () => {
    const n = lines.filter((l) => l.type === 'commit').reduce((sum, c) => sum + (c.ops as unknown[]).length, 0);
    const r = await runCli([...relay, 'firehose', 'tail', '--cursor', '0', '--did', alice.did, '--verify', '--ops', '--events', 'commit', '--json', '--limit', '6'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const rows = ndjson(r.stdout);
    expect(rows.length).toBeLessThanOrEqual(n);
    expect(rows[0]).toMatchObject({ op: 'create', collection: 'app.bsky.feed.post', rkey: rkeyOf(refs.post1!.uri), cid: refs.post1!.cid, record: { $type: 'app.bsky.feed.post', text: 'first post' }, verified: true });
    const edited = rows.find((x) => x.op === 'update');
    expect(edited).toMatchObject({ cid: refs.post1edit!.cid, prev: refs.post1!.cid, record: { text: 'first post, edited' } });
    expect(rows.find((x) => x.op === 'delete')).toMatchObject({ record: null, cid: null });
  });

  it('filters select exactly what they name: -c, --did, --events', async () => {
    const likes = await runCli([...relay, 'firehose', 'tail', '--cursor', '0', '--did', alice.did, '-c', 'app.bsky.feed.like', '--verify', '--json', '--limit', '2'], { timeoutMs: 30_000 });
    expect(likes.code, likes.stderr).toBe(0);
    const likeLines = ndjson(likes.stdout);
    expect(likeLines.map((l) => l.type)).toEqual(['commit', 'commit']);
    for (const l of likeLines) expect((l.ops as Line[]).some((o) => o.collection === 'app.bsky.feed.like')).toBe(true);
    expect(likeLines.map((l) => l.verified)).toEqual([true, true]);

    const idAcct = await runCli([...relay, 'firehose', 'tail', '--cursor', '0', '--did', alice.did, '--events', 'identity,account', '--json', '--limit', String(lines.filter((l) => l.type === 'identity' || l.type === 'account').length)], { timeoutMs: 30_000 });
    expect(idAcct.code, idAcct.stderr).toBe(0);
    expect(ndjson(idAcct.stdout)).toEqual(lines.filter((l) => l.type === 'identity' || l.type === 'account'));

    const bobs = await tailUntil([...relay, 'firehose', 'tail', '--cursor', '0', '--did', bob.did, '--verify', '--json'], (l) => l.some((x) => x.type === 'commit' && (x.ops as unknown[]).length > 0));
    expect(bobs.lines.length).toBeGreaterThan(0);
    expect(bobs.lines.every((l) => l.did === bob.did && l.ok !== false)).toBe(true);
  }, 60_000);

  it('--record then replay reproduces the same NDJSON (with --verify, offline keys)', async () => {
    // The same flags as the live run; no network flags: the keys come from the recording.
    const replay = await runCli(['firehose', 'replay', recording, '--did', alice.did, '--verify', '--json'], { timeoutMs: 30_000 });
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe(tailResult.stdout);
    const filtered = await runCli(['firehose', 'replay', recording, '--json', '-c', 'app.bsky.feed.post', '--ops']);
    expect(ndjson(filtered.stdout).every((l) => l.collection === 'app.bsky.feed.post')).toBe(true);
  });

  it('a cursor ahead of the PDS is FutureCursor: exit 1 with a hint', async () => {
    const r: CliResult = await runCli([...relay, 'firehose', 'tail', '--cursor', '999999999', '--json']);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; hint: string } };
    expect(err.error.code).toBe('FutureCursor');
    // The hint says what to do about the cursor (the command layer names the flag).
    expect(err.error.hint).toMatch(/cursor/);
  });
});

describe.skipIf(!networkInfo)('atcli firehose across a PDS restart (a network of its own)', () => {
  let own: TestNetwork;

  beforeAll(async () => {
    own = await startNetwork();
  }, 180_000);
  afterAll(async () => {
    await own?.stop();
  });

  it('the PDS restarts mid-stream: atcli reconnects and resumes with no gap and no duplicate seq', async () => {
    const carol = await newAccount(own, 'fhcarol');
    const flags = [...devFlags(own), '--relay', own.pds.a.url];
    const post = (i: number) => ({ $type: 'app.bsky.feed.post', text: `restart ${i}`, createdAt: now() });
    for (let i = 0; i < 5; i++) await createRecord(carol.pdsUrl, carol.accessJwt, carol.did, 'app.bsky.feed.post', post(i));

    const scratch = tempDir('atcli-fh-restart-');
    const child = spawn(process.execPath, [BIN, ...flags, 'firehose', 'tail', '--cursor', '0', '--verify', '--json'], { env: cliEnv({}, scratch), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const waitFor = async (pred: (l: Line[]) => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!pred(ndjson(stdout.slice(0, stdout.lastIndexOf('\n') + 1)))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const postCommits = (l: Line[]): number => l.filter((x) => x.type === 'commit' && (x.ops as Line[]).length > 0).length;
    await waitFor((l) => postCommits(l) >= 5, 'the first five posts');

    await own.restartPds('a');
    // Writes after the restart reach the new process's stream; the session survives the restart.
    for (let i = 5; i < 10; i++) await createRecord(carol.pdsUrl, carol.accessJwt, carol.did, 'app.bsky.feed.post', post(i));
    await waitFor((l) => postCommits(l) >= 10, 'the posts made after the restart');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/connection closed .*; reconnecting in/);
    expect(stderr).toMatch(/connected to .* after [1-9]\d*/);

    const seen = ndjson(stdout);
    expect(seen.filter((l) => l.ok === false)).toEqual([]);
    // The complete stream, read afterwards in one go, is exactly what the interrupted tail saw.
    const all = await runCli([...flags, 'firehose', 'tail', '--cursor', '0', '--verify', '--json', '--limit', String(seen.length)], { timeoutMs: 30_000 });
    expect(all.code, all.stderr).toBe(0);
    expect(seen.map((l) => l.seq)).toEqual(ndjson(all.stdout).map((l) => l.seq));
    expect(new Set(seen.map((l) => l.seq)).size).toBe(seen.length);
    expectStrictlyIncreasing(seen);
    expect(seen.filter((l) => l.type === 'commit' && (l.ops as Line[]).length > 0)).toHaveLength(10);
  }, 180_000);
});
