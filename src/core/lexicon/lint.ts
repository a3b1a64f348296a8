/**
 * Lexicon lint rules. Every rule has a stable kebab-case code and a level; goat's 22 rules
 * (`indigo:lex/lexlint`) keep their names, and atcli adds reference resolution, union checks,
 * style-guide naming and description rules, constraint consistency and the no-floats rule.
 */
import { usage } from '../errors.js';
import type { LexiconCatalog } from './catalog.js';
import { joinPath } from './json.js';
import { parseLexiconDocument } from './parse.js';
import { expandRef, splitRef } from './refs.js';
import { checkStringFormat, graphemeLength, utf8Length } from './validate.js';
import type {
  LexBody,
  LexField,
  LexFinding,
  LexInteger,
  LexNode,
  LexObject,
  LexParams,
  LexString,
  LexUserType,
  LexiconDocument,
  LintLevel,
} from './types.js';

export interface LintRule {
  code: string;
  level: LintLevel;
  description: string;
  /** `goat` for rules that match goat's lexlint rule of the same name. */
  origin: 'goat' | 'atcli';
}

const rule = (code: string, level: LintLevel, description: string, origin: 'goat' | 'atcli' = 'atcli'): LintRule => ({ code, level, description, origin });

/** Every lint rule, in documentation order. Codes are stable; levels may be tuned. */
export const LINT_RULES: readonly LintRule[] = [
  // goat's rules
  rule('schema-json-parse', 'error', 'the file is not valid JSON', 'goat'),
  rule('unexpected-field', 'warning', 'a field the Lexicon language does not define (ignored by readers)', 'goat'),
  rule('invalid-nsid', 'error', 'the "id" is missing or not a valid NSID', 'goat'),
  rule('lexicon-version', 'error', '"lexicon" is not 1 (no further checks are made)', 'goat'),
  rule('lexicon-schema', 'error', 'structural schema error (missing or mistyped field, bad format, min > max, …)', 'goat'),
  rule('def-name-syntax', 'warning', 'definition name is not ASCII letters and digits starting with a letter, or is reserved', 'goat'),
  rule('defs-main-definition', 'warning', 'a *.defs schema has a "main" definition', 'goat'),
  rule('non-main-primary', 'error', 'a record, query, procedure, subscription or permission-set is not named "main"', 'goat'),
  rule('missing-primary-description', 'warning', 'a record, query, procedure or subscription has no description', 'goat'),
  rule('endpoint-output-undefined', 'warning', 'a query or procedure defines no output (define one, even if empty)', 'goat'),
  rule('subscription-no-messages', 'warning', 'a subscription defines no message types', 'goat'),
  rule('permissionset-no-title', 'warning', 'a permission set has no title', 'goat'),
  rule('permissionset-no-permissions', 'warning', 'a permission set lists no permissions', 'goat'),
  rule('large-string', 'warning', 'a string allows more than 20 KiB (use a blob instead)', 'goat'),
  rule('unlimited-string', 'warning', 'a string has no format, maxLength or maxGraphemes', 'goat'),
  rule('known-string-local-ref', 'warning', 'a knownValues entry looks like a local reference ("#…"); tokens must be fully qualified', 'goat'),
  rule('unlimited-bytes', 'warning', 'a bytes field has no maxLength', 'goat'),
  rule('large-bytes', 'warning', 'a bytes field allows more than 20 KiB (use a blob instead)', 'goat'),
  rule('field-name-syntax', 'warning', 'a property name is not ASCII letters and digits starting with a letter, or is reserved', 'goat'),
  rule('nullable-and-optional', 'warning', 'a property is nullable but not required (pick one way to say "absent")', 'goat'),
  rule('undescribed-token', 'warning', 'a token has no description', 'goat'),
  rule('unspecified-encoding', 'warning', 'a request or response body has no encoding', 'goat'),
  // atcli's rules
  rule('def-not-allowed', 'error', 'ref, union, unknown, params or permission used as a named definition'),
  rule('float-value', 'error', 'a number with a fraction or exponent (the data model has no floats)'),
  rule('duplicate-key', 'error', 'the same key appears twice in one JSON object'),
  rule('duplicate-id', 'error', 'two files declare the same NSID'),
  rule('file-path-mismatch', 'warning', 'the file path does not match the NSID (a/b/c.json for a.b.c)'),
  rule('ref-unresolved', 'error', 'a ref names a definition that does not exist'),
  rule('union-ref-unresolved', 'error', 'a union member names a definition that does not exist'),
  rule('ref-not-in-catalog', 'info', 'a reference points to a Lexicon that is not loaded, so it cannot be checked'),
  rule('ref-target-type', 'error', 'a ref points to a token or an endpoint/permission-set, which have no data representation'),
  rule('union-ref-type', 'error', 'a union member is not an object or record definition'),
  rule('ref-main-suffix', 'warning', 'a reference ends in "#main" (write the bare NSID)'),
  rule('subscription-message-local', 'warning', 'a subscription message type is not defined in the same file'),
  rule('constraint-conflict', 'error', 'a default, const or enum value breaks the field\'s own constraints'),
  rule('duplicate-entry', 'warning', 'a list (required, nullable, enum, knownValues, refs, accept, errors, …) repeats an entry'),
  rule('nsid-name-case', 'warning', 'the NSID name segment is not lowerCamelCase'),
  rule('nsid-authority-case', 'warning', 'the NSID authority is not lower-case'),
  rule('def-name-case', 'warning', 'a definition name is not lowerCamelCase'),
  rule('field-name-case', 'warning', 'a property name is not lowerCamelCase'),
  rule('field-name-dollar', 'error', 'a property name starts with "$" (reserved for the protocol)'),
  rule('error-name-case', 'warning', 'an API error name is not UpperCamelCase'),
  rule('reserved-name', 'warning', 'a schema or definition name that clashes with programming-language conventions (default, length)'),
  rule('description-empty', 'warning', 'a description is empty or only whitespace'),
  rule('ambiguous-field-description', 'info', 'a property with a generic name (uri, cid, did, …) has no description saying what it refers to'),
  rule('known-value-case', 'info', 'a knownValues constant is not kebab-case (and not a token reference)'),
  rule('grapheme-without-length', 'warning', 'a string limits graphemes but not UTF-8 bytes (add maxLength, 10–20 bytes per grapheme)'),
  rule('grapheme-length-ratio', 'info', 'maxLength is not 10–20 times maxGraphemes'),
  rule('format-with-length', 'info', 'a string has both a format and length limits (redundant)'),
  rule('record-handle-reference', 'warning', 'a record stores a handle; records should reference accounts by DID'),
  rule('closed-union', 'info', 'a closed union cannot gain types later (prefer open unions)'),
  rule('closed-enum', 'info', 'an enum can never be extended (prefer knownValues)'),
  rule('boolean-default-true', 'info', 'an optional boolean defaults to true (phrase it so false is the default)'),
  rule('unknown-in-record', 'info', 'a record uses an "unknown" field (discouraged by the spec)'),
  rule('permission-resource-unsupported', 'warning', 'a permission resource other than repo or rpc (ignored in Lexicon permission sets)'),
  rule('permissionset-no-detail', 'info', 'a permission set has no detail text for users'),
  rule('subscription-name', 'info', 'a subscription name does not start with "subscribe"'),
];

const LEVELS = new Map(LINT_RULES.map((r) => [r.code, r.level]));

export function lintRule(code: string): LintRule | undefined {
  return LINT_RULES.find((r) => r.code === code);
}

export interface RuleSelection {
  /** Report only these codes (all when absent or empty). */
  rules?: readonly string[];
  /** Never report these codes. */
  ignore?: readonly string[];
}

/** Builds the code filter; unknown codes are a usage error 'UnknownLintRule'. */
export function ruleFilter(selection: RuleSelection = {}): (code: string) => boolean {
  for (const code of [...(selection.rules ?? []), ...(selection.ignore ?? [])]) {
    if (!LEVELS.has(code)) {
      throw usage('UnknownLintRule', `unknown lint rule "${code}"`, { hint: `rules: ${LINT_RULES.map((r) => r.code).join(', ')}` });
    }
  }
  const only = selection.rules !== undefined && selection.rules.length > 0 ? new Set(selection.rules) : undefined;
  const ignore = new Set(selection.ignore ?? []);
  return (code) => !ignore.has(code) && (only === undefined || only.has(code));
}

export interface LintOptions extends RuleSelection {
  /** Fields the parser did not recognise (from parseLexiconText; found again when omitted). */
  unexpectedFields?: readonly string[];
  /** Duplicate JSON keys found in the source text. */
  duplicateKeys?: readonly string[];
  /** Float literals in the source text such as `1.0` (which JSON.parse turns into integers). */
  floatPaths?: readonly string[];
}

export function makeFinding(code: string, path: string, message: string): LexFinding {
  return { code, level: LEVELS.get(code) ?? 'error', path, message };
}

const NAME_SYNTAX = /^[a-zA-Z][a-zA-Z0-9]{0,255}$/;
const RESERVED_SYNTAX = ['type', 'id'];
const RESERVED_STYLE = ['default', 'length'];
const GENERIC_FIELD_NAMES = ['uri', 'cid', 'did', 'ref', 'id', 'value', 'data'];
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LARGE = 20 * 1024;

function nameSyntaxProblem(name: string): string | null {
  if (name === '') return 'empty name';
  if (name.length > 255) return 'name is longer than 255 characters';
  if (RESERVED_SYNTAX.includes(name)) return 'name is a commonly reserved keyword';
  if (!NAME_SYNTAX.test(name)) return 'name is not ASCII letters and digits starting with a letter';
  return null;
}

function blank(s: string | undefined): boolean {
  return s === undefined || s.trim() === '';
}

function duplicates<T>(list: readonly T[] | undefined): T[] {
  if (list === undefined) return [];
  const seen = new Set<T>();
  const dups = new Set<T>();
  for (const x of list) {
    if (seen.has(x)) dups.add(x);
    seen.add(x);
  }
  return [...dups];
}

class Linter {
  readonly findings: LexFinding[] = [];

  constructor(
    private readonly doc: LexiconDocument,
    private readonly catalog: LexiconCatalog | undefined,
    private readonly enabled: (code: string) => boolean,
  ) {}

  report(code: string, path: string, message: string): void {
    if (this.enabled(code)) this.findings.push(makeFinding(code, path, message));
  }

  get nsidName(): string {
    const parts = this.doc.id.split('.');
    return parts[parts.length - 1] ?? '';
  }

  run(): void {
    const { doc } = this;
    const segments = doc.id.split('.');
    const name = segments[segments.length - 1] ?? '';
    if (/^[A-Z]/.test(name)) this.report('nsid-name-case', 'id', `NSID name "${name}" should be lowerCamelCase (${name[0]!.toLowerCase()}${name.slice(1)})`);
    if (/[A-Z]/.test(segments.slice(0, -1).join('.'))) this.report('nsid-authority-case', 'id', `NSID authority "${segments.slice(0, -1).join('.')}" should be lower-case`);
    if (RESERVED_STYLE.includes(name)) this.report('reserved-name', 'id', `avoid "${name}" as a schema name (clashes with programming-language conventions)`);
    if (doc.description !== undefined && blank(doc.description)) this.report('description-empty', 'description', 'description is empty');

    for (const [defName, def] of Object.entries(doc.defs)) {
      const path = joinPath('defs', defName);
      const syntax = nameSyntaxProblem(defName);
      if (syntax !== null) this.report('def-name-syntax', path, `${syntax}: ${defName}`);
      else if (/^[A-Z]/.test(defName)) this.report('def-name-case', path, `definition name "${defName}" should be lowerCamelCase`);
      if (RESERVED_STYLE.includes(defName)) this.report('reserved-name', path, `avoid "${defName}" as a definition name (clashes with programming-language conventions)`);
      if (name === 'defs' && defName === 'main') this.report('defs-main-definition', path, 'defs schemas should not have a "main" definition');
      this.def(def, path);
    }
  }

  describe(node: { description?: string }, path: string): void {
    if (node.description !== undefined && blank(node.description)) this.report('description-empty', joinPath(path, 'description'), 'description is empty');
  }

  def(def: LexUserType, path: string): void {
    switch (def.type) {
      case 'record':
        if (blank(def.description)) this.report('missing-primary-description', path, 'record has no description');
        this.node(def.record, joinPath(path, 'record'), true);
        return;
      case 'query':
      case 'procedure':
        if (blank(def.description)) this.report('missing-primary-description', path, `${def.type} has no description`);
        if (def.parameters !== undefined) this.node(def.parameters, joinPath(path, 'parameters'), false);
        if (def.type === 'procedure' && def.input !== undefined) this.body(def.input, joinPath(path, 'input'));
        if (def.output === undefined) this.report('endpoint-output-undefined', path, `${def.type} has no output (define one, even if empty: application/json with an object schema)`);
        else this.body(def.output, joinPath(path, 'output'));
        this.errorNames(def.errors, path);
        return;
      case 'subscription': {
        if (blank(def.description)) this.report('missing-primary-description', path, 'subscription has no description');
        if (!this.nsidName.startsWith('subscribe')) this.report('subscription-name', 'id', `subscription "${this.nsidName}" should be named subscribe<Things> (like subscribeLabels)`);
        if (def.parameters !== undefined) this.node(def.parameters, joinPath(path, 'parameters'), false);
        const mp = joinPath(path, 'message');
        if (def.message === undefined || def.message.schema.refs.length === 0) {
          this.report('subscription-no-messages', def.message === undefined ? path : joinPath(mp, 'schema'), 'no subscription message types defined');
        }
        if (def.message !== undefined) {
          this.describe(def.message, mp);
          const sp = joinPath(mp, 'schema');
          def.message.schema.refs.forEach((r, i) => {
            if (!r.startsWith('#')) this.report('subscription-message-local', joinPath(joinPath(sp, 'refs'), i), `message type "${r}" should be defined in this file (as "#name")`);
          });
          this.node(def.message.schema, sp, false);
        }
        this.errorNames(def.errors, path);
        return;
      }
      case 'permission-set': {
        if (blank(def.title)) this.report('permissionset-no-title', path, 'permission set has no title');
        if (blank(def.detail)) this.report('permissionset-no-detail', path, 'permission set has no detail text');
        this.describe(def, path);
        if (def.permissions.length === 0) this.report('permissionset-no-permissions', joinPath(path, 'permissions'), 'permission set is empty');
        def.permissions.forEach((p, i) => {
          const pp = joinPath(joinPath(path, 'permissions'), i);
          if (p.resource !== 'repo' && p.resource !== 'rpc') {
            this.report('permission-resource-unsupported', joinPath(pp, 'resource'), `resource "${p.resource}" is not supported in Lexicon permission sets and will be ignored`);
          }
          for (const key of ['collection', 'lxm', 'action'] as const) {
            const list = p[key];
            if (Array.isArray(list)) for (const d of duplicates(list)) this.report('duplicate-entry', joinPath(pp, key), `"${d}" is listed twice`);
          }
        });
        return;
      }
      case 'token':
        if (blank(def.description)) this.report('undescribed-token', path, 'token has no description');
        return;
      default:
        this.node(def, path, false);
    }
  }

  errorNames(errors: Array<{ name: string; description?: string }> | undefined, path: string): void {
    if (errors === undefined) return;
    const ep = joinPath(path, 'errors');
    errors.forEach((e, i) => {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(e.name)) this.report('error-name-case', joinPath(joinPath(ep, i), 'name'), `error name "${e.name}" should be UpperCamelCase`);
      this.describe(e, joinPath(ep, i));
    });
    for (const d of duplicates(errors.map((e) => e.name))) this.report('duplicate-entry', ep, `error "${d}" is listed twice`);
  }

  body(body: LexBody, path: string): void {
    this.describe(body, path);
    if (body.encoding === undefined || body.encoding === '') this.report('unspecified-encoding', path, 'body has no encoding (like application/json)');
    if (body.schema !== undefined) this.node(body.schema, joinPath(path, 'schema'), false);
  }

  /** Walks a field-level node; `inRecord` is true under a record's schema. */
  node(node: LexNode, path: string, inRecord: boolean): void {
    this.describe(node, path);
    switch (node.type) {
      case 'string':
        return this.string(node, path, inRecord);
      case 'integer':
        return this.integer(node, path);
      case 'boolean':
        if (node.default === true) this.report('boolean-default-true', joinPath(path, 'default'), 'boolean defaults to true; phrase it so that false is the default');
        return;
      case 'bytes':
        if (node.maxLength === undefined) this.report('unlimited-bytes', path, 'bytes field has no maxLength');
        else if (node.maxLength > LARGE) this.report('large-bytes', joinPath(path, 'maxLength'), `maxLength ${node.maxLength} is more than 20 KiB (use a blob)`);
        return;
      case 'blob':
        for (const d of duplicates(node.accept)) this.report('duplicate-entry', joinPath(path, 'accept'), `"${d}" is listed twice`);
        return;
      case 'unknown':
        if (inRecord) this.report('unknown-in-record', path, '"unknown" fields in records are discouraged');
        return;
      case 'array':
        this.node(node.items, joinPath(path, 'items'), inRecord);
        return;
      case 'object':
      case 'params':
        return this.object(node, path, inRecord);
      case 'ref':
        return this.ref(node.ref, joinPath(path, 'ref'), false);
      case 'union': {
        if (node.closed === true) this.report('closed-union', joinPath(path, 'closed'), 'closed unions can never gain new types; prefer an open union');
        const rp = joinPath(path, 'refs');
        node.refs.forEach((r, i) => this.ref(r, joinPath(rp, i), true));
        for (const d of duplicates(node.refs.map((r) => expandRef(r, this.doc.id)))) this.report('duplicate-entry', rp, `"${d}" is listed twice`);
        return;
      }
      default:
        return;
    }
  }

  object(node: LexObject | LexParams, path: string, inRecord: boolean): void {
    const pp = joinPath(path, 'properties');
    const required = node.required ?? [];
    for (const [name, prop] of Object.entries(node.properties) as Array<[string, LexField]>) {
      const fp = joinPath(pp, name);
      if (name.startsWith('$')) this.report('field-name-dollar', fp, `property "${name}" starts with "$", which is reserved for protocol fields`);
      else {
        const syntax = nameSyntaxProblem(name);
        if (syntax !== null) this.report('field-name-syntax', fp, `${syntax}: ${name}`);
        else if (/^[A-Z]/.test(name)) this.report('field-name-case', fp, `property "${name}" should be lowerCamelCase`);
      }
      if (GENERIC_FIELD_NAMES.includes(name) && blank(prop.description)) {
        this.report('ambiguous-field-description', fp, `"${name}" is a generic name: add a description saying what it refers to`);
      }
      this.node(prop, fp, inRecord);
    }
    for (const d of duplicates(node.required)) this.report('duplicate-entry', joinPath(path, 'required'), `"${d}" is listed twice`);
    if (node.type === 'object') {
      for (const d of duplicates(node.nullable)) this.report('duplicate-entry', joinPath(path, 'nullable'), `"${d}" is listed twice`);
      for (const k of node.nullable ?? []) {
        if (!required.includes(k)) this.report('nullable-and-optional', joinPath(pp, k), `field is both nullable and optional: ${k}`);
      }
    }
  }

  string(s: LexString, path: string, inRecord: boolean): void {
    if (s.maxLength !== undefined && s.maxLength > LARGE) this.report('large-string', joinPath(path, 'maxLength'), `maxLength ${s.maxLength} is more than 20 KiB (use a blob)`);
    if (s.format === undefined && s.maxLength === undefined && s.maxGraphemes === undefined && s.enum === undefined && s.const === undefined) {
      this.report('unlimited-string', path, 'string has no format, maxLength or maxGraphemes');
    }
    if (s.maxGraphemes !== undefined) {
      if (s.maxLength === undefined) this.report('grapheme-without-length', path, `maxGraphemes ${s.maxGraphemes} without maxLength: add a byte limit (10–20 bytes per grapheme)`);
      else if (s.maxGraphemes > 0 && (s.maxLength < s.maxGraphemes * 10 || s.maxLength > s.maxGraphemes * 20)) {
        this.report('grapheme-length-ratio', joinPath(path, 'maxLength'), `maxLength ${s.maxLength} is ${(s.maxLength / s.maxGraphemes).toFixed(1)}× maxGraphemes ${s.maxGraphemes} (10–20× recommended)`);
      }
    }
    if (s.format !== undefined && (s.maxLength !== undefined || s.minLength !== undefined || s.maxGraphemes !== undefined || s.minGraphemes !== undefined)) {
      this.report('format-with-length', path, `format "${s.format}" already bounds the string; length limits are redundant`);
    }
    if (inRecord && (s.format === 'handle' || s.format === 'at-identifier')) {
      this.report('record-handle-reference', joinPath(path, 'format'), `records should reference accounts by DID (format "did"), not "${s.format}"`);
    }
    if (s.enum !== undefined) this.report('closed-enum', joinPath(path, 'enum'), 'enums can never gain values; prefer knownValues');
    const kp = joinPath(path, 'knownValues');
    (s.knownValues ?? []).forEach((v, i) => {
      if (v.startsWith('#')) this.report('known-string-local-ref', joinPath(kp, i), `possible local ref: ${v} (write ${this.doc.id}${v})`);
      else if (!v.includes('.') && !v.includes('#') && !KEBAB.test(v)) this.report('known-value-case', joinPath(kp, i), `"${v}" should be kebab-case`);
    });
    for (const d of duplicates(s.knownValues)) this.report('duplicate-entry', kp, `"${d}" is listed twice`);
    for (const d of duplicates(s.enum)) this.report('duplicate-entry', joinPath(path, 'enum'), `"${d}" is listed twice`);
    const check = (value: string, where: string): void => {
      const problem = stringConstraintProblem(s, value, where !== 'enum');
      if (problem !== null) this.report('constraint-conflict', joinPath(path, where), `${where} ${JSON.stringify(value)} ${problem}`);
    };
    if (s.default !== undefined) check(s.default, 'default');
    if (s.const !== undefined) check(s.const, 'const');
    (s.enum ?? []).forEach((v, i) => {
      const problem = stringConstraintProblem(s, v, false);
      if (problem !== null) this.report('constraint-conflict', joinPath(joinPath(path, 'enum'), i), `enum value ${JSON.stringify(v)} ${problem}`);
    });
  }

  integer(n: LexInteger, path: string): void {
    if (n.enum !== undefined) this.report('closed-enum', joinPath(path, 'enum'), 'enums can never gain values; prefer documented ranges');
    for (const d of duplicates(n.enum)) this.report('duplicate-entry', joinPath(path, 'enum'), `${d} is listed twice`);
    const check = (v: number, where: string, withEnum: boolean): void => {
      let problem: string | null = null;
      if (n.minimum !== undefined && v < n.minimum) problem = `is less than the minimum ${n.minimum}`;
      else if (n.maximum !== undefined && v > n.maximum) problem = `is greater than the maximum ${n.maximum}`;
      else if (withEnum && n.enum !== undefined && !n.enum.includes(v)) problem = 'is not in the enum';
      if (problem !== null) this.report('constraint-conflict', joinPath(path, where), `${where.replace(/\[\d+\]$/, '')} ${v} ${problem}`);
    };
    if (n.default !== undefined) check(n.default, 'default', true);
    if (n.const !== undefined) check(n.const, 'const', true);
    (n.enum ?? []).forEach((v, i) => check(v, `enum[${i}]`, false));
  }

  lookup(nsid: string): LexiconDocument | undefined {
    if (nsid === this.doc.id) return this.doc;
    return this.catalog?.get(nsid);
  }

  ref(ref: string, path: string, inUnion: boolean): void {
    if (ref.endsWith('#main')) this.report('ref-main-suffix', path, `write "${ref.slice(0, -5)}" instead of "${ref}"`);
    const full = expandRef(ref, this.doc.id);
    const { nsid, name } = splitRef(full);
    const target = this.lookup(nsid);
    if (target === undefined) {
      this.report('ref-not-in-catalog', path, `${nsid} is not loaded, so "${ref}" cannot be checked`);
      return;
    }
    const def = Object.prototype.hasOwnProperty.call(target.defs, name) ? target.defs[name] : undefined;
    if (def === undefined) {
      this.report(inUnion ? 'union-ref-unresolved' : 'ref-unresolved', path, `"${ref}" does not resolve: ${nsid} has no definition "${name}"`);
      return;
    }
    if (inUnion) {
      if (def.type !== 'object' && def.type !== 'record') this.report('union-ref-type', path, `union member "${ref}" is a ${def.type}; union members must be objects or records`);
    } else if (['token', 'query', 'procedure', 'subscription', 'permission-set'].includes(def.type)) {
      this.report('ref-target-type', path, `"${ref}" points to a ${def.type}, which cannot describe data`);
    }
  }
}

/** Null when `value` satisfies the string's own constraints, else what is wrong. */
function stringConstraintProblem(s: LexString, value: string, withEnum: boolean): string | null {
  if (s.maxLength !== undefined || s.minLength !== undefined) {
    const n = utf8Length(value);
    if (s.maxLength !== undefined && n > s.maxLength) return `is longer than maxLength ${s.maxLength}`;
    if (s.minLength !== undefined && n < s.minLength) return `is shorter than minLength ${s.minLength}`;
  }
  if (s.maxGraphemes !== undefined || s.minGraphemes !== undefined) {
    const n = graphemeLength(value);
    if (s.maxGraphemes !== undefined && n > s.maxGraphemes) return `is longer than maxGraphemes ${s.maxGraphemes}`;
    if (s.minGraphemes !== undefined && n < s.minGraphemes) return `is shorter than minGraphemes ${s.minGraphemes}`;
  }
  if (s.format !== undefined) {
    const reason = checkStringFormat(s.format, value);
    if (reason !== null) return `is not a valid ${s.format}: ${reason}`;
  }
  if (withEnum && s.enum !== undefined && !s.enum.includes(value)) return 'is not in the enum';
  return null;
}

/**
 * Lints one Lexicon document: `doc` may be raw JSON (parsed here; schema errors become findings)
 * or a parsed {@link LexiconDocument}. `catalog` resolves cross-file references; without one,
 * only references within the document are checked.
 */
export function lintLexicon(doc: unknown, catalog?: LexiconCatalog, options: LintOptions = {}): LexFinding[] {
  const enabled = ruleFilter(options);
  const parsed = parseLexiconDocument(doc, options.floatPaths === undefined ? {} : { floatPaths: options.floatPaths });
  const findings: LexFinding[] = [];
  const push = (code: string, path: string, message: string): void => {
    if (enabled(code)) findings.push(makeFinding(code, path, message));
  };
  for (const path of options.duplicateKeys ?? []) push('duplicate-key', path, 'this key appears more than once in the same object (readers keep only one)');
  for (const path of options.unexpectedFields ?? parsed.unexpectedFields) push('unexpected-field', path, `unexpected field "${lastSegment(path)}"`);
  if (!parsed.ok) {
    // The document could not be read, so no other rule ran: these are reported even when
    // --rule selects other codes (only an explicit ignore hides them).
    for (const e of parsed.errors) if (!(options.ignore ?? []).includes(e.code)) findings.push(makeFinding(e.code, e.path, e.message));
    return findings;
  }
  const linter = new Linter(parsed.document, catalog, enabled);
  linter.run();
  return [...findings, ...linter.findings];
}

function lastSegment(path: string): string {
  const m = /(?:^|\.)([^.[\]]+)$|\[("(?:[^"\\]|\\.)*")\]$/.exec(path);
  if (m?.[1] !== undefined) return m[1];
  if (m?.[2] !== undefined) return JSON.parse(m[2]) as string;
  return path;
}
