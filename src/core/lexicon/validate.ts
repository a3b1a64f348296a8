/**
 * Record validation against a {@link LexiconCatalog} (spec: lexicon; data-model). Input is
 * atproto JSON ({@link validateRecord}) or data-model values ({@link validateRecordData});
 * every problem is returned with the data path where it is (`embed.images[0].alt`).
 */
import { isAtcliError, invalid, notFound, usage } from '../errors.js';
import { CODEC_RAW, Cid, jsonToCbor, parseCid } from '../codec/index.js';
import {
  checkAtIdentifier,
  checkAtUri,
  checkCidString,
  checkDatetime,
  checkDid,
  checkHandle,
  checkLanguage,
  checkNsid,
  checkRecordKey,
  checkTid,
  checkUri,
} from '../syntax/index.js';
import type { LexiconCatalog } from './catalog.js';
import { joinPath, type PathSegment } from './json.js';
import { checkRef, expandRef } from './refs.js';
import type {
  LexArray,
  LexBlob,
  LexBytes,
  LexInteger,
  LexObject,
  LexString,
  LexStringFormat,
  LexUnion,
  LexNode,
  ValidationError,
} from './types.js';

export interface ValidateOptions {
  /** Accept legacy blob objects `{"cid": "…", "mimeType": "…"}` (default true: they are readable). */
  allowLegacyBlob?: boolean;
  /**
   * Fail when an open union holds a `$type` whose schema is not in the catalog (default false:
   * such data is accepted, as open unions allow types added later).
   */
  strictOpenUnions?: boolean;
}

/**
 * Maximum nesting of maps and arrays in a record, the record itself being level 1. The specs set
 * no number; this is the limit the reference PDS applies to records it accepts and the one the
 * Go implementation recommends (docs/lexicon-validation.md, "Nesting depth").
 */
export const MAX_RECORD_DEPTH = 32;

/**
 * The `cid` string format: the syntax rule (CIDv1 only, multibase characters) and then a full
 * decode, so that a truncated or mistyped CID fails (spec: data-model "Link and CID Formats").
 */
export function checkCidFormat(s: string): string | null {
  const reason = checkCidString(s);
  if (reason !== null) return reason;
  try {
    parseCid(s);
  } catch (err) {
    return isAtcliError(err) ? err.message : String(err);
  }
  return null;
}

const FORMAT_CHECKS: Record<LexStringFormat, (s: string) => string | null> = {
  'at-identifier': checkAtIdentifier,
  'at-uri': checkAtUri,
  cid: checkCidFormat,
  datetime: checkDatetime,
  did: checkDid,
  handle: checkHandle,
  nsid: checkNsid,
  tid: checkTid,
  'record-key': checkRecordKey,
  uri: checkUri,
  language: checkLanguage,
};

/** Checks `value` against a string format; null when valid, else the reason. */
export function checkStringFormat(format: LexStringFormat, value: string): string | null {
  const check = FORMAT_CHECKS[format];
  return check === undefined ? null : check(value);
}

let segmenter: Intl.Segmenter | undefined;

/**
 * Number of Unicode extended grapheme clusters in `s`, counting at most up to `limit` (the
 * result is then `limit`): enough to compare with a bound without segmenting a huge string.
 */
export function graphemeLength(s: string, limit = Infinity): number {
  // Every grapheme is at least one code unit and pure ASCII without CR has one per character.
  if (/^[\x20-\x7e]*$/.test(s)) return Math.min(s.length, limit);
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(s)) {
    if (++n >= limit) break;
  }
  return n;
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Does MIME type `mime` match `pattern` (`image/png`, `image/*`, `*\/*`)? Case-insensitive. */
export function mimeMatches(pattern: string, mime: string): boolean {
  const p = pattern.toLowerCase();
  const m = (mime.split(';')[0] ?? '').trim().toLowerCase();
  if (p === '*/*') return true;
  if (p.endsWith('/*')) return m.startsWith(p.slice(0, -1)) && m.length > p.length - 1;
  return p === m;
}

type Map_ = Record<string, unknown>;

function isMap(v: unknown): v is Map_ {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Cid);
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** What kind of data-model value `v` is, for messages. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'string') return 'a string';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Cid) return 'a CID link';
  if (Array.isArray(v)) return 'an array';
  if (isMap(v) && v.$type === 'blob') return 'a blob';
  return 'an object';
}

interface BlobInfo {
  mimeType: string;
  size: number | undefined;
  legacy: boolean;
}

/**
 * A blob object as the data model defines it (spec: data-model "blob Type"): exactly `$type`,
 * `ref` (a link to raw data: multicodec `raw`), a non-empty `mimeType` and a positive integer
 * `size`. Legacy `{cid, mimeType}` objects are read when allowed. Returns why it is not one.
 */
function blobInfo(v: unknown, allowLegacy: boolean): BlobInfo | string {
  if (!isMap(v)) return `expected a blob, got ${kindOf(v)}`;
  if (v.$type === 'blob') {
    for (const k of Object.keys(v)) {
      if (k !== '$type' && k !== 'ref' && k !== 'mimeType' && k !== 'size') return `unexpected key "${k}" in blob`;
    }
    if (!(v.ref instanceof Cid)) return 'blob "ref" must be a CID link';
    if (v.ref.codec !== CODEC_RAW) return `blob "ref" must link to raw data (multicodec raw 0x55), not codec 0x${v.ref.codec.toString(16)}`;
    if (typeof v.mimeType !== 'string' || v.mimeType === '') return 'blob "mimeType" must be a non-empty string';
    if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 1) return 'blob "size" must be a positive integer';
    return { mimeType: v.mimeType, size: v.size, legacy: false };
  }
  const keys = Object.keys(v);
  if (v.$type === undefined && keys.length === 2 && typeof v.cid === 'string' && typeof v.mimeType === 'string') {
    if (!allowLegacy) return 'legacy blob objects ({cid, mimeType}) are not allowed';
    const reason = checkCidFormat(v.cid);
    if (reason !== null) return `legacy blob "cid" is not a CID: ${reason}`;
    if (v.mimeType === '') return 'blob "mimeType" must be a non-empty string';
    return { mimeType: v.mimeType, size: undefined, legacy: true };
  }
  return `expected a blob ({"$type": "blob", "ref", "mimeType", "size"}), got ${kindOf(v)}`;
}

class Validator {
  readonly errors: ValidationError[] = [];
  /** path + message of each error, so a problem found by two checks is reported once. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly catalog: LexiconCatalog,
    private readonly options: ValidateOptions,
  ) {}

  fail(path: string, message: string, missingSchema?: string): void {
    const key = `${path}\u0000${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.errors.push(missingSchema === undefined ? { path, message } : { path, message, missingSchema });
  }

  missing(path: string, ref: string): void {
    this.fail(path, `cannot check: schema ${ref} is not in the catalog`, ref);
  }

  /**
   * The data-model rules that hold wherever a value sits, described by the schema or not (spec:
   * lexicon "Validation Options": no malformed blob at any depth): nesting depth, blob objects,
   * `$type` values. Returns false when the data is nested too deep to be checked further.
   */
  dataModel(root: unknown): boolean {
    const trail: PathSegment[] = [];
    const here = (): string => trail.reduce<string>((p, s) => joinPath(p, s), '');
    const walk = (v: unknown, depth: number): boolean => {
      const isArray = Array.isArray(v);
      if (!isArray && !isMap(v)) return true;
      if (depth >= MAX_RECORD_DEPTH) {
        this.fail(here(), `nested deeper than ${MAX_RECORD_DEPTH} levels of maps and arrays`);
        return false;
      }
      if (isArray) {
        for (let i = 0; i < v.length; i++) {
          trail.push(i);
          const ok = walk(v[i], depth + 1);
          trail.pop();
          if (!ok) return false;
        }
        return true;
      }
      const map = v as Map_;
      if (hasOwn(map, '$type')) {
        const t = map.$type;
        if (typeof t !== 'string' || t === '') {
          trail.push('$type');
          this.fail(here(), '"$type" must be a non-empty string');
          trail.pop();
        } else if (t === 'blob') {
          const info = blobInfo(map, false);
          if (typeof info === 'string') this.fail(here(), info);
          return true;
        }
      }
      for (const k of Object.keys(map)) {
        trail.push(k);
        const ok = walk(map[k], depth + 1);
        trail.pop();
        if (!ok) return false;
      }
      return true;
    };
    return walk(root, 0);
  }

  /** Validates `v` against schema node `def` declared in document `base`. */
  value(def: LexNode, v: unknown, path: string, base: string): void {
    switch (def.type) {
      case 'boolean':
        if (typeof v !== 'boolean') return this.fail(path, `expected a boolean, got ${kindOf(v)}`);
        if (def.const !== undefined && v !== def.const) this.fail(path, `must be ${def.const}`);
        return;
      case 'integer':
        return this.integer(def, v, path);
      case 'string':
        return this.string(def, v, path);
      case 'bytes':
        return this.bytes(def, v, path);
      case 'cid-link':
        if (!(v instanceof Cid)) this.fail(path, `expected a CID link ({"$link": "…"}), got ${kindOf(v)}`);
        return;
      case 'blob':
        return this.blob(def, v, path);
      case 'unknown':
        if (!isMap(v)) return this.fail(path, `expected an object, got ${kindOf(v)}`);
        if (v.$type === 'blob') this.fail(path, 'expected an object, got a blob');
        return;
      case 'array':
        return this.array(def, v, path, base);
      case 'object':
        return this.object(def, v, path, base);
      case 'ref':
        return this.ref(def.ref, v, path, base);
      case 'union':
        return this.union(def, v, path, base);
      case 'record':
        return this.object(def.record, v, path, base);
      case 'token':
        return this.fail(path, 'schema points to a token, which has no data representation');
      default:
        return this.fail(path, `schema type "${def.type}" cannot describe record data`);
    }
  }

  integer(def: LexInteger, v: unknown, path: string): void {
    let n: number;
    if (typeof v === 'number' && Number.isInteger(v)) n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else return this.fail(path, `expected an integer, got ${kindOf(v)}`);
    if (def.const !== undefined && n !== def.const) this.fail(path, `must be ${def.const}, got ${n}`);
    if (def.enum !== undefined && !def.enum.includes(n)) this.fail(path, `${n} is not one of ${def.enum.join(', ')}`);
    if (def.minimum !== undefined && n < def.minimum) this.fail(path, `${n} is less than the minimum ${def.minimum}`);
    if (def.maximum !== undefined && n > def.maximum) this.fail(path, `${n} is greater than the maximum ${def.maximum}`);
  }

  string(def: LexString, v: unknown, path: string): void {
    if (typeof v !== 'string') return this.fail(path, `expected a string, got ${kindOf(v)}`);
    if (def.const !== undefined && v !== def.const) this.fail(path, `must be ${JSON.stringify(def.const)}`);
    if (def.enum !== undefined && !def.enum.includes(v)) this.fail(path, `${JSON.stringify(v)} is not one of ${def.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    // Byte limits first: a string that is already too long is never segmented into graphemes.
    let tooLong = false;
    if (def.minLength !== undefined || def.maxLength !== undefined) {
      // UTF-8 length is between the UTF-16 length and three times it: skip the count when decided.
      const decided = v.length * 3 <= (def.maxLength ?? Infinity) && v.length >= (def.minLength ?? 0);
      if (!decided) {
        const len = utf8Length(v);
        if (def.minLength !== undefined && len < def.minLength) this.fail(path, `must be at least ${def.minLength} UTF-8 bytes long, got ${len}`);
        if (def.maxLength !== undefined && len > def.maxLength) {
          this.fail(path, `must be at most ${def.maxLength} UTF-8 bytes long, got ${len}`);
          tooLong = true;
        }
      }
    }
    const { minGraphemes: min, maxGraphemes: max } = def;
    // A grapheme is at least one UTF-16 code unit, so a string no longer than the maximum passes it.
    if (!tooLong && (min !== undefined || (max !== undefined && v.length > max))) {
      // Counting stops one past the bound that decides, so it is linear in the bound, not the string.
      const count = graphemeLength(v, max !== undefined ? max + 1 : (min as number));
      if (min !== undefined && count < min) this.fail(path, `must be at least ${min} graphemes long, got ${count}`);
      if (max !== undefined && count > max) this.fail(path, `must be at most ${max} graphemes long, got more`);
    }
    if (def.format !== undefined) {
      const reason = checkStringFormat(def.format, v);
      if (reason !== null) this.fail(path, `invalid ${def.format}: ${reason}`);
    }
  }

  bytes(def: LexBytes, v: unknown, path: string): void {
    if (!(v instanceof Uint8Array)) return this.fail(path, `expected bytes ({"$bytes": "…"}), got ${kindOf(v)}`);
    if (def.minLength !== undefined && v.length < def.minLength) this.fail(path, `must be at least ${def.minLength} bytes, got ${v.length}`);
    if (def.maxLength !== undefined && v.length > def.maxLength) this.fail(path, `must be at most ${def.maxLength} bytes, got ${v.length}`);
  }

  blob(def: LexBlob, v: unknown, path: string): void {
    const info = blobInfo(v, this.options.allowLegacyBlob !== false);
    if (typeof info === 'string') return this.fail(path, info);
    if (def.accept !== undefined && def.accept.length > 0 && !def.accept.some((p) => mimeMatches(p, info.mimeType))) {
      this.fail(path, `blob MIME type "${info.mimeType}" is not accepted (accepted: ${def.accept.join(', ')})`);
    }
    if (def.maxSize !== undefined && info.size !== undefined && info.size > def.maxSize) {
      this.fail(path, `blob is ${info.size} bytes, more than the maximum ${def.maxSize}`);
    }
  }

  array(def: LexArray, v: unknown, path: string, base: string): void {
    if (!Array.isArray(v)) return this.fail(path, `expected an array, got ${kindOf(v)}`);
    if (def.minLength !== undefined && v.length < def.minLength) this.fail(path, `must have at least ${def.minLength} elements, got ${v.length}`);
    if (def.maxLength !== undefined && v.length > def.maxLength) this.fail(path, `must have at most ${def.maxLength} elements, got ${v.length}`);
    v.forEach((item, i) => this.value(def.items, item, joinPath(path, i), base));
  }

  object(def: LexObject, v: unknown, path: string, base: string): void {
    if (!isMap(v)) return this.fail(path, `expected an object, got ${kindOf(v)}`);
    for (const k of def.required ?? []) {
      if (!hasOwn(v, k) || v[k] === undefined) this.fail(joinPath(path, k), 'required field is missing');
    }
    const nullable = def.nullable ?? [];
    for (const [k, prop] of Object.entries(def.properties)) {
      if (!hasOwn(v, k)) continue;
      const item = v[k];
      if (item === undefined) continue;
      if (item === null) {
        if (!nullable.includes(k)) this.fail(joinPath(path, k), 'must not be null (the field is not nullable)');
        continue;
      }
      this.value(prop, item, joinPath(path, k), base);
    }
  }

  ref(ref: string, v: unknown, path: string, base: string): void {
    const target = this.catalog.resolve(ref, base);
    if (target === undefined) return this.missing(path, expandRef(ref, base));
    this.value(target.def, v, path, target.nsid);
  }

  union(def: LexUnion, v: unknown, path: string, base: string): void {
    if (!isMap(v)) return this.fail(path, `expected an object with a "$type" (union), got ${kindOf(v)}`);
    const t = v.$type;
    if (t === undefined) return this.fail(joinPath(path, '$type'), 'a union member must have a "$type"');
    if (typeof t !== 'string' || t === '') return this.fail(joinPath(path, '$type'), '"$type" must be a non-empty string');
    if (t.endsWith('#main')) return this.fail(joinPath(path, '$type'), `"$type" must not end in "#main" (write ${t.slice(0, -5)})`);
    const refs = def.refs.map((r) => expandRef(r, base));
    if (refs.includes(t)) {
      const target = this.catalog.resolve(t);
      if (target === undefined) return this.missing(path, t);
      return this.variant(target.def, v, path, target.nsid, t);
    }
    if (def.closed === true) {
      return this.fail(joinPath(path, '$type'), `"${t}" is not one of the types of this closed union (${refs.join(', ')})`);
    }
    const reason = checkUnionType(t);
    if (reason !== null) return this.fail(joinPath(path, '$type'), reason);
    const target = this.catalog.resolve(t);
    if (target === undefined) {
      if (this.options.strictOpenUnions === true) this.missing(path, t);
      return;
    }
    this.variant(target.def, v, path, target.nsid, t);
  }

  variant(def: LexNode, v: Map_, path: string, base: string, t: string): void {
    if (def.type !== 'object' && def.type !== 'record') {
      return this.fail(joinPath(path, '$type'), `"${t}" is a ${def.type}, not an object or record type`);
    }
    this.value(def, v, path, base);
  }
}

/** A union member's `$type`: an NSID, optionally with one `#name` fragment (spec: lexicon "ref"). */
function checkUnionType(t: string): string | null {
  if (t.startsWith('#')) return `"$type" ${JSON.stringify(t)} must name its Lexicon (an NSID before the "#")`;
  const reason = checkRef(t);
  return reason === null ? null : `"$type" ${JSON.stringify(t)} is not an NSID reference: ${reason}`;
}

/**
 * Validates data-model record data (CIDs as {@link Cid}, bytes as Uint8Array) against the
 * record schema `nsid`. Throws notFound 'LexiconNotFound' when the catalog lacks it and invalid
 * 'NotARecordSchema' when its main definition is not a record.
 */
export function validateRecordData(catalog: LexiconCatalog, nsid: string, data: unknown, options: ValidateOptions = {}): ValidationError[] {
  const doc = catalog.get(nsid);
  if (doc === undefined) {
    throw notFound('LexiconNotFound', `no Lexicon schema for ${nsid}`, {
      hint: 'load the schema from a Lexicon folder, or fetch it from its publisher by Lexicon resolution',
      details: { nsid },
    });
  }
  const main = doc.defs.main;
  if (main === undefined || main.type !== 'record') {
    throw invalid('NotARecordSchema', `${nsid} is not a record type (its main definition is ${main === undefined ? 'missing' : `a ${main.type}`})`);
  }
  const v = new Validator(catalog, options);
  if (!isMap(data)) {
    v.fail('', `a record must be an object, got ${kindOf(data)}`);
    return v.errors;
  }
  if (!v.dataModel(data)) return v.errors;
  if (data.$type === undefined) v.fail('$type', `a record must have "$type": "${nsid}"`);
  else if (data.$type !== nsid) v.fail('$type', `"$type" is ${JSON.stringify(data.$type)}, expected "${nsid}"`);
  v.object(main.record, data, '', nsid);
  return v.errors;
}

/**
 * Validates a record given as atproto JSON (`$link`, `$bytes` and blob objects) against the
 * record schema `nsid`: an empty list means valid. Data-model violations (floats, malformed
 * `$link`/`$bytes`/blobs) are reported as errors too.
 */
export function validateRecord(catalog: LexiconCatalog, nsid: string, value: unknown, options: ValidateOptions = {}): ValidationError[] {
  let data: unknown;
  try {
    data = jsonToCbor(value, { requireObject: false });
  } catch (err) {
    if (isAtcliError(err) && err.code === 'InvalidJsonData') {
      const path = typeof err.details?.path === 'string' ? err.details.path : '';
      const message = path !== '' && err.message.endsWith(` at ${path}`) ? err.message.slice(0, -(path.length + 4)) : err.message;
      // Still fail the same way for a missing schema.
      validateRecordData(catalog, nsid, {}, options);
      return [{ path, message }];
    }
    throw err;
  }
  return validateRecordData(catalog, nsid, data, options);
}

/**
 * Validates a record handed over as JSON: the record itself (atproto JSON), or the output of
 * `com.atproto.repo.getRecord` / `listRecords` (`{uri, cid, value}`), whose `value` is the record.
 * Its type is `nsid` when given, else the record's `$type`. Throws usage 'MissingType' when
 * neither names a type, usage 'InvalidNsid' for a type that is not an NSID, and what
 * {@link validateRecord} throws.
 */
export function validateRecordJson(catalog: LexiconCatalog, json: unknown, options: ValidateOptions & { nsid?: string } = {}): { nsid: string; errors: ValidationError[] } {
  let record = json;
  if (isJsonObject(json) && json.$type === undefined && isJsonObject(json.value) && typeof json.uri === 'string') record = json.value;
  const declared = isJsonObject(record) ? record.$type : undefined;
  const nsid = options.nsid ?? (typeof declared === 'string' ? declared : undefined);
  if (nsid === undefined) throw usage('MissingType', 'the record has no "$type", so its schema is not known');
  const reason = checkNsid(nsid);
  if (reason !== null) throw usage('InvalidNsid', `"${nsid}" is not a valid NSID: ${reason}`, { hint: 'a record type is an NSID like app.bsky.feed.post' });
  const { nsid: _nsid, ...validateOptions } = options;
  return { nsid, errors: validateRecord(catalog, nsid, record, validateOptions) };
}

function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates data-model `data` against any definition (`nsid`, `nsid#name`): for objects sent
 * to or returned by endpoints, or union members. Throws notFound 'LexiconNotFound' when the
 * definition is not in the catalog.
 */
export function validateData(catalog: LexiconCatalog, ref: string, data: unknown, options: ValidateOptions = {}): ValidationError[] {
  const target = catalog.resolve(ref);
  if (target === undefined) throw notFound('LexiconNotFound', `no Lexicon definition ${ref} in the catalog`);
  const v = new Validator(catalog, options);
  if (v.dataModel(data)) v.value(target.def, data, '', target.nsid);
  return v.errors;
}
