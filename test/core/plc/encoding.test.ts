import { describe, expect, it } from 'vitest';
import {
  compareTimestamps,
  decodeBase64UrlStrict,
  decodeSignature,
  encodeBase64Url,
  parseTimestamp,
} from '../../../src/core/plc/index.js';
import { toDer } from './helpers.js';

const SIG = 'n-VWsPZY4xkFN8wlg-kJBU_yzWTNd2oBnbjkjxXu3HdjbBLaEB7K39JHIPn_DZVALKRjts6bUicjSEecZy8eIw';

describe('strict base64url', () => {
  it('round-trips every length', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const s = encodeBase64Url(bytes);
      expect(s).not.toContain('=');
      if (n === 0) continue;
      const back = decodeBase64UrlStrict(s);
      expect(back.ok).toBe(true);
      if (back.ok) expect(Buffer.from(back.bytes).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('decodes a real 64-byte signature', () => {
    const r = decodeSignature(SIG);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.bytes.length).toBe(64);
  });

  it('G1: rejects = padding (the PLC issue #53 case)', () => {
    const r = decodeSignature(`${SIG}==`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/padding/);
  });

  it('G2: rejects non-zero trailing bits that Node would accept', () => {
    // 86 chars carry 516 bits for 512: the last character's low 4 bits must be zero.
    const last = SIG[SIG.length - 1]!; // 'w' = 48 = 0b110000
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = SIG.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1]!;
    // Node decodes both to the same bytes...
    expect(Buffer.from(tweaked, 'base64url').equals(Buffer.from(SIG, 'base64url'))).toBe(true);
    // ...atcli refuses the non-canonical one.
    const r = decodeSignature(tweaked);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/non-zero padding bits|canonical/);
  });

  it.each([
    ['a newline', `${SIG.slice(0, 40)}\n${SIG.slice(40)}`, /line feed/],
    ['a carriage return', `${SIG}\r`, /carriage return/],
    ['standard base64 +', SIG.replace('-', '+'), /standard base64/],
    ['standard base64 /', SIG.replace('_', '/'), /standard base64/],
    ['a space', ` ${SIG}`, /space/],
    ['an impossible length', `${SIG}AAA`, /impossible length/],
    ['empty', '', /empty/],
  ])('rejects %s', (_name, input, why) => {
    const r = decodeSignature(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('G3: names a DER-encoded signature', () => {
    const der = toDer(Uint8Array.from(Buffer.from(SIG, 'base64url')));
    const r = decodeSignature(encodeBase64Url(der));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/DER/);
  });

  it('rejects a signature of the wrong length', () => {
    const r = decodeSignature(encodeBase64Url(new Uint8Array(63).fill(1)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/63 bytes/);
  });
});

describe('createdAt timestamps', () => {
  it('keeps sub-millisecond precision and offsets', () => {
    const a = parseTimestamp('2025-07-25T14:14:49.751Z');
    const b = parseTimestamp('2025-07-25T14:14:49.751001Z');
    const c = parseTimestamp('2025-07-25T16:14:49.751+02:00');
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (a.ok && b.ok && c.ok) {
      expect(compareTimestamps(a.value, b.value)).toBe(-1);
      expect(compareTimestamps(a.value, c.value)).toBe(0);
    }
  });

  it('rejects malformed datetimes', () => {
    expect(parseTimestamp('2025-07-1T00:00:01.000Z').ok).toBe(false);
    expect(parseTimestamp('2025-07-01 00:00:01Z').ok).toBe(false);
    expect(parseTimestamp('2025-07-01T00:00:01').ok).toBe(false);
  });
});
