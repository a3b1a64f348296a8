import { describe, expect, it } from 'vitest';
import { CappedList, LIST_CAP, capList, joinCapped } from '../../../src/core/util/capped-list.js';

describe('capList', () => {
  it('keeps short lists whole', () => {
    expect(capList(['a', 'b'])).toEqual({ items: ['a', 'b'], omitted: 0 });
  });

  it('keeps the first LIST_CAP items and counts the rest', () => {
    const list = Array.from({ length: 20_003 }, (_, i) => `problem ${i}`);
    const capped = capList(list);
    expect(capped.items).toHaveLength(LIST_CAP);
    expect(capped.items[0]).toBe('problem 0');
    expect(capped.omitted).toBe(20_003 - LIST_CAP);
  });
});

describe('CappedList', () => {
  it('holds no more than its cap while counting everything', () => {
    const c = new CappedList<number>(3);
    for (let i = 0; i < 1000; i++) c.add(i);
    expect(c.items).toEqual([0, 1, 2]);
    expect(c.count).toBe(1000);
    expect(c.omitted).toBe(997);
    expect(joinCapped(c.result(), ', ')).toBe('0, 1, 2, and 997 more');
  });
});
