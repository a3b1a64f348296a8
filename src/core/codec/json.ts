/**
 * atproto JSON ⇄ data model (spec:data-model "JSON Representation").
 *
 * - CID links ⇄ `{"$link": "<base32 CID>"}` (exactly one key);
 * - bytes ⇄ `{"$bytes": "<base64>"}` (exactly one key; RFC 4648 §4 alphabet, written without
 *   padding, read with optional padding);
 * - blobs `{"$type": "blob", "ref": {"$link"}, "mimeType", "size"}` are ordinary maps whose `ref`
 *   becomes a Cid (exactly these four keys, `size` a non-negative integer, `mimeType` non-empty);
 * - `$type`, when present, must be a non-empty string;
 * - numbers must be integers (no floats, spec "Why No Floats").
 *
 * Integers: the decoder yields bigint only outside ±(2^53−1). {@link cborToJson} keeps such values
 * as bigint (the {@link JsonValue} type allows it) because converting would silently lose
 * precision; write them with {@link stringifyJson}, which prints them as exact JSON integers.
 * {@link parseJsonRecord} rejects integers outside the safe range, since `JSON.parse` has already
 * rounded them by the time we could check.
 */
import { randomUUID } from 'node:crypto';
import { invalid } from '../errors.js';
import { base64Decode, base64Encode, isWellFormedString } from './base.js';
import type { CborMap, CborValue } from './cbor.js';
import { MAX_KEY_BYTES } from './cbor.js';
import { Cid, parseCid } from './cid.js';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonToCborOptions {
  /**
   * Require the top-level value to be an object, as for records and other data-model nodes
   * (interop `data-model-invalid.json`: "top-level not an object"). Default true.
   */
  requireObject?: boolean;
  /** Maximum container nesting (top-level container = 1). Default 32. */
  maxDepth?: number;
}

const MAX_DEPTH_DEFAULT = 32;
/** Recursion bound regardless of options, so hostile input cannot overflow the stack. */
const HARD_MAX_DEPTH = 1000;

/** Path of the value being converted, kept as a stack and only formatted when reporting. */
type Path = Array<string | number>;

function bad(message: string, path: Path): never {
  const where = formatPath(path);
  throw invalid('InvalidJsonData', where === '' ? message : `${message} at ${where}`, {
    details: where === '' ? undefined : { path: where },
  });
}

function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function setProp(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// =============================================================================================
// JSON → data model

/**
 * Convert an atproto-JSON value (already parsed, e.g. by `JSON.parse`) to a data-model value
 * ready for {@link encodeCbor}. Throws invalid 'InvalidJsonData' naming the path of the problem.
 */
export function jsonToCbor(json: unknown, options: JsonToCborOptions = {}): CborValue {
  const requireObject = options.requireObject ?? true;
  if (requireObject && (typeof json !== 'object' || json === null || Array.isArray(json))) {
    bad('top-level value must be an object', []);
  }
  const out = convert(json, 0, Math.min(options.maxDepth ?? MAX_DEPTH_DEFAULT, HARD_MAX_DEPTH), []);
  if (requireObject && (out instanceof Cid || out instanceof Uint8Array)) {
    bad(`top-level value must be an object, not a ${out instanceof Cid ? '$link' : '$bytes'}`, []);
  }
  return out;
}

function convert(v: unknown, depth: number, maxDepth: number, path: Path): CborValue {
  switch (typeof v) {
    case 'string':
      if (!isWellFormedString(v)) bad('string contains a lone UTF-16 surrogate (not valid Unicode)', path);
      return v;
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isInteger(v)) bad(`number ${v} is not an integer (floats are not allowed)`, path);
      if (!Number.isSafeInteger(v)) bad(`integer ${v} is outside the exactly representable range ±(2^53-1)`, path);
      return v;
    case 'bigint':
      if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) bad(`integer ${v} is outside the int64 range`, path);
      return v;
    case 'object': {
      if (v === null) return null;
      if (depth >= maxDepth) bad(`nesting deeper than ${maxDepth} levels`, path);
      if (Array.isArray(v)) {
        const out: CborValue[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          out[i] = convert(v[i], depth + 1, maxDepth, path);
          path.pop();
        }
        return out;
      }
      if (!isPlainObject(v)) bad('value is not plain JSON data', path);
      return convertObject(v, depth, maxDepth, path);
    }
    case 'undefined':
      return bad('undefined is not a JSON value', path);
    default:
      return bad(`a ${typeof v} is not a JSON value`, path);
  }
}

function convertObject(obj: Record<string, unknown>, depth: number, maxDepth: number, path: Path): CborValue {
  const keys = Object.keys(obj);
  if (hasOwn(obj, '$link')) {
    if (keys.length !== 1) bad('a $link object must have no other keys', path);
    const s = obj.$link;
    if (typeof s !== 'string') bad('$link must be a CID string', path);
    return linkFromString(s, path);
  }
  if (hasOwn(obj, '$bytes')) {
    if (keys.length !== 1) bad('a $bytes object must have no other keys', path);
    const s = obj.$bytes;
    if (typeof s !== 'string') bad('$bytes must be a base64 string', path);
    const bytes = base64Decode(s);
    if (bytes === null) bad('$bytes is not valid base64', path);
    return bytes;
  }
  if (hasOwn(obj, '$type')) {
    const t = obj.$type;
    if (typeof t !== 'string' || t.length === 0) bad('$type must be a non-empty string', path);
    if (t === 'blob') return convertBlob(obj, keys, path);
  }
  const out: CborMap = {};
  for (const k of keys) {
    if (k.length === 0) bad('empty object key', path);
    if (!isWellFormedString(k)) bad('object key contains a lone UTF-16 surrogate', path);
    if (k.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(k, 'utf8') > MAX_KEY_BYTES) {
      bad(`object key longer than ${MAX_KEY_BYTES} bytes`, path);
    }
    path.push(k);
    setProp(out, k, convert(obj[k], depth + 1, maxDepth, path));
    path.pop();
  }
  return out;
}

function linkFromString(s: string, path: Path): Cid {
  let cid: Cid;
  try {
    cid = parseCid(s);
  } catch (err) {
    return bad(`$link is not a valid CID (${err instanceof Error ? err.message : String(err)})`, path);
  }
  if (cid.version !== 1) bad('$link must be a CIDv1 (CIDv0 is not allowed)', path);
  return cid;
}

function convertBlob(obj: Record<string, unknown>, keys: string[], path: Path): CborMap {
  for (const k of keys) {
    if (k !== '$type' && k !== 'ref' && k !== 'mimeType' && k !== 'size') bad(`unexpected key "${k}" in blob`, path);
  }
  const ref = obj.ref;
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref) || !hasOwn(ref, '$link')) {
    bad('blob must have a "ref" {"$link": …} object', path);
  }
  const refObj = ref as Record<string, unknown>;
  path.push('ref');
  if (Object.keys(refObj).length !== 1) bad('a $link object must have no other keys', path);
  if (typeof refObj.$link !== 'string') bad('$link must be a CID string', path);
  const cid = linkFromString(refObj.$link, path);
  path.pop();
  const mimeType = obj.mimeType;
  if (typeof mimeType !== 'string' || mimeType.length === 0) bad('blob "mimeType" must be a non-empty string', path);
  const size = obj.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    bad('blob "size" must be a non-negative integer', path);
  }
  return { $type: 'blob', ref: cid, mimeType, size };
}

/**
 * Parse JSON text as an atproto record (top-level object), rejecting non-integer numbers and
 * integers outside ±(2^53−1) (which `JSON.parse` cannot represent exactly). Integer-valued
 * literals such as `123.0` are accepted as integers, as the interop vectors require.
 */
export function parseJsonRecord(text: string, options: Omit<JsonToCborOptions, 'requireObject'> = {}): CborMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid('InvalidJson', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return jsonToCbor(parsed, { ...options, requireObject: true }) as CborMap;
}

// =============================================================================================
// data model → JSON

/**
 * Convert a data-model value to atproto JSON: Cid → `{"$link"}`, bytes → `{"$bytes"}` (base64
 * without padding). bigint (only produced outside ±(2^53−1)) is kept as bigint — use
 * {@link stringifyJson} to serialise. A map whose keys include `$link` or `$bytes` cannot be
 * represented in atproto JSON and is rejected with invalid 'InvalidJsonData'.
 */
export function cborToJson(value: CborValue): JsonValue {
  return toJson(value, [], 0);
}

function toJson(v: CborValue, path: Path, depth: number): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (depth >= HARD_MAX_DEPTH) bad(`nesting deeper than ${HARD_MAX_DEPTH} levels (or a cycle)`, path);
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      out[i] = toJson(v[i]!, path, depth + 1);
      path.pop();
    }
    return out;
  }
  if (v instanceof Cid) return { $link: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: base64Encode(v) };
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    if (k === '$link' || k === '$bytes') {
      bad(`map key "${k}" is reserved and cannot be represented in atproto JSON`, path);
    }
    path.push(k);
    setProp(out, k, toJson(v[k]!, path, depth + 1));
    path.pop();
  }
  return out;
}

/** `JSON.stringify` that writes bigint values as exact integer literals. */
export function stringifyJson(value: JsonValue, space?: number | string): string {
  const marks: string[] = [];
  // A per-call random tag makes the placeholder unforgeable by string data.
  const tag = `\u0000bigint-${randomUUID()}-`;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') {
        marks.push(v.toString());
        return `${tag}${marks.length - 1}`;
      }
      return v;
    },
    space,
  );
  if (marks.length === 0) return text;
  const quoted = JSON.stringify(tag).slice(0, -1); // opening quote + escaped tag
  let out = '';
  let from = 0;
  for (;;) {
    const at = text.indexOf(quoted, from);
    if (at < 0) break;
    const close = text.indexOf('"', at + quoted.length);
    out += text.slice(from, at) + marks[Number(text.slice(at + quoted.length, close))]!;
    from = close + 1;
  }
  return out + text.slice(from);
}
