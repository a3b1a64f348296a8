import { readFileSync } from 'node:fs';

import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base58btc } from 'multiformats/bases/base58';
import { expect } from 'vitest';

import { isAtcliError, type AtcliError, type ErrorKind } from '../../../src/core/errors.js';
import type { KeyType } from '../../../src/core/crypto/index.js';

export const noble = { k256: secp256k1, p256 } as const;

export function fixture<T>(name: string): T {
  const url = new URL(`../../fixtures/interop/crypto/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

export function b64(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'base64'));
}

export function hexBytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** 'z' + base58btc(bytes) */
export function z(bytes: Uint8Array | number[]): string {
  return base58btc.encode(Uint8Array.from(bytes));
}

export function unz(s: string): Uint8Array {
  return base58btc.decode(s);
}

export function curveOrder(type: KeyType): bigint {
  return noble[type].Point.CURVE().n;
}

export function bigintFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`);
}

export function bigintTo32(v: bigint): Uint8Array {
  return hexBytes(v.toString(16).padStart(64, '0'));
}

/** Replace s by n − s in a 64-byte compact signature. */
export function highSTwin(sig: Uint8Array, type: KeyType): Uint8Array {
  const s = bigintFromBytes(sig.subarray(32));
  const out = Uint8Array.from(sig);
  out.set(bigintTo32(curveOrder(type) - s), 32);
  return out;
}

export interface ExpectedError {
  kind: ErrorKind;
  code: string;
  message?: RegExp;
}

/** Run `fn`, require an AtcliError of the given kind/code (and message), return it. */
export function expectAtcliError(fn: () => unknown, expected: ExpectedError): AtcliError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected an error to be thrown').toBeDefined();
  expect(isAtcliError(thrown), `expected AtcliError, got ${String(thrown)}`).toBe(true);
  const err = thrown as AtcliError;
  expect(err.kind).toBe(expected.kind);
  expect(err.code).toBe(expected.code);
  if (expected.message) expect(err.message).toMatch(expected.message);
  return err;
}
