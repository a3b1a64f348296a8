// checkCborRecord must accept exactly what decodeCbor accepts, with the same error, and report
// the same $type: a differential test over valid encodings and many mutated ones.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkCborRecord, decodeCbor, encodeCbor, parseCid, type CborValue } from '../../../src/core/codec/index.js';
import { rng } from './helpers.js';

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

const link = parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm');

function randomValue(next: () => number, depth = 0): CborValue {
  const r = next();
  if (depth > 3 || r < 0.3) {
    const leaf = Math.floor(next() * 8);
    switch (leaf) {
      case 0:
        return Math.floor(next() * 2 ** 40) - 2 ** 39;
      case 1:
        return 'héllo ✨ world'.slice(0, Math.floor(next() * 14));
      case 2:
        return new Uint8Array([1, 2, 3, Math.floor(next() * 255)]);
      case 3:
        return link;
      case 4:
        return next() < 0.5;
      case 5:
        return null;
      case 6:
        return 'x'.repeat(Math.floor(next() * 300));
      default:
        return BigInt(Math.floor(next() * 9000)) * 10n ** 15n;
    }
  }
  if (r < 0.6) return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
  const obj: Record<string, CborValue> = {};
  if (depth === 0 && next() < 0.7) obj.$type = 'app.bsky.feed.post';
  for (let i = 0; i < Math.floor(next() * 6); i++) obj[`k${i}${'é'.repeat(i % 2)}`] = randomValue(next, depth + 1);
  return obj;
}

describe('checkCborRecord (check-only decoding)', () => {
  const next = rng(42);
  const samples: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) samples.push(encodeCbor(randomValue(next)));
  const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/interop/data-model/data-model-fixtures.json', import.meta.url), 'utf8')) as Array<{ cbor_base64: string }>;
  for (const f of fixtures) samples.push(new Uint8Array(Buffer.from(f.cbor_base64, 'base64')));

  it('agrees with decodeCbor on valid encodings, including the $type it reports', () => {
    for (const bytes of samples) {
      const value = decodeCbor(bytes);
      const checked = checkCborRecord(bytes);
      const isMap = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && value.constructor !== Object.getPrototypeOf(link).constructor;
      expect(checked.isMap).toBe(isMap);
      const type = isMap ? (value as Record<string, CborValue>).$type : undefined;
      expect(checked.type).toBe(typeof type === 'string' ? type : undefined);
    }
  });

  it('accepts and rejects exactly what decodeCbor does on 20,000 mutated inputs, with the same error', () => {
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = samples[i % samples.length] as Uint8Array;
      const bytes = base.slice();
      const kind = Math.floor(next() * 4);
      if (kind === 0 && bytes.length > 0) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      const mutated = kind === 1 ? bytes.subarray(0, Math.floor(next() * bytes.length)) : kind === 2 ? new Uint8Array([...bytes, Math.floor(next() * 256)]) : bytes;
      if (kind === 3 && mutated.length > 1) mutated[0] = [0xbf, 0x9f, 0xf7, 0xf9, 0xc1, 0xb8, 0x7f][Math.floor(next() * 7)] as number;
      const a = outcome(() => decodeCbor(mutated));
      const b = outcome(() => checkCborRecord(mutated));
      expect(b).toBe(a);
      if (a !== 'ok') rejected++;
    }
    expect(rejected).toBeGreaterThan(5000);
  });
});
