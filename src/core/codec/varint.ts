/**
 * Unsigned LEB128 varints as used by multiformats (CIDs, multihash) and CAR section framing.
 *
 * Rules enforced (multiformats unsigned-varint spec):
 * - at most 9 bytes (63 bits of payload);
 * - minimal: a multi-byte varint must not end in a 0x00 byte (no redundant continuation bytes);
 * - values above Number.MAX_SAFE_INTEGER are reported as too large (nothing in atproto needs them,
 *   and a JS number could not hold them exactly).
 *
 * The decoder is allocation-free: it writes its result into the shared {@link VARINT} object and
 * returns a status. This is the hot path of CAR framing and CID parsing.
 */

/** Result slot of the last successful {@link decodeUvarint} call. */
export const VARINT = { value: 0, length: 0 };

export const VARINT_OK = 0;
/** Input ended before the final byte of the varint. */
export const VARINT_TRUNCATED = -1;
/** Redundant trailing 0x00 continuation group (non-minimal encoding). */
export const VARINT_NON_MINIMAL = -2;
/** More than 9 bytes. */
export const VARINT_TOO_LONG = -3;
/** Value above 2^53 - 1. */
export const VARINT_TOO_LARGE = -4;

export type VarintStatus = 0 | -1 | -2 | -3 | -4;

export const MAX_VARINT_BYTES = 9;

/**
 * Decode an unsigned varint from `bytes[pos..end)`. On success returns VARINT_OK and stores the
 * value and its byte length in {@link VARINT}; otherwise returns a negative status.
 */
export function decodeUvarint(bytes: Uint8Array, pos: number, end: number): VarintStatus {
  // Fast path: one byte (values < 128), the overwhelmingly common case for codes and small lengths.
  if (pos < end) {
    const b0 = bytes[pos]!;
    if (b0 < 0x80) {
      VARINT.value = b0;
      VARINT.length = 1;
      return VARINT_OK;
    }
  } else {
    return VARINT_TRUNCATED;
  }
  let value = 0;
  let mul = 1;
  let i = 0;
  for (;;) {
    if (i >= MAX_VARINT_BYTES) return VARINT_TOO_LONG;
    if (pos + i >= end) return VARINT_TRUNCATED;
    const b = bytes[pos + i]!;
    value += (b & 0x7f) * mul;
    i++;
    if (b < 0x80) {
      if (b === 0 && i > 1) return VARINT_NON_MINIMAL;
      break;
    }
    mul *= 128;
  }
  if (value > Number.MAX_SAFE_INTEGER) return VARINT_TOO_LARGE;
  VARINT.value = value;
  VARINT.length = i;
  return VARINT_OK;
}

/** Human-readable reason for a failed varint status. */
export function varintProblem(status: VarintStatus): string {
  switch (status) {
    case VARINT_TRUNCATED:
      return 'truncated varint';
    case VARINT_NON_MINIMAL:
      return 'non-minimal varint encoding';
    case VARINT_TOO_LONG:
      return 'varint longer than 9 bytes';
    case VARINT_TOO_LARGE:
      return 'varint value above 2^53-1';
    default:
      return 'valid varint';
  }
}

/** Number of bytes the unsigned varint encoding of `n` takes. */
export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Write the unsigned varint of `n` (a safe non-negative integer) at `pos`; returns the new position. */
export function writeUvarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/** Encode `n` as a standalone unsigned varint. */
export function encodeUvarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`cannot encode ${n} as an unsigned varint`);
  }
  const out = new Uint8Array(uvarintSize(n));
  writeUvarint(out, 0, n);
  return out;
}
