/**
 * zstd decompression of Jetstream's compressed messages (`compress=true`): each binary message is
 * one zstd frame (RFC 8878) compressed with a dictionary that the client must already have.
 *
 * Node 20's zlib has no zstd, so this uses libzstd compiled to WebAssembly (@bokuweb/zstd-wasm).
 * The frame header is read here first (RFC 8878 §3.1.1.1), so that a frame naming another
 * dictionary is refused with a clear reason and a frame declaring more content than the cap is
 * refused before any memory is reserved for it; output is capped either way.
 */
import { createRequire } from 'node:module';
import { runtime, usage } from '../errors.js';

const FRAME_MAGIC = 0xfd2fb528;
const DICTIONARY_MAGIC = 0xec30a437;

export interface ZstdDictionary {
  /** The dictionary ID of a structured dictionary; null for a raw-content dictionary. */
  id: number | null;
  bytes: Uint8Array;
}

export interface ZstdFrameHeader {
  /** The dictionary the frame was compressed with; null when the header names none. */
  dictionaryId: number | null;
  /** The declared decompressed size; null when not declared. */
  contentSize: number | null;
}

const u32le = (b: Uint8Array, at: number): number => ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;

/** Read a zstd dictionary: structured (magic 0xEC30A437 and an ID) or raw content (any other bytes). */
export function parseZstdDictionary(bytes: Uint8Array): ZstdDictionary {
  if (bytes.length === 0) throw usage('InvalidZstdDictionary', 'the zstd dictionary is empty');
  if (bytes.length >= 8 && u32le(bytes, 0) === DICTIONARY_MAGIC) {
    const id = u32le(bytes, 4);
    return { id: id === 0 ? null : id, bytes };
  }
  return { id: null, bytes };
}

/** The frame header fields this module needs. Throws a reason string's Error for a non-frame. */
export function readZstdFrameHeader(frame: Uint8Array): ZstdFrameHeader {
  if (frame.length < 6 || u32le(frame, 0) !== FRAME_MAGIC) throw new Error('not a zstd frame (bad magic number)');
  const descriptor = frame[4] as number;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  if ((descriptor & 0x08) !== 0) throw new Error('zstd frame header has the reserved bit set');
  const didSize = [0, 1, 2, 4][descriptor & 0x03] as number;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  let at = 5 + (singleSegment ? 0 : 1);
  if (frame.length < at + didSize + fcsSize) throw new Error('zstd frame header is cut short');
  let dictionaryId = 0;
  for (let i = 0; i < didSize; i++) dictionaryId += (frame[at + i] as number) * 2 ** (8 * i);
  at += didSize;
  let contentSize: number | null = null;
  if (fcsSize > 0) {
    let n = 0;
    for (let i = 0; i < fcsSize; i++) n += (frame[at + i] as number) * 2 ** (8 * i);
    contentSize = fcsSize === 2 ? n + 256 : n;
  }
  return { dictionaryId: dictionaryId === 0 ? null : dictionaryId, contentSize };
}

interface ZstdWasm {
  init(): Promise<void>;
  createDCtx(): number;
  freeDCtx(dctx: number): number;
  decompress(buf: Uint8Array, opts?: { defaultHeapSize: number }): Uint8Array;
  decompressUsingDict(dctx: number, buf: Uint8Array, dict: Uint8Array, opts?: { defaultHeapSize: number }): Uint8Array;
}

let loaded: Promise<ZstdWasm> | undefined;

function isInitialized(zstd: ZstdWasm): boolean {
  try {
    zstd.freeDCtx(zstd.createDCtx());
    return true;
  } catch {
    return false;
  }
}

/**
 * The WebAssembly module, instantiated once. It is loaded with Node's own require at run time, not
 * bundled: the package reads its .wasm file from beside its own code.
 */
function loadZstd(): Promise<ZstdWasm> {
  loaded ??= (async () => {
    try {
      const nodeRequire = createRequire(import.meta.url);
      const zstd = nodeRequire('@bokuweb/zstd-wasm') as ZstdWasm;
      // The package keeps one instance per process. A second init() starts a new instance but
      // returns before it is ready, and contexts made meanwhile belong to the old one: only
      // initialise when no one in this process has.
      if (!isInitialized(zstd)) await zstd.init();
      return zstd;
    } catch (err) {
      loaded = undefined;
      throw runtime('ZstdUnavailable', `cannot load the zstd decoder: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  })();
  return loaded;
}

/** Decompresses one frame; throws an Error whose message says why the frame cannot be used. */
export type ZstdDecoder = (frame: Uint8Array) => Uint8Array;

/** A decoder for frames compressed with `dictionary` (or none), producing at most `maxBytes`. */
export async function createZstdDecoder(dictionary: ZstdDictionary | null, maxBytes: number): Promise<ZstdDecoder> {
  const zstd = await loadZstd();
  const dctx = zstd.createDCtx();
  return (frame) => {
    const header = readZstdFrameHeader(frame);
    if (header.dictionaryId !== null) {
      if (dictionary === null) throw new DictionaryError(`the message was compressed with zstd dictionary ${header.dictionaryId}, and no dictionary was given`);
      if (dictionary.id !== null && dictionary.id !== header.dictionaryId) {
        throw new DictionaryError(`the message was compressed with zstd dictionary ${header.dictionaryId}, not with the given dictionary ${dictionary.id}`);
      }
    }
    if (header.contentSize !== null && header.contentSize > maxBytes) throw new Error(`the message declares ${header.contentSize} bytes decompressed, over the ${maxBytes}-byte limit`);
    const opts = { defaultHeapSize: header.contentSize ?? maxBytes };
    try {
      return dictionary === null ? zstd.decompress(frame, opts) : zstd.decompressUsingDict(dctx, frame, dictionary.bytes, opts);
    } catch {
      throw new Error(`zstd decompression failed (corrupt data, a wrong dictionary, or more than ${header.contentSize ?? maxBytes} bytes)`);
    }
  };
}

/** The dictionary does not fit the stream: every message will fail the same way. */
export class DictionaryError extends Error {
  override readonly name = 'DictionaryError';
}
