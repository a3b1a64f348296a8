import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { describe, expect, it } from 'vitest';
import {
  Cid,
  cidForCbor,
  decodeCbor,
  decodeCborPrefix,
  encodeCbor,
  isCanonicalRoundTrip,
  parseCid,
} from '../../../src/core/codec/index.js';
import type { CborValue } from '../../../src/core/codec/index.js';
import { concat, expectError, hex, rng, toHex } from './helpers.js';

const DAG = 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a';
const CID_BYTES = parseCid(DAG).bytes;
const CID_HEX = toHex(CID_BYTES);
/** tag 42 + bytes(37) + 0x00 + CID */
const LINK_HEX = 'd8 2a 58 25 00' + CID_HEX;

/** Every input the decoder accepts in these tests; checked for decode→encode identity at the end. */
const accepted: Uint8Array[] = [];
function accept(bytes: Uint8Array): CborValue {
  const v = decodeCbor(bytes);
  accepted.push(bytes);
  return v;
}

function text(s: string): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length < 24) return toHex(new Uint8Array([0x60 | b.length])) + b.toString('hex');
  if (b.length < 256) return '78' + b.length.toString(16).padStart(2, '0') + b.toString('hex');
  return '79' + b.length.toString(16).padStart(4, '0') + b.toString('hex');
}

describe('decodeCbor: valid canonical values', () => {
  it.each([
    ['00', 0],
    ['17', 23],
    ['18 18', 24],
    ['18 ff', 255],
    ['19 01 00', 256],
    ['19 ff ff', 65535],
    ['1a 00 01 00 00', 65536],
    ['1a ff ff ff ff', 4294967295],
    ['1b 00 00 00 01 00 00 00 00', 4294967296],
    ['1b 00 1f ff ff ff ff ff ff', Number.MAX_SAFE_INTEGER],
    ['20', -1],
    ['37', -24],
    ['38 18', -25],
    ['3b 00 1f ff ff ff ff ff fe', -Number.MAX_SAFE_INTEGER],
    ['f4', false],
    ['f5', true],
    ['f6', null],
    ['60', ''],
    ['63 61 62 63', 'abc'],
    ['80', []],
    ['a0', {}],
  ])('%s', (h, expected) => {
    expect(accept(hex(h))).toEqual(expected);
  });

  it('integers beyond ±(2^53-1) decode to exact bigint; int64 bounds accepted', () => {
    expect(accept(hex('1b 00 20 00 00 00 00 00 00'))).toBe(2n ** 53n);
    expect(accept(hex('1b 7f ff ff ff ff ff ff ff'))).toBe(2n ** 63n - 1n);
    expect(accept(hex('3b 7f ff ff ff ff ff ff ff'))).toBe(-(2n ** 63n));
    expect(accept(hex('3b 00 1f ff ff ff ff ff ff'))).toBe(-(2n ** 53n));
  });

  it('bytes decode as a view; text keeps a leading BOM', () => {
    const v = accept(hex('43 01 02 03'));
    expect(v).toEqual(new Uint8Array([1, 2, 3]));
    expect(accept(hex('63 ef bb bf'))).toBe('\uFEFF');
    expect(accept(hex(text('a~öñ©⽘☎𓋓😀👨‍👩‍👧‍👧')))).toBe('a~öñ©⽘☎𓋓😀👨‍👩‍👧‍👧');
  });

  it('decoding a Buffer yields plain Uint8Array byte strings', () => {
    const v = decodeCbor(Buffer.from(hex('a1 61 62 42 01 02'))) as { b: Uint8Array };
    expect(v.b.constructor).toBe(Uint8Array);
    expect(v.b).toEqual(new Uint8Array([1, 2]));
  });

  it('tag 42 decodes to a Cid', () => {
    const v = accept(hex(LINK_HEX));
    expect(v).toBeInstanceOf(Cid);
    expect((v as Cid).toString()).toBe(DAG);
  });

  it('maps: canonical order is length-first then bytewise', () => {
    const v = accept(hex('a3 61 62 01 61 63 02 62 61 61 03')) as Record<string, unknown>;
    expect(Object.keys(v).sort()).toEqual(['aa', 'b', 'c']);
    expect(v.aa).toBe(3);
  });

  it('a "__proto__" key is data, not a prototype', () => {
    const v = accept(hex('a1' + text('__proto__') + 'a1 61 78 01')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ x: 1 });
    expect((v as { x?: unknown }).x).toBeUndefined();
    expect(toHex(encodeCbor(v as CborValue))).toBe(toHex(hex('a1' + text('__proto__') + 'a1 61 78 01')));
  });

  it('nesting up to the limit is accepted (32 levels)', () => {
    const deep = hex('81'.repeat(30) + 'a1 61 61 80'); // 32 containers
    accept(deep);
    expect(decodeCbor(hex('81'.repeat(40) + '00'), { maxDepth: 40 })).toBeDefined();
  });

  it('decodeCborPrefix reads concatenated items (firehose header ‖ body)', () => {
    const header = encodeCbor({ op: 1, t: '#commit' });
    const body = encodeCbor({ seq: 5 });
    const frame = concat(header, body);
    const a = decodeCborPrefix(frame, 0);
    expect(a.value).toEqual({ op: 1, t: '#commit' });
    expect(a.end).toBe(header.length);
    const b = decodeCborPrefix(frame, a.end);
    expect(b.value).toEqual({ seq: 5 });
    expect(b.end).toBe(frame.length);
    expect(() => decodeCbor(frame)).toThrow(/trailing bytes/);
  });
});

/** [name, hex, message] — every row must fail with InvalidCbor and that message. */
const INVALID: Array<[string, string, RegExp]> = [
  // C1
  ['C1 empty input', '', /unexpected end of input at byte 0/],
  ['C1 trailing byte', '01 01', /1 trailing bytes after the top-level item at byte 1/],
  ['C1 two maps', 'a0 a0', /trailing bytes/],
  ['C1 truncated array', '82 01', /array length 2 exceeds the 1 remaining bytes at byte 0/],
  ['C1 truncated nested item', '82 01 a1 61 61', /unexpected end of input at byte 5/],
  ['C1 truncated map value', 'a1 61 61', /unexpected end of input at byte 3/],
  // C2 / B3
  ['C2 indefinite byte string', '5f 41 00 ff', /indefinite-length byte string not allowed at byte 0/],
  ['C2 indefinite text', '7f 61 61 ff', /indefinite-length text string not allowed/],
  ['C2 indefinite array', '9f 01 ff', /indefinite-length array not allowed/],
  ['C2 indefinite map', 'bf 61 61 01 ff', /indefinite-length map not allowed/],
  ['C2 lone break', 'ff', /unexpected "break"/],
  ['B3 record with an indefinite array', 'a2 61 61 9f 01 ff 65 24 74 79 70 65 61 78', /indefinite-length array not allowed at byte 3/],
  ['C2 indefinite integer info', '1f', /invalid additional info 31 for integer/],
  ['reserved additional info 28', '1c', /reserved additional info 28/],
  // C3 / B2
  ['C3 B2 version as 0x18 0x03', 'a1 67 76 65 72 73 69 6f 6e 18 03', /non-minimal integer encoding \(3 in 2 bytes\) at byte 9/],
  ['C3 uint16 for 255', '19 00 ff', /non-minimal integer encoding/],
  ['C3 uint32 for 65535', '1a 00 00 ff ff', /non-minimal integer encoding/],
  ['C3 uint64 for 2^32-1', '1b 00 00 00 00 ff ff ff ff', /non-minimal integer encoding/],
  ['C3 negative', '38 00', /non-minimal integer encoding/],
  ['C3 byte string length', '58 01 00', /non-minimal byte string length encoding/],
  ['C3 text length', '78 01 61', /non-minimal text string length encoding/],
  ['C3 array length', '98 01 01', /non-minimal array length encoding/],
  ['C3 map length', 'b8 01 61 61 01', /non-minimal map length encoding/],
  ['C3 key length', 'a1 78 01 61 01', /non-minimal text string length encoding \(1 in 2 bytes\) at byte 1/],
  ['C3 tag 42 non-minimal', 'd9 00 2a 58 25 00' + CID_HEX, /non-minimal tag encoding/],
  ['C3 tag-42 bytes length non-minimal', 'd8 2a 59 00 25 00' + CID_HEX, /non-minimal byte string length encoding/],
  // C4 / B1 / B10 / B14
  ['C4 B14 integer key', 'a1 01 01', /map key must be a text string, found integer at byte 1/],
  ['C4 bytes key', 'a1 41 61 01', /map key must be a text string, found byte string/],
  ['C4 B10 duplicate key foo', 'a2 63 66 6f 6f 01 63 66 6f 6f 02', /duplicate map key "foo" at byte 6/],
  ['C4 bytewise order', 'a2 61 62 01 61 61 02', /map keys not in canonical order \("a"\) at byte 4/],
  ['C4 length-first order', 'a2 62 61 61 01 61 62 02', /not in canonical order \("b"\)/],
  [
    'C4 B1 commit keys in insertion order (version first)',
    'a2' + text('version') + '03' + text('did') + text('did:plc:abc'),
    /map keys not in canonical order \("did"\)/,
  ],
  ['C9 empty key', 'a1 60 01', /empty map key at byte 1/],
  ['C9 key longer than 8192 bytes', 'a1 79 20 01' + '61'.repeat(8193) + '01', /map key of 8193 bytes exceeds 8192/],
  // C5 / B8 / B9
  ['C5 B8 tag 1 datetime', 'c1 1a 5f 5e 10 00', /unsupported CBOR tag 1 \(only tag 42 is allowed\) at byte 0/],
  ['C5 B8 tag 0 datetime string', 'c0 60', /unsupported CBOR tag 0/],
  ['C5 B8 tag 2 bignum', 'c2 41 01', /unsupported CBOR tag 2/],
  ['C5 tag 55799 self-describe', 'd9 d9 f7 01', /unsupported CBOR tag 55799/],
  ['C5 B9 tag 42 lead-in 0x01', 'd8 2a 58 25 01' + CID_HEX, /tag 42 CID must start with the 0x00 multibase prefix at byte 4/],
  ['C5 tag 42 content is text', 'd8 2a 61 61', /tag 42 content must be a byte string, found text string/],
  ['C5 tag 42 empty bytes', 'd8 2a 40', /0x00 multibase prefix \(empty\)/],
  ['C5 tag 42 trailing bytes after CID', 'd8 2a 58 26 00' + CID_HEX + '00', /1 trailing bytes after the CID in tag 42/],
  ['C5 tag 42 truncated CID', 'd8 2a 58 24 00' + CID_HEX.slice(0, -2), /invalid CID in tag 42: truncated CID digest/],
  ['C5 tag 42 CIDv0', 'd8 2a 58 23 00 12 20' + '00'.repeat(32), /CIDv0 link in tag 42/],
  ['C5 tag 42 CID version 2', 'd8 2a 46 00 02 71 12 01 00', /unsupported CID version 2/],
  ['C5 tag 42 without content', 'd8 2a', /tag 42 without content/],
  // C6 / B7
  ['C6 B7 undefined', 'f7', /"undefined" \(0xf7\) is not allowed at byte 0/],
  ['C6 B7 undefined in a record', 'a1 61 61 f7', /"undefined" \(0xf7\) is not allowed at byte 3/],
  ['C6 simple 16', 'f0', /unsupported simple value 16/],
  ['C6 simple 32 (two-byte)', 'f8 20', /unsupported simple value 32/],
  ['C6 non-minimal false', 'f8 14', /unsupported simple value 20/],
  // C7 / B4 / B5 / B6
  ['C7 B4 half-float 3.0', 'a1 67 76 65 72 73 69 6f 6e f9 42 00', /floating-point value not allowed \(0xf9\) at byte 9/],
  ['C7 B5 float 1.5', 'a1 61 61 fb 3f f8 00 00 00 00 00 00', /floating-point value not allowed \(0xfb\)/],
  ['C7 float 1.1 (TS decodes it)', 'fb 3f f1 99 99 99 99 99 9a', /floating-point value not allowed/],
  ['C7 B6 NaN', 'f9 7e 00', /floating-point value not allowed \(0xf9\)/],
  ['C7 +Inf single', 'fa 7f 80 00 00', /floating-point value not allowed \(0xfa\)/],
  ['C7 integral double 3.0', 'fb 40 08 00 00 00 00 00 00', /floating-point value not allowed/],
  // C8 / B15
  ['C8 B15 -2^64', '3b ff ff ff ff ff ff ff ff', /negative integer below the int64 minimum \(-2\^63\) at byte 0/],
  ['C8 -2^63-1', '3b 80 00 00 00 00 00 00 00', /below the int64 minimum/],
  ['C8 2^63', '1b 80 00 00 00 00 00 00 00', /integer above the int64 maximum/],
  ['C8 2^64-1', '1b ff ff ff ff ff ff ff ff', /integer above the int64 maximum/],
  // C9 / B13
  ['C9 B13 invalid UTF-8', '62 c3 28', /invalid UTF-8 in text string at byte 1/],
  ['C9 overlong NUL', '62 c0 80', /invalid UTF-8/],
  ['C9 surrogate code point', '63 ed a0 80', /invalid UTF-8/],
  ['C9 above U+10FFFF', '64 f4 90 80 80', /invalid UTF-8/],
  ['C9 truncated sequence (long string)', '6c' + '61'.repeat(11) + 'e2', /invalid UTF-8/],
  ['C9 invalid UTF-8 in a key', 'a1 62 c3 28 01', /invalid UTF-8/],
  // C10 / B11 / B12
  ['C10 B12 byte string claiming 4 GiB in 12 bytes', '5a ff ff ff ff 00 00 00 00 00 00 00', /byte string length 4294967295 exceeds the 7 remaining bytes at byte 0/],
  ['C10 text claiming 2^62 bytes', '7b 40 00 00 00 00 00 00 00 61', /text string length \d+ exceeds the 1 remaining bytes at byte 0/],
  ['C10 array claiming 100000 elements in 6 bytes', '9a 00 01 86 a0 00', /array length 100000 exceeds the 1 remaining bytes/],
  ['C10 array longer than 131072', '9a 00 02 00 01', /array of 131073 elements exceeds the limit of 131072/],
  ['C10 map longer than 131072', 'ba 00 02 00 01', /map of 131073 entries exceeds the limit of 131072/],
  ['C10 map claiming 1000 entries in 5 bytes', 'b9 03 e8 61 61', /map length 1000 exceeds the 2 remaining bytes/],
  ['C10 map length with 8-byte arg', 'bb 00 00 00 01 00 00 00 00', /map of 4294967296 entries exceeds the limit/],
  ['C10 33 nested arrays', '81'.repeat(33) + '00', /nesting deeper than 32 levels at byte 32/],
  ['C10 33 nested maps', 'a1 61 61 '.repeat(33) + '00', /nesting deeper than 32 levels/],
  ['truncated uint16', '19 01', /truncated integer header at byte 0/],
  ['truncated length', '5a 00 00', /truncated byte string header/],
];

describe('decodeCbor: adversarial inputs (C1–C10, B1–B15)', () => {
  it.each(INVALID)('%s', (_name, h, re) => {
    const bytes = hex(h);
    const e = expectError(() => decodeCbor(bytes), 'InvalidCbor', re);
    expect(e.message).toMatch(/at byte \d+/);
    expect(isCanonicalRoundTrip(bytes)).toBe(false);
  });

  it('B11: 10,000 nested arrays fail fast without a stack overflow', () => {
    const bytes = new Uint8Array(10_001).fill(0x81);
    bytes[10_000] = 0;
    const t = performance.now();
    expectError(() => decodeCbor(bytes), 'InvalidCbor', /nesting deeper than 32 levels at byte 32/);
    // Even with a raised limit the depth is clamped, so no RangeError escapes.
    expectError(() => decodeCbor(bytes, { maxDepth: 1e9 }), 'InvalidCbor', /nesting deeper than 1000 levels/);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('B12: huge declared lengths are rejected before allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1000; i++) {
      expect(() => decodeCbor(hex('5b 00 00 00 01 00 00 00 00 00 00 00'))).toThrow(/exceeds the 3 remaining bytes/);
      expect(() => decodeCbor(hex('9b 00 00 00 01 00 00 00 00'))).toThrow(/exceeds the limit of 131072/);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('maxDepth and maxContainerLength are configurable', () => {
    expectError(() => decodeCbor(hex('81 81 00'), { maxDepth: 1 }), 'InvalidCbor', /nesting deeper than 1 levels at byte 1/);
    expectError(() => decodeCbor(hex('83 01 02 03'), { maxContainerLength: 2 }), 'InvalidCbor', /limit of 2/);
    expect(decodeCbor(hex('82 01 02'), { maxContainerLength: 2 })).toEqual([1, 2]);
  });

  it('errors carry the offset in details', () => {
    const e = expectError(() => decodeCbor(hex('82 01 18 01')), 'InvalidCbor', /at byte 2/);
    expect(e.details).toEqual({ offset: 2 });
  });
});

describe('encodeCbor', () => {
  it('encodes canonically: sorted keys, minimal lengths', () => {
    const v = { version: 3, did: 'did:plc:abc', rev: 'x', sig: new Uint8Array([1]), data: parseCid(DAG), prev: null };
    const bytes = encodeCbor(v);
    expect(Object.keys(decodeCbor(bytes) as object)).toEqual(['did', 'rev', 'sig', 'data', 'prev', 'version']);
    expect(toHex(encodeCbor(24))).toBe('1818');
    expect(toHex(encodeCbor(-25))).toBe('3818');
    expect(toHex(encodeCbor(2 ** 32))).toBe('1b0000000100000000');
    expect(toHex(encodeCbor(2n ** 63n - 1n))).toBe('1b7fffffffffffffff');
    expect(toHex(encodeCbor(-(2n ** 63n)))).toBe('3b7fffffffffffffff');
    expect(toHex(encodeCbor(2 ** 60))).toBe('1b1000000000000000');
    expect(toHex(encodeCbor(parseCid(DAG)))).toBe(LINK_HEX.replace(/ /g, ''));
    expect(toHex(encodeCbor('x'.repeat(24)))).toBe('7818' + '78'.repeat(24));
    expect(toHex(encodeCbor('é'))).toBe('62c3a9');
  });

  it('sorts keys whose UTF-16 order differs from UTF-8 byte order', () => {
    const a = '😀a'; // f0 9f 98 80 61 (5 bytes)
    const b = '\uE000ab'; // ee 80 80 61 62 (5 bytes) – sorts first in UTF-8, second in UTF-16
    const bytes = encodeCbor({ [a]: 1, [b]: 2, z: 0 });
    expect(Object.keys(decodeCbor(bytes) as object)).toEqual(['z', b, a]);
    expect(bytes).toEqual(dagCbor.encode({ [a]: 1, [b]: 2, z: 0 }));
  });

  it('sorts integer-like keys that JS objects reorder', () => {
    const bytes = encodeCbor({ a: 1, '10': 2, '2': 3 });
    expect(Object.keys(decodeCbor(bytes) as object).sort()).toEqual(['10', '2', 'a']);
    expect(toHex(bytes)).toBe(toHex(hex('a3 61 32 03 61 61 01 62 31 30 02')));
  });

  it.each<[string, unknown, RegExp]>([
    ['float', 1.5, /1.5 is not an integer \(floats are not allowed/],
    ['NaN', Number.NaN, /not an integer/],
    ['Infinity', Number.POSITIVE_INFINITY, /not an integer/],
    ['integer above int64', 2 ** 64, /outside the int64 range/],
    ['bigint above int64', 2n ** 63n, /outside the int64 range/],
    ['bigint below int64', -(2n ** 63n) - 1n, /outside the int64 range/],
    ['undefined', undefined, /undefined is not a valid data-model value/],
    ['undefined map value', { a: undefined }, /value of key "a" is undefined/],
    ['function', () => 1, /a function is not a valid data-model value/],
    ['symbol', Symbol('x'), /a symbol is not a valid data-model value/],
    ['Date', new Date(0), /a Date is not a valid data-model value/],
    ['Map', new Map(), /a Map is not a valid data-model value/],
    ['Uint16Array', new Uint16Array(2), /a Uint16Array is not a valid data-model value/],
    ['empty key', { '': 1 }, /empty map key/],
    ['oversized key', { ['k'.repeat(8193)]: 1 }, /map key of 8193 bytes exceeds 8192/],
    ['lone surrogate', '\uD800x', /lone UTF-16 surrogate/],
    ['lone surrogate key', { '\uDC00': 1 }, /lone UTF-16 surrogate/],
    ['CIDv0', parseCid('QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR'), /CIDv0 cannot be encoded/],
    ['too deep', JSON.parse('['.repeat(33) + ']'.repeat(33)), /nesting deeper than 32 levels/],
  ])('rejects %s', (_name, v, re) => {
    expectError(() => encodeCbor(v as CborValue), 'UnencodableValue', re);
  });

  it('rejects cycles instead of overflowing the stack', () => {
    const a: unknown[] = [];
    a.push(a);
    expectError(() => encodeCbor(a as CborValue), 'UnencodableValue', /nesting deeper than 32 levels \(or a cycle\)/);
    // the shared buffer is still usable afterwards
    expect(toHex(encodeCbor([1]))).toBe('8101');
  });

  it('grows its buffer for large values and stays correct afterwards', () => {
    const big = new Uint8Array(3_000_000).fill(7);
    const enc = encodeCbor({ big, s: 'ü'.repeat(100_000) });
    const dec = decodeCbor(enc) as { big: Uint8Array; s: string };
    expect(dec.big.length).toBe(3_000_000);
    expect(dec.s.length).toBe(100_000);
    expect(toHex(encodeCbor({ a: 1 }))).toBe('a1616101');
  });
});

// ---------------------------------------------------------------------------------------------
// Cross-check against @ipld/dag-cbor (oracle only).

function toIpld(v: CborValue): unknown {
  if (v instanceof Cid) return CID.decode(v.bytes);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toIpld);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toIpld(v[k]!);
    return out;
  }
  return v;
}

const SAMPLE_CHARS = ['a', 'b', 'z', 'A', '0', '$', '.', 'é', 'ß', '⽘', '☎', '😀', '\uE000', '\uFFFD', '\u0000', '\uFEFF', '𓋓'];

function randomValue(r: () => number, depth: number): CborValue {
  const pick = Math.floor(r() * (depth > 4 ? 9 : 12));
  const randStr = (max: number): string => {
    const n = Math.floor(r() * max);
    let s = '';
    for (let i = 0; i < n; i++) s += r() < 0.6 ? String.fromCharCode(97 + Math.floor(r() * 26)) : SAMPLE_CHARS[Math.floor(r() * SAMPLE_CHARS.length)];
    return s;
  };
  switch (pick) {
    case 0:
      return Math.floor(r() * 30) - 5;
    case 1: {
      const e = Math.floor(r() * 54);
      const n = Math.floor(r() * 2 ** e);
      return r() < 0.5 ? n : -n;
    }
    case 2: {
      const hi = BigInt(Math.floor(r() * 2 ** 31));
      const big = (hi << 32n) | BigInt(Math.floor(r() * 2 ** 32));
      return r() < 0.5 ? big + 2n ** 53n : -(big + 2n ** 53n);
    }
    case 3:
      return r() < 0.5;
    case 4:
      return null;
    case 5:
      return randStr(r() < 0.9 ? 30 : 400);
    case 6:
      return new Uint8Array(Math.floor(r() * (r() < 0.9 ? 40 : 70000))).map(() => Math.floor(r() * 256));
    case 7: {
      const d = new Uint8Array(32).map(() => Math.floor(r() * 256));
      return cidForCbor(d);
    }
    case 8:
      return randStr(3);
    case 9:
    case 10: {
      const n = Math.floor(r() * 6);
      const o: Record<string, CborValue> = {};
      for (let i = 0; i < n; i++) {
        const k = randStr(8) || 'k';
        o[k] = randomValue(r, depth + 1);
      }
      return o;
    }
    default: {
      const n = Math.floor(r() * 6);
      const a: CborValue[] = [];
      for (let i = 0; i < n; i++) a.push(randomValue(r, depth + 1));
      return a;
    }
  }
}

describe('cross-check with @ipld/dag-cbor', () => {
  it.each(Array.from({ length: 20 }, (_, i) => i + 1))('seed %d: 100 random values encode identically', (seed) => {
    const r = rng(seed * 7919);
    for (let i = 0; i < 100; i++) {
      const v = randomValue(r, 0);
      const ours = encodeCbor(v);
      const theirs = dagCbor.encode(toIpld(v));
      expect(toHex(ours)).toBe(toHex(theirs));
      // and our strict decoder accepts the oracle's bytes, reproducing them exactly
      const back = accept(theirs);
      expect(toHex(encodeCbor(back))).toBe(toHex(theirs));
      expect(isCanonicalRoundTrip(theirs)).toBe(true);
    }
  });
});

describe('C11: decode-then-encode is the identity on every accepted input', () => {
  it('holds for all inputs accepted above', () => {
    expect(accepted.length).toBeGreaterThan(2000);
    for (const bytes of accepted) {
      expect(toHex(encodeCbor(decodeCbor(bytes)))).toBe(toHex(bytes));
      expect(isCanonicalRoundTrip(bytes)).toBe(true);
    }
  });
});
