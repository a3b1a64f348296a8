// Applying a repository diff (the blocks written since a revision) to an earlier snapshot.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCar } from '../../../src/core/codec/index.js';
import { CarFileBlocks, rebuildRepoCar, type RebuildStats } from '../../../src/core/repo/car-rebuild.js';
import { verifyRepoCar } from '../../../src/core/repo/verify.js';
import { writeFileAtomic } from '../../../src/core/util/atomic-file.js';
import { buildRepo, chunks, post, samplePaths, tid, type Block } from './repo-builder.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'atcli-rebuild-'));

function stats(): RebuildStats {
  return { blocks: 0, recordBlocks: 0, blocksFromFirst: 0, recordBlocksFromFirst: 0 };
}

/** The earlier snapshot, the later one, and the diff a host would send (blocks new in the later). */
function scenario(): { before: ReturnType<typeof buildRepo>; after: ReturnType<typeof buildRepo>; diff: Block[] } {
  const records = samplePaths(120);
  const before = buildRepo({ records, rev: tid(5_000_000) });
  const added: Array<[string, ReturnType<typeof post>]> = [];
  for (let i = 0; i < 10; i++) added.push([`app.bsky.feed.post/${tid(900_000 + i)}`, post(`new post ${i}`)]);
  // One record deleted, ten added.
  const after = buildRepo({ key: before.key, records: [...records.slice(1), ...added], rev: tid(6_000_000) });
  const old = new Set(before.blocks.map((b) => b.cid.key));
  return { before, after, diff: after.blocks.filter((b) => !old.has(b.cid.key)) };
}

describe('rebuildRepoCar', () => {
  it('writes a complete CAR for the new commit from the diff and the earlier snapshot, and it verifies', async () => {
    const { before, after, diff } = scenario();
    const d = dir();
    writeFileSync(join(d, 'before.car'), before.car);
    writeFileSync(join(d, 'diff.car'), encodeCar([after.commit.cid], diff));
    const diffBlocks = await CarFileBlocks.open(join(d, 'diff.car'));
    const saved = await CarFileBlocks.open(join(d, 'before.car'));
    const s = stats();
    await writeFileAtomic(join(d, 'out.car'), rebuildRepoCar(after.commit.cid, [diffBlocks, saved], s));
    await diffBlocks.close();
    await saved.close();
    const report = await verifyRepoCar(chunks(readFileSync(join(d, 'out.car'))), { key: before.key.publicKey, expectedDid: after.did });
    expect(report.errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.commit).toBe(after.commit.cid.toString());
    expect(report.records).toBe(130);
    // Exactly the blocks of the new tree: no stale node or deleted record is carried over.
    expect(report.checks.find((c) => c.name === 'unreferenced')).toBeUndefined();
    expect(s.blocks).toBe(after.blocks.length);
    expect(s.recordBlocksFromFirst).toBe(10);
    expect(s.recordBlocks).toBe(new Set([...after.records.values()].map((b) => b.cid.key)).size);
  });

  it('fails naming the block when neither the diff nor the snapshot has it', async () => {
    const { before, after, diff } = scenario();
    const d = dir();
    writeFileSync(join(d, 'before.car'), before.car);
    // The diff lost one of its new records.
    const lost = diff.find((b) => [...after.records.values()].some((r) => r.cid.key === b.cid.key))!;
    writeFileSync(join(d, 'diff.car'), encodeCar([after.commit.cid], diff.filter((b) => b !== lost)));
    const sources = [await CarFileBlocks.open(join(d, 'diff.car')), await CarFileBlocks.open(join(d, 'before.car'))];
    await expect(writeFileAtomic(join(d, 'out.car'), rebuildRepoCar(after.commit.cid, sources, stats()))).rejects.toMatchObject({
      code: 'IncompleteRepo',
      message: expect.stringContaining(lost.cid.toString()),
    });
    for (const s of sources) await s.close();
  });

  it('refuses a block whose bytes changed on disk after indexing', async () => {
    const { before } = scenario();
    const d = dir();
    const path = join(d, 'before.car');
    writeFileSync(path, before.car);
    const blocks = await CarFileBlocks.open(path);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
    writeFileSync(path, bytes);
    const last = before.blocks[before.blocks.length - 1]!;
    await expect(blocks.get(last.cid)).rejects.toMatchObject({ code: 'CarFileChanged' });
    await blocks.close();
  });
});
