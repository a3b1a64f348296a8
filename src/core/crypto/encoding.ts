/**
 * Multibase (base58btc only) and multicodec-varint helpers for key encodings
 * (spec:cryptography "Public Key Encoding"; invariants Y1/Y2).
 */
import { base58Decode, base58Encode, base58MaxChars } from '../codec/base.js';

/** Names of multibase prefixes we might meet, for error messages only (we accept only 'z'). */
const MULTIBASE_NAMES: Readonly<Record<string, string>> = {
  z: 'base58btc',
  Z: 'base58flickr',
  m: 'base64',
  M: 'base64pad',
  u: 'base64url',
  U: 'base64urlpad',
  f: 'base16',
  F: 'base16upper',
  b: 'base32',
  B: 'base32upper',
  c: 'base32pad',
  v: 'base32hex',
  k: 'base36',
  K: 'base36upper',
  '0': 'base2',
  '7': 'base8',
  '9': 'base10',
};

/**
 * Describe a non-'z' multibase prefix without echoing the input: "'m' (base64)".
 * Only the single prefix character is shown.
 */
export function describeMultibasePrefix(text: string): string {
  if (text.length === 0) return 'an empty string';
  const ch = text[0]!;
  const name = MULTIBASE_NAMES[ch];
  if (name !== undefined) return `prefix '${ch}' (${name})`;
  // Printable ASCII only; anything else is reported by code point.
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x21 && cp <= 0x7e) return `prefix '${ch}' (not a known multibase)`;
  return `prefix U+${cp.toString(16).toUpperCase().padStart(4, '0')} (not a known multibase)`;
}

/**
 * The most bytes any key atcli reads decodes to: a multicodec varint (at most 3 bytes for the
 * key codes) and a 65-byte uncompressed point.
 */
export const MAX_KEY_BYTES = 68;
/** The longest text of a multibase key ('z' + base58btc of {@link MAX_KEY_BYTES}). */
export const MAX_KEY_MULTIBASE_CHARS = 1 + base58MaxChars(MAX_KEY_BYTES);

/**
 * Why `text` (a 'z…' multibase key, without any "did:key:" prefix) cannot be a key because of its
 * length alone, or null. Checked before decoding, so an oversized string costs nothing.
 */
export function keyLengthProblem(text: string): string | null {
  return text.length > MAX_KEY_MULTIBASE_CHARS
    ? `is ${text.length} characters long; no key is longer than ${MAX_KEY_MULTIBASE_CHARS} characters`
    : null;
}

/**
 * Decode 'z' + base58btc of at most `maxBytes` bytes (default: a key). Returns null when the text
 * is not valid base58btc or is longer than `maxBytes` could spell (the caller words the error and
 * never echoes the input).
 */
export function decodeBase58btcMultibase(text: string, maxBytes: number = MAX_KEY_BYTES): Uint8Array | null {
  if (text.length < 2 || text[0] !== 'z') return null;
  return base58Decode(text.slice(1), maxBytes);
}

/** 'z' + base58btc(bytes). */
export function encodeBase58btcMultibase(bytes: Uint8Array): string {
  return `z${base58Encode(bytes)}`;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export interface Varint {
  readonly value: number;
  /** Number of bytes the varint occupies. */
  readonly length: number;
}

/** Read an unsigned LEB128 varint of at most 4 bytes (multicodec codes fit easily); null if malformed. */
export function readVarint(bytes: Uint8Array): Varint | null {
  let value = 0;
  let multiplier = 1;
  const max = Math.min(bytes.length, 4);
  for (let i = 0; i < max; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return { value, length: i + 1 };
    multiplier *= 128;
  }
  return null;
}

/** Key-related multicodec names (multiformats/multicodec table), for error messages. */
const KEY_CODEC_NAMES: Readonly<Record<number, string>> = {
  0xe7: 'secp256k1-pub',
  0x1200: 'p256-pub',
  0xea: 'bls12_381-g1-pub',
  0xeb: 'bls12_381-g2-pub',
  0xec: 'x25519-pub',
  0xed: 'ed25519',
  0xee: 'bls12_381-g1g2-pub',
  0x1201: 'p384-pub',
  0x1202: 'p521-pub',
  0x1203: 'ed448-pub',
  0x1204: 'x448-pub',
  0x1205: 'rsa-pub',
  0x1206: 'sm2-pub',
  0x1300: 'ed25519-priv',
  0x1301: 'secp256k1-priv',
  0x1302: 'x25519-priv',
  0x1303: 'sr25519-priv',
  0x1305: 'rsa-priv',
  0x1306: 'p256-priv',
  0x1307: 'p384-priv',
  0x1308: 'p521-priv',
  0x1310: 'sm2-priv',
};

/** "0xed (ed25519)" or "0x1234". */
export function describeCodec(value: number): string {
  const name = KEY_CODEC_NAMES[value];
  const code = `0x${value.toString(16)}`;
  return name === undefined ? code : `${code} (${name})`;
}

/** True for multicodec codes in the private-key block (0x1300–0x131f). */
export function isPrivateKeyCodec(value: number): boolean {
  return value >= 0x1300 && value <= 0x131f;
}
