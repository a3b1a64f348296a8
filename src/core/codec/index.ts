/**
 * Public surface of the codec: CIDs, strict DRISL (DAG-CBOR), atproto JSON, and CAR v1.
 * This module imports nothing of ours besides `../errors.js`.
 */
export {
  Cid,
  CODEC_DAG_CBOR,
  CODEC_DAG_PB,
  CODEC_RAW,
  MAX_CID_BYTES,
  MAX_DIGEST_BYTES,
  MH_IDENTITY,
  MH_SHA256,
  cidForCbor,
  cidForRaw,
  cidKey,
  decodeCid,
  decodeCidAt,
  digestEquals,
  parseCid,
  sha256,
  sha256Matches,
} from './cid.js';
export {
  DEFAULT_CBOR_LIMITS,
  MAX_KEY_BYTES,
  checkCborRecord,
  decodeCbor,
  decodeCborPrefix,
  encodeCbor,
  isCanonicalRoundTrip,
} from './cbor.js';
export type { CborLimits, CborMap, CborValue } from './cbor.js';
export { cborToJson, jsonToCbor, parseJsonRecord, stringifyJson } from './json.js';
export type { JsonObject, JsonToCborOptions, JsonValue } from './json.js';
export {
  DEFAULT_MAX_BLOCK_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  encodeCar,
  fileChunks,
  openCarFile,
  readCar,
  readCarBytes,
  writeCar,
} from './car.js';
export type { CarBlock, CarBytesReader, CarHeader, CarReadOptions, CarReader, CarWriteBlock } from './car.js';
export { base32Decode, base32Encode, base64Decode, base64Encode } from './base.js';
export { decodeUvarint, encodeUvarint, uvarintSize, VARINT, writeUvarint } from './varint.js';
