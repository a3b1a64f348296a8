import { describe, expect, it } from 'vitest';
import { verdictOf, type CheckStatus } from '../../../src/core/doctor/index.js';

const checks = (...s: CheckStatus[]): Array<{ name: string; status: CheckStatus; detail: string }> => s.map((status, i) => ({ name: `c${i}`, status, detail: '' }));

describe('doctor verdict', () => {
  it.each([
    [checks('ok', 'ok', 'skipped'), 'ok'],
    [checks('ok', 'unchecked', 'skipped'), 'unchecked'],
    [checks('ok', 'unchecked', 'fail'), 'fail'],
    [checks('fail'), 'fail'],
    [checks('skipped'), 'ok'],
  ])('%j → %s', (list, want) => {
    expect(verdictOf(list)).toBe(want);
  });
});
