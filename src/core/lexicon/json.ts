/**
 * A strict JSON parser that remembers where things are. Lexicon files are linted in CI, where a
 * finding is only useful with a file, line and column (GitHub annotations), so this parser records
 * the position of every object member and array element, keyed by its {@link formatPath} path.
 * It also notices what `JSON.parse` hides: duplicate keys (the last one silently wins) and number
 * literals written with a fraction or exponent (floats, which the data model forbids even as `1.0`).
 */
import { invalid } from '../errors.js';

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$:-]*$/;

/**
 * Formats a path the way findings print it: `defs.main.record.properties.text.maxLength`,
 * array elements as `[0]`, and keys that are not plain names quoted: `properties["a.b"]`.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Appends one segment to an already formatted path. */
export function joinPath(path: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  if (PLAIN_KEY.test(segment)) return path === '' ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

export interface JsonPosition {
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units). */
  column: number;
  offset: number;
}

export interface LocatedJson {
  value: unknown;
  /** Position of each member key / array element / the root (path ""), by formatted path. */
  positions: Map<string, JsonPosition>;
  /** Paths of number literals written with a fraction or exponent (`1.5`, `1.0`, `1e3`). */
  floats: string[];
  /** Paths of object keys that appear more than once in the same object. */
  duplicateKeys: string[];
}

export interface JsonParseOptions {
  /** Deepest nesting accepted (default 256), so hostile files cannot exhaust the stack. */
  maxDepth?: number;
}

/** Thrown for malformed JSON: invalid 'InvalidJson' with `details.line` / `details.column`. */
function syntaxError(text: string, offset: number, message: string, lineStarts: number[]): never {
  const pos = positionAt(lineStarts, offset);
  throw invalid('InvalidJson', `not valid JSON: ${message} at line ${pos.line}, column ${pos.column}`, {
    details: { line: pos.line, column: pos.column, offset },
    hint: 'fix the JSON syntax at the position shown',
  });
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionAt(lineStarts: number[], offset: number): JsonPosition {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1, offset };
}

function setProp(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Parses JSON text strictly (RFC 8259; a leading byte-order mark is ignored) and records
 * positions. Throws invalid 'InvalidJson' naming the line and column of the first error.
 */
export function parseJsonText(text: string, options: JsonParseOptions = {}): LocatedJson {
  const maxDepth = options.maxDepth ?? 256;
  const lineStarts = computeLineStarts(text);
  const positions = new Map<string, JsonPosition>();
  const floats: string[] = [];
  const duplicateKeys: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = i): never => syntaxError(text, at, message, lineStarts);
  const describe = (at: number): string => (at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`);

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string (escape it)');
      if (c === 92) {
        out += text.slice(chunk, i);
        const e = text[i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            i += 2;
            break;
          case 'b':
            out += '\b';
            i += 2;
            break;
          case 'f':
            out += '\f';
            i += 2;
            break;
          case 'n':
            out += '\n';
            i += 2;
            break;
          case 'r':
            out += '\r';
            i += 2;
            break;
          case 't':
            out += '\t';
            i += 2;
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            break;
          }
          default:
            fail('invalid escape sequence');
        }
        chunk = i;
        continue;
      }
      i++;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

  const parseValue = (path: string, depth: number): unknown => {
    skipWs();
    if (i >= text.length) fail('unexpected end of input');
    const c = text[i];
    if (c === '{') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      skipWs();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`);
        const keyAt = i;
        const key = parseString();
        const childPath = joinPath(path, key);
        if (seen.has(key)) duplicateKeys.push(childPath);
        seen.add(key);
        positions.set(childPath, positionAt(lineStarts, keyAt));
        skipWs();
        if (text[i] !== ':') fail(`expected ':' after property name, found ${describe(i)}`);
        i++;
        setProp(obj, key, parseValue(childPath, depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          skipWs();
          if (text[i] === '}') fail('trailing comma before }');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}' after a property value, found ${describe(i)}`);
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      i++;
      const arr: unknown[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        skipWs();
        const childPath = joinPath(path, arr.length);
        positions.set(childPath, positionAt(lineStarts, i));
        arr.push(parseValue(childPath, depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          skipWs();
          if (text[i] === ']') fail('trailing comma before ]');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' after an array element, found ${describe(i)}`);
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      if (m[1] !== undefined || m[2] !== undefined) floats.push(path);
      return Number(m[0]);
    }
    return fail(`unexpected ${describe(i)}`);
  };

  skipWs();
  positions.set('', positionAt(lineStarts, i));
  const value = parseValue('', 0);
  skipWs();
  if (i < text.length) fail(`unexpected ${describe(i)} after the JSON value`);
  return { value, positions, floats, duplicateKeys };
}

/**
 * The position of `path`, or of its closest ancestor that has one (a finding about a missing
 * field points at the object that lacks it).
 */
export function locate(positions: Map<string, JsonPosition>, path: string): JsonPosition | undefined {
  let p = path;
  for (;;) {
    const hit = positions.get(p);
    if (hit !== undefined) return hit;
    if (p === '') return undefined;
    p = parentPath(p);
  }
}

/** `a.b[0].c` → `a.b[0]` → `a.b` → `a` → "". */
export function parentPath(path: string): string {
  if (path.endsWith(']')) {
    // Either [n] or ["quoted key"]: find the matching '[' that starts the segment.
    if (path.endsWith('"]')) {
      // Scan back for the opening `["` that is not escaped inside the quoted key.
      for (let k = path.length - 3; k >= 1; k--) {
        if (path[k] === '"' && path[k - 1] === '[') {
          try {
            JSON.parse(path.slice(k, -1));
            return path.slice(0, k - 1);
          } catch {
            // keep scanning
          }
        }
      }
      return '';
    }
    return path.slice(0, path.lastIndexOf('['));
  }
  const dot = path.lastIndexOf('.');
  const bracket = path.lastIndexOf(']');
  if (dot > bracket) return path.slice(0, dot);
  if (bracket >= 0) return path.slice(0, bracket + 1);
  return '';
}
