import { describe, expect, it } from 'vitest';
import { base58btc } from 'multiformats/bases/base58';
import { base58Decode, base58Encode, base58MaxChars } from '../../../src/core/codec/base.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('base58btc', () => {
  it('agrees with multiformats on random values with and without leading zeros', () => {
    for (let n = 0; n < 80; n++) {
      const bytes = randomBytes(n, n + 1);
      if (n % 3 === 0 && n > 0) bytes[0] = 0;
      if (n % 5 === 0 && n > 1) bytes[1] = 0;
      const text = base58btc.baseEncode(bytes);
      expect(base58Encode(bytes)).toBe(text);
      if (n > 0) expect(base58Decode(text, n)).toEqual(bytes);
    }
  });

  it('rejects characters outside the alphabet (0, O, I, l) and non-ASCII', () => {
    for (const bad of ['0', 'O', 'I', 'l', 'é', ' ']) expect(base58Decode(`2${bad}3`, 10)).toBeNull();
  });

  it('rejects a value longer than maxBytes, decoded or not', () => {
    const text = base58Encode(randomBytes(40, 7));
    expect(base58Decode(text, 39)).toBeNull();
    expect(base58Decode(text, 40)).not.toBeNull();
    expect(base58Decode('1'.repeat(11), 10)).toBeNull();
  });

  it('refuses an oversized string before decoding: 1 MB of base58 costs no time', () => {
    const huge = `Q${'z'.repeat(1_000_000)}`;
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) expect(base58Decode(huge, 68)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(huge.length).toBeGreaterThan(base58MaxChars(68));
  });
});
