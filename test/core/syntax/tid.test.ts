import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkTid, generateTid, inspectTid, tidFromTime } from '../../../src/core/syntax/tid.js';

describe('generateTid', () => {
  it('is strictly increasing over 10,000 calls (same microsecond included)', () => {
    let prev = generateTid();
    expect(checkTid(prev)).toBeNull();
    const clock = inspectTid(prev).clockId;
    for (let i = 0; i < 10_000; i++) {
      const next = generateTid();
      expect(next > prev).toBe(true);
      prev = next;
    }
    expect(checkTid(prev)).toBeNull();
    expect(inspectTid(prev).clockId).toBe(clock); // chosen once per process
  });

  it('uses the current time', () => {
    const before = Date.now() * 1000;
    const info = inspectTid(generateTid());
    // Bumped past earlier TIDs by at most the number generated in this file.
    expect(info.timestampMicros).toBeGreaterThanOrEqual(before);
    expect(info.timestampMicros).toBeLessThan(before + 60_000_000);
  });
});

describe('tidFromTime / inspectTid', () => {
  it('round-trips', () => {
    const micros = 1_686_703_641_123_456;
    const tid = tidFromTime(micros, 617);
    expect(checkTid(tid)).toBeNull();
    expect(inspectTid(tid)).toEqual({
      tid,
      timestampMicros: micros,
      date: '2023-06-14T00:47:21.123456Z',
      clockId: 617,
    });
    expect(inspectTid(tidFromTime(BigInt(micros), 0)).timestampMicros).toBe(micros);
  });

  it('handles the extremes', () => {
    expect(tidFromTime(0, 0)).toBe('2222222222222');
    const max = inspectTid(tidFromTime(2 ** 53 - 1, 1023));
    expect(max.timestampMicros).toBe(2 ** 53 - 1);
    expect(max.clockId).toBe(1023);
    expect(max.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(inspectTid('2222222222222')).toMatchObject({ date: '1970-01-01T00:00:00.000000Z', clockId: 0 });
  });

  it('decodes a spec example', () => {
    const info = inspectTid('3jzfcijpj2z2a');
    expect(tidFromTime(info.timestampMicros, info.clockId)).toBe('3jzfcijpj2z2a');
  });

  it('orders TIDs like their timestamps', () => {
    expect(tidFromTime(1000, 5) < tidFromTime(1001, 0)).toBe(true);
  });

  it('rejects out-of-range input with InvalidTid', () => {
    expect(() => tidFromTime(-1, 0)).toThrow(AtcliError);
    expect(() => tidFromTime(2 ** 53, 0)).toThrow(AtcliError);
    expect(() => tidFromTime(1.5, 0)).toThrow(AtcliError);
    expect(() => tidFromTime(0, 1024)).toThrow(AtcliError);
    expect(() => tidFromTime(0, -1)).toThrow(AtcliError);
  });

  it('inspectTid throws usage InvalidTid', () => {
    for (const bad of ['3JZFCIJPJ2Z2A', '222', 'jzzzzzzzzzzzz', 'czzzzzzzzzzzz']) {
      let err: unknown;
      try {
        inspectTid(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AtcliError);
      expect((err as AtcliError).code).toBe('InvalidTid');
    }
  });
});
