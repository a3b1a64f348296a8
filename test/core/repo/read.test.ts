// Every read-only view of a repository (summary, listing, diff, tree, unpack) refuses corrupted
// data with invalid 'InvalidRepo' (exit 3) instead of warning and carrying on.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtime } from '../../../src/core/errors.js';
import { diffEntries, inspectRepo, listRepoEntries, repoTree, unpackRepo } from '../../../src/core/repo/read.js';
import { buildRepo, carOf, chunks, post, tid, type Block } from './repo-builder.js';

const repo = buildRepo();
const recordBlock = [...repo.records.values()][0] as Block;
const leafNode = repo.nodes.find((n) => n.cid.key !== repo.data.key) as Block;

function flipByte(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

const corrupted: Array<[string, Uint8Array]> = [
  ['a block whose hash does not match', carOf(repo.commit.cid, repo.blocks.map((b) => (b === recordBlock ? { cid: b.cid, bytes: flipByte(b.bytes, 5) } : b)))],
  ['a broken tree (an MST node missing)', carOf(repo.commit.cid, repo.blocks.filter((b) => b !== leafNode))],
  ['a truncated CAR', repo.car.subarray(0, repo.car.length - 7)],
  ['an empty file', new Uint8Array(0)],
];

describe.each(corrupted)('%s', (_name, car) => {
  const refused = { kind: 'invalid', code: 'InvalidRepo' };

  it('inspect refuses it', async () => {
    await expect(inspectRepo(chunks(car), 'x.car')).rejects.toMatchObject(refused);
  });

  it('mst refuses it', async () => {
    await expect(repoTree(chunks(car))).rejects.toMatchObject(refused);
  });

  it('ls and diff refuse it', async () => {
    await expect(listRepoEntries(chunks(car), 'x.car')).rejects.toMatchObject(refused);
  });

  it('unpack refuses it and writes nothing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'atcli-read-')), 'out');
    await expect(unpackRepo(() => chunks(car), dir, 'x.car')).rejects.toMatchObject(refused);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('a sound repository', () => {
  it('inspect summarises it', async () => {
    const summary = await inspectRepo(chunks(repo.car), 'x.car');
    expect(summary).toMatchObject({ did: repo.did, commit: repo.commit.cid.toString(), data: repo.data.toString(), records: repo.records.size, prev: null, warnings: [] });
    expect(Object.values(summary.collections).reduce((a, b) => a + b, 0)).toBe(repo.records.size);
  });

  it('mst walks it; a declared partial CAR may lack nodes', async () => {
    const { events } = await repoTree(chunks(repo.car));
    expect(events.filter((e) => e.kind === 'entry')).toHaveLength(repo.records.size);
    const partial = await repoTree(chunks(carOf(repo.commit.cid, repo.blocks.filter((b) => b !== leafNode))), { partial: true });
    expect(partial.events.some((e) => e.kind === 'node' && !e.present)).toBe(true);
  });

  it('ls lists it and diff compares two snapshots', async () => {
    const before = (await listRepoEntries(chunks(repo.car), 'a')).entries;
    const next = buildRepo({ key: repo.key, records: [...[...repo.records.entries()].slice(1).map(([p]) => [p, post(`changed ${p}`)] as [string, ReturnType<typeof post>]), [`app.bsky.feed.post/${tid(999_999)}`, post('new')]] });
    const after = (await listRepoEntries(chunks(next.car), 'b')).entries;
    const ops = diffEntries(before, after).map((r) => r.op);
    expect(ops.filter((o) => o === 'create')).toHaveLength(1);
    expect(ops.filter((o) => o === 'delete')).toHaveLength(1);
    expect(ops.filter((o) => o === 'update')).toHaveLength(repo.records.size - 1);
  });

  it('a listing cut short by a broken download is a runtime error, never a partial list', async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield repo.car.subarray(0, 2000);
      throw runtime('NetworkError', 'connection reset');
    }
    await expect(listRepoEntries(broken(), 'did:plc:x')).rejects.toMatchObject({ kind: 'runtime', code: 'NetworkError' });
  });
});
