import { createHash } from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';
import { CID } from 'multiformats/cid';
import { describe, expect, it } from 'vitest';
import {
  CODEC_DAG_CBOR,
  CODEC_RAW,
  Cid,
  MH_SHA256,
  cidForCbor,
  cidForRaw,
  cidKey,
  decodeCid,
  parseCid,
  sha256,
} from '../../../src/core/codec/index.js';
import { base32Decode, base32Encode, base64Decode, base64Encode } from '../../../src/core/codec/base.js';
import { decodeUvarint, encodeUvarint, VARINT } from '../../../src/core/codec/varint.js';
import { expectError, hex, rng } from './helpers.js';

const DAG = 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a';
const RAW = 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity';
const V0 = 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR';

describe('varint', () => {
  it.each([0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])('round-trips %d', (n) => {
    const b = encodeUvarint(n);
    expect(decodeUvarint(b, 0, b.length)).toBe(0);
    expect(VARINT.value).toBe(n);
    expect(VARINT.length).toBe(b.length);
  });
  it('rejects non-minimal, over-long, oversized and truncated varints', () => {
    expect(decodeUvarint(hex('80 00'), 0, 2)).toBe(-2);
    expect(decodeUvarint(hex('ff 80 00'), 0, 3)).toBe(-2);
    expect(decodeUvarint(hex('80 80 80 80 80 80 80 80 80 01'), 0, 10)).toBe(-3);
    expect(decodeUvarint(hex('80 80 80 80 80 80 80 80 40'), 0, 9)).toBe(-4); // 2^62
    expect(decodeUvarint(hex('80 80'), 0, 2)).toBe(-1);
    expect(decodeUvarint(hex(''), 0, 0)).toBe(-1);
  });
});

describe('base encodings', () => {
  it('base32 matches multiformats and is strict', () => {
    const r = rng(7);
    for (let n = 0; n < 40; n++) {
      const b = new Uint8Array(n).map(() => Math.floor(r() * 256));
      const s = base32Encode(b);
      expect(base32Decode(s)).toEqual(b);
    }
    expect(base32Decode('A')).toBeNull(); // upper case
    expect(base32Decode('a')).toBeNull(); // impossible length (5 bits)
    expect(base32Decode('ab')).toBeNull(); // non-zero trailing bits
    expect(base32Decode('aa')).toEqual(new Uint8Array([0]));
    expect(base32Decode('a1')).toBeNull(); // '1' not in alphabet
  });
  it('base64: optional padding, strict alphabet, tolerant trailing bits', () => {
    expect(base64Encode(new Uint8Array([1, 2]))).toBe('AQI');
    expect(base64Decode('AQI')).toEqual(new Uint8Array([1, 2]));
    expect(base64Decode('AQI=')).toEqual(new Uint8Array([1, 2]));
    expect(base64Decode('AQ==')).toEqual(new Uint8Array([1]));
    expect(base64Decode('AQ=')).toBeNull();
    expect(base64Decode('AQI==')).toBeNull();
    expect(base64Decode('A')).toBeNull();
    expect(base64Decode('AQ-_')).toBeNull(); // URL-safe alphabet is not base64
    expect(base64Decode('AQ I')).toBeNull();
    expect(base64Decode('123')).toEqual(new Uint8Array([0xd7, 0x6d])); // interop lexicon fixture
    expect(base64Decode('')).toEqual(new Uint8Array(0));
  });
});

describe('parseCid', () => {
  it('parses a blessed dag-cbor CID', () => {
    const c = parseCid(DAG);
    expect(c.version).toBe(1);
    expect(c.codec).toBe(CODEC_DAG_CBOR);
    expect(c.multihashCode).toBe(MH_SHA256);
    expect(c.digest.length).toBe(32);
    expect(c.bytes.length).toBe(36);
    expect(c.isBlessed).toBe(true);
    expect(c.isRawBlob).toBe(false);
    expect(c.toString()).toBe(DAG);
    expect(c.bytes).toEqual(CID.parse(DAG).bytes);
  });
  it('parses a raw blob CID', () => {
    const c = parseCid(RAW);
    expect(c.codec).toBe(CODEC_RAW);
    expect(c.isRawBlob).toBe(true);
    expect(c.isBlessed).toBe(false);
    expect(c.toString()).toBe(RAW);
  });
  it('parses base58btc z… CIDv1', () => {
    const z = 'z' + b58(parseCid(DAG).bytes);
    const c = parseCid(z);
    expect(c.toString()).toBe(DAG);
  });
  it('parses and flags CIDv0 (Qm…)', () => {
    const c = parseCid(V0);
    expect(c.version).toBe(0);
    expect(c.isBlessed).toBe(false);
    expect(c.bytes.length).toBe(34);
    expect(c.toString()).toBe(V0);
    expect(c.bytes).toEqual(CID.parse(V0).bytes);
  });
  it.each([
    ['', /empty/],
    ['example.com', /unsupported CID string/],
    ['.', /unsupported CID string/],
    [' ' + DAG, /unsupported CID string/],
    [DAG + ' ', /invalid base32/],
    ['B' + DAG.slice(1).toUpperCase(), /unsupported CID string/],
    ['bafy', /invalid/],
    [DAG.slice(0, -8), /truncated CID digest \(needs 32 bytes, 27 available\)/],
    ['mBcDxtdWx0aWhhc2g+', /unsupported CID string/],
    ['zQmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR', /invalid base58|CIDv0 inside a multibase/],
    ['z' + 'l'.repeat(10), /invalid base58btc/],
  ])('rejects %j', (s, re) => {
    expectError(() => parseCid(s), 'InvalidCid', re);
  });
  it('rejects a multibase-prefixed CIDv0 and trailing bytes', () => {
    const v0bytes = CID.parse(V0).bytes;
    expectError(() => parseCid('b' + base32Encode(v0bytes)), 'InvalidCid', /CIDv0 inside a multibase prefix/);
    const extra = new Uint8Array([...parseCid(DAG).bytes, 0]);
    expectError(() => parseCid('b' + base32Encode(extra)), 'InvalidCid', /trailing bytes/);
  });
});

// base58btc via multiformats for the z… test.
function b58(b: Uint8Array): string {
  return base58btc.baseEncode(b);
}

describe('decodeCid', () => {
  const dag = parseCid(DAG).bytes;
  it('decodes with offset and reports length; allows trailing bytes', () => {
    const buf = new Uint8Array([9, 9, ...dag, 7, 7]);
    const { cid, length } = decodeCid(buf, 2);
    expect(length).toBe(36);
    expect(cid.toString()).toBe(DAG);
  });
  it('copies its bytes (does not alias the input)', () => {
    const buf = new Uint8Array(dag);
    const { cid } = decodeCid(buf);
    buf[10]! ^= 1;
    expect(cid.toString()).toBe(DAG);
  });
  it('copies from a Buffer too (Buffer#slice would alias)', () => {
    const buf = Buffer.from(dag);
    const { cid } = decodeCid(buf);
    buf[10]! ^= 1;
    expect(cid.toString()).toBe(DAG);
    expect(cid.bytes.constructor).toBe(Uint8Array);
  });
  it('decodes CIDv0 binary (0x12 0x20 …)', () => {
    const v0 = CID.parse(V0).bytes;
    const { cid, length } = decodeCid(new Uint8Array([...v0, 1, 2, 3]));
    expect(length).toBe(34);
    expect(cid.version).toBe(0);
  });
  it('handles multi-byte varints (codec 0x0129 dag-json)', () => {
    const bytes = hex('01 a9 02 12 20' + '11'.repeat(32));
    const { cid, length } = decodeCid(bytes);
    expect(cid.codec).toBe(0x129);
    expect(length).toBe(37);
    expect(parseCid(cid.toString()).equals(cid)).toBe(true);
  });
  it.each([
    ['empty', '', /empty CID/],
    ['version 2', '02 71 12 20' + '00'.repeat(32), /unsupported CID version 2/],
    ['version 0 as varint', '00 71 12 20', /unsupported CID version 0/],
    ['non-minimal codec varint', '01 f1 00 12 20' + '00'.repeat(32), /codec: non-minimal varint/],
    ['non-minimal version varint', '81 00 71 12 20' + '00'.repeat(32), /version: non-minimal/],
    ['digest length 65', '01 71 12 41' + '00'.repeat(65), /digest length 65 exceeds 64/],
    ['digest length varint 2^62', '01 71 12 80 80 80 80 80 80 80 80 40', /digest length: varint value above/],
    ['truncated digest', '01 71 12 20' + '00'.repeat(31), /truncated CID digest \(needs 32 bytes, 31 available\)/],
    ['truncated header', '01 71', /multihash code: truncated varint/],
    ['v0 wrong length byte', '12 21' + '00'.repeat(33), /CIDv0 multihash must be sha2-256/],
    ['v0 truncated', '12 20' + '00'.repeat(10), /truncated CIDv0/],
    ['codec varint longer than 9 bytes', '01 80 80 80 80 80 80 80 80 80 01', /codec: varint longer than 9 bytes/],
  ])('rejects %s', (_name, h, re) => {
    expectError(() => decodeCid(hex(h)), 'InvalidCid', re);
  });
});

describe('hashing and keys', () => {
  it('sha256 matches createHash', () => {
    const data = new TextEncoder().encode('hello atproto');
    expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });
  it('cidForRaw of empty input is the well-known CID', () => {
    expect(cidForRaw(new Uint8Array(0)).toString()).toBe('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
  });
  it('cidForCbor is blessed and matches', () => {
    const block = hex('a0');
    const c = cidForCbor(block);
    expect(c.isBlessed).toBe(true);
    expect(c.matches(block)).toBe(true);
    expect(c.matches(hex('a1'))).toBe(false);
    expect(Cid.create(CODEC_DAG_CBOR, MH_SHA256, c.digest).equals(c)).toBe(true);
  });
  it('cidKey is a cheap, exact key', () => {
    const a = parseCid(DAG);
    const b = parseCid(DAG);
    const r = parseCid(RAW);
    expect(cidKey(a)).toBe(cidKey(b));
    expect(cidKey(a)).toBe(cidKey(a.bytes));
    expect(cidKey(a)).not.toBe(cidKey(r));
    expect(cidKey(a).length).toBe(36);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(r)).toBe(false);
    expect(a.equals(null)).toBe(false);
  });
});
