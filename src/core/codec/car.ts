/**
 * CAR v1 reading (streaming and in-memory) and writing (invariants §1.A R1–R5, R8).
 *
 * Reader rules:
 * - R1: the header length is a minimal varint of ≤ 9 bytes, and is checked against
 *   `maxHeaderBytes` before anything is allocated.
 * - R2: the header is a strict DAG-CBOR map `{roots: [CID, …], version: 1}`; version 2 and the
 *   CARv2 pragma are rejected with a clear message; empty roots are rejected; extra roots are
 *   accepted (spec:repository); unknown header keys are rejected.
 * - R3: every section is `varint(len) ‖ CID ‖ data`; the CID is parsed for real (never "36 bytes"),
 *   the section must be longer than its CID, and a truncated or partial final section is an error
 *   naming its byte offset. Every section length is checked against `maxBlockBytes` (+ the CID)
 *   before anything is buffered.
 * - R5: with `verifyHashes` (default) sha2-256(data) must equal the CID digest; any other hash
 *   function (e.g. identity 0x00) is an error, because hashing cannot verify it.
 * - CIDv0 section keys are rejected unless `allowCidV0` (atproto only uses CIDv1).
 *
 * Memory: the streaming reader never holds more than the current source chunk plus, for a section
 * that spans chunks, a buffer of exactly that section. Blocks inside one chunk are zero-copy views
 * of it, so the source must not reuse or mutate chunks after yielding them (Node streams do not).
 */
import { createReadStream } from 'node:fs';
import { AtcliError, invalid, notFound, runtime } from '../errors.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import type { CborValue } from './cbor.js';
import { Cid, MAX_CID_BYTES, MH_SHA256, decodeCidAt, sha256Matches } from './cid.js';
import {
  VARINT,
  VARINT_OK,
  VARINT_TOO_LARGE,
  VARINT_TRUNCATED,
  decodeUvarint,
  uvarintSize,
  varintProblem,
  writeUvarint,
} from './varint.js';

export interface CarHeader {
  version: 1;
  roots: Cid[];
}

export interface CarBlock {
  cid: Cid;
  /** Block data (a view into the input; copy it if you keep it and the input is recycled). */
  bytes: Uint8Array;
  /** Byte offset of the section (its length varint) within the CAR. */
  offset: number;
}

export interface CarReadOptions {
  /** Largest accepted header, checked before allocation. Default 65536. */
  maxHeaderBytes?: number;
  /**
   * Largest accepted block (section data after the CID), checked before buffering. Default
   * 2_000_000 bytes: above the 1 MiB record limit and the 2,000,000-byte firehose `blocks` cap
   * (spec:sync), and far above any MST node.
   */
  maxBlockBytes?: number;
  /** Check sha2-256(data) against every section's CID (R5). Default true. */
  verifyHashes?: boolean;
  /** Accept sections keyed by a CIDv0. Default false. */
  allowCidV0?: boolean;
  /** Stop with an error after this many blocks (R8). Default unlimited. */
  maxBlocks?: number;
  /** Stop with an error once the CAR exceeds this many bytes (R8). Default unlimited. */
  maxTotalBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 65_536;
export const DEFAULT_MAX_BLOCK_BYTES = 2_000_000;

export interface CarReader extends AsyncIterable<CarBlock> {
  readonly header: CarHeader;
  /**
   * The same blocks, delivered in batches (one per source chunk): the fast path for hot loops,
   * since it costs one promise per batch instead of one per block.
   */
  batches(): AsyncIterable<CarBlock[]>;
}

export interface CarBytesReader extends CarReader, Iterable<CarBlock> {
  /** All blocks as an array (convenient for small CARs such as firehose slices). */
  toArray(): CarBlock[];
}

interface ResolvedOptions {
  maxHeaderBytes: number;
  maxBlockBytes: number;
  maxSectionBytes: number;
  verifyHashes: boolean;
  allowCidV0: boolean;
  maxBlocks: number;
  maxTotalBytes: number;
}

function resolveOptions(o: CarReadOptions | undefined): ResolvedOptions {
  const maxBlockBytes = o?.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
  return {
    maxHeaderBytes: o?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxBlockBytes,
    maxSectionBytes: maxBlockBytes + MAX_CID_BYTES,
    verifyHashes: o?.verifyHashes ?? true,
    allowCidV0: o?.allowCidV0 ?? false,
    maxBlocks: o?.maxBlocks ?? Number.POSITIVE_INFINITY,
    maxTotalBytes: o?.maxTotalBytes ?? Number.POSITIVE_INFINITY,
  };
}

function carError(message: string, offset: number, cause?: unknown): AtcliError {
  return invalid('InvalidCar', `${message} at byte ${offset}`, {
    details: { offset },
    ...(cause === undefined ? {} : { cause }),
  });
}

// =============================================================================================
// Header

/**
 * Inspect the header-length varint at `buf[pos..end)`. Returns the full header span (varint +
 * header) when the varint is complete, or −1 when more bytes are needed. Throws on a malformed
 * varint or an oversized header (R1), before any allocation.
 */
function headerSpan(buf: Uint8Array, pos: number, end: number, opts: ResolvedOptions, eof: boolean): number {
  const st = decodeUvarint(buf, pos, end);
  if (st === VARINT_TRUNCATED) {
    if (eof) throw carError(pos === end ? 'empty CAR (no header)' : 'truncated CAR header length', pos);
    return -1;
  }
  if (st === VARINT_TOO_LARGE) {
    throw carError(`CAR header length exceeds the ${opts.maxHeaderBytes}-byte limit`, 0);
  }
  if (st !== VARINT_OK) throw carError(`CAR header length: ${varintProblem(st)}`, 0);
  const len = VARINT.value;
  if (len === 0) throw carError('CAR header length is zero', 0);
  if (len > opts.maxHeaderBytes) {
    throw carError(`CAR header length ${len} exceeds the ${opts.maxHeaderBytes}-byte limit`, 0);
  }
  return VARINT.length + len;
}

function parseHeader(bytes: Uint8Array, offset: number): CarHeader {
  let value: CborValue;
  try {
    value = decodeCbor(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw carError(`CAR header is not valid DAG-CBOR (${reason})`, offset, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof Cid) {
    throw carError('CAR header is not a map', offset);
  }
  const version = value.version;
  if (version === 2) {
    throw carError('unsupported CAR version 2 (CARv2 / CARv2 pragma); only CAR v1 is supported', offset);
  }
  if (version !== 1) {
    throw carError(`unsupported CAR version ${version === undefined ? '(missing)' : String(version)}; expected 1`, offset);
  }
  for (const k of Object.keys(value)) {
    if (k !== 'roots' && k !== 'version') throw carError(`unexpected key "${k}" in CAR header`, offset);
  }
  const roots = value.roots;
  if (!Array.isArray(roots)) throw carError('CAR header "roots" is missing or not an array', offset);
  if (roots.length === 0) throw carError('CAR header has no roots', offset);
  const out: Cid[] = new Array(roots.length);
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (!(r instanceof Cid)) throw carError(`CAR header root ${i} is not a CID`, offset);
    out[i] = r;
  }
  return { version: 1, roots: out };
}

// =============================================================================================
// Sections

class SectionParser {
  readonly o: ResolvedOptions;
  blocks = 0;

  constructor(o: ResolvedOptions) {
    this.o = o;
  }

  /**
   * Parse every complete section in `buf[pos..end)` (absolute offset of `buf[0]` is `abs`) into
   * `out`, stopping before an incomplete one or after `limit` blocks. Returns the new position.
   * Malformed or over-limit sections throw immediately, before any buffering.
   */
  parse(buf: Uint8Array, pos: number, end: number, abs: number, out: CarBlock[], limit: number): number {
    const o = this.o;
    while (pos < end && out.length < limit) {
      const st = decodeUvarint(buf, pos, end);
      if (st !== VARINT_OK) {
        if (st === VARINT_TRUNCATED) return pos;
        if (st === VARINT_TOO_LARGE) {
          throw carError(`section length exceeds the ${o.maxBlockBytes}-byte block limit`, abs + pos);
        }
        throw carError(`section length: ${varintProblem(st)}`, abs + pos);
      }
      const len = VARINT.value;
      const dataStart = pos + VARINT.length;
      if (len > o.maxSectionBytes) {
        throw carError(`section length ${len} exceeds the ${o.maxBlockBytes}-byte block limit`, abs + pos);
      }
      if (len === 0) throw carError('empty section (length 0)', abs + pos);
      const sectionEnd = dataStart + len;
      if (abs + sectionEnd > o.maxTotalBytes) {
        throw carError(`CAR exceeds the ${o.maxTotalBytes}-byte size limit`, abs + pos);
      }
      if (sectionEnd > end) return pos;
      let cid: Cid;
      try {
        cid = decodeCidAt(buf, dataStart, sectionEnd);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw carError(`invalid CID in section (${reason})`, abs + pos, err);
      }
      const cidLen = cid.bytes.length;
      if (cidLen >= len) throw carError(`section of ${len} bytes has no block data after its ${cidLen}-byte CID`, abs + pos);
      if (cid.version === 0 && !o.allowCidV0) {
        throw carError(`section keyed by CIDv0 ${cid.toString()} (atproto requires CIDv1)`, abs + pos);
      }
      const dataLen = len - cidLen;
      if (dataLen > o.maxBlockBytes) {
        throw carError(`block of ${dataLen} bytes exceeds the ${o.maxBlockBytes}-byte block limit`, abs + pos);
      }
      const data = buf.subarray(dataStart + cidLen, sectionEnd);
      if (o.verifyHashes) {
        if (cid.multihashCode !== MH_SHA256) {
          throw carError(
            `unsupported hash function 0x${cid.multihashCode.toString(16)} in CID ${cid.toString()} (only sha2-256 can be verified)`,
            abs + pos,
          );
        }
        if (!sha256Matches(data, cid.bytes, cid.digestOffset)) {
          throw carError(`block data does not match its CID ${cid.toString()} (sha2-256 mismatch)`, abs + pos);
        }
      }
      if (++this.blocks > o.maxBlocks) throw carError(`CAR has more than ${o.maxBlocks} blocks`, abs + pos);
      out.push({ cid, bytes: data, offset: abs + pos });
      pos = sectionEnd;
    }
    return pos;
  }

  /** Error for leftover bytes at end of input that do not form a complete section. */
  truncated(buf: Uint8Array, pos: number, end: number, abs: number): AtcliError {
    const st = decodeUvarint(buf, pos, end);
    if (st !== VARINT_OK) {
      return carError(`truncated final section (${end - pos} trailing bytes do not hold a section length)`, abs + pos);
    }
    const have = end - pos - VARINT.length;
    return carError(
      `truncated final section: declared ${VARINT.value} bytes, only ${have} available`,
      abs + pos,
    );
  }
}

function toU8(chunk: Uint8Array): Uint8Array {
  // Plain Uint8Array views: faster subarray than Buffer and uniform block types.
  return chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

const EMPTY = new Uint8Array(0);
const BATCH_LIMIT = 4096;

/** Flatten an async iterable of batches into an async iterator of blocks. */
function flatten(batches: AsyncIterable<CarBlock[]>): AsyncIterator<CarBlock> {
  const it = batches[Symbol.asyncIterator]();
  let cur: CarBlock[] = [];
  let i = 0;
  let pulling: Promise<IteratorResult<CarBlock>> | null = null;
  const pull = async (): Promise<IteratorResult<CarBlock>> => {
    for (;;) {
      const r = await it.next();
      if (r.done === true) return { done: true, value: undefined };
      cur = r.value;
      i = 0;
      if (cur.length > 0) return { done: false, value: cur[i++]! };
    }
  };
  const next = (): Promise<IteratorResult<CarBlock>> => {
    // Serialise overlapping next() calls so no batch is skipped.
    if (pulling !== null) return pulling.then(next);
    if (i < cur.length) return Promise.resolve({ done: false, value: cur[i++]! });
    const p = pull().finally(() => {
      pulling = null;
    });
    pulling = p;
    return p;
  };
  return {
    next,
    async return(): Promise<IteratorResult<CarBlock>> {
      cur = [];
      i = 0;
      if (it.return) await it.return();
      return { done: true, value: undefined };
    },
  };
}

// =============================================================================================
// Streaming reader

class StreamCarReader implements CarReader {
  header!: CarHeader;
  private readonly src: AsyncIterator<Uint8Array>;
  private readonly parser: SectionParser;
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  /** Absolute offset of chunk[0]. */
  private abs = 0;
  private pending: Uint8Array | null = null;
  private eof = false;
  private started = false;

  constructor(src: AsyncIterator<Uint8Array>, opts: ResolvedOptions) {
    this.src = src;
    this.parser = new SectionParser(opts);
  }

  /** Next raw chunk (pending remainder first); null at end of source. */
  private async pull(): Promise<Uint8Array | null> {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      return p;
    }
    for (;;) {
      const r = await this.src.next();
      if (r.done === true) return null;
      const c = r.value;
      if (!(c instanceof Uint8Array)) {
        throw runtime('InvalidCarSource', 'CAR source yielded a non-binary chunk');
      }
      if (c.length > 0) return toU8(c);
    }
  }

  /** Move to the next chunk once the current one is consumed. */
  private async advance(): Promise<void> {
    const next = await this.pull();
    this.abs += this.chunk.length;
    this.pos = 0;
    if (next === null) {
      this.chunk = EMPTY;
      this.eof = true;
    } else {
      this.chunk = next;
    }
  }

  /**
   * Make `chunk[pos..]` hold at least `need` bytes by merging following chunks into a buffer of
   * exactly `need` bytes (the caller has already checked `need` against the limits). At end of
   * source it keeps what it got and sets `eof`.
   */
  private async fill(need: number): Promise<void> {
    const have = this.chunk.length - this.pos;
    if (have >= need) return;
    const merged = new Uint8Array(need);
    merged.set(this.chunk.subarray(this.pos));
    let filled = have;
    const startAbs = this.abs + this.pos;
    while (filled < need) {
      const next = await this.pull();
      if (next === null) {
        this.eof = true;
        this.chunk = merged.subarray(0, filled);
        this.pos = 0;
        this.abs = startAbs;
        return;
      }
      const take = Math.min(next.length, need - filled);
      merged.set(take === next.length ? next : next.subarray(0, take), filled);
      filled += take;
      if (take < next.length) this.pending = next.subarray(take);
    }
    this.chunk = merged;
    this.pos = 0;
    this.abs = startAbs;
  }

  async readHeader(opts: ResolvedOptions): Promise<void> {
    for (;;) {
      const span = headerSpan(this.chunk, this.pos, this.chunk.length, opts, this.eof);
      if (span < 0) {
        await this.fill(this.chunk.length - this.pos + 1);
        continue;
      }
      await this.fill(span);
      decodeUvarint(this.chunk, this.pos, this.chunk.length);
      const vlen = VARINT.length;
      const have = this.chunk.length - this.pos;
      if (have < span) {
        throw carError(`truncated CAR header: declared ${span - vlen} bytes, only ${have - vlen} available`, 0);
      }
      this.header = parseHeader(this.chunk.subarray(this.pos + vlen, this.pos + span), this.abs + this.pos + vlen);
      this.pos += span;
      if (this.abs + this.pos > opts.maxTotalBytes) {
        throw carError(`CAR exceeds the ${opts.maxTotalBytes}-byte size limit`, 0);
      }
      return;
    }
  }

  async close(): Promise<void> {
    this.eof = true;
    this.chunk = EMPTY;
    this.pending = null;
    // Best effort: a failing return() must not mask the error that ended iteration.
    try {
      if (this.src.return) await this.src.return();
    } catch {
      /* ignore */
    }
  }

  async *batches(): AsyncGenerator<CarBlock[], void, undefined> {
    if (this.started) throw runtime('CarAlreadyRead', 'this CAR reader has already been iterated');
    this.started = true;
    const parser = this.parser;
    let ok = false;
    try {
      for (;;) {
        const out: CarBlock[] = [];
        const chunk = this.chunk;
        this.pos = parser.parse(chunk, this.pos, chunk.length, this.abs, out, BATCH_LIMIT);
        if (out.length > 0) {
          yield out;
          continue;
        }
        const rem = chunk.length - this.pos;
        if (this.eof) {
          if (rem === 0) {
            ok = true;
            return;
          }
          throw parser.truncated(chunk, this.pos, chunk.length, this.abs);
        }
        if (rem === 0) {
          await this.advance();
          continue;
        }
        // An incomplete section: its length varint was validated by parse() if complete.
        const st = decodeUvarint(chunk, this.pos, chunk.length);
        await this.fill(st === VARINT_OK ? VARINT.length + VARINT.value : rem + 1);
      }
    } finally {
      if (!ok) await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<CarBlock> {
    return flatten(this.batches());
  }
}

/**
 * Read a CAR v1 from a stream of chunks. Resolves once the header is parsed; iterate the result
 * for blocks (or use `batches()`). The source is consumed chunk by chunk and closed when
 * iteration ends, fails, or is abandoned.
 */
export async function readCar(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: CarReadOptions,
): Promise<CarReader> {
  const opts = resolveOptions(options);
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : syncToAsync((source as Iterable<Uint8Array>)[Symbol.iterator]());
  const reader = new StreamCarReader(iterator, opts);
  try {
    await reader.readHeader(opts);
  } catch (err) {
    await reader.close().catch(() => undefined);
    throw err;
  }
  return reader;
}

function syncToAsync(it: Iterator<Uint8Array>): AsyncIterator<Uint8Array> {
  return {
    next: () => Promise.resolve(it.next()),
    return: () => Promise.resolve(it.return ? it.return() : { done: true as const, value: undefined }),
  };
}

/**
 * The bytes of a file (or a character device or a pipe) in 1 MiB reads. File errors become
 * notFound 'FileNotFound' / runtime 'ReadError' AtcliErrors.
 */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const c of stream) yield c as Uint8Array;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw notFound('FileNotFound', `no such file: ${path}`, { cause: err });
    throw runtime('ReadError', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

/** Open and stream a CAR file (1 MiB reads). File errors become notFound/runtime AtcliErrors. */
export async function openCarFile(path: string, options?: CarReadOptions): Promise<CarReader> {
  return readCar(fileChunks(path), options);
}

// =============================================================================================
// In-memory reader

class BytesCarReader implements CarBytesReader {
  readonly header: CarHeader;
  private readonly bytes: Uint8Array;
  private readonly bodyStart: number;
  private readonly opts: ResolvedOptions;

  constructor(bytes: Uint8Array, opts: ResolvedOptions) {
    this.bytes = bytes;
    this.opts = opts;
    const span = headerSpan(bytes, 0, bytes.length, opts, true);
    if (span > bytes.length) {
      const vlen = VARINT.length;
      throw carError(`truncated CAR header: declared ${span - vlen} bytes, only ${bytes.length - vlen} available`, 0);
    }
    const vlen = VARINT.length;
    this.header = parseHeader(bytes.subarray(vlen, span), vlen);
    if (bytes.length > opts.maxTotalBytes) throw carError(`CAR exceeds the ${opts.maxTotalBytes}-byte size limit`, 0);
    this.bodyStart = span;
  }

  *batchesSync(): Generator<CarBlock[], void, undefined> {
    const parser = new SectionParser(this.opts);
    const bytes = this.bytes;
    const end = bytes.length;
    let pos = this.bodyStart;
    while (pos < end) {
      const out: CarBlock[] = [];
      pos = parser.parse(bytes, pos, end, 0, out, BATCH_LIMIT);
      if (out.length === 0) throw parser.truncated(bytes, pos, end, 0);
      yield out;
    }
  }

  *[Symbol.iterator](): Generator<CarBlock, void, undefined> {
    for (const batch of this.batchesSync()) {
      for (let i = 0; i < batch.length; i++) yield batch[i]!;
    }
  }

  /** All blocks as an array (convenient for small CARs such as firehose slices). */
  toArray(): CarBlock[] {
    const all: CarBlock[] = [];
    for (const batch of this.batchesSync()) for (let i = 0; i < batch.length; i++) all.push(batch[i]!);
    return all;
  }

  async *batches(): AsyncGenerator<CarBlock[], void, undefined> {
    yield* this.batchesSync();
  }

  [Symbol.asyncIterator](): AsyncIterator<CarBlock> {
    return flatten(this.batches());
  }
}

/**
 * Read a CAR held in memory (e.g. a firehose `blocks` slice). Synchronous: the header is parsed
 * immediately and blocks can be iterated with `for…of` (or `for await…of`). Blocks are views
 * into `bytes`.
 */
export function readCarBytes(bytes: Uint8Array, options?: CarReadOptions): CarBytesReader {
  return new BytesCarReader(toU8(bytes), resolveOptions(options));
}

// =============================================================================================
// Writer

export interface CarWriteBlock {
  cid: Cid;
  bytes: Uint8Array;
}

function encodeHeader(roots: Cid[]): Uint8Array {
  if (!Array.isArray(roots) || roots.length === 0) throw invalid('InvalidCar', 'a CAR needs at least one root');
  for (const r of roots) if (!(r instanceof Cid)) throw invalid('InvalidCar', 'CAR roots must be Cid instances');
  const body = encodeCbor({ roots, version: 1 });
  const out = new Uint8Array(uvarintSize(body.length) + body.length);
  out.set(body, writeUvarint(out, 0, body.length));
  return out;
}

function checkBlock(b: CarWriteBlock): void {
  if (!(b.cid instanceof Cid)) throw invalid('InvalidCar', 'CAR block cid must be a Cid');
  if (!(b.bytes instanceof Uint8Array)) throw invalid('InvalidCar', 'CAR block bytes must be a Uint8Array');
}

const WRITE_BATCH_BYTES = 256 * 1024;

/**
 * Stream a CAR v1: the header, then one section per block, batched into ~256 KiB chunks.
 */
export async function* writeCar(
  roots: Cid[],
  blocks: AsyncIterable<CarWriteBlock> | Iterable<CarWriteBlock>,
): AsyncGenerator<Uint8Array, void, undefined> {
  yield encodeHeader(roots);
  let buf = new Uint8Array(WRITE_BATCH_BYTES);
  let pos = 0;
  for await (const b of blocks) {
    checkBlock(b);
    const cidBytes = b.cid.bytes;
    const len = cidBytes.length + b.bytes.length;
    const size = uvarintSize(len) + len;
    if (pos + size > buf.length) {
      if (pos > 0) {
        yield buf.subarray(0, pos);
        buf = new Uint8Array(Math.max(WRITE_BATCH_BYTES, size));
        pos = 0;
      } else {
        buf = new Uint8Array(size);
      }
    }
    pos = writeUvarint(buf, pos, len);
    buf.set(cidBytes, pos);
    pos += cidBytes.length;
    buf.set(b.bytes, pos);
    pos += b.bytes.length;
  }
  if (pos > 0) yield buf.subarray(0, pos);
}

/** Encode a whole CAR v1 in memory: exactly the header, then the sections in order. */
export function encodeCar(roots: Cid[], blocks: Iterable<CarWriteBlock>): Uint8Array {
  const header = encodeHeader(roots);
  const list: CarWriteBlock[] = [];
  let total = header.length;
  for (const b of blocks) {
    checkBlock(b);
    const len = b.cid.bytes.length + b.bytes.length;
    total += uvarintSize(len) + len;
    list.push(b);
  }
  const out = new Uint8Array(total);
  out.set(header, 0);
  let pos = header.length;
  for (const b of list) {
    const cidBytes = b.cid.bytes;
    pos = writeUvarint(out, pos, cidBytes.length + b.bytes.length);
    out.set(cidBytes, pos);
    pos += cidBytes.length;
    out.set(b.bytes, pos);
    pos += b.bytes.length;
  }
  return out;
}
