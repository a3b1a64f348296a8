/**
 * Lexicon evolution (spec: lexicon "Lexicon Evolution"): old data must stay valid under the new
 * schema and new data must be valid under the old one. {@link breakingChanges} compares two
 * versions of one schema; each finding has a stable code (goat's 18 rule names, plus atcli's).
 * Tightening a limit is an error (old data may fail); loosening one is a warning (new data may
 * fail old readers); goat reports every limit change as a warning.
 *
 * {@link diffLexicons} lists every change, breaking or not, for `lex diff`.
 */
import { joinPath } from './json.js';
import { expandRef } from './refs.js';
import { mimeMatches } from './validate.js';
import type {
  LexBlob,
  LexBody,
  LexFinding,
  LexInteger,
  LexNode,
  LexObject,
  LexParams,
  LexString,
  LexUnion,
  LexiconDocument,
  LintLevel,
} from './types.js';

export interface BreakingRule {
  code: string;
  description: string;
  origin: 'goat' | 'atcli';
}

const r = (code: string, description: string, origin: 'goat' | 'atcli' = 'goat'): BreakingRule => ({ code, description, origin });

/** Every evolution rule. Levels depend on the direction of the change (see the module notes). */
export const BREAKING_RULES: readonly BreakingRule[] = [
  r('type-change', 'a definition or field changed type'),
  r('record-key-type', 'a record changed its key type'),
  r('body-encoding', 'an endpoint body changed its encoding (MIME type)'),
  r('const-value', 'a const value was added, changed or removed'),
  r('enum-values', 'enum values were removed or added, or an enum was added or removed'),
  r('string-format', 'a string format was added, changed or removed'),
  r('object-required', 'an existing field became required, or a required field became optional'),
  r('object-nullable', 'a field became nullable or stopped being nullable'),
  r('params-required', 'an existing parameter became required or optional'),
  r('union-open-closed', 'a union switched between open and closed'),
  r('union-closed-refs', 'the types of a closed union changed'),
  r('integer-range', 'an integer minimum or maximum changed'),
  r('string-length', 'a string length or grapheme limit changed'),
  r('bytes-length', 'a bytes length limit changed'),
  r('array-length', 'an array length limit changed'),
  r('blob-accept', 'the MIME types a blob accepts changed'),
  r('blob-size', 'a blob maxSize changed'),
  r('ref-change', 'a ref points somewhere else'),
  r('required-field-added', 'a new field or parameter is required', 'atcli'),
  r('field-removed', 'a field or parameter was removed (or renamed)', 'atcli'),
  r('def-removed', 'a definition was removed', 'atcli'),
  r('union-ref-removed', 'an open union dropped a type (open unions may only grow)', 'atcli'),
  r('body-added', 'a procedure now requires an input body it did not have', 'atcli'),
  r('body-removed', 'an endpoint body was removed', 'atcli'),
  r('message-removed', 'a subscription message type was removed', 'atcli'),
  r('lexicon-id-change', 'the two documents have different ids', 'atcli'),
];

class Comparer {
  readonly findings: LexFinding[] = [];

  constructor(
    private readonly oldId: string,
    private readonly newId: string,
  ) {}

  add(code: string, level: LintLevel, path: string, message: string): void {
    this.findings.push({ code, level, path, message });
  }

  /** Compares two schema nodes at `path`. */
  node(a: LexNode, b: LexNode, path: string): void {
    if (a.type !== b.type) {
      this.add('type-change', 'error', path, `type changed from ${a.type} to ${b.type}`);
      return;
    }
    switch (a.type) {
      case 'record': {
        const nb = b as typeof a;
        if (a.key !== nb.key) this.add('record-key-type', 'error', joinPath(path, 'key'), `record key changed from "${a.key}" to "${nb.key}"`);
        this.object(a.record, nb.record, joinPath(path, 'record'));
        return;
      }
      case 'query':
      case 'procedure': {
        const nb = b as typeof a;
        this.params(a.parameters, nb.parameters, joinPath(path, 'parameters'));
        if (a.type === 'procedure') this.body((a as { input?: LexBody }).input, (nb as { input?: LexBody }).input, joinPath(path, 'input'), true);
        this.body(a.output, nb.output, joinPath(path, 'output'), false);
        return;
      }
      case 'subscription': {
        const nb = b as typeof a;
        this.params(a.parameters, nb.parameters, joinPath(path, 'parameters'));
        const ua = a.message?.schema;
        const ub = nb.message?.schema;
        const mp = joinPath(joinPath(path, 'message'), 'schema');
        if (ua !== undefined && ub !== undefined) {
          const before = new Set(ua.refs.map((x) => expandRef(x, this.oldId)));
          const after = new Set(ub.refs.map((x) => expandRef(x, this.newId)));
          for (const x of before) if (!after.has(x)) this.add('message-removed', 'error', mp, `message type ${x} was removed`);
        } else if (ua !== undefined && ub === undefined) this.add('message-removed', 'error', joinPath(path, 'message'), 'the message schema was removed');
        return;
      }
      case 'boolean': {
        const nb = b as typeof a;
        this.constValue(a.const, nb.const, path);
        return;
      }
      case 'integer':
        return this.integer(a, b as LexInteger, path);
      case 'string':
        return this.string(a, b as LexString, path);
      case 'bytes': {
        const nb = b as typeof a;
        this.limits('bytes-length', path, 'length', a.minLength, nb.minLength, a.maxLength, nb.maxLength);
        return;
      }
      case 'array': {
        const nb = b as typeof a;
        this.limits('array-length', path, 'length', a.minLength, nb.minLength, a.maxLength, nb.maxLength);
        this.node(a.items, nb.items, joinPath(path, 'items'));
        return;
      }
      case 'object':
        return this.object(a, b as LexObject, path);
      case 'params':
        return this.params(a, b as LexParams, path);
      case 'blob':
        return this.blob(a, b as LexBlob, path);
      case 'ref': {
        const nb = b as typeof a;
        const ra = expandRef(a.ref, this.oldId);
        const rb = expandRef(nb.ref, this.newId);
        if (ra !== rb) this.add('ref-change', 'warning', joinPath(path, 'ref'), `ref changed from ${ra} to ${rb} (compatible only if both describe the same data)`);
        return;
      }
      case 'union':
        return this.union(a, b as LexUnion, path);
      default:
        return; // token, unknown, cid-link, permission-set, permission: nothing that constrains data
    }
  }

  constValue(a: unknown, b: unknown, path: string): void {
    if (a === b) return;
    const p = joinPath(path, 'const');
    if (a === undefined) this.add('const-value', 'error', p, `const ${JSON.stringify(b)} was added`);
    else if (b === undefined) this.add('const-value', 'warning', p, `const ${JSON.stringify(a)} was removed (new data may fail old readers)`);
    else this.add('const-value', 'error', p, `const changed from ${JSON.stringify(a)} to ${JSON.stringify(b)}`);
  }

  enumValues<T extends string | number>(a: readonly T[] | undefined, b: readonly T[] | undefined, path: string): void {
    const p = joinPath(path, 'enum');
    if (a === undefined && b === undefined) return;
    if (a === undefined) {
      this.add('enum-values', 'error', p, 'an enum was added (old data may hold other values)');
      return;
    }
    if (b === undefined) {
      this.add('enum-values', 'warning', p, 'the enum was removed (new data may fail old readers)');
      return;
    }
    const removed = a.filter((x) => !b.includes(x));
    const added = b.filter((x) => !a.includes(x));
    if (removed.length > 0) this.add('enum-values', 'error', p, `enum values removed: ${removed.map((x) => JSON.stringify(x)).join(', ')}`);
    if (added.length > 0) this.add('enum-values', 'warning', p, `enum values added: ${added.map((x) => JSON.stringify(x)).join(', ')} (new data may fail old readers)`);
  }

  /** A min/max pair: a higher minimum or lower maximum is tighter (error), the reverse looser. */
  limits(code: string, path: string, what: string, minA: number | undefined, minB: number | undefined, maxA: number | undefined, maxB: number | undefined, names: [string, string] = ['minLength', 'maxLength']): void {
    if (minA !== minB) {
      const tighter = minB !== undefined && (minA === undefined || minB > minA);
      this.add(code, tighter ? 'error' : 'warning', joinPath(path, names[0]), `minimum ${what} ${tighter ? 'raised' : 'lowered'}: ${minA ?? 'none'} → ${minB ?? 'none'}${tighter ? '' : ' (new data may fail old readers)'}`);
    }
    if (maxA !== maxB) {
      const tighter = maxB !== undefined && (maxA === undefined || maxB < maxA);
      this.add(code, tighter ? 'error' : 'warning', joinPath(path, names[1]), `maximum ${what} ${tighter ? 'lowered' : 'raised'}: ${maxA ?? 'none'} → ${maxB ?? 'none'}${tighter ? '' : ' (new data may fail old readers)'}`);
    }
  }

  integer(a: LexInteger, b: LexInteger, path: string): void {
    this.constValue(a.const, b.const, path);
    this.enumValues(a.enum, b.enum, path);
    this.limits('integer-range', path, 'value', a.minimum, b.minimum, a.maximum, b.maximum, ['minimum', 'maximum']);
  }

  string(a: LexString, b: LexString, path: string): void {
    this.constValue(a.const, b.const, path);
    this.enumValues(a.enum, b.enum, path);
    this.limits('string-length', path, 'length (UTF-8 bytes)', a.minLength, b.minLength, a.maxLength, b.maxLength);
    this.limits('string-length', path, 'length (graphemes)', a.minGraphemes, b.minGraphemes, a.maxGraphemes, b.maxGraphemes, ['minGraphemes', 'maxGraphemes']);
    if (a.format !== b.format) {
      const p = joinPath(path, 'format');
      if (a.format === undefined) this.add('string-format', 'error', p, `format "${b.format}" was added (old data may not match it)`);
      else if (b.format === undefined) this.add('string-format', 'warning', p, `format "${a.format}" was removed (new data may fail old readers)`);
      else this.add('string-format', 'error', p, `format changed from "${a.format}" to "${b.format}"`);
    }
  }

  blob(a: LexBlob, b: LexBlob, path: string): void {
    const acceptA = a.accept ?? ['*/*'];
    const acceptB = b.accept ?? ['*/*'];
    const covered = (pattern: string, by: string[]): boolean => by.some((q) => q === '*/*' || q === pattern || (q.endsWith('/*') && (pattern.endsWith('/*') ? pattern.startsWith(q.slice(0, -1)) : mimeMatches(q, pattern))));
    const narrowed = acceptA.filter((p) => !covered(p, acceptB));
    const widened = acceptB.filter((p) => !covered(p, acceptA));
    const p = joinPath(path, 'accept');
    if (narrowed.length > 0) this.add('blob-accept', 'error', p, `accept narrowed: ${narrowed.join(', ')} no longer accepted`);
    if (widened.length > 0) this.add('blob-accept', 'warning', p, `accept widened: ${widened.join(', ')} now accepted (new data may fail old readers)`);
    if (a.maxSize !== b.maxSize) {
      const tighter = b.maxSize !== undefined && (a.maxSize === undefined || b.maxSize < a.maxSize);
      this.add('blob-size', tighter ? 'error' : 'warning', joinPath(path, 'maxSize'), `maxSize ${tighter ? 'lowered' : 'raised'}: ${a.maxSize ?? 'none'} → ${b.maxSize ?? 'none'}`);
    }
  }

  union(a: LexUnion, b: LexUnion, path: string): void {
    const ca = a.closed === true;
    const cb = b.closed === true;
    if (ca !== cb) this.add('union-open-closed', 'error', joinPath(path, 'closed'), `union changed from ${ca ? 'closed' : 'open'} to ${cb ? 'closed' : 'open'}`);
    const ra = a.refs.map((x) => expandRef(x, this.oldId));
    const rb = b.refs.map((x) => expandRef(x, this.newId));
    const removed = ra.filter((x) => !rb.includes(x));
    const added = rb.filter((x) => !ra.includes(x));
    const p = joinPath(path, 'refs');
    if (ca && cb) {
      if (removed.length > 0 || added.length > 0) {
        this.add('union-closed-refs', 'error', p, `closed union types changed${removed.length ? `; removed ${removed.join(', ')}` : ''}${added.length ? `; added ${added.join(', ')}` : ''}`);
      }
    } else if (removed.length > 0) {
      this.add('union-ref-removed', 'error', p, `union types removed: ${removed.join(', ')} (open unions may only gain types)`);
    }
  }

  fields(
    propsA: Record<string, LexNode>,
    propsB: Record<string, LexNode>,
    reqA: readonly string[],
    reqB: readonly string[],
    path: string,
    requiredCode: 'object-required' | 'params-required',
    what: 'field' | 'parameter',
  ): void {
    const pp = joinPath(path, 'properties');
    for (const [name, propA] of Object.entries(propsA)) {
      const fp = joinPath(pp, name);
      const propB = Object.prototype.hasOwnProperty.call(propsB, name) ? propsB[name] : undefined;
      if (propB === undefined) {
        const wasRequired = reqA.includes(name);
        this.add('field-removed', wasRequired ? 'error' : 'warning', fp, `${wasRequired ? 'required ' : ''}${what} "${name}" was removed${wasRequired ? '' : ' (its name cannot be reused with another type)'}`);
        continue;
      }
      if (!reqA.includes(name) && reqB.includes(name)) this.add(requiredCode, 'error', fp, `${what} "${name}" became required`);
      if (reqA.includes(name) && !reqB.includes(name)) this.add(requiredCode, 'error', fp, `${what} "${name}" is no longer required (new data may omit it; old readers require it)`);
      this.node(propA, propB, fp);
    }
    for (const name of Object.keys(propsB)) {
      if (!Object.prototype.hasOwnProperty.call(propsA, name) && reqB.includes(name)) {
        this.add('required-field-added', 'error', joinPath(pp, name), `new ${what} "${name}" is required (old data does not have it)`);
      }
    }
  }

  object(a: LexObject, b: LexObject, path: string): void {
    this.fields(a.properties, b.properties, a.required ?? [], b.required ?? [], path, 'object-required', 'field');
    const na = a.nullable ?? [];
    const nb = b.nullable ?? [];
    for (const name of Object.keys(b.properties)) {
      if (!Object.prototype.hasOwnProperty.call(a.properties, name)) continue;
      const fp = joinPath(joinPath(path, 'properties'), name);
      if (na.includes(name) && !nb.includes(name)) this.add('object-nullable', 'error', fp, `field "${name}" is no longer nullable (old data may hold null)`);
      if (!na.includes(name) && nb.includes(name)) this.add('object-nullable', 'error', fp, `field "${name}" became nullable (old readers reject null)`);
    }
  }

  params(a: LexParams | undefined, b: LexParams | undefined, path: string): void {
    const empty: LexParams = { type: 'params', properties: {} };
    const pa = a ?? empty;
    const pb = b ?? empty;
    this.fields(pa.properties, pb.properties, pa.required ?? [], pb.required ?? [], path, 'params-required', 'parameter');
  }

  body(a: LexBody | undefined, b: LexBody | undefined, path: string, isInput: boolean): void {
    if (a === undefined && b === undefined) return;
    if (a === undefined) {
      if (isInput) this.add('body-added', 'error', path, 'an input body is now expected (old clients send none)');
      return;
    }
    if (b === undefined) {
      this.add('body-removed', isInput ? 'warning' : 'error', path, isInput ? 'the input body was removed (old clients still send one)' : 'the output body was removed (old clients expect one)');
      return;
    }
    if (a.encoding !== b.encoding) this.add('body-encoding', 'error', joinPath(path, 'encoding'), `encoding changed from ${a.encoding ?? '(none)'} to ${b.encoding ?? '(none)'}`);
    if (a.schema !== undefined && b.schema !== undefined) this.node(a.schema, b.schema, joinPath(path, 'schema'));
  }
}

/**
 * Findings between an old and a new version of one Lexicon. Level `error` means the change
 * breaks the evolution rules for data written under the old schema; `warning` that data written
 * under the new one may fail readers of the old.
 */
export function breakingChanges(oldDoc: LexiconDocument, newDoc: LexiconDocument): LexFinding[] {
  const c = new Comparer(oldDoc.id, newDoc.id);
  if (oldDoc.id !== newDoc.id) c.add('lexicon-id-change', 'error', 'id', `id changed from ${oldDoc.id} to ${newDoc.id} (a different Lexicon)`);
  for (const [name, defA] of Object.entries(oldDoc.defs)) {
    const path = joinPath('defs', name);
    const defB = Object.prototype.hasOwnProperty.call(newDoc.defs, name) ? newDoc.defs[name] : undefined;
    if (defB === undefined) {
      c.add('def-removed', name === 'main' ? 'error' : 'warning', path, `definition "${name}" was removed${name === 'main' ? '' : ' (other Lexicons may reference it)'}`);
      continue;
    }
    c.node(defA, defB, path);
  }
  return c.findings;
}

// --- diff ------------------------------------------------------------------------------------

export interface LexChange {
  kind: 'added' | 'removed' | 'changed';
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Arrays compared as sets (order carries no meaning). */
const SET_KEYS = new Set(['required', 'nullable', 'enum', 'knownValues', 'refs', 'accept', 'collection', 'lxm', 'action']);

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffValue(a: unknown, b: unknown, path: string, key: string, out: LexChange[]): void {
  if (isPlain(a) && isPlain(b)) {
    for (const k of Object.keys(a)) {
      const p = joinPath(path, k);
      if (!Object.prototype.hasOwnProperty.call(b, k)) out.push({ kind: 'removed', path: p, before: a[k] });
      else diffValue(a[k], b[k], p, k, out);
    }
    for (const k of Object.keys(b)) {
      if (!Object.prototype.hasOwnProperty.call(a, k)) out.push({ kind: 'added', path: joinPath(path, k), after: b[k] });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (SET_KEYS.has(key)) {
      const removed = a.filter((x) => !b.some((y) => same(x, y)));
      const added = b.filter((y) => !a.some((x) => same(x, y)));
      for (const x of removed) out.push({ kind: 'removed', path, before: x });
      for (const y of added) out.push({ kind: 'added', path, after: y });
      return;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = joinPath(path, i);
      if (i >= b.length) out.push({ kind: 'removed', path: p, before: a[i] });
      else if (i >= a.length) out.push({ kind: 'added', path: p, after: b[i] });
      else diffValue(a[i], b[i], p, key, out);
    }
    return;
  }
  if (!same(a, b)) out.push({ kind: 'changed', path, before: a, after: b });
}

/** Every difference between two Lexicon documents (set-like lists compared as sets). */
export function diffLexicons(oldDoc: LexiconDocument, newDoc: LexiconDocument): LexChange[] {
  const out: LexChange[] = [];
  diffValue(oldDoc, newDoc, '', '', out);
  return out;
}
