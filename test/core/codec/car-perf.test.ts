/**
 * Throughput of CAR streaming (framing + CID parsing + sha2-256 check) from a file.
 * Opt-in because it writes a 50 MB file: `ATCLI_BENCH=1 npx vitest run test/core/codec/car-perf`.
 * Set ATCLI_BENCH_MIN_BLOCKS_PER_S to also assert a floor (e.g. 700000 on an idle machine).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cidForCbor, encodeCar, encodeCbor, openCarFile, readCarBytes } from '../../../src/core/codec/index.js';
import type { CarReadOptions, CarWriteBlock } from '../../../src/core/codec/index.js';
import { readFileSync } from 'node:fs';

const TARGET_BYTES = 50 * 1024 * 1024;

describe.skipIf(!process.env.ATCLI_BENCH)('CAR streaming throughput (50 MB, ~300-byte blocks)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atcli-carperf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bench.car');
  let blockCount = 0;

  it('generates the CAR with encodeCar', () => {
    const blocks: CarWriteBlock[] = [];
    let total = 0;
    let i = 0;
    while (total < TARGET_BYTES) {
      const bytes = encodeCbor({
        $type: 'app.bsky.feed.post',
        text: `post number ${i} `.padEnd(150 + (i % 100), 'lorem ipsum '),
        createdAt: '2024-01-01T00:00:00.000Z',
        langs: ['en'],
      });
      blocks.push({ cid: cidForCbor(bytes), bytes });
      total += bytes.length + 38;
      i++;
    }
    const car = encodeCar([blocks[0]!.cid], blocks);
    writeFileSync(path, car);
    blockCount = blocks.length;
    console.log(`generated ${(car.length / 1e6).toFixed(1)} MB, ${blockCount} blocks, avg ${(car.length / blockCount).toFixed(0)} B/section`);
  });

  /**
   * Runs 5 passes and reports the best and median rate by wall clock and by process CPU time
   * (user + system, all threads): on a shared, loaded machine the CPU-time rate is the stable
   * figure; wall-clock also includes time the process was waiting for a core.
   */
  async function run(label: string, options: CarReadOptions, mode: 'blocks' | 'batches'): Promise<number> {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const reader = await openCarFile(path, options);
      let n = 0;
      let bytes = 0;
      if (mode === 'blocks') {
        for await (const b of reader) {
          n++;
          bytes += b.bytes.length;
        }
      } else {
        for await (const batch of reader.batches()) {
          for (let i = 0; i < batch.length; i++) {
            n++;
            bytes += batch[i]!.bytes.length;
          }
        }
      }
      const dc = process.cpuUsage(c);
      const dt = (performance.now() - t) / 1000;
      expect(n).toBe(blockCount);
      expect(bytes).toBeGreaterThan(0);
      wall.push(n / dt);
      cpu.push(n / ((dc.user + dc.system) / 1e6));
    }
    wall.sort((a, b) => b - a);
    cpu.sort((a, b) => b - a);
    const k = (x: number): string => `${(x / 1e3).toFixed(0)}k`;
    console.log(
      `${label.padEnd(44)} wall: best ${k(wall[0]!)} median ${k(wall[2]!)} blocks/s | cpu-time: best ${k(cpu[0]!)} median ${k(cpu[2]!)} blocks/s`,
    );
    return wall[0]!;
  }

  it('measures', async () => {
    await run('file, framing only, for-await blocks', { verifyHashes: false }, 'blocks');
    await run('file, framing only, batches()', { verifyHashes: false }, 'batches');
    const perBlock = await run('file, framing + sha256, for-await blocks', {}, 'blocks');
    const batched = await run('file, framing + sha256, batches()', {}, 'batches');
    const car = readFileSync(path);
    for (let rep = 0; rep < 3; rep++) {
      const t = performance.now();
      let n = 0;
      for (const _ of readCarBytes(car)) n++;
      console.log(`in memory, framing + sha256, readCarBytes (sync): ${(n / ((performance.now() - t) / 1000) / 1e3).toFixed(0)}k blocks/s`);
    }
    const floor = Number(process.env.ATCLI_BENCH_MIN_BLOCKS_PER_S ?? 0);
    if (floor > 0) expect(Math.max(perBlock, batched)).toBeGreaterThanOrEqual(floor);
  }, 120_000);
});
