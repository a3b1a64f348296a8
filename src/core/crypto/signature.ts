/**
 * Signature byte checks (invariant K6): exactly 64 bytes r‖s big-endian (compact / IEEE-P1363),
 * 1 ≤ r,s < n, and low-S (s ≤ ⌊n/2⌋) on both curves. node:crypto accepts high-S and would accept
 * r,s the library happens to tolerate, so these checks run before every node:crypto verify.
 * The fast path compares bytes only (no BigInt, no allocation).
 */
import { createHash } from 'node:crypto';

import { CURVES, type KeyType } from './curves.js';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Compare 32 bytes of `a` starting at `offset` with the 32-byte `b`: -1, 0 or 1. */
function compare32(a: Uint8Array, offset: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[offset + i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZero32(a: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (a[offset + i] !== 0) return false;
  return true;
}

function looksDer(sig: Uint8Array): boolean {
  // SEQUENCE { INTEGER r, INTEGER s }: 0x30 len 0x02 …; 8..72 bytes for 256-bit curves.
  return sig.length >= 8 && sig.length <= 72 && sig[0] === 0x30 && sig[1] === sig.length - 2 && sig[2] === 0x02;
}

/**
 * Why `sig` is not an acceptable atproto signature for a key of `type`, or null when its shape is
 * fine (whether it matches a key and message is a separate question).
 */
export function checkSignatureBytes(sig: Uint8Array, type: KeyType): string | null {
  const curve = CURVES[type];
  if (sig.length !== 64) {
    let note = '';
    if (looksDer(sig)) note = ' (looks DER-encoded)';
    else if (sig.length === 65) note = ' (looks like a recoverable signature with a recovery byte)';
    return `signature is ${sig.length} bytes; atproto requires 64-byte compact r||s${note}`;
  }
  if (isZero32(sig, 0)) return 'signature r is zero';
  if (compare32(sig, 0, curve.n) >= 0) return `signature r is not below the ${curve.label} group order n`;
  if (isZero32(sig, 32)) return 'signature s is zero';
  const vsHalf = compare32(sig, 32, curve.halfN);
  if (vsHalf > 0) {
    if (compare32(sig, 32, curve.n) >= 0) return `signature s is not below the ${curve.label} group order n`;
    return 'high-S signature (malleable form) is not allowed; atproto requires low-S (s ≤ n/2)';
  }
  return null;
}

/** True when the 64-byte signature's s is in the low half (s ≤ ⌊n/2⌋). No other checks. */
export function isLowS(sig: Uint8Array, type: KeyType): boolean {
  return sig.length === 64 && compare32(sig, 32, CURVES[type].halfN) <= 0;
}
