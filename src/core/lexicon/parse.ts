/**
 * Schema validation of Lexicon documents: JSON in, a typed {@link LexiconDocument} out, or every
 * structural problem located by path. Unknown fields do not fail parsing (the spec asks readers to
 * be tolerant); they are listed so the linter can warn about them.
 */
import { invalid, type AtcliError } from '../errors.js';
import { checkLanguage, checkNsid, checkRecordKey } from '../syntax/index.js';
import { joinPath, parseJsonText, type JsonPosition } from './json.js';
import { checkRef } from './refs.js';
import {
  NON_DEF_TYPES,
  STRING_FORMATS,
  isPrimaryType,
  type LexArray,
  type LexBlob,
  type LexBody,
  type LexBoolean,
  type LexBytes,
  type LexErrorDef,
  type LexField,
  type LexInteger,
  type LexObject,
  type LexParams,
  type LexPermission,
  type LexPermissionSet,
  type LexProcedure,
  type LexQuery,
  type LexRecord,
  type LexRef,
  type LexString,
  type LexStringFormat,
  type LexSubscription,
  type LexUnion,
  type LexUserType,
  type LexiconDocument,
  type SchemaIssue,
} from './types.js';

export interface ParseLexiconOptions {
  /** File name or URI, carried into results and error messages. */
  source?: string;
  /**
   * Paths of number literals written as floats in the source text (`1.0`), which `JSON.parse`
   * turns into integers; {@link parseLexiconText} fills this in.
   */
  floatPaths?: readonly string[];
}

export interface ParsedLexicon {
  ok: true;
  document: LexiconDocument;
  source?: string;
  /** Paths of fields this version of the schema language does not define. */
  unexpectedFields: string[];
}

export interface FailedLexicon {
  ok: false;
  errors: SchemaIssue[];
  source?: string;
  /** The declared `id`, when there is a string one (for reporting). */
  id?: string;
  unexpectedFields: string[];
}

export type ParseLexiconResult = ParsedLexicon | FailedLexicon;

/** Result of {@link parseLexiconText}: the parse result plus where each path is in the text. */
export type ParsedLexiconText = ParseLexiconResult & {
  positions: Map<string, JsonPosition>;
  duplicateKeys: string[];
  /** The parsed JSON value (before schema checks). */
  json: unknown;
};

type Obj = Record<string, unknown>;

const FIELD_TYPES = ['boolean', 'integer', 'string', 'bytes', 'cid-link', 'blob', 'unknown', 'ref', 'union', 'array', 'object'] as const;
const PARAM_PRIMITIVES = ['boolean', 'integer', 'string', 'unknown'] as const;

const KNOWN_FIELDS: Record<string, readonly string[]> = {
  boolean: ['default', 'const'],
  integer: ['minimum', 'maximum', 'enum', 'default', 'const'],
  string: ['format', 'minLength', 'maxLength', 'minGraphemes', 'maxGraphemes', 'knownValues', 'enum', 'default', 'const'],
  bytes: ['minLength', 'maxLength'],
  'cid-link': [],
  blob: ['accept', 'maxSize'],
  unknown: [],
  ref: ['ref'],
  union: ['refs', 'closed'],
  array: ['items', 'minLength', 'maxLength'],
  object: ['properties', 'required', 'nullable'],
  params: ['properties', 'required'],
  token: [],
  record: ['key', 'record'],
  query: ['parameters', 'output', 'errors'],
  procedure: ['parameters', 'input', 'output', 'errors'],
  subscription: ['parameters', 'message', 'errors'],
  'permission-set': ['title', 'title:lang', 'detail', 'detail:lang', 'permissions'],
};

/** `type/subtype`, `type/*` or `*\/*` (spec: blob `accept`; partial globs are not supported). */
const MIME_PATTERN = /^(?:\*\/\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/(?:\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*))$/;

export function isValidMimePattern(s: string): boolean {
  return MIME_PATTERN.test(s);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  return `a ${typeof v}`;
}

class Parser {
  readonly errors: SchemaIssue[] = [];
  readonly unexpected: string[] = [];

  error(path: string, message: string, code = 'lexicon-schema'): void {
    this.errors.push({ code, path, message });
  }

  known(obj: Obj, path: string, fields: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (k === 'type' || k === 'description' || fields.includes(k)) continue;
      this.unexpected.push(joinPath(path, k));
    }
  }

  str(obj: Obj, key: string, path: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.error(joinPath(path, key), `"${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.error(joinPath(path, key), `"${key}" must be a string, not ${typeName(v)}`);
      return undefined;
    }
    return v;
  }

  bool(obj: Obj, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.error(joinPath(path, key), `"${key}" must be a boolean, not ${typeName(v)}`);
      return undefined;
    }
    return v;
  }

  int(obj: Obj, key: string, path: string, min?: number): number | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') {
      this.error(joinPath(path, key), `"${key}" must be an integer, not ${typeName(v)}`);
      return undefined;
    }
    if (!Number.isInteger(v)) return undefined; // reported once as float-value
    if (!Number.isSafeInteger(v)) {
      this.error(joinPath(path, key), `"${key}" is outside the exactly representable integer range ±(2^53-1)`);
      return undefined;
    }
    if (min !== undefined && v < min) {
      this.error(joinPath(path, key), `"${key}" must be at least ${min}, not ${v}`);
      return undefined;
    }
    return v;
  }

  strArray(obj: Obj, key: string, path: string, required = false): string[] | undefined {
    const v = obj[key];
    const p = joinPath(path, key);
    if (v === undefined) {
      if (required) this.error(p, `"${key}" is required`);
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.error(p, `"${key}" must be an array of strings, not ${typeName(v)}`);
      return undefined;
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string') this.error(joinPath(p, i), `must be a string, not ${typeName(item)}`);
      else out.push(item);
    });
    return out;
  }

  intArray(obj: Obj, key: string, path: string): number[] | undefined {
    const v = obj[key];
    const p = joinPath(path, key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.error(p, `"${key}" must be an array of integers, not ${typeName(v)}`);
      return undefined;
    }
    const out: number[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'number') this.error(joinPath(p, i), `must be an integer, not ${typeName(item)}`);
      else if (Number.isInteger(item)) out.push(item);
    });
    return out;
  }

  description(obj: Obj, path: string): string | undefined {
    return this.str(obj, 'description', path);
  }

  minMax(path: string, min: number | undefined, max: number | undefined, minKey: string, maxKey: string): void {
    if (min !== undefined && max !== undefined && max < min) {
      this.error(joinPath(path, maxKey), `"${maxKey}" (${max}) is less than "${minKey}" (${min})`);
    }
  }

  // --- nodes -------------------------------------------------------------------------------

  /** Reads `raw` as a schema node whose type must be one of `allowed` (`where` names the place). */
  node(raw: unknown, path: string, allowed: readonly string[], where: string): LexUserType | LexField | LexParams | undefined {
    if (!isObj(raw)) {
      this.error(path, `${where} must be a schema object, not ${typeName(raw)}`);
      return undefined;
    }
    const type = raw.type;
    if (type === undefined) {
      this.error(joinPath(path, 'type'), `${where} has no "type" (expected ${allowed.length === 1 ? `"${allowed[0]}"` : `one of ${allowed.join(', ')}`})`);
      return undefined;
    }
    if (typeof type !== 'string') {
      this.error(joinPath(path, 'type'), `"type" must be a string, not ${typeName(type)}`);
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(KNOWN_FIELDS, type) && type !== 'permission') {
      this.error(joinPath(path, 'type'), `unknown schema type "${type}"`);
      return undefined;
    }
    if (!allowed.includes(type)) {
      this.error(joinPath(path, 'type'), `type "${type}" cannot be used as ${where} (allowed: ${allowed.join(', ')})`);
      return undefined;
    }
    this.known(raw, path, KNOWN_FIELDS[type] ?? []);
    switch (type) {
      case 'boolean':
        return this.boolean(raw, path);
      case 'integer':
        return this.integer(raw, path);
      case 'string':
        return this.string(raw, path);
      case 'bytes':
        return this.bytes(raw, path);
      case 'cid-link':
      case 'unknown':
      case 'token': {
        const d = this.description(raw, path);
        return (d === undefined ? { type } : { type, description: d }) as LexField | LexUserType;
      }
      case 'blob':
        return this.blob(raw, path);
      case 'ref':
        return this.ref(raw, path);
      case 'union':
        return this.union(raw, path);
      case 'array':
        return this.array(raw, path, FIELD_TYPES, 'an array item');
      case 'object':
        return this.object(raw, path);
      case 'params':
        return this.params(raw, path);
      case 'record':
        return this.record(raw, path);
      case 'query':
      case 'procedure':
        return this.endpoint(raw, path, type);
      case 'subscription':
        return this.subscription(raw, path);
      case 'permission-set':
        return this.permissionSet(raw, path);
      default:
        return undefined;
    }
  }

  boolean(raw: Obj, path: string): LexBoolean {
    const out: LexBoolean = { type: 'boolean' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const def = this.bool(raw, 'default', path);
    const cst = this.bool(raw, 'const', path);
    if (def !== undefined) out.default = def;
    if (cst !== undefined) out.const = cst;
    if (raw.default !== undefined && raw.const !== undefined) this.error(joinPath(path, 'const'), '"const" and "default" are mutually exclusive');
    return out;
  }

  integer(raw: Obj, path: string): LexInteger {
    const out: LexInteger = { type: 'integer' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const min = this.int(raw, 'minimum', path);
    const max = this.int(raw, 'maximum', path);
    const en = this.intArray(raw, 'enum', path);
    const def = this.int(raw, 'default', path);
    const cst = this.int(raw, 'const', path);
    if (min !== undefined) out.minimum = min;
    if (max !== undefined) out.maximum = max;
    if (en !== undefined) {
      if (en.length === 0 && Array.isArray(raw.enum) && raw.enum.length === 0) this.error(joinPath(path, 'enum'), '"enum" must list at least one value');
      out.enum = en;
    }
    if (def !== undefined) out.default = def;
    if (cst !== undefined) out.const = cst;
    this.minMax(path, min, max, 'minimum', 'maximum');
    if (raw.default !== undefined && raw.const !== undefined) this.error(joinPath(path, 'const'), '"const" and "default" are mutually exclusive');
    return out;
  }

  string(raw: Obj, path: string): LexString {
    const out: LexString = { type: 'string' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const format = this.str(raw, 'format', path);
    if (format !== undefined) {
      if ((STRING_FORMATS as readonly string[]).includes(format)) out.format = format as LexStringFormat;
      else this.error(joinPath(path, 'format'), `unknown string format "${format}" (known: ${STRING_FORMATS.join(', ')})`);
    }
    for (const key of ['minLength', 'maxLength', 'minGraphemes', 'maxGraphemes'] as const) {
      const v = this.int(raw, key, path, 0);
      if (v !== undefined) out[key] = v;
    }
    this.minMax(path, out.minLength, out.maxLength, 'minLength', 'maxLength');
    this.minMax(path, out.minGraphemes, out.maxGraphemes, 'minGraphemes', 'maxGraphemes');
    const known = this.strArray(raw, 'knownValues', path);
    if (known !== undefined) out.knownValues = known;
    const en = this.strArray(raw, 'enum', path);
    if (en !== undefined) {
      if (Array.isArray(raw.enum) && raw.enum.length === 0) this.error(joinPath(path, 'enum'), '"enum" must list at least one value');
      out.enum = en;
    }
    const def = this.str(raw, 'default', path);
    const cst = this.str(raw, 'const', path);
    if (def !== undefined) out.default = def;
    if (cst !== undefined) out.const = cst;
    if (raw.default !== undefined && raw.const !== undefined) this.error(joinPath(path, 'const'), '"const" and "default" are mutually exclusive');
    return out;
  }

  bytes(raw: Obj, path: string): LexBytes {
    const out: LexBytes = { type: 'bytes' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const min = this.int(raw, 'minLength', path, 0);
    const max = this.int(raw, 'maxLength', path, 0);
    if (min !== undefined) out.minLength = min;
    if (max !== undefined) out.maxLength = max;
    this.minMax(path, min, max, 'minLength', 'maxLength');
    return out;
  }

  blob(raw: Obj, path: string): LexBlob {
    const out: LexBlob = { type: 'blob' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const accept = this.strArray(raw, 'accept', path);
    if (accept !== undefined) {
      accept.forEach((a, i) => {
        if (!isValidMimePattern(a)) {
          this.error(joinPath(joinPath(path, 'accept'), i), `"${a}" is not a MIME type or pattern (like "image/png", "image/*" or "*/*"; partial globs are not supported)`);
        }
      });
      out.accept = accept;
    }
    const max = this.int(raw, 'maxSize', path, 1);
    if (max !== undefined) out.maxSize = max;
    return out;
  }

  ref(raw: Obj, path: string): LexRef | undefined {
    const ref = this.str(raw, 'ref', path, true);
    if (ref === undefined) return undefined;
    const reason = checkRef(ref);
    if (reason !== null) {
      this.error(joinPath(path, 'ref'), `invalid reference "${ref}": ${reason}`);
      return undefined;
    }
    const out: LexRef = { type: 'ref', ref };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    return out;
  }

  union(raw: Obj, path: string): LexUnion | undefined {
    const refs = this.strArray(raw, 'refs', path, true);
    if (refs === undefined) return undefined;
    const p = joinPath(path, 'refs');
    refs.forEach((r, i) => {
      const reason = checkRef(r);
      if (reason !== null) this.error(joinPath(p, i), `invalid reference "${r}": ${reason}`);
    });
    const out: LexUnion = { type: 'union', refs };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const closed = this.bool(raw, 'closed', path);
    if (closed !== undefined) out.closed = closed;
    if (closed === true && refs.length === 0) this.error(p, 'a closed union must list at least one ref');
    return out;
  }

  array(raw: Obj, path: string, itemTypes: readonly string[], where: string): LexArray | undefined {
    const itemsPath = joinPath(path, 'items');
    if (raw.items === undefined) {
      this.error(itemsPath, '"items" is required');
      return undefined;
    }
    const items = this.node(raw.items, itemsPath, itemTypes, where) as LexField | undefined;
    const out: Partial<LexArray> = { type: 'array' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const min = this.int(raw, 'minLength', path, 0);
    const max = this.int(raw, 'maxLength', path, 0);
    if (min !== undefined) out.minLength = min;
    if (max !== undefined) out.maxLength = max;
    this.minMax(path, min, max, 'minLength', 'maxLength');
    if (items === undefined) return undefined;
    out.items = items;
    return out as LexArray;
  }

  propertyNames(raw: Obj, path: string, key: 'required' | 'nullable', properties: Obj | undefined): string[] | undefined {
    const list = this.strArray(raw, key, path);
    if (list === undefined || properties === undefined) return list;
    const p = joinPath(path, key);
    list.forEach((name, i) => {
      if (!Object.prototype.hasOwnProperty.call(properties, name)) this.error(joinPath(p, i), `"${name}" is listed in "${key}" but is not a declared property`);
    });
    return list;
  }

  properties(raw: Obj, path: string, allowed: readonly string[], where: string, arrayItems?: readonly string[]): { props: Record<string, LexField>; rawProps: Obj | undefined } {
    const p = joinPath(path, 'properties');
    const props: Record<string, LexField> = {};
    const rp = raw.properties;
    if (rp === undefined) {
      this.error(p, '"properties" is required (use {} for none)');
      return { props, rawProps: undefined };
    }
    if (!isObj(rp)) {
      this.error(p, `"properties" must be an object, not ${typeName(rp)}`);
      return { props, rawProps: undefined };
    }
    for (const [name, value] of Object.entries(rp)) {
      const pp = joinPath(p, name);
      if (name.length === 0) {
        this.error(pp, 'property names cannot be empty');
        continue;
      }
      let node: LexField | undefined;
      if (arrayItems !== undefined && isObj(value) && value.type === 'array') {
        this.known(value, pp, KNOWN_FIELDS.array ?? []);
        node = this.array(value, pp, arrayItems, 'an array item in params');
      } else {
        node = this.node(value, pp, allowed, where) as LexField | undefined;
      }
      if (node !== undefined) Object.defineProperty(props, name, { value: node, enumerable: true, writable: true, configurable: true });
    }
    return { props, rawProps: rp };
  }

  object(raw: Obj, path: string): LexObject {
    const { props, rawProps } = this.properties(raw, path, FIELD_TYPES, 'an object property');
    const out: LexObject = { type: 'object', properties: props };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const req = this.propertyNames(raw, path, 'required', rawProps);
    const nul = this.propertyNames(raw, path, 'nullable', rawProps);
    if (req !== undefined) out.required = req;
    if (nul !== undefined) out.nullable = nul;
    return out;
  }

  params(raw: Obj, path: string): LexParams {
    const { props, rawProps } = this.properties(raw, path, [...PARAM_PRIMITIVES, 'array'], 'a parameter', PARAM_PRIMITIVES);
    const out: LexParams = { type: 'params', properties: props as LexParams['properties'] };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const req = this.propertyNames(raw, path, 'required', rawProps);
    if (req !== undefined) out.required = req;
    return out;
  }

  record(raw: Obj, path: string): LexRecord | undefined {
    const key = this.str(raw, 'key', path, true);
    if (key !== undefined) {
      if (key.startsWith('literal:')) {
        const rkey = key.slice('literal:'.length);
        const reason = rkey === '' ? 'the literal is empty' : checkRecordKey(rkey);
        if (reason !== null) this.error(joinPath(path, 'key'), `invalid record key "${key}": ${reason}`);
      } else if (key !== 'tid' && key !== 'nsid' && key !== 'any') {
        this.error(joinPath(path, 'key'), `invalid record key type "${key}" (expected tid, nsid, any or literal:<key>)`);
      }
    }
    const rp = joinPath(path, 'record');
    if (raw.record === undefined) {
      this.error(rp, '"record" is required');
      return undefined;
    }
    const record = this.node(raw.record, rp, ['object'], 'a record schema') as LexObject | undefined;
    if (record === undefined || key === undefined) return undefined;
    const out: LexRecord = { type: 'record', key, record };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    return out;
  }

  body(raw: unknown, path: string): LexBody | undefined {
    if (!isObj(raw)) {
      this.error(path, `body must be an object, not ${typeName(raw)}`);
      return undefined;
    }
    this.known(raw, path, ['encoding', 'schema']);
    const out: LexBody = {};
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const enc = this.str(raw, 'encoding', path);
    if (enc !== undefined) {
      if (!isValidMimePattern(enc.split(';')[0]?.trim() ?? '')) this.error(joinPath(path, 'encoding'), `"${enc}" is not a MIME type (like "application/json" or "*/*")`);
      out.encoding = enc;
    }
    if (raw.schema !== undefined) {
      const schema = this.node(raw.schema, joinPath(path, 'schema'), ['object', 'ref', 'union'], 'a body schema');
      if (schema !== undefined) out.schema = schema as LexBody['schema'];
    }
    return out;
  }

  errorDefs(raw: Obj, path: string): LexErrorDef[] | undefined {
    const v = raw.errors;
    const p = joinPath(path, 'errors');
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.error(p, `"errors" must be an array, not ${typeName(v)}`);
      return undefined;
    }
    const out: LexErrorDef[] = [];
    v.forEach((e, i) => {
      const ep = joinPath(p, i);
      if (!isObj(e)) {
        this.error(ep, `an error must be an object with a "name", not ${typeName(e)}`);
        return;
      }
      this.known(e, ep, ['name']);
      const name = this.str(e, 'name', ep, true);
      if (name === undefined) return;
      if (name.length === 0 || /\s/.test(name)) {
        this.error(joinPath(ep, 'name'), `error name "${name}" must be non-empty with no whitespace`);
        return;
      }
      const item: LexErrorDef = { name };
      const d = this.description(e, ep);
      if (d !== undefined) item.description = d;
      out.push(item);
    });
    return out;
  }

  parameters(raw: Obj, path: string): LexParams | undefined {
    if (raw.parameters === undefined) return undefined;
    return this.node(raw.parameters, joinPath(path, 'parameters'), ['params'], '"parameters"') as LexParams | undefined;
  }

  endpoint(raw: Obj, path: string, type: 'query' | 'procedure'): LexQuery | LexProcedure {
    const out: LexQuery | LexProcedure = { type } as LexQuery | LexProcedure;
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const params = this.parameters(raw, path);
    if (params !== undefined) out.parameters = params;
    if (type === 'procedure' && raw.input !== undefined) {
      const input = this.body(raw.input, joinPath(path, 'input'));
      if (input !== undefined) (out as LexProcedure).input = input;
    }
    if (raw.output !== undefined) {
      const output = this.body(raw.output, joinPath(path, 'output'));
      if (output !== undefined) out.output = output;
    }
    const errors = this.errorDefs(raw, path);
    if (errors !== undefined) out.errors = errors;
    return out;
  }

  subscription(raw: Obj, path: string): LexSubscription {
    const out: LexSubscription = { type: 'subscription' };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const params = this.parameters(raw, path);
    if (params !== undefined) out.parameters = params;
    const m = raw.message;
    const mp = joinPath(path, 'message');
    if (m !== undefined) {
      if (!isObj(m)) this.error(mp, `"message" must be an object, not ${typeName(m)}`);
      else {
        this.known(m, mp, ['schema']);
        if (m.schema === undefined) this.error(joinPath(mp, 'schema'), '"schema" is required');
        else {
          const schema = this.node(m.schema, joinPath(mp, 'schema'), ['union'], 'a subscription message schema') as LexUnion | undefined;
          if (schema !== undefined) {
            out.message = { schema };
            const md = this.description(m, mp);
            if (md !== undefined) out.message.description = md;
          }
        }
      }
    }
    const errors = this.errorDefs(raw, path);
    if (errors !== undefined) out.errors = errors;
    return out;
  }

  langMap(raw: Obj, key: 'title:lang' | 'detail:lang', path: string): Record<string, string> | undefined {
    const v = raw[key];
    const p = joinPath(path, key);
    if (v === undefined) return undefined;
    if (!isObj(v)) {
      this.error(p, `"${key}" must be an object mapping language codes to strings`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [lang, text] of Object.entries(v)) {
      const reason = checkLanguage(lang);
      if (reason !== null) this.error(joinPath(p, lang), `"${lang}" is not a language code: ${reason}`);
      if (typeof text !== 'string') this.error(joinPath(p, lang), `must be a string, not ${typeName(text)}`);
      else Object.defineProperty(out, lang, { value: text, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  permissionSet(raw: Obj, path: string): LexPermissionSet {
    const out: LexPermissionSet = { type: 'permission-set', permissions: [] };
    const d = this.description(raw, path);
    if (d !== undefined) out.description = d;
    const title = this.str(raw, 'title', path);
    if (title !== undefined) out.title = title;
    const detail = this.str(raw, 'detail', path);
    if (detail !== undefined) out.detail = detail;
    const tl = this.langMap(raw, 'title:lang', path);
    if (tl !== undefined) out['title:lang'] = tl;
    const dl = this.langMap(raw, 'detail:lang', path);
    if (dl !== undefined) out['detail:lang'] = dl;
    const perms = raw.permissions;
    const pp = joinPath(path, 'permissions');
    if (perms === undefined) this.error(pp, '"permissions" is required');
    else if (!Array.isArray(perms)) this.error(pp, `"permissions" must be an array, not ${typeName(perms)}`);
    else {
      perms.forEach((p, i) => {
        const perm = this.permission(p, joinPath(pp, i));
        if (perm !== undefined) out.permissions.push(perm);
      });
    }
    return out;
  }

  nsidList(raw: Obj, key: string, path: string): string[] | undefined {
    const list = this.strArray(raw, key, path, true);
    if (list === undefined) return undefined;
    const p = joinPath(path, key);
    if (list.length === 0) this.error(p, `"${key}" must list at least one NSID`);
    list.forEach((s, i) => {
      if (s === '*') return;
      const reason = checkNsid(s);
      if (reason !== null) this.error(joinPath(p, i), `"${s}" is not a valid NSID: ${reason}`);
    });
    return list;
  }

  permission(raw: unknown, path: string): LexPermission | undefined {
    if (!isObj(raw)) {
      this.error(path, `a permission must be an object, not ${typeName(raw)}`);
      return undefined;
    }
    if (raw.type !== 'permission') {
      this.error(joinPath(path, 'type'), `a permission must have "type": "permission"`);
      return undefined;
    }
    const resource = this.str(raw, 'resource', path, true);
    if (resource === undefined) return undefined;
    this.description(raw, path);
    // Keep every field (the vocabulary grows); check the ones the spec defines for lexicons.
    const out = { ...raw } as LexPermission;
    if (resource === 'repo') {
      this.nsidList(raw, 'collection', path);
      const actions = raw.action === undefined ? undefined : this.strArray(raw, 'action', path);
      actions?.forEach((a, i) => {
        if (a !== 'create' && a !== 'update' && a !== 'delete') {
          this.error(joinPath(joinPath(path, 'action'), i), `unsupported repo action "${a}" (create, update or delete)`);
        }
      });
    } else if (resource === 'rpc') {
      const lxm = this.nsidList(raw, 'lxm', path);
      const aud = this.str(raw, 'aud', path);
      const inherit = this.bool(raw, 'inheritAud', path);
      if (aud === undefined && inherit !== true) this.error(path, 'an rpc permission needs "aud" or "inheritAud": true');
      if (aud !== undefined && inherit === true) this.error(joinPath(path, 'aud'), '"aud" and "inheritAud": true are mutually exclusive');
      if (aud === '*' && lxm?.includes('*')) this.error(joinPath(path, 'aud'), '"aud" and "lxm" cannot both be "*"');
      if (aud !== undefined && aud !== '*' && !/^did:[a-z]+:[^#\s]+#[^#\s]+$/.test(aud)) {
        this.error(joinPath(path, 'aud'), `"aud" must be "*" or a DID service reference (did:…#service), not "${aud}"`);
      }
    }
    return out;
  }
}

/** Reports every non-integer number in `value` (floats are not part of the data model). */
function findFloats(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findFloats(v, joinPath(path, i), out));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) findFloats(v, joinPath(path, k), out);
  }
}

/**
 * Checks `json` (a parsed Lexicon file) against the Lexicon language and returns the typed
 * document, or every problem found with its path and a stable code (`lexicon-version`,
 * `invalid-nsid`, `non-main-primary`, `def-not-allowed`, `float-value`, `lexicon-schema`).
 */
export function parseLexiconDocument(json: unknown, options: ParseLexiconOptions = {}): ParseLexiconResult {
  const p = new Parser();
  const base = { ...(options.source === undefined ? {} : { source: options.source }) };
  if (!isObj(json)) {
    p.error('', `a Lexicon document must be a JSON object, not ${typeName(json)}`);
    return { ok: false, errors: p.errors, unexpectedFields: [], ...base };
  }

  const floats = new Set(options.floatPaths ?? []);
  const found: string[] = [];
  findFloats(json, '', found);
  for (const f of found) floats.add(f);
  for (const f of floats) p.error(f, 'floats are not allowed in Lexicon documents (the data model has integers only)', 'float-value');

  const rawId = json.id;
  const id = typeof rawId === 'string' ? rawId : undefined;
  if (rawId === undefined) p.error('id', '"id" (the NSID of the Lexicon) is required', 'invalid-nsid');
  else if (id === undefined) p.error('id', `"id" must be an NSID string, not ${typeName(rawId)}`, 'invalid-nsid');
  else {
    const reason = id.includes('#') ? 'an id cannot have a "#fragment"' : checkNsid(id);
    if (reason !== null) p.error('id', `"${id}" is not a valid NSID: ${reason}`, 'invalid-nsid');
  }

  const version = json.lexicon;
  if (version !== 1) {
    p.error(
      'lexicon',
      version === undefined ? '"lexicon" (the language version, 1) is required' : `unsupported Lexicon language version ${JSON.stringify(version)} (only 1 is defined)`,
      'lexicon-version',
    );
    return { ok: false, errors: p.errors, unexpectedFields: [], ...base, ...(id === undefined ? {} : { id }) };
  }

  for (const k of Object.keys(json)) {
    if (!['lexicon', 'id', 'revision', 'description', 'defs', '$type'].includes(k)) p.unexpected.push(joinPath('', k));
  }
  const revision = p.int(json, 'revision', '', 0);
  const description = p.description(json, '');
  if (json.$type !== undefined && json.$type !== 'com.atproto.lexicon.schema') {
    p.error('$type', `"$type" of a published Lexicon must be "com.atproto.lexicon.schema", not ${JSON.stringify(json.$type)}`);
  }

  const defs: Record<string, LexUserType> = {};
  const rawDefs = json.defs;
  if (rawDefs === undefined) p.error('defs', '"defs" is required');
  else if (!isObj(rawDefs)) p.error('defs', `"defs" must be an object, not ${typeName(rawDefs)}`);
  else if (Object.keys(rawDefs).length === 0) p.error('defs', 'a Lexicon needs at least one definition in "defs"');
  else {
    for (const [name, raw] of Object.entries(rawDefs)) {
      const path = joinPath('defs', name);
      if (name.length === 0 || name.includes('#') || /\s/.test(name)) {
        p.error(path, `invalid definition name ${JSON.stringify(name)} (no "#", whitespace or empty names)`);
        continue;
      }
      if (isObj(raw) && typeof raw.type === 'string') {
        if ((NON_DEF_TYPES as readonly string[]).includes(raw.type)) {
          p.error(joinPath(path, 'type'), `type "${raw.type}" cannot be a named definition (only inside other definitions)`, 'def-not-allowed');
          continue;
        }
        if (isPrimaryType(raw.type) && name !== 'main') {
          p.error(path, `a ${raw.type} definition must be named "main", not "${name}"`, 'non-main-primary');
          continue;
        }
      }
      const allowed = [
        'record',
        'query',
        'procedure',
        'subscription',
        'permission-set',
        'object',
        'token',
        'boolean',
        'integer',
        'string',
        'bytes',
        'cid-link',
        'blob',
        'array',
      ];
      const def = p.node(raw, path, allowed, 'a definition') as LexUserType | undefined;
      if (def !== undefined) Object.defineProperty(defs, name, { value: def, enumerable: true, writable: true, configurable: true });
    }
  }

  if (p.errors.length > 0 || id === undefined) {
    return { ok: false, errors: p.errors, unexpectedFields: p.unexpected, ...base, ...(id === undefined ? {} : { id }) };
  }
  const document: LexiconDocument = { lexicon: 1, id, defs };
  if (revision !== undefined) document.revision = revision;
  if (description !== undefined) document.description = description;
  return { ok: true, document, unexpectedFields: p.unexpected, ...base };
}

/**
 * Parses Lexicon JSON text: syntax errors throw invalid 'InvalidJson' with line and column;
 * schema problems come back located, with the text positions of every path.
 */
export function parseLexiconText(text: string, options: { source?: string } = {}): ParsedLexiconText {
  const located = parseJsonText(text);
  const result = parseLexiconDocument(located.value, { ...options, floatPaths: located.floats });
  return { ...result, positions: located.positions, duplicateKeys: located.duplicateKeys, json: located.value };
}

/**
 * Like {@link parseLexiconDocument} but returns the document or throws invalid 'InvalidLexicon'
 * listing every problem (`details.problems`).
 */
export function loadLexiconDocument(json: unknown, options: ParseLexiconOptions = {}): LexiconDocument {
  const result = parseLexiconDocument(json, options);
  if (result.ok) return result.document;
  throw invalidLexiconError(result);
}

export function invalidLexiconError(result: FailedLexicon): AtcliError {
  const what = result.source ?? result.id ?? 'Lexicon document';
  const problems = result.errors.map((e) => `${e.path === '' ? '(document)' : e.path}: ${e.message} [${e.code}]`);
  return invalid('InvalidLexicon', `${what} is not a valid Lexicon (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'})`, {
    details: { problems, ...(result.source === undefined ? {} : { source: result.source }), ...(result.id === undefined ? {} : { id: result.id }) },
  });
}
