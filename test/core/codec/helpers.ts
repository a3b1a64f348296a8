import { expect } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';

/** Bytes from a hex string; spaces and newlines are ignored. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex length: ${s}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function check(err: unknown, code: string, message: RegExp, kind: string): AtcliError {
  expect(err, 'expected an AtcliError to be thrown').toBeInstanceOf(AtcliError);
  const e = err as AtcliError;
  expect(e.code).toBe(code);
  expect(e.kind).toBe(kind);
  expect(e.message).toMatch(message);
  return e;
}

/** Assert `fn` throws an AtcliError with this code and a message matching `message`. */
export function expectError(fn: () => unknown, code: string, message: RegExp, kind = 'invalid'): AtcliError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  return check(err, code, message, kind);
}

export async function expectErrorAsync(
  fn: () => Promise<unknown>,
  code: string,
  message: RegExp,
  kind = 'invalid',
): Promise<AtcliError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  return check(err, code, message, kind);
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
