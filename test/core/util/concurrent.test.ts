import { describe, expect, it } from 'vitest';
import { mapUnordered } from '../../../src/core/util/concurrent.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mapUnordered', () => {
  it('runs at most `limit` calls at once and reads the source only when a slot is free', async () => {
    let running = 0;
    let peak = 0;
    let pulled = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        pulled++;
        // never more than limit in flight plus the one being handed over
        expect(pulled - done).toBeLessThanOrEqual(3 + 1);
        yield i;
      }
    }
    let done = 0;
    const out: number[] = [];
    for await (const v of mapUnordered(source(), 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await tick((i * 7) % 5);
      running--;
      done++;
      return i * 2;
    })) {
      out.push(v);
    }
    expect(peak).toBeLessThanOrEqual(3);
    expect(out.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('the first error stops reading and is thrown after the calls under way settle', async () => {
    let pulled = 0;
    let settled = 0;
    const source = (function* () {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    })();
    await expect(
      (async () => {
        for await (const _ of mapUnordered(source, 4, async (i) => {
          await tick(i === 2 ? 1 : 5);
          settled++;
          if (i === 2) throw new Error('boom');
          return i;
        })) {
          // consume
        }
      })(),
    ).rejects.toThrow('boom');
    expect(pulled).toBeLessThan(10);
    expect(settled).toBe(pulled);
  });

  it('breaking out early closes the source', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const v of mapUnordered(source(), 2, async (i) => i)) if (v >= 3) break;
    expect(closed).toBe(true);
  });
});
