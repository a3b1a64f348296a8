import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRepo, carOf, post, tid, type Block } from '../core/repo/repo-builder.js';
import { expectNoStack, runCli, stderrJsonError, stdoutJson, tempDir } from './run-cli.js';

const dir = tempDir('atcli-repo-cli-');
const repo = buildRepo();
const carPath = join(dir, 'repo.car');
writeFileSync(carPath, repo.car);
const key = repo.key.publicKey.did();


describe('atcli repo (CAR files, offline with --key)', () => {
  it('verify: a valid repository exits 0 with a checklist', async () => {
    const r = await runCli(['repo', 'verify', carPath, '--key', key]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ car /m);
    expect(r.stdout).toMatch(/^✓ signature .*valid k256 signature/m);
    expect(r.stdout).toMatch(/^✓ mst /m);
    expect(r.stdout).toContain(`repository of ${repo.did} is valid`);
  });

  it('verify --json: the report fields', async () => {
    const r = await runCli(['repo', 'verify', carPath, '--key', key, '--did', repo.did, '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<{ valid: boolean; did: string; rev: string; records: number; blocks: number; checks: Array<{ name: string; ok: boolean; detail: string }>; errors: string[] }>(r);
    expect(out.valid).toBe(true);
    expect(out.did).toBe(repo.did);
    expect(out.records).toBe(repo.records.size);
    expect(out.checks.every((c) => c.ok)).toBe(true);
    expect(out.errors).toEqual([]);
  });

  it('verify: a tampered record exits 3 and names the block', async () => {
    const target = [...repo.records.values()][3] as Block;
    const bad = repo.blocks.map((b) => (b === target ? { cid: b.cid, bytes: new Uint8Array([...b.bytes.subarray(0, 10), b.bytes[10]! ^ 1, ...b.bytes.subarray(11)]) } : b));
    const file = join(dir, 'tampered.car');
    writeFileSync(file, carOf(repo.commit.cid, bad));
    const r = await runCli(['repo', 'verify', file, '--key', key]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`^✗ hashes .*${target.cid.toString()}`, 'm'));
    expect(r.stdout).toContain('is INVALID');
  });

  it('verify: the wrong DID and the wrong key exit 3', async () => {
    expect((await runCli(['repo', 'verify', carPath, '--key', key, '--did', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'])).code).toBe(3);
    const other = buildRepo().key.publicKey.did();
    const r = await runCli(['repo', 'verify', carPath, '--key', other, '--json']);
    expect(r.code).toBe(3);
    expect(stdoutJson<{ checks: Array<{ name: string; ok: boolean }> }>(r).checks.find((c) => c.name === 'signature')?.ok).toBe(false);
  });

  it('verify: garbage, truncated and empty files exit 3 without a stack trace', async () => {
    for (const [name, bytes] of [
      ['garbage.car', Buffer.from('this is not a CAR file at all')],
      ['truncated.car', repo.car.subarray(0, 200)],
      ['empty.car', new Uint8Array(0)],
      ['huge-header.car', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f])],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await runCli(['repo', 'verify', file, '--key', key]);
      expect(r.code, name).toBe(3);
      expect(r.stdout).toMatch(/^✗ car /m);
      expectNoStack(r);
    }
  });

  it('verify: a missing file and a malformed --key are usage errors', async () => {
    const a = await runCli(['repo', 'verify', join(dir, 'nope.car')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('no such CAR file');
    const b = await runCli(['repo', 'verify', carPath, '--key', 'did:key:zNOPE', '--json']);
    expect(b.code).toBe(2);
    expect(stderrJsonError(b).code).toBe('InvalidKey');
  });

  it('inspect: summary fields', async () => {
    const r = await runCli(['repo', 'inspect', carPath, '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<Record<string, unknown>>(r);
    expect(out).toMatchObject({ did: repo.did, version: 3, commit: repo.commit.cid.toString(), data: repo.data.toString(), prev: null, records: repo.records.size });
    expect((out.collections as Record<string, number>)['app.bsky.actor.profile']).toBe(1);
    const human = await runCli(['repo', 'inspect', carPath]);
    expect(human.stdout).toMatch(/^did\s+did:plc:/m);
  });

  it('ls: every path in order, NDJSON with --json, and -c filters', async () => {
    const r = await runCli(['repo', 'ls', carPath, '--json']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { collection: string; rkey: string; cid: string });
    expect(rows.map((x) => `${x.collection}/${x.rkey}`)).toEqual([...repo.records.keys()].sort());
    const likes = await runCli(['repo', 'ls', carPath, '-c', 'app.bsky.feed.like']);
    expect(likes.stdout.trim().split('\n').every((l) => l.startsWith('app.bsky.feed.like/'))).toBe(true);
  });

  it('mst: prints the tree', async () => {
    const r = await runCli(['repo', 'mst', carPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(repo.data.toString());
    expect(r.stdout).toMatch(/layer \d+/);
  });

  it('unpack: one JSON file per record, refusing a non-empty directory', async () => {
    const out = join(dir, 'unpacked');
    const r = await runCli(['repo', 'unpack', carPath, '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(stdoutJson<{ records: number }>(r).records).toBe(repo.records.size);
    const profile = JSON.parse(readFileSync(join(out, 'app.bsky.actor.profile', 'self.json'), 'utf8')) as { $type: string };
    expect(profile.$type).toBe('app.bsky.actor.profile');
    expect(existsSync(join(out, '_commit.json'))).toBe(true);
    expect(readdirSync(join(out, 'app.bsky.feed.post')).length).toBeGreaterThan(0);
    const again = await runCli(['repo', 'unpack', carPath, '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('diff: reports exactly the creates, updates and deletes', async () => {
    const before = join(dir, 'before.car');
    const after = join(dir, 'after.car');
    const a = buildRepo({ records: [[`app.bsky.feed.post/${tid(1)}`, post('one')], [`app.bsky.feed.post/${tid(2)}`, post('two')], [`app.bsky.feed.post/${tid(3)}`, post('three')]] });
    const b = buildRepo({ did: a.did, key: a.key, records: [[`app.bsky.feed.post/${tid(1)}`, post('one')], [`app.bsky.feed.post/${tid(2)}`, post('two, edited')], [`app.bsky.feed.post/${tid(4)}`, post('four')]] });
    writeFileSync(before, a.car);
    writeFileSync(after, b.car);
    const r = await runCli(['repo', 'diff', before, after, '--json']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { op: string; rkey: string; cid: string | null; prev: string | null });
    expect(rows.map((x) => [x.op, x.rkey])).toEqual([
      ['update', tid(2)],
      ['delete', tid(3)],
      ['create', tid(4)],
    ]);
    expect(rows[0]?.prev).toBe(a.records.get(`app.bsky.feed.post/${tid(2)}`)?.cid.toString());
    expect(rows[0]?.cid).toBe(b.records.get(`app.bsky.feed.post/${tid(2)}`)?.cid.toString());
    const human = await runCli(['repo', 'diff', before, after]);
    expect(human.stderr).toContain('1 created, 1 updated, 1 deleted');
  });

  it('a structurally invalid repository makes ls exit 3', async () => {
    const file = join(dir, 'missing-node.car');
    const leaf = repo.nodes.find((n) => n.cid.key !== repo.data.key) as Block;
    writeFileSync(file, carOf(repo.commit.cid, repo.blocks.filter((b) => b !== leaf)));
    const r = await runCli(['repo', 'ls', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is missing');
  });
});

