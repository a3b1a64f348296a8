/**
 * Strict encodings for PLC operations: base64url signatures (RFC 4648 §5, no padding, zero
 * trailing bits; https://web.plc.directory/spec/v0.1/did-plc, "Operation Serialization"), and the
 * audit log's `createdAt` timestamps.
 *
 * Node's `Buffer.from(s, 'base64url')` silently accepts padding, standard-alphabet characters,
 * whitespace and non-zero trailing bits, any of which would make an operation's CID malleable,
 * so decoding here is done by hand and checked by re-encoding.
 */
import { checkDatetime } from '../syntax/index.js';

const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64URL_ALPHABET.length; i++) B64URL_DECODE[B64URL_ALPHABET.charCodeAt(i)] = i;

/** Length in characters of an unpadded base64url 64-byte signature. */
export const SIGNATURE_CHARS = 86;
export const SIGNATURE_BYTES = 64;

/** base64url, no padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function describeCharAt(s: string, i: number): string {
  const code = s.codePointAt(i) ?? 0;
  if (code === 0x0a) return 'a line feed (\\n)';
  if (code === 0x0d) return 'a carriage return (\\r)';
  if (code === 0x20) return 'a space';
  if (code === 0x09) return 'a tab';
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code === 0x2b || code === 0x2f) {
    return `'${String.fromCharCode(code)}' (standard base64, not base64url)`;
  }
  if (code > 0x7e) return `non-ASCII character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${String.fromCharCode(code)}'`;
}

export type Base64UrlResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Strict base64url decode: alphabet `A-Z a-z 0-9 - _` only, no `=` padding, no whitespace, a
 * possible length, and zero trailing bits (the one canonical spelling of the bytes).
 */
export function decodeBase64UrlStrict(s: string): Base64UrlResult {
  if (typeof s !== 'string') return { ok: false, reason: 'is not a string' };
  if (s.length === 0) return { ok: false, reason: 'is empty' };
  const eq = s.indexOf('=');
  if (eq >= 0) {
    return {
      ok: false,
      reason: `has '=' padding at position ${eq}; PLC signatures are base64url WITHOUT padding (RFC 4648 §3.2)`,
    };
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64URL_DECODE[c]! < 0) {
      return { ok: false, reason: `contains ${describeCharAt(s, i)} at position ${i}; only A-Z a-z 0-9 - _ are allowed` };
    }
  }
  const rem = s.length % 4;
  if (rem === 1) return { ok: false, reason: `has an impossible length (${s.length} characters)` };
  const outLen = Math.floor((s.length * 6) / 8);
  const out = new Uint8Array(outLen);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    acc = ((acc << 6) | B64URL_DECODE[s.charCodeAt(i)]!) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    return {
      ok: false,
      reason:
        'is not canonical: its last character carries non-zero padding bits (RFC 4648 §3.5), so another ' +
        'spelling decodes to the same bytes',
    };
  }
  // Belt and braces: the canonical encoding of the bytes must be exactly the input.
  if (encodeBase64Url(out) !== s) return { ok: false, reason: 'is not the canonical base64url spelling of its bytes' };
  return { ok: true, bytes: out };
}

function looksDer(sig: Uint8Array): boolean {
  return sig.length >= 8 && sig.length <= 72 && sig[0] === 0x30 && sig[1] === sig.length - 2 && sig[2] === 0x02;
}

/**
 * Decode an operation's `sig` string to its 64 bytes, or say why it is not an acceptable
 * encoding. Curve-dependent checks (r, s range and low-S) happen at verification.
 */
export function decodeSignature(sig: string): Base64UrlResult {
  const decoded = decodeBase64UrlStrict(sig);
  if (!decoded.ok) return { ok: false, reason: `signature ${decoded.reason}` };
  const n = decoded.bytes.length;
  if (n !== SIGNATURE_BYTES) {
    let note = '';
    if (looksDer(decoded.bytes)) note = ' (it looks DER-encoded)';
    else if (n === 65) note = ' (it looks like a recoverable signature with a recovery byte)';
    return {
      ok: false,
      reason: `signature decodes to ${n} bytes; PLC requires a 64-byte compact r||s signature${note}`,
    };
  }
  return decoded;
}

/** A parsed `createdAt`: milliseconds since the epoch plus the sub-millisecond part in ns. */
export interface Timestamp {
  readonly ms: number;
  readonly subMsNanos: number;
}

const TS_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/** Parse an RFC 3339 / Lexicon datetime exactly (sub-millisecond digits are kept). */
export function parseTimestamp(s: string): { ok: true; value: Timestamp } | { ok: false; reason: string } {
  if (typeof s !== 'string') return { ok: false, reason: 'is not a string' };
  const bad = checkDatetime(s);
  if (bad !== null) return { ok: false, reason: bad };
  const m = TS_RE.exec(s);
  if (m === null) return { ok: false, reason: 'is not an RFC 3339 datetime' };
  const frac = (m[7] ?? '').padEnd(9, '0').slice(0, 9);
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Date.UTC maps years 0–99 to 1900–1999; checkDatetime already confines the year, fix it up.
  if (Number(m[1]) < 100) {
    const d = new Date(ms);
    d.setUTCFullYear(Number(m[1]));
    ms = d.getTime();
  }
  ms += Number(frac.slice(0, 3));
  const tz = m[8]!;
  if (tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const offsetMin = Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6));
    ms -= sign * offsetMin * 60_000;
  }
  return { ok: true, value: { ms, subMsNanos: Number(frac.slice(3)) } };
}

/** -1, 0 or 1. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.subMsNanos !== b.subMsNanos) return a.subMsNanos < b.subMsNanos ? -1 : 1;
  return 0;
}

/** b − a in nanoseconds (exact near the 72-hour window; approximate only for huge spans). */
export function nanosBetween(a: Timestamp, b: Timestamp): number {
  return (b.ms - a.ms) * 1_000_000 + (b.subMsNanos - a.subMsNanos);
}

/** "71h 59m 59.999s"-style duration for messages. */
export function formatDuration(nanos: number): string {
  const neg = nanos < 0;
  let rest = Math.abs(nanos);
  const h = Math.floor(rest / 3_600_000_000_000);
  rest -= h * 3_600_000_000_000;
  const m = Math.floor(rest / 60_000_000_000);
  rest -= m * 60_000_000_000;
  const sec = rest / 1_000_000_000;
  const secText = Number.isInteger(sec) ? String(sec) : sec.toFixed(9).replace(/0+$/, '');
  return `${neg ? '-' : ''}${h}h ${m}m ${secText}s`;
}
