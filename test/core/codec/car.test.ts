import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CarBlockIterator } from '@ipld/car/iterator';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CODEC_RAW,
  Cid,
  MH_IDENTITY,
  cidForCbor,
  encodeCar,
  encodeCbor,
  encodeUvarint,
  openCarFile,
  readCar,
  readCarBytes,
  sha256,
  writeCar,
} from '../../../src/core/codec/index.js';
import type { CarBlock, CarReadOptions, CarWriteBlock } from '../../../src/core/codec/index.js';
import { concat, expectError, expectErrorAsync, hex, rng, toHex } from './helpers.js';

function makeBlocks(n: number, seed = 1): CarWriteBlock[] {
  const r = rng(seed);
  const out: CarWriteBlock[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = encodeCbor({
      $type: 'app.bsky.feed.post',
      text: 'x'.repeat(Math.floor(r() * 300)),
      i,
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    out.push({ cid: cidForCbor(bytes), bytes });
  }
  return out;
}

async function* chunks(bytes: Uint8Array, size: number | (() => number)): AsyncGenerator<Uint8Array> {
  let i = 0;
  while (i < bytes.length) {
    const n = typeof size === 'number' ? size : Math.max(1, size());
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

async function collect(source: AsyncIterable<Uint8Array>, options?: CarReadOptions): Promise<CarBlock[]> {
  const reader = await readCar(source, options);
  const out: CarBlock[] = [];
  for await (const b of reader) out.push(b);
  return out;
}

function section(cidBytes: Uint8Array, data: Uint8Array): Uint8Array {
  return concat(encodeUvarint(cidBytes.length + data.length), cidBytes, data);
}

function headerBytes(value: unknown): Uint8Array {
  const body = encodeCbor(value as never);
  return concat(encodeUvarint(body.length), body);
}

const blocks = makeBlocks(300);
const root = blocks[0]!.cid;
const car = encodeCar([root], blocks);

function sameBlocks(got: CarBlock[], want: CarWriteBlock[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(got[i]!.cid.equals(want[i]!.cid)).toBe(true);
    expect(toHex(got[i]!.bytes)).toBe(toHex(want[i]!.bytes));
  }
}

describe('CAR round trip', () => {
  it('encodeCar output is read by @ipld/car identically (oracle)', async () => {
    const it2 = await CarBlockIterator.fromBytes(car);
    expect((await it2.getRoots()).map((c) => c.toString())).toEqual([root.toString()]);
    let i = 0;
    for await (const b of it2) {
      expect(b.cid.toString()).toBe(blocks[i]!.cid.toString());
      expect(toHex(b.bytes)).toBe(toHex(blocks[i]!.bytes));
      i++;
    }
    expect(i).toBe(blocks.length);
  });

  it('readCarBytes (sync) yields every block with its section offset', () => {
    const reader = readCarBytes(car);
    expect(reader.header.version).toBe(1);
    expect(reader.header.roots.map(String)).toEqual([root.toString()]);
    const got = [...reader];
    sameBlocks(got, blocks);
    // offsets point at each section's length varint
    const headerLen = encodeCar([root], []).length;
    expect(got[0]!.offset).toBe(headerLen);
    for (let i = 1; i < got.length; i++) {
      const prev = got[i - 1]!;
      const prevLen = prev.cid.bytes.length + prev.bytes.length;
      expect(got[i]!.offset).toBe(prev.offset + encodeUvarint(prevLen).length + prevLen);
    }
    expect(readCarBytes(car).toArray().length).toBe(blocks.length);
  });

  it.each([1, 2, 3, 7, 36, 64, 301, 1000, 65536, car.length])('streams with %d-byte chunks (sections spanning chunks)', async (size) => {
    sameBlocks(await collect(chunks(car, size)), blocks);
  });

  it('streams with random chunk sizes', async () => {
    const r = rng(42);
    for (let k = 0; k < 5; k++) {
      sameBlocks(await collect(chunks(car, () => Math.floor(r() * 900))), blocks);
    }
  });

  it('many small sections inside one chunk are zero-copy views of it', async () => {
    const reader = await readCar(chunks(car, car.length));
    const seen = new Set<ArrayBufferLike>();
    for await (const b of reader) seen.add(b.bytes.buffer);
    expect(seen.size).toBe(1);
  });

  it('batches() delivers the same blocks in chunk-sized groups', async () => {
    const reader = await readCar(chunks(car, 4096));
    const got: CarBlock[] = [];
    let batches = 0;
    for await (const batch of reader.batches()) {
      batches++;
      got.push(...batch);
    }
    sameBlocks(got, blocks);
    expect(batches).toBeGreaterThan(1);
    expect(batches).toBeLessThan(blocks.length);
  });

  it('writeCar streams exactly the bytes of encodeCar, and readCar reads it directly', async () => {
    const parts: Uint8Array[] = [];
    for await (const c of writeCar([root], blocks)) parts.push(c);
    expect(toHex(concat(...parts))).toBe(toHex(car));
    async function* gen(): AsyncGenerator<CarWriteBlock> {
      yield* blocks;
    }
    sameBlocks(await collect(writeCar([root], gen())), blocks);
  });

  it('writeCar handles blocks larger than its batch buffer', async () => {
    const bytes = new Uint8Array(600_000).fill(3);
    const big = [{ cid: cidForCbor(bytes), bytes }, ...blocks.slice(0, 3)];
    const parts: Uint8Array[] = [];
    for await (const c of writeCar([root], big)) parts.push(c);
    expect(toHex(concat(...parts))).toBe(toHex(encodeCar([root], big)));
  });

  it('A3: extra roots are accepted (spec), roots[0] first', () => {
    const reader = readCarBytes(encodeCar([root, blocks[1]!.cid], blocks));
    expect(reader.header.roots.map(String)).toEqual([root.toString(), blocks[1]!.cid.toString()]);
  });

  it('A4/A11: the reader does not require the root block and tolerates duplicates (the verifier decides)', () => {
    const missingRoot = readCarBytes(encodeCar([cidForCbor(hex('a0'))], [blocks[1]!, blocks[1]!]));
    expect(missingRoot.toArray().length).toBe(2);
  });

  it('writer refuses an empty root list and non-Cid blocks', () => {
    expectError(() => encodeCar([], blocks), 'InvalidCar', /at least one root/);
    expectError(() => encodeCar([root], [{ cid: 'x' as unknown as Cid, bytes: new Uint8Array(1) }]), 'InvalidCar', /Cid/);
  });
});

describe('CAR header (R1, R2, A1, A2, A8)', () => {
  const body = encodeCar([root], blocks.slice(0, 2)).subarray(encodeCar([root], []).length);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['A1 version 2', headerBytes({ roots: [root], version: 2 }), /unsupported CAR version 2 \(CARv2/],
    ['A1 CARv2 pragma', hex('0a a1 67 76 65 72 73 69 6f 6e 02' + '00'.repeat(40)), /unsupported CAR version 2 \(CARv2/],
    ['version 3', headerBytes({ roots: [root], version: 3 }), /unsupported CAR version 3/],
    ['version missing', headerBytes({ roots: [root] }), /unsupported CAR version \(missing\)/],
    ['A2 roots empty', headerBytes({ roots: [], version: 1 }), /CAR header has no roots/],
    ['roots missing', headerBytes({ version: 1 }), /"roots" is missing or not an array/],
    ['root not a CID', headerBytes({ roots: ['x'], version: 1 }), /root 0 is not a CID/],
    ['unknown header key', headerBytes({ roots: [root], version: 1, extra: 1 }), /unexpected key "extra" in CAR header/],
    ['header not a map', headerBytes([root]), /CAR header is not a map/],
    [
      'header keys out of canonical order',
      concat(hex('2c a2 67 76 65 72 73 69 6f 6e 01 65 72 6f 6f 74 73 81'), hex('d8 2a 58 25 00'), root.bytes).subarray(0, 1 + 0x2c),
      /CAR header is not valid DAG-CBOR \(map keys not in canonical order/,
    ],
    ['header with a float version', hex('13 a2 65 72 6f 6f 74 73 80 67 76 65 72 73 69 6f 6e f9 3c 00'), /floating-point/],
    ['A8 header length 2^62', hex('80 80 80 80 80 80 80 80 40 a0'), /CAR header length exceeds the 65536-byte limit at byte 0/],
    ['header length 70000 > 65536', concat(encodeUvarint(70_000), new Uint8Array(10)), /CAR header length 70000 exceeds the 65536-byte limit/],
    ['header length varint non-minimal', hex('81 00 a0'), /CAR header length: non-minimal varint encoding/],
    ['header length varint of 10 bytes', hex('80 80 80 80 80 80 80 80 80 01'), /CAR header length: varint longer than 9 bytes/],
    ['header length zero', hex('00 a0'), /CAR header length is zero/],
  ];
  /** Whole inputs (no sections appended). */
  const whole: Array<[string, Uint8Array, RegExp]> = [
    ['empty input', new Uint8Array(0), /empty CAR \(no header\) at byte 0/],
    ['truncated header length', hex('80'), /truncated CAR header length at byte 0/],
    ['truncated header', hex('20 a2 65 72'), /truncated CAR header: declared 32 bytes, only 3 available/],
  ];
  const all = [...cases.map(([n, h, re]) => [n, concat(h, body), re] as [string, Uint8Array, RegExp]), ...whole];

  it.each(all)('%s (in memory)', (_n, bytes, re) => {
    expectError(() => readCarBytes(bytes), 'InvalidCar', re);
  });

  it.each(all)('%s (streamed, 1-byte chunks)', async (_n, bytes, re) => {
    await expectErrorAsync(() => readCar(chunks(bytes, 1)), 'InvalidCar', re);
  });

  it.each(all)('%s (streamed, one chunk)', async (_n, bytes, re) => {
    await expectErrorAsync(() => readCar(chunks(bytes, 1 << 20)), 'InvalidCar', re);
  });

  it('an oversized header length is rejected before any more input is read or allocated', async () => {
    let pulls = 0;
    async function* src(): AsyncGenerator<Uint8Array> {
      pulls++;
      yield hex('80 80 80 80 80 80 80 80 40');
      pulls++;
      throw new Error('must not read further');
    }
    await expectErrorAsync(() => readCar(src()), 'InvalidCar', /exceeds the 65536-byte limit/);
    expect(pulls).toBe(1);
  });

  it('maxHeaderBytes is configurable', async () => {
    const head = headerBytes({ roots: [root], version: 1 });
    await expectErrorAsync(() => readCar(chunks(concat(head, body), 8), { maxHeaderBytes: 10 }), 'InvalidCar', /exceeds the 10-byte limit/);
  });
});

describe('CAR sections (R3, R5, A5–A9)', () => {
  const head = encodeCar([root], []);
  const good = blocks.slice(0, 3);
  const goodBody = encodeCar([root], good).subarray(head.length);

  async function both(bytes: Uint8Array, re: RegExp, options?: CarReadOptions): Promise<void> {
    expectError(() => readCarBytes(bytes, options).toArray(), 'InvalidCar', re);
    for (const size of [1, 5, 4096]) {
      await expectErrorAsync(() => collect(chunks(bytes, size), options), 'InvalidCar', re);
    }
  }

  it('A5: one flipped bit in a block is a hash mismatch naming the section offset', async () => {
    const bad = new Uint8Array(car);
    const second = readCarBytes(car).toArray()[1]!;
    const dataAt = second.offset + 2 + 36 + 5; // inside the data of block 1
    bad[dataAt]! ^= 0x01;
    await both(bad, new RegExp(`block data does not match its CID ${blocks[1]!.cid.toString()} \\(sha2-256 mismatch\\) at byte ${second.offset}$`));
    expect(readCarBytes(bad, { verifyHashes: false }).toArray().length).toBe(blocks.length);
  });

  it('A6: a CIDv0 section is rejected, and is framed correctly when allowed (no 36-byte assumption)', async () => {
    const data = encodeCbor({ v0: true });
    const v0 = concat(hex('12 20'), sha256(data));
    const bytes = concat(head, section(v0, data), goodBody);
    await both(bytes, /section keyed by CIDv0 Qm\w+ \(atproto requires CIDv1\)/);
    const got = readCarBytes(bytes, { allowCidV0: true }).toArray();
    expect(got.length).toBe(4);
    expect(got[0]!.cid.version).toBe(0);
    expect(got[0]!.cid.bytes.length).toBe(34);
    expect(toHex(got[0]!.bytes)).toBe(toHex(data));
    sameBlocks(got.slice(1), good);
    sameBlocks((await collect(chunks(bytes, 3), { allowCidV0: true })).slice(1), good);
  });

  it('A7: an identity-multihash section is an unsupported hash; framed correctly without verification', async () => {
    const data = encodeCbor({ id: 1 });
    const cid = Cid.create(0x71, MH_IDENTITY, data);
    const bytes = concat(head, section(cid.bytes, data), goodBody);
    await both(bytes, /unsupported hash function 0x0 in CID b\w+ \(only sha2-256 can be verified\) at byte 59/);
    const got = readCarBytes(bytes, { verifyHashes: false }).toArray();
    expect(got[0]!.cid.multihashCode).toBe(MH_IDENTITY);
    expect(got[0]!.cid.bytes.length).toBe(4 + data.length);
    sameBlocks(got.slice(1), good);
  });

  it('a sha2-256 CID with a truncated (20-byte) digest never verifies', async () => {
    const data = encodeCbor({ t: 1 });
    const cid = Cid.create(CODEC_RAW, 0x12, sha256(data).subarray(0, 20));
    await both(concat(head, section(cid.bytes, data)), /does not match its CID/);
  });

  it('A9: a final section truncated by 5 bytes names the offset', async () => {
    const truncated = car.subarray(0, car.length - 5);
    const last = readCarBytes(car).toArray().at(-1)!;
    const declared = last.cid.bytes.length + last.bytes.length;
    await both(
      truncated,
      new RegExp(`truncated final section: declared ${declared} bytes, only ${declared - 5} available at byte ${last.offset}$`),
    );
  });

  it('trailing bytes that do not form a section are rejected', async () => {
    await both(concat(car, hex('80')), new RegExp(`truncated final section \\(1 trailing bytes do not hold a section length\\) at byte ${car.length}`));
    await both(concat(car, hex('05')), /truncated final section: declared 5 bytes, only 0 available/);
    await both(concat(car, hex('05 01 71')), /truncated final section: declared 5 bytes, only 2 available/);
  });

  it('a section no longer than its CID is rejected', async () => {
    const b = blocks[0]!;
    await both(concat(head, section(b.cid.bytes, new Uint8Array(0))), /section of 36 bytes has no block data after its 36-byte CID/);
    await both(concat(head, hex('00')), /empty section \(length 0\)/);
    await both(concat(head, hex('10'), b.cid.bytes.subarray(0, 16)), /invalid CID in section \(truncated CID digest/);
  });

  it('section framing errors', async () => {
    await both(concat(head, hex('81 00'), new Uint8Array(200)), /section length: non-minimal varint encoding/);
    await both(concat(head, hex('26 02 71 12 20'), new Uint8Array(40)), /invalid CID in section \(unsupported CID version 2/);
  });

  it('every section length is checked against maxBlockBytes before buffering', async () => {
    let pulledAfter = false;
    async function* src(): AsyncGenerator<Uint8Array> {
      yield concat(head, encodeUvarint(10_000_000), blocks[0]!.cid.bytes);
      pulledAfter = true;
      throw new Error('must not read further');
    }
    const reader = await readCar(src());
    await expectErrorAsync(
      async () => {
        for await (const _ of reader) void _;
      },
      'InvalidCar',
      new RegExp(`section length 10000000 exceeds the 2000000-byte block limit at byte ${head.length}`),
    );
    expect(pulledAfter).toBe(false);
    await both(concat(head, hex('80 80 80 80 80 80 80 80 40')), /section length exceeds the 2000000-byte block limit/);
  });

  it('maxBlockBytes is configurable and applies to the data after the CID', async () => {
    const sizes = blocks.map((b) => b.bytes.length);
    const max = Math.max(...sizes);
    await both(car, /exceeds the 100-byte block limit/, { maxBlockBytes: 100 });
    expect(readCarBytes(car, { maxBlockBytes: max }).toArray().length).toBe(blocks.length);
    await both(car, /block of \d+ bytes exceeds the \d+-byte block limit/, { maxBlockBytes: max - 1 });
  });

  it('R8: maxBlocks and maxTotalBytes caps', async () => {
    await both(car, /CAR has more than 10 blocks/, { maxBlocks: 10 });
    await both(car, /CAR exceeds the 5000-byte size limit/, { maxTotalBytes: 5000 });
    expect(readCarBytes(car, { maxBlocks: blocks.length, maxTotalBytes: car.length }).toArray().length).toBe(blocks.length);
  });
});

describe('CAR streaming lifecycle', () => {
  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* src(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunks(car, 100);
      } finally {
        closed = true;
      }
    }
    const reader = await readCar(src());
    let n = 0;
    for await (const _ of reader) {
      if (++n === 5) break;
    }
    expect(closed).toBe(true);
  });

  it('closes the source on a header error', async () => {
    let closed = false;
    async function* src(): AsyncGenerator<Uint8Array> {
      try {
        yield hex('00 00 00');
        yield hex('00');
      } finally {
        closed = true;
      }
    }
    await expectErrorAsync(() => readCar(src()), 'InvalidCar', /header length is zero/);
    expect(closed).toBe(true);
  });

  it('can be iterated only once', async () => {
    const reader = await readCar(chunks(car, 1000));
    for await (const _ of reader) void _;
    await expectErrorAsync(
      async () => {
        for await (const _ of reader) void _;
      },
      'CarAlreadyRead',
      /already been iterated/,
      'runtime',
    );
  });

  it('overlapping next() calls neither skip nor repeat blocks', async () => {
    const reader = await readCar(chunks(car, 700));
    const it = reader[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: blocks.length + 2 }, () => it.next()));
    const got = results.filter((r) => r.done !== true).map((r) => r.value as CarBlock);
    sameBlocks(got, blocks);
    expect(results.slice(blocks.length).every((r) => r.done === true)).toBe(true);
  });

  it('accepts a synchronous iterable of chunks', async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < car.length; i += 333) parts.push(car.subarray(i, i + 333));
    sameBlocks(await collect(parts as unknown as AsyncIterable<Uint8Array>), blocks);
    const reader = await readCar(parts);
    expect(reader.header.roots[0]!.equals(root)).toBe(true);
  });

  it('blocks are plain Uint8Array views even when the source yields Buffers', async () => {
    const got = await collect(chunks(Buffer.from(car), 4096));
    expect(got.every((b) => b.bytes.constructor === Uint8Array)).toBe(true);
    expect(readCarBytes(Buffer.from(car)).toArray()[0]!.bytes.constructor).toBe(Uint8Array);
  });

  it('source errors propagate unchanged', async () => {
    async function* src(): AsyncGenerator<Uint8Array> {
      yield car.subarray(0, 500);
      throw new Error('socket reset');
    }
    const reader = await readCar(src());
    await expect(async () => {
      for await (const _ of reader) void _;
    }).rejects.toThrow('socket reset');
  });
});

describe('openCarFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atcli-car-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a file', async () => {
    const path = join(dir, 'repo.car');
    writeFileSync(path, car);
    const reader = await openCarFile(path);
    expect(reader.header.roots[0]!.equals(root)).toBe(true);
    const got: CarBlock[] = [];
    for await (const b of reader) got.push(b);
    sameBlocks(got, blocks);
  });

  it('reports a missing file as notFound', async () => {
    await expectErrorAsync(() => openCarFile(join(dir, 'nope.car')), 'FileNotFound', /no such file/, 'notFound');
  });

  it('reports a truncated file with the offset', async () => {
    const path = join(dir, 'cut.car');
    writeFileSync(path, car.subarray(0, car.length - 5));
    const reader = await openCarFile(path);
    await expectErrorAsync(
      async () => {
        for await (const _ of reader) void _;
      },
      'InvalidCar',
      /truncated final section: declared \d+ bytes, only \d+ available at byte \d+/,
    );
  });
});
