/**
 * Content identifiers (CIDs): binary and string parsing, hashing, and cheap map keys.
 *
 * atproto's "blessed" CID is CIDv1 + dag-cbor (0x71) or raw (0x55) + sha2-256 (0x12, 32 bytes),
 * base32 in strings (spec:data-model "Link and CID Formats"). The parser here accepts any
 * structurally valid CIDv1 (and CIDv0, flagged by `version === 0`) so callers can report precisely
 * what is wrong; policy (R4: structural blocks must be blessed) is applied by callers through
 * {@link Cid.isBlessed} / {@link Cid.isRawBlob}.
 */
import * as nodeCrypto from 'node:crypto';
import { invalid } from '../errors.js';
import { base32Decode, base32Encode, base58Decode, base58Encode } from './base.js';
import { VARINT, VARINT_OK, decodeUvarint, uvarintSize, varintProblem, writeUvarint } from './varint.js';

export const CODEC_DAG_CBOR = 0x71;
export const CODEC_RAW = 0x55;
export const CODEC_DAG_PB = 0x70;
export const MH_SHA256 = 0x12;
export const MH_IDENTITY = 0x00;

/** Longest multihash digest accepted (sha2-512 / blake2b-512 size). */
export const MAX_DIGEST_BYTES = 64;
/** Longest binary CID accepted (guide:data-validation, Go `MAX_CID_BYTES`). */
export const MAX_CID_BYTES = 100;

export class Cid {
  /** 1, or 0 for a legacy CIDv0 (implicit dag-pb + sha2-256; never valid in atproto data). */
  readonly version: 0 | 1;
  readonly codec: number;
  readonly multihashCode: number;
  /** Binary CID (for v0: the bare 34-byte multihash). Treat as immutable. */
  readonly bytes: Uint8Array;
  /** Offset of the digest inside {@link bytes}. */
  readonly digestOffset: number;
  private _digest: Uint8Array | undefined;
  private _string: string | undefined;
  private _key: string | undefined;

  /**
   * Low-level constructor: `bytes` must already be a valid binary CID whose fields are the other
   * arguments. Use {@link decodeCid}, {@link parseCid}, {@link Cid.create} or the hashing helpers.
   */
  constructor(version: 0 | 1, codec: number, multihashCode: number, bytes: Uint8Array, digestOffset: number) {
    this.version = version;
    this.codec = codec;
    this.multihashCode = multihashCode;
    this.bytes = bytes;
    this.digestOffset = digestOffset;
    this._digest = undefined;
    this._string = undefined;
    this._key = undefined;
  }

  /** Build a CIDv1 from its parts. */
  static create(codec: number, multihashCode: number, digest: Uint8Array): Cid {
    if (digest.length > MAX_DIGEST_BYTES) {
      throw invalid('InvalidCid', `digest of ${digest.length} bytes exceeds ${MAX_DIGEST_BYTES}`);
    }
    const headLen = 1 + uvarintSize(codec) + uvarintSize(multihashCode) + uvarintSize(digest.length);
    const bytes = new Uint8Array(headLen + digest.length);
    let p = writeUvarint(bytes, 0, 1);
    p = writeUvarint(bytes, p, codec);
    p = writeUvarint(bytes, p, multihashCode);
    p = writeUvarint(bytes, p, digest.length);
    bytes.set(digest, p);
    return new Cid(1, codec, multihashCode, bytes, p);
  }

  /** Parse a complete binary CID (no trailing bytes allowed). */
  static fromBytes(bytes: Uint8Array): Cid {
    const cid = decodeCidAt(bytes, 0, bytes.length);
    if (cid.bytes.length !== bytes.length) {
      throw invalid('InvalidCid', `${bytes.length - cid.bytes.length} trailing bytes after CID`);
    }
    return cid;
  }

  get digest(): Uint8Array {
    let d = this._digest;
    if (d === undefined) {
      d = this.bytes.subarray(this.digestOffset);
      this._digest = d;
    }
    return d;
  }

  /** CIDv1 + dag-cbor + sha2-256 with a 32-byte digest: the only form allowed for repo structure. */
  get isBlessed(): boolean {
    return (
      this.version === 1 &&
      this.codec === CODEC_DAG_CBOR &&
      this.multihashCode === MH_SHA256 &&
      this.bytes.length - this.digestOffset === 32
    );
  }

  /** CIDv1 + raw + sha2-256 (32 bytes): the blessed blob reference. */
  get isRawBlob(): boolean {
    return (
      this.version === 1 &&
      this.codec === CODEC_RAW &&
      this.multihashCode === MH_SHA256 &&
      this.bytes.length - this.digestOffset === 32
    );
  }

  /** base32 multibase ('b…') for v1, base58btc ('Qm…') for v0. Cached. */
  toString(): string {
    let s = this._string;
    if (s === undefined) {
      s = this.version === 0 ? base58Encode(this.bytes) : 'b' + base32Encode(this.bytes);
      this._string = s;
    }
    return s;
  }

  toJSON(): { $link: string } {
    return { $link: this.toString() };
  }

  /** Cheap, collision-free map key (latin1 string of the binary CID). Cached. */
  get key(): string {
    let k = this._key;
    if (k === undefined) {
      k = bytesKey(this.bytes);
      this._key = k;
    }
    return k;
  }

  equals(other: Cid | null | undefined): boolean {
    if (other === this) return true;
    if (other == null) return false;
    const a = this.bytes;
    const b = other.bytes;
    if (a.length !== b.length) return false;
    for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
    return true;
  }

  /** True if `data` hashes to this CID's digest (sha2-256 only; any other hash returns false). */
  matches(data: Uint8Array): boolean {
    if (this.multihashCode !== MH_SHA256) return false;
    return sha256Matches(data, this.bytes, this.digestOffset);
  }
}

// Node's native latin1 decoder accepts any Uint8Array; it builds these keys about twice as fast as
// String.fromCharCode.apply, which is itself far faster than base32 (performance.md §2b).
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

function bytesKey(bytes: Uint8Array): string {
  return latin1Slice.call(bytes, 0, bytes.length);
}

/**
 * A cheap map key for a CID: the latin1 string of its binary form. Use this instead of
 * `toString()` (base32) for block maps keyed by CID.
 */
export function cidKey(cid: Cid | Uint8Array): string {
  return cid instanceof Cid ? cid.key : bytesKey(cid);
}

/** A copy as a plain Uint8Array (Buffer#slice would alias, not copy). */
function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  if (bytes.constructor === Uint8Array) return bytes.slice(start, end);
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

function cidError(message: string, offset: number): never {
  throw invalid('InvalidCid', `${message} at byte ${offset}`);
}

/**
 * Parse one binary CID starting at `offset`, not reading past `end`. Real varint parsing of
 * version, codec, multihash code and digest length (never assumes 36 bytes). CIDv0 (a bare
 * sha2-256 multihash `0x12 0x20 …`) is recognised and returned with `version: 0`.
 * The returned CID owns a copy of its bytes. Throws invalid 'InvalidCid'.
 */
export function decodeCidAt(bytes: Uint8Array, offset: number, end: number): Cid {
  if (end > bytes.length) end = bytes.length;
  if (offset >= end) cidError('empty CID', offset);
  const b0 = bytes[offset]!;
  if (b0 === MH_SHA256) {
    // CIDv0: 0x12 0x20 + 32 digest bytes.
    if (offset + 1 >= end || bytes[offset + 1] !== 0x20) cidError('CIDv0 multihash must be sha2-256 with a 32-byte digest', offset);
    if (end - offset < 34) cidError(`truncated CIDv0 (needs 34 bytes, ${end - offset} available)`, offset);
    return new Cid(0, CODEC_DAG_PB, MH_SHA256, copyBytes(bytes, offset, offset + 34), 2);
  }
  // Fast path: CIDv1, one-byte codec, sha2-256, 32-byte digest (every blessed CID).
  if (
    b0 === 1 &&
    end - offset >= 36 &&
    bytes[offset + 2] === MH_SHA256 &&
    bytes[offset + 3] === 32 &&
    bytes[offset + 1]! < 0x80
  ) {
    return new Cid(1, bytes[offset + 1]!, MH_SHA256, copyBytes(bytes, offset, offset + 36), 4);
  }
  let p = offset;
  let st = decodeUvarint(bytes, p, end);
  if (st !== VARINT_OK) cidError(`CID version: ${varintProblem(st)}`, p);
  const version = VARINT.value;
  if (version !== 1) cidError(`unsupported CID version ${version}`, p);
  p += VARINT.length;
  st = decodeUvarint(bytes, p, end);
  if (st !== VARINT_OK) cidError(`CID codec: ${varintProblem(st)}`, p);
  const codec = VARINT.value;
  p += VARINT.length;
  st = decodeUvarint(bytes, p, end);
  if (st !== VARINT_OK) cidError(`CID multihash code: ${varintProblem(st)}`, p);
  const mh = VARINT.value;
  p += VARINT.length;
  st = decodeUvarint(bytes, p, end);
  if (st !== VARINT_OK) cidError(`CID digest length: ${varintProblem(st)}`, p);
  const digestLen = VARINT.value;
  if (digestLen > MAX_DIGEST_BYTES) cidError(`CID digest length ${digestLen} exceeds ${MAX_DIGEST_BYTES}`, p);
  p += VARINT.length;
  const total = p - offset + digestLen;
  if (total > MAX_CID_BYTES) cidError(`CID of ${total} bytes exceeds ${MAX_CID_BYTES}`, offset);
  if (p + digestLen > end) {
    cidError(`truncated CID digest (needs ${digestLen} bytes, ${end - p} available)`, p);
  }
  return new Cid(1, codec, mh, copyBytes(bytes, offset, p + digestLen), p - offset);
}

/**
 * Parse one binary CID at `offset` (trailing bytes are allowed; `length` says how many were used).
 * Bounded: digest ≤ 64 bytes, whole CID ≤ 100 bytes.
 */
export function decodeCid(bytes: Uint8Array, offset = 0): { cid: Cid; length: number } {
  const cid = decodeCidAt(bytes, offset, bytes.length);
  return { cid, length: cid.bytes.length };
}

/**
 * Parse a CID string: multibase base32 ('b…'), base58btc ('z…'), or a legacy CIDv0 ('Qm…', which
 * is returned with `version: 0` so callers can report it). Throws invalid 'InvalidCid'.
 */
export function parseCid(str: string): Cid {
  if (typeof str !== 'string' || str.length === 0) {
    throw invalid('InvalidCid', 'CID string is empty');
  }
  if (str.length > 2 * MAX_CID_BYTES) {
    throw invalid('InvalidCid', `CID string of ${str.length} characters is too long`);
  }
  let bytes: Uint8Array | null;
  const prefix = str[0];
  if (str.length === 46 && str.startsWith('Qm')) {
    bytes = decodeBase58(str);
    if (bytes === null) throw invalid('InvalidCid', `invalid base58btc in CIDv0 "${str}"`);
    if (bytes.length !== 34 || bytes[0] !== MH_SHA256 || bytes[1] !== 0x20) {
      throw invalid('InvalidCid', `"${str}" is not a CIDv0 (sha2-256 multihash)`);
    }
    return new Cid(0, CODEC_DAG_PB, MH_SHA256, bytes, 2);
  }
  if (prefix === 'b') {
    bytes = base32Decode(str.slice(1));
    if (bytes === null) throw invalid('InvalidCid', `invalid base32 in CID "${str}"`);
  } else if (prefix === 'z') {
    bytes = decodeBase58(str.slice(1));
    if (bytes === null) throw invalid('InvalidCid', `invalid base58btc in CID "${str}"`);
  } else {
    throw invalid(
      'InvalidCid',
      `unsupported CID string "${str}": expected multibase base32 ('b…'), base58btc ('z…') or CIDv0 ('Qm…')`,
    );
  }
  if (bytes.length === 0) throw invalid('InvalidCid', `CID "${str}" is empty`);
  if (bytes[0] === MH_SHA256) {
    throw invalid('InvalidCid', `CID "${str}" is a CIDv0 inside a multibase prefix, which is not allowed`);
  }
  let cid: Cid;
  try {
    cid = Cid.fromBytes(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw invalid('InvalidCid', `invalid CID "${str}": ${reason}`, { cause: err });
  }
  return cid;
}

function decodeBase58(s: string): Uint8Array | null {
  return base58Decode(s, MAX_CID_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Hashing

type HashFn = (algorithm: string, data: Uint8Array, encoding: 'latin1') => string;
const oneShotHash: HashFn | undefined =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function'
    ? (nodeCrypto as unknown as { hash: HashFn }).hash
    : undefined;

/**
 * sha2-256 of `data` as a latin1 string (one char per byte). Asking node:crypto for a string
 * instead of a Buffer avoids allocating a Buffer backing store per call, which measured 2–3×
 * faster per block; `crypto.hash` (Node ≥ 20.12) is used when present.
 */
const sha256Latin1: (data: Uint8Array) => string = oneShotHash
  ? (data) => oneShotHash('sha256', data, 'latin1')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest('binary');

/** sha2-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const s = sha256Latin1(data);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * True if sha2-256(data) equals the 32 bytes at `cidBytes[offset..]` (which must end the CID).
 * Allocation-free apart from the hash itself: the hot check of CAR verification (R5).
 */
export function sha256Matches(data: Uint8Array, cidBytes: Uint8Array, offset: number): boolean {
  if (cidBytes.length - offset !== 32) return false;
  const s = sha256Latin1(data);
  for (let i = 0; i < 32; i++) if (s.charCodeAt(i) !== cidBytes[offset + i]) return false;
  return true;
}

/** Compare a 32-byte digest against `cidBytes[offset..offset+32)`. */
export function digestEquals(digest: Uint8Array, cidBytes: Uint8Array, offset: number): boolean {
  if (cidBytes.length - offset !== digest.length) return false;
  for (let i = 0; i < digest.length; i++) if (digest[i] !== cidBytes[offset + i]) return false;
  return true;
}

function cidFromSha256(codec: number, data: Uint8Array): Cid {
  const digest = sha256Latin1(data);
  const bytes = new Uint8Array(36);
  bytes[0] = 1;
  bytes[1] = codec;
  bytes[2] = MH_SHA256;
  bytes[3] = 32;
  for (let i = 0; i < 32; i++) bytes[4 + i] = digest.charCodeAt(i);
  return new Cid(1, codec, MH_SHA256, bytes, 4);
}

/** CIDv1 dag-cbor sha2-256 of an encoded block. */
export function cidForCbor(blockBytes: Uint8Array): Cid {
  return cidFromSha256(CODEC_DAG_CBOR, blockBytes);
}

/** CIDv1 raw sha2-256 of a blob. */
export function cidForRaw(bytes: Uint8Array): Cid {
  return cidFromSha256(CODEC_RAW, bytes);
}
