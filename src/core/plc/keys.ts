/**
 * Key strings in operations, and how they may appear in messages. A value that does not parse
 * as a *public* did:key is never echoed: it may be a private key pasted into the wrong place.
 */
import { base58Decode } from '../codec/base.js';
import { MAX_KEY_BYTES, parseDidKey } from '../crypto/index.js';

/** The most bytes a did:key in a verification method is decoded to (a 256-character value holds fewer). */
const MAX_VERIFICATION_METHOD_KEY_BYTES = 256;

/** `did:key:z` + base58btc: the minimal syntax the directory requires of any verification method. */
export const DID_KEY_SYNTAX_RE = /^did:key:z[1-9A-HJ-NP-Za-km-z]+$/;

/** Public-key multicodecs other than p256/k256 that a verification method may carry (PLC v0.2). */
const OTHER_PUBLIC_CODECS: ReadonlyArray<{ name: string; prefix: readonly number[] }> = [
  { name: 'ed25519', prefix: [0xed, 0x01] },
];

/**
 * The kind of a did:key: 'p256' or 'k256' (usable for atproto and rotation), another known public
 * key type ('ed25519'), 'private' when it carries a private-key multicodec (never publish it),
 * 'unknown' for any other content, or 'invalid' when the string is not did:key syntax at all.
 */
export function didKeyKind(key: string): 'p256' | 'k256' | 'ed25519' | 'private' | 'unknown' | 'invalid' {
  if (typeof key !== 'string' || !DID_KEY_SYNTAX_RE.test(key)) return 'invalid';
  try {
    return parseDidKey(key).type;
  } catch {
    /* not p256/k256 */
  }
  // Other key types may be longer than atproto's; no verification method value may exceed this.
  const bytes = base58Decode(key.slice('did:key:z'.length), MAX_VERIFICATION_METHOD_KEY_BYTES);
  if (bytes === null) return 'invalid';
  if (isPrivateCodecBytes(bytes)) return 'private';
  for (const c of OTHER_PUBLIC_CODECS) {
    if (bytes.length > c.prefix.length && c.prefix.every((b, i) => bytes[i] === b)) return c.name as 'ed25519';
  }
  return 'unknown';
}

/** The key itself when it is a recognisable public did:key; otherwise a placeholder. */
export function safeKeyText(key: unknown): string {
  if (typeof key !== 'string') return '(not a string)';
  const kind = didKeyKind(key);
  return kind === 'p256' || kind === 'k256' || kind === 'ed25519' ? key : '(value not shown)';
}

const HEX_SCALAR_RE = /^(?:0x)?[0-9a-fA-F]{64}$/;
const BASE58_RE = /^[1-9A-HJ-NP-Za-km-z]+$/;
const TOKEN_RE = /[0-9A-Za-z]{40,}/g;
export const REDACTED = '[redacted: looks like a private key]';

function isPrivateCodecBytes(bytes: Uint8Array): boolean {
  // multicodec varint in the private-key block 0x1300–0x131f: two bytes, 0x80–0x9f then 0x26.
  return bytes.length >= 34 && (bytes[0]! & 0x80) !== 0 && bytes[1] === 0x26 && (bytes[0]! & 0x7f) <= 0x1f;
}

function base58PrivateKey(text: string): boolean {
  if (!BASE58_RE.test(text)) return false;
  const bytes = base58Decode(text, MAX_KEY_BYTES);
  return bytes !== null && isPrivateCodecBytes(bytes);
}

/**
 * True when `s` looks like a private key: 64 hex characters (optionally 0x-prefixed), or a
 * (did:key:)z-base58btc value — with or without the `z` — carrying a private-key multicodec.
 */
export function looksLikePrivateKey(s: string): boolean {
  if (typeof s !== 'string') return false;
  if (HEX_SCALAR_RE.test(s)) return true;
  const body = s.startsWith('did:key:') ? s.slice('did:key:'.length) : s;
  if (body.startsWith('z') && base58PrivateKey(body.slice(1))) return true;
  return base58PrivateKey(body);
}

/** `s` with every private-key-looking token replaced by a placeholder (for messages). */
export function redactSecrets(s: string): string {
  if (typeof s !== 'string' || s.length < 40) return s;
  return s.replace(TOKEN_RE, (token) => (looksLikePrivateKey(token) ? REDACTED : token));
}
