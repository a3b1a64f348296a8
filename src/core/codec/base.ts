/**
 * Small, strict base encodings: RFC 4648 base32 (lower case, no padding, as in multibase 'b'),
 * RFC 4648 §4 base64 (the atproto `$bytes` JSON form) and base58btc (multibase 'z': did:key,
 * multikey, CIDs).
 */

const B32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const B32_DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < B32_ALPHABET.length; i++) B32_DECODE[B32_ALPHABET.charCodeAt(i)] = i;

/** base32 lower case, no padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32_ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += B32_ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Strict base32 (lower case, no padding) decode. Returns null for characters outside the
 * alphabet, an impossible length, or non-zero trailing bits (a non-canonical spelling).
 */
export function base32Decode(str: string): Uint8Array | null {
  const n = str.length;
  const outLen = Math.floor((n * 5) / 8);
  const rem = (n * 5) % 8;
  // Valid unpadded lengths leave 0, 2, 4, 1 or 3 spare bits; 5+ spare bits would be a whole char.
  if (rem >= 5) return null;
  const out = new Uint8Array(outLen);
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    const v = c < 128 ? B32_DECODE[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64_ALPHABET.length; i++) B64_DECODE[B64_ALPHABET.charCodeAt(i)] = i;

/** Standard base64 without `=` padding (the form atproto writes for `$bytes`). */
export function base64Encode(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * Decode standard base64 (RFC 4648 §4, not URL-safe). Padding is optional but, when present,
 * must be correct. Characters outside the alphabet (including whitespace) and impossible lengths
 * are rejected (returns null). Non-zero trailing bits are tolerated, as the Go reference
 * (`base64.RawStdEncoding`) does and as the interop lexicon fixtures (`"$bytes": "123"`) require.
 */
export function base64Decode(str: string): Uint8Array | null {
  let n = str.length;
  if (n > 0 && str.charCodeAt(n - 1) === 61) {
    if (n % 4 !== 0) return null;
    n--;
    if (str.charCodeAt(n - 1) === 61) n--;
  }
  if (n % 4 === 1) return null;
  // Padding must account exactly for the missing characters.
  if (n !== str.length && ((n % 4) + (str.length - n)) % 4 !== 0) return null;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    const v = c < 128 ? B64_DECODE[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** True if `s` has no lone UTF-16 surrogates (i.e. it is valid Unicode and encodes to UTF-8 exactly). */
export const isWellFormedString: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const B58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < B58_ALPHABET.length; i++) B58_DECODE[B58_ALPHABET.charCodeAt(i)] = i;

/**
 * The most base58btc characters that can spell `maxBytes` bytes: one per leading zero byte
 * (each is a '1'), and log(256)/log(58) ≈ 1.366 per other byte, rounded up.
 */
export function base58MaxChars(maxBytes: number): number {
  return Math.ceil(maxBytes * 1.3658) + 1;
}

/**
 * base58btc (bitcoin alphabet, no multibase prefix) → bytes, or null for characters outside the
 * alphabet or a text that would decode to more than `maxBytes` bytes. Base58 is a big-number
 * conversion, quadratic in the length of the text, so the length is checked against `maxBytes`
 * before any work: no caller ever decodes an unbounded string.
 */
export function base58Decode(text: string, maxBytes: number): Uint8Array | null {
  const n = text.length;
  if (n === 0 || n > base58MaxChars(maxBytes)) return null;
  let zeros = 0;
  while (zeros < n && text.charCodeAt(zeros) === 49 /* '1' */) zeros++;
  // Little-endian base-256 digits of the value, grown as needed.
  const digits = new Uint8Array(n);
  let used = 0;
  for (let i = zeros; i < n; i++) {
    const c = text.charCodeAt(i);
    let carry = c < 128 ? B58_DECODE[c]! : -1;
    if (carry < 0) return null;
    for (let j = 0; j < used; j++) {
      carry += digits[j]! * 58;
      digits[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      digits[used++] = carry & 0xff;
      carry >>= 8;
    }
  }
  if (zeros + used > maxBytes) return null;
  const out = new Uint8Array(zeros + used);
  for (let j = 0; j < used; j++) out[zeros + used - 1 - j] = digits[j]!;
  return out;
}

/** bytes → base58btc (bitcoin alphabet, no multibase prefix). Quadratic: for short values (keys, CIDs). */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits = new Uint8Array(base58MaxChars(bytes.length));
  let used = 0;
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < used; j++) {
      carry += digits[j]! << 8;
      digits[j] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) {
      digits[used++] = carry % 58;
      carry = (carry / 58) | 0;
    }
  }
  let out = '1'.repeat(zeros);
  for (let j = used - 1; j >= 0; j--) out += B58_ALPHABET[digits[j]!];
  return out;
}
