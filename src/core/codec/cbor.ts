/**
 * Strict DRISL (atproto DAG-CBOR) decoder and canonical encoder.
 *
 * Decoding succeeds only on canonical bytes:
 * - C1 exactly one top-level item, no trailing bytes ({@link decodeCborPrefix} for concatenations);
 * - C2 definite lengths only;
 * - C3 shortest integer / length encodings;
 * - C4 map keys are text, non-empty, ≤ 8192 bytes, unique, sorted length-first then bytewise;
 * - C5 tag 42 only; content is a byte string `0x00 ‖ CID` with exactly one valid CIDv1;
 * - C6 simple values false/true/null only;
 * - C7 no floats of any width;
 * - C8 integers within int64 (numbers when safe, bigint otherwise);
 * - C9 valid UTF-8 (a leading BOM is kept as data, never stripped);
 * - C10 depth ≤ 32 and containers ≤ 131072 elements (configurable); every declared length is
 *   checked against the remaining input before anything is allocated.
 *
 * Decoded values: null, boolean, number, bigint, string, Uint8Array (a zero-copy view into the
 * input — copy it if you mutate or recycle the input buffer), {@link Cid}, arrays and plain objects.
 * A `__proto__` key is stored as an own data property, never as a prototype.
 *
 * The decoder recurses, but only after checking the depth limit, so hostile nesting fails with
 * InvalidCbor long before the JS stack is in danger (`maxDepth` is clamped to 1000).
 */
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { invalid } from '../errors.js';
import { isWellFormedString } from './base.js';
import { Cid, decodeCidAt } from './cid.js';

export type CborValue = null | boolean | number | bigint | string | Uint8Array | Cid | CborValue[] | CborMap;
export interface CborMap {
  [key: string]: CborValue;
}

export interface CborLimits {
  /** Maximum container nesting (top-level container = 1). Default 32. */
  maxDepth: number;
  /** Maximum elements in one array or entries in one map. Default 131072. */
  maxContainerLength: number;
}

export const DEFAULT_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxDepth: 32,
  maxContainerLength: 131_072,
});

/** Map keys longer than this (in UTF-8 bytes) are rejected (guide:data-validation). */
export const MAX_KEY_BYTES = 8192;
const HARD_MAX_DEPTH = 1000;

const TWO_32 = 0x1_0000_0000;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function resolveLimits(limits: Partial<CborLimits> | undefined): CborLimits {
  if (limits === undefined) return DEFAULT_CBOR_LIMITS;
  const maxDepth = limits.maxDepth ?? DEFAULT_CBOR_LIMITS.maxDepth;
  const maxContainerLength = limits.maxContainerLength ?? DEFAULT_CBOR_LIMITS.maxContainerLength;
  return { maxDepth: Math.min(Math.max(0, maxDepth), HARD_MAX_DEPTH), maxContainerLength };
}

// =============================================================================================
// Decoder

function fail(message: string, offset: number): never {
  throw invalid('InvalidCbor', `${message} at byte ${offset}`, { details: { offset } });
}

const MAJOR_NAMES = ['integer', 'negative integer', 'byte string', 'text string', 'array', 'map', 'tag', 'simple'];

class Decoder {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly maxDepth: number;
  readonly maxLen: number;
  /** Set by readArg when an 8-byte integer argument exceeds 2^53-1 (then `bigArg` holds it). */
  big: boolean;
  bigArg: bigint;
  /**
   * False in check-only mode ({@link checkCborRecord}): every rule is still enforced, but no
   * values are built (text is UTF-8 validated, not decoded), so nothing is left for the GC.
   */
  materialize: boolean;
  /** In check-only mode: the top-level map's `$type`, when it is a text string. */
  topType: string | undefined;

  constructor(buf: Uint8Array, pos: number, limits: CborLimits, materialize = true) {
    // Plain Uint8Array view: byte strings come out as Uint8Array (not Buffer) and subarray is cheaper.
    this.buf = buf.constructor === Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = buf.length;
    this.maxDepth = limits.maxDepth;
    this.maxLen = limits.maxContainerLength;
    this.big = false;
    this.bigArg = 0n;
    this.materialize = materialize;
    this.topType = undefined;
  }

  /**
   * Read the argument of the item whose initial byte (at `start`) has additional info `info`,
   * enforcing shortest-form encoding. `this.pos` must be just past the initial byte.
   */
  readArg(info: number, major: number, start: number): number {
    const buf = this.buf;
    const p = this.pos;
    if (info < 24) return info;
    switch (info) {
      case 24: {
        if (p >= this.end) fail(`truncated ${MAJOR_NAMES[major]} header`, start);
        const v = buf[p]!;
        if (v < 24) fail(`non-minimal ${argKind(major)} encoding (${v} in 2 bytes)`, start);
        this.pos = p + 1;
        return v;
      }
      case 25: {
        if (p + 2 > this.end) fail(`truncated ${MAJOR_NAMES[major]} header`, start);
        const v = (buf[p]! << 8) | buf[p + 1]!;
        if (v < 256) fail(`non-minimal ${argKind(major)} encoding (${v} in 3 bytes)`, start);
        this.pos = p + 2;
        return v;
      }
      case 26: {
        if (p + 4 > this.end) fail(`truncated ${MAJOR_NAMES[major]} header`, start);
        const v = buf[p]! * 0x100_0000 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
        if (v < 65536) fail(`non-minimal ${argKind(major)} encoding (${v} in 5 bytes)`, start);
        this.pos = p + 4;
        return v;
      }
      case 27: {
        if (p + 8 > this.end) fail(`truncated ${MAJOR_NAMES[major]} header`, start);
        const hi = buf[p]! * 0x100_0000 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
        const lo = buf[p + 4]! * 0x100_0000 + ((buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!);
        if (hi === 0) fail(`non-minimal ${argKind(major)} encoding (${lo} in 9 bytes)`, start);
        this.pos = p + 8;
        if (major <= 1) {
          if (hi >= 0x8000_0000) {
            fail(
              major === 0
                ? 'integer above the int64 maximum (2^63-1)'
                : 'negative integer below the int64 minimum (-2^63)',
              start,
            );
          }
          if (hi >= 0x20_0000) {
            // > 2^53-1: exact value as bigint
            this.big = true;
            this.bigArg = (BigInt(hi) << 32n) | BigInt(lo);
            return 0;
          }
          return hi * TWO_32 + lo;
        }
        // A length ≥ 2^32 can never fit in the input.
        return hi * TWO_32 + lo;
      }
      case 31:
        if (major === 7) fail('unexpected "break" (indefinite-length item)', start);
        if (major >= 2 && major <= 5) fail(`indefinite-length ${MAJOR_NAMES[major]} not allowed`, start);
        return fail(`invalid additional info 31 for ${MAJOR_NAMES[major]}`, start);
      default:
        return fail(`reserved additional info ${info}`, start);
    }
  }

  decodeItem(depth: number): CborValue {
    const buf = this.buf;
    const start = this.pos;
    if (start >= this.end) fail('unexpected end of input', start);
    const ib = buf[start]!;
    const major = ib >> 5;
    const info = ib & 31;
    this.pos = start + 1;
    switch (major) {
      case 0: {
        const v = this.readArg(info, 0, start);
        if (this.big) {
          this.big = false;
          return this.bigArg;
        }
        return v;
      }
      case 1: {
        const v = this.readArg(info, 1, start);
        if (this.big) {
          this.big = false;
          return -1n - this.bigArg;
        }
        // -1 - (2^53-1) = -2^53 is not a safe integer: keep "bigint outside ±(2^53-1)" exact.
        return v < Number.MAX_SAFE_INTEGER ? -1 - v : -1n - BigInt(v);
      }
      case 2: {
        const len = this.readArg(info, 2, start);
        const p = this.pos;
        if (len > this.end - p) {
          fail(`byte string length ${len} exceeds the ${this.end - p} remaining bytes`, start);
        }
        this.pos = p + len;
        return this.materialize ? buf.subarray(p, p + len) : null;
      }
      case 3: {
        const len = this.readArg(info, 3, start);
        const p = this.pos;
        if (len > this.end - p) {
          fail(`text string length ${len} exceeds the ${this.end - p} remaining bytes`, start);
        }
        this.pos = p + len;
        if (this.materialize) return decodeText(buf, p, len);
        checkUtf8(buf, p, len);
        return null;
      }
      case 4: {
        const len = this.readArg(info, 4, start);
        if (depth >= this.maxDepth) fail(`nesting deeper than ${this.maxDepth} levels`, start);
        if (len > this.maxLen) fail(`array of ${len} elements exceeds the limit of ${this.maxLen}`, start);
        if (len > this.end - this.pos) {
          fail(`array length ${len} exceeds the ${this.end - this.pos} remaining bytes`, start);
        }
        if (!this.materialize) {
          for (let i = 0; i < len; i++) this.decodeItem(depth + 1);
          return null;
        }
        const arr: CborValue[] = new Array(len);
        for (let i = 0; i < len; i++) arr[i] = this.decodeItem(depth + 1);
        return arr;
      }
      case 5: {
        const len = this.readArg(info, 5, start);
        if (depth >= this.maxDepth) fail(`nesting deeper than ${this.maxDepth} levels`, start);
        if (len > this.maxLen) fail(`map of ${len} entries exceeds the limit of ${this.maxLen}`, start);
        if (len * 2 > this.end - this.pos) {
          fail(`map length ${len} exceeds the ${this.end - this.pos} remaining bytes`, start);
        }
        return this.decodeMap(len, depth + 1);
      }
      case 6: {
        const tag = this.readArg(info, 6, start);
        if (tag !== 42) fail(`unsupported CBOR tag ${tag} (only tag 42 is allowed)`, start);
        return this.decodeCidContent(start);
      }
      default: {
        // major 7
        switch (info) {
          case 20:
            return false;
          case 21:
            return true;
          case 22:
            return null;
          case 23:
            return fail('"undefined" (0xf7) is not allowed', start);
          case 24:
            return fail(`unsupported simple value${start + 1 < this.end ? ' ' + buf[start + 1] : ''}`, start);
          case 25:
          case 26:
          case 27:
            return fail(`floating-point value not allowed (0x${ib.toString(16)})`, start);
          case 31:
            return fail('unexpected "break" (indefinite-length item)', start);
          default:
            if (info < 20) return fail(`unsupported simple value ${info}`, start);
            return fail(`reserved additional info ${info}`, start);
        }
      }
    }
  }

  decodeMap(len: number, depth: number): CborMap {
    const buf = this.buf;
    const obj: CborMap = {};
    let prevStart = 0;
    let prevLen = -1;
    for (let i = 0; i < len; i++) {
      const keyStart = this.pos;
      if (keyStart >= this.end) fail('unexpected end of input', keyStart);
      const ib = buf[keyStart]!;
      if (ib >> 5 !== 3) {
        fail(`map key must be a text string, found ${MAJOR_NAMES[ib >> 5]}`, keyStart);
      }
      this.pos = keyStart + 1;
      const klen = this.readArg(ib & 31, 3, keyStart);
      const p = this.pos;
      if (klen > this.end - p) {
        fail(`text string length ${klen} exceeds the ${this.end - p} remaining bytes`, keyStart);
      }
      if (klen === 0) fail('empty map key', keyStart);
      if (klen > MAX_KEY_BYTES) fail(`map key of ${klen} bytes exceeds ${MAX_KEY_BYTES}`, keyStart);
      // length-first, then bytewise; equal → duplicate.
      if (klen === prevLen) {
        let cmp = 0;
        for (let j = 0; j < klen; j++) {
          const d = buf[p + j]! - buf[prevStart + j]!;
          if (d !== 0) {
            cmp = d;
            break;
          }
        }
        if (cmp === 0) fail(`duplicate map key "${decodeTextLossy(buf, p, klen)}"`, keyStart);
        if (cmp < 0) fail(`map keys not in canonical order ("${decodeTextLossy(buf, p, klen)}")`, keyStart);
      } else if (klen < prevLen) {
        fail(`map keys not in canonical order ("${decodeTextLossy(buf, p, klen)}")`, keyStart);
      }
      prevStart = p;
      prevLen = klen;
      this.pos = p + klen;
      if (!this.materialize) {
        checkUtf8(buf, p, klen);
        if (depth === 1 && isTypeKey(buf, p, klen)) {
          // The one value check-only mode returns: the record's $type.
          this.materialize = true;
          const type = this.decodeItem(depth);
          this.materialize = false;
          if (typeof type === 'string') this.topType = type;
        } else {
          this.decodeItem(depth);
        }
        continue;
      }
      const key = klen <= KEY_CACHE_MAX_LEN ? cachedKey(buf, p, klen) : decodeText(buf, p, klen);
      const value = this.decodeItem(depth);
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
    }
    return obj;
  }

  decodeCidContent(tagStart: number): Cid {
    const buf = this.buf;
    const start = this.pos;
    if (start >= this.end) fail('tag 42 without content', tagStart);
    const ib = buf[start]!;
    if (ib >> 5 !== 2) fail(`tag 42 content must be a byte string, found ${MAJOR_NAMES[ib >> 5]}`, start);
    this.pos = start + 1;
    const len = this.readArg(ib & 31, 2, start);
    const p = this.pos;
    if (len > this.end - p) fail(`byte string length ${len} exceeds the ${this.end - p} remaining bytes`, start);
    if (len === 0 || buf[p] !== 0x00) {
      fail(`tag 42 CID must start with the 0x00 multibase prefix${len === 0 ? ' (empty)' : ''}`, p);
    }
    let cid: Cid;
    try {
      cid = decodeCidAt(buf, p + 1, p + len);
    } catch (err) {
      fail(`invalid CID in tag 42: ${err instanceof Error ? err.message : String(err)}`, p + 1);
    }
    if (cid.version !== 1) fail('CIDv0 link in tag 42 (atproto requires CIDv1)', p + 1);
    if (cid.bytes.length !== len - 1) {
      fail(`${len - 1 - cid.bytes.length} trailing bytes after the CID in tag 42`, p + 1 + cid.bytes.length);
    }
    this.pos = p + len;
    return cid;
  }
}

function argKind(major: number): string {
  return major <= 1 ? 'integer' : major === 6 ? 'tag' : `${MAJOR_NAMES[major]} length`;
}

function decodeText(buf: Uint8Array, p: number, len: number): string {
  if (len < 10) {
    // ASCII fast path: cheaper than a TextDecoder call for short strings (keys).
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = buf[p + i]!;
      if (c >= 0x80) return decodeUtf8(buf, p, len);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8(buf, p, len);
}

// Short map keys repeat constantly ("e", "k", "$type", "createdAt"…). Returning the same string
// instance for the same bytes lets V8 reuse its internalized form for property stores instead of
// hashing a fresh string every time; it also skips the per-key string allocation.
const KEY_CACHE_SLOTS = 1024;
const KEY_CACHE_MAX_LEN = 24;
const keyCacheStrings: Array<string | undefined> = new Array<string | undefined>(KEY_CACHE_SLOTS).fill(undefined);
const keyCacheBytes = new Uint8Array(KEY_CACHE_SLOTS * KEY_CACHE_MAX_LEN);
const keyCacheLens = new Uint8Array(KEY_CACHE_SLOTS);

function cachedKey(buf: Uint8Array, p: number, len: number): string {
  let h = len;
  for (let i = 0; i < len; i++) h = (Math.imul(h, 31) + buf[p + i]!) | 0;
  const slot = (h ^ (h >>> 10)) & (KEY_CACHE_SLOTS - 1);
  const cached = keyCacheStrings[slot];
  const base = slot * KEY_CACHE_MAX_LEN;
  if (cached !== undefined && keyCacheLens[slot] === len) {
    let i = 0;
    while (i < len && keyCacheBytes[base + i] === buf[p + i]) i++;
    if (i === len) return cached;
  }
  const s = decodeText(buf, p, len);
  keyCacheStrings[slot] = s;
  keyCacheLens[slot] = len;
  keyCacheBytes.set(buf.subarray(p, p + len), base);
  return s;
}

const isUtf8: (input: Uint8Array) => boolean = nodeIsUtf8;

/** C9 without building a string: an ASCII scan, then the native validator for the rest. */
function checkUtf8(buf: Uint8Array, p: number, len: number): void {
  for (let i = 0; i < len; i++) {
    if (buf[p + i]! >= 0x80) {
      if (!isUtf8(buf.subarray(p, p + len))) fail('invalid UTF-8 in text string', p);
      return;
    }
  }
}

const TYPE_KEY = [0x24, 0x74, 0x79, 0x70, 0x65]; // "$type"

function isTypeKey(buf: Uint8Array, p: number, len: number): boolean {
  if (len !== 5) return false;
  for (let i = 0; i < 5; i++) if (buf[p + i] !== TYPE_KEY[i]) return false;
  return true;
}

function decodeUtf8(buf: Uint8Array, p: number, len: number): string {
  try {
    return utf8.decode(buf.subarray(p, p + len));
  } catch {
    return fail('invalid UTF-8 in text string', p);
  }
}

function decodeTextLossy(buf: Uint8Array, p: number, len: number): string {
  const shown = Math.min(len, 64);
  const s = new TextDecoder().decode(buf.subarray(p, p + shown));
  return len > shown ? s + '…' : s;
}

/**
 * Decode exactly one DRISL item occupying all of `bytes` (C1: trailing bytes are an error).
 * Throws invalid 'InvalidCbor' with the byte offset of the problem.
 */
export function decodeCbor(bytes: Uint8Array, limits?: Partial<CborLimits>): CborValue {
  const d = new Decoder(bytes, 0, resolveLimits(limits));
  const value = d.decodeItem(0);
  if (d.pos !== bytes.length) {
    fail(`${bytes.length - d.pos} trailing bytes after the top-level item`, d.pos);
  }
  return value;
}

/**
 * Checks `bytes` against every rule {@link decodeCbor} enforces — it accepts exactly the same
 * inputs and throws the same errors — without building the value. Returns whether the item is
 * a map and its top-level `$type` (when a text string). This is how the repository verifier
 * checks a million records without a million discarded objects.
 */
export function checkCborRecord(bytes: Uint8Array, limits?: Partial<CborLimits>): { isMap: boolean; type: string | undefined } {
  const d = new Decoder(bytes, 0, resolveLimits(limits), false);
  const isMap = bytes.length > 0 && bytes[0]! >> 5 === 5;
  d.decodeItem(0);
  if (d.pos !== bytes.length) {
    fail(`${bytes.length - d.pos} trailing bytes after the top-level item`, d.pos);
  }
  return { isMap, type: d.topType };
}

/**
 * Decode one DRISL item starting at `offset` and return it with the offset just past it, for
 * inputs made of concatenated items (a firehose frame is header ‖ body).
 */
export function decodeCborPrefix(
  bytes: Uint8Array,
  offset = 0,
  limits?: Partial<CborLimits>,
): { value: CborValue; end: number } {
  const d = new Decoder(bytes, offset, resolveLimits(limits));
  const value = d.decodeItem(0);
  return { value, end: d.pos };
}

// =============================================================================================
// Encoder

function unencodable(message: string): never {
  throw invalid('UnencodableValue', message);
}

const INITIAL_ENCODER_BYTES = 64 * 1024;
const RETAIN_ENCODER_BYTES = 1024 * 1024;
const INT64_MIN_NUM = -(2 ** 63);
const INT64_LIMIT_NUM = 2 ** 63;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
class Encoder {
  /** Output buffer as a plain Uint8Array (fast indexing, subarray and slice)… */
  buf: Uint8Array;
  /** …and the same memory as a Buffer, for native UTF-8 writes. */
  nodeBuf: Buffer;
  pos: number;
  maxDepth: number;
  maxLen: number;

  constructor(size: number) {
    this.nodeBuf = Buffer.allocUnsafeSlow(size);
    this.buf = new Uint8Array(this.nodeBuf.buffer, this.nodeBuf.byteOffset, size);
    this.pos = 0;
    this.maxDepth = DEFAULT_CBOR_LIMITS.maxDepth;
    this.maxLen = DEFAULT_CBOR_LIMITS.maxContainerLength;
  }

  reset(size: number): void {
    this.nodeBuf = Buffer.allocUnsafeSlow(size);
    this.buf = new Uint8Array(this.nodeBuf.buffer, this.nodeBuf.byteOffset, size);
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.buf.length) {
      const old = this.buf;
      this.reset(Math.max(need, old.length * 2));
      this.buf.set(old.subarray(0, this.pos));
    }
  }

  head(major: number, n: number): void {
    this.ensure(9);
    const buf = this.buf;
    let p = this.pos;
    const mt = major << 5;
    if (n < 24) {
      buf[p++] = mt | n;
    } else if (n < 0x100) {
      buf[p++] = mt | 24;
      buf[p++] = n;
    } else if (n < 0x1_0000) {
      buf[p++] = mt | 25;
      buf[p++] = n >>> 8;
      buf[p++] = n & 0xff;
    } else if (n < TWO_32) {
      buf[p++] = mt | 26;
      buf[p++] = n >>> 24;
      buf[p++] = (n >>> 16) & 0xff;
      buf[p++] = (n >>> 8) & 0xff;
      buf[p++] = n & 0xff;
    } else {
      const hi = Math.floor(n / TWO_32);
      const lo = n >>> 0;
      buf[p++] = mt | 27;
      buf[p++] = hi >>> 24;
      buf[p++] = (hi >>> 16) & 0xff;
      buf[p++] = (hi >>> 8) & 0xff;
      buf[p++] = hi & 0xff;
      buf[p++] = lo >>> 24;
      buf[p++] = (lo >>> 16) & 0xff;
      buf[p++] = (lo >>> 8) & 0xff;
      buf[p++] = lo & 0xff;
    }
    this.pos = p;
  }

  headBig(major: number, n: bigint): void {
    if (n < 0x20_0000_0000_0000n) {
      this.head(major, Number(n));
      return;
    }
    this.head(major, TWO_32); // reserve the 9-byte form, then overwrite its argument
    const p = this.pos - 8;
    const hi = Number(n >> 32n);
    const lo = Number(n & 0xffff_ffffn);
    const buf = this.buf;
    buf[p] = hi >>> 24;
    buf[p + 1] = (hi >>> 16) & 0xff;
    buf[p + 2] = (hi >>> 8) & 0xff;
    buf[p + 3] = hi & 0xff;
    buf[p + 4] = lo >>> 24;
    buf[p + 5] = (lo >>> 16) & 0xff;
    buf[p + 6] = (lo >>> 8) & 0xff;
    buf[p + 7] = lo & 0xff;
  }

  string(s: string): void {
    const n = s.length;
    if (n < 24) {
      // Optimistic ASCII path: header is one byte when byte length == n < 24.
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[start] = 0x60 | n;
        this.pos = p;
        return;
      }
    }
    if (!isWellFormedString(s)) unencodable('string contains a lone UTF-16 surrogate (not valid Unicode)');
    const len = Buffer.byteLength(s, 'utf8');
    this.head(3, len);
    this.ensure(len);
    this.nodeBuf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  bytes(b: Uint8Array): void {
    const len = b.length;
    this.head(2, len);
    this.ensure(len);
    this.buf.set(b, this.pos);
    this.pos += len;
  }

  cid(c: Cid): void {
    const bytes = c.bytes;
    if (c.version !== 1) unencodable('CIDv0 cannot be encoded as a DRISL link (atproto requires CIDv1)');
    this.ensure(2);
    this.buf[this.pos++] = 0xd8;
    this.buf[this.pos++] = 42;
    this.head(2, bytes.length + 1);
    this.ensure(bytes.length + 1);
    this.buf[this.pos++] = 0;
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        this.number(v);
        return;
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? 0xf5 : 0xf4;
        return;
      case 'bigint':
        if (v < INT64_MIN || v > INT64_MAX) unencodable(`integer ${v} is outside the int64 range`);
        if (v >= 0n) this.headBig(0, v);
        else this.headBig(1, -1n - v);
        return;
      case 'object':
        if (v === null) {
          this.ensure(1);
          this.buf[this.pos++] = 0xf6;
          return;
        }
        if (Array.isArray(v)) {
          this.array(v, depth);
          return;
        }
        if (v instanceof Uint8Array) {
          this.bytes(v);
          return;
        }
        if (v instanceof Cid) {
          this.cid(v);
          return;
        }
        this.map(v as Record<string, unknown>, depth);
        return;
      case 'undefined':
        return unencodable('undefined is not a valid data-model value');
      default:
        return unencodable(`a ${typeof v} is not a valid data-model value`);
    }
  }

  number(v: number): void {
    if (Number.isSafeInteger(v)) {
      if (v >= 0) this.head(0, v);
      else this.head(1, -1 - v);
      return;
    }
    if (!Number.isInteger(v)) {
      unencodable(`${v} is not an integer (floats are not allowed in atproto data)`);
    }
    if (v < INT64_MIN_NUM || v >= INT64_LIMIT_NUM) unencodable(`integer ${v} is outside the int64 range`);
    const b = BigInt(v);
    if (b >= 0n) this.headBig(0, b);
    else this.headBig(1, -1n - b);
  }

  array(arr: unknown[], depth: number): void {
    if (depth >= this.maxDepth) unencodable(`nesting deeper than ${this.maxDepth} levels (or a cycle)`);
    const len = arr.length;
    if (len > this.maxLen) unencodable(`array of ${len} elements exceeds the limit of ${this.maxLen}`);
    this.head(4, len);
    for (let i = 0; i < len; i++) this.value(arr[i], depth + 1);
  }

  map(obj: Record<string, unknown>, depth: number): void {
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      unencodable(`a ${name} is not a valid data-model value (only plain objects, arrays, Uint8Array and Cid)`);
    }
    if (depth >= this.maxDepth) unencodable(`nesting deeper than ${this.maxDepth} levels (or a cycle)`);
    const keys = Object.keys(obj);
    const n = keys.length;
    if (n > this.maxLen) unencodable(`map of ${n} entries exceeds the limit of ${this.maxLen}`);
    // Validate keys (UTF-8 length 1..8192) and check whether they are already in canonical order.
    let sorted = true;
    let ascii = true;
    let prevLen = -1;
    let prevKey = '';
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      let blen = asciiLength(k);
      if (blen < 0) {
        ascii = false;
        blen = Buffer.byteLength(k, 'utf8');
      }
      if (blen === 0) unencodable('empty map key');
      if (blen > MAX_KEY_BYTES) unencodable(`map key of ${blen} bytes exceeds ${MAX_KEY_BYTES}`);
      if (sorted && i > 0) {
        if (blen < prevLen) sorted = false;
        else if (blen === prevLen && !(ascii ? prevKey < k : compareUtf8(prevKey, k) < 0)) sorted = false;
      }
      prevLen = blen;
      prevKey = k;
    }
    const order = sorted ? keys : ascii ? keys.sort(compareAsciiKeys) : sortKeys(keys);
    this.head(5, n);
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      const v = obj[k];
      if (v === undefined) unencodable(`value of key "${k}" is undefined`);
      this.string(k);
      this.value(v, depth + 1);
    }
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Length of `s` if it is all ASCII, else −1. */
function asciiLength(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return -1;
  return n;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** DAG-CBOR order for ASCII keys: length first, then code units (= bytes). */
function compareAsciiKeys(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** DAG-CBOR key order: UTF-8 byte length first, then bytewise. */
function sortKeys(keys: string[]): string[] {
  const enc = keys.map((k) => ({ k, b: Buffer.from(k, 'utf8') }));
  enc.sort((x, y) => x.b.length - y.b.length || Buffer.compare(x.b, y.b));
  return enc.map((e) => e.k);
}

let shared: Encoder | null = new Encoder(INITIAL_ENCODER_BYTES);

/**
 * Canonical DRISL encoding of a data-model value: keys sorted length-first then bytewise,
 * shortest lengths, CIDs as tag 42. Rejects floats and non-integers, undefined (also as a map
 * value), lone surrogates, non-plain objects, empty/oversized keys and nesting beyond the limits
 * with invalid 'UnencodableValue'.
 */
export function encodeCbor(value: CborValue, limits?: Partial<CborLimits>): Uint8Array {
  // Reuse one growable buffer; allocate a fresh one if re-entered (e.g. from a getter).
  let enc = shared;
  shared = null;
  if (enc === null) enc = new Encoder(1024);
  const lim = resolveLimits(limits);
  enc.maxDepth = lim.maxDepth;
  enc.maxLen = lim.maxContainerLength;
  enc.pos = 0;
  try {
    enc.value(value, 0);
    return enc.result();
  } finally {
    if (enc.buf.length > RETAIN_ENCODER_BYTES) enc.reset(INITIAL_ENCODER_BYTES);
    shared = enc;
  }
}

/** True if `bytes` decodes strictly and re-encodes to exactly the same bytes. */
export function isCanonicalRoundTrip(bytes: Uint8Array, limits?: Partial<CborLimits>): boolean {
  let re: Uint8Array;
  try {
    re = encodeCbor(decodeCbor(bytes, limits), limits);
  } catch {
    return false;
  }
  if (re.length !== bytes.length) return false;
  for (let i = 0; i < re.length; i++) if (re[i] !== bytes[i]) return false;
  return true;
}
