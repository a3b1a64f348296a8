/**
 * The Lexicon schema model (spec: lexicon, version 1). Every definition kind has its own type;
 * {@link parseLexiconDocument} turns checked JSON into these, dropping fields it does not know
 * (they are reported as `unexpected-field` by the linter instead).
 */

export const STRING_FORMATS = [
  'at-identifier',
  'at-uri',
  'cid',
  'datetime',
  'did',
  'handle',
  'nsid',
  'tid',
  'record-key',
  'uri',
  'language',
] as const;
export type LexStringFormat = (typeof STRING_FORMATS)[number];

export const PRIMARY_TYPES = ['record', 'query', 'procedure', 'subscription', 'permission-set'] as const;
export type LexPrimaryType = (typeof PRIMARY_TYPES)[number];

/** Types that exist only inside other definitions and can never be a named def. */
export const NON_DEF_TYPES = ['ref', 'union', 'unknown', 'params', 'permission'] as const;

export interface LexBase {
  description?: string;
}

export interface LexBoolean extends LexBase {
  type: 'boolean';
  default?: boolean;
  const?: boolean;
}

export interface LexInteger extends LexBase {
  type: 'integer';
  minimum?: number;
  maximum?: number;
  enum?: number[];
  default?: number;
  const?: number;
}

export interface LexString extends LexBase {
  type: 'string';
  format?: LexStringFormat;
  /** In UTF-8 bytes. */
  minLength?: number;
  /** In UTF-8 bytes. */
  maxLength?: number;
  /** In Unicode grapheme clusters. */
  minGraphemes?: number;
  /** In Unicode grapheme clusters. */
  maxGraphemes?: number;
  knownValues?: string[];
  enum?: string[];
  default?: string;
  const?: string;
}

export interface LexBytes extends LexBase {
  type: 'bytes';
  minLength?: number;
  maxLength?: number;
}

export interface LexCidLink extends LexBase {
  type: 'cid-link';
}

export interface LexBlob extends LexBase {
  type: 'blob';
  /** MIME types; each may end in `*` (`image/*`); `*\/*` accepts anything. */
  accept?: string[];
  /** In bytes. */
  maxSize?: number;
}

export interface LexUnknown extends LexBase {
  type: 'unknown';
}

export interface LexRef extends LexBase {
  type: 'ref';
  /** `#name` (same file), `nsid` (its main def) or `nsid#name`. */
  ref: string;
}

export interface LexUnion extends LexBase {
  type: 'union';
  refs: string[];
  /** Default false (open): data of other types is accepted. */
  closed?: boolean;
}

export interface LexArray extends LexBase {
  type: 'array';
  items: LexField;
  minLength?: number;
  maxLength?: number;
}

export interface LexObject extends LexBase {
  type: 'object';
  properties: Record<string, LexField>;
  required?: string[];
  nullable?: string[];
}

/** Types allowed as an object property or array item. */
export type LexField = LexBoolean | LexInteger | LexString | LexBytes | LexCidLink | LexBlob | LexUnknown | LexRef | LexUnion | LexArray | LexObject;

export type LexParamPrimitive = LexBoolean | LexInteger | LexString | LexUnknown;

export interface LexParamArray extends LexBase {
  type: 'array';
  items: LexParamPrimitive;
  minLength?: number;
  maxLength?: number;
}

/** HTTP query parameters of a query, procedure or subscription. */
export interface LexParams extends LexBase {
  type: 'params';
  properties: Record<string, LexParamPrimitive | LexParamArray>;
  required?: string[];
}

export interface LexToken extends LexBase {
  type: 'token';
}

/** Request or response body of an XRPC endpoint. */
export interface LexBody extends LexBase {
  /** MIME type; required by the spec, reported as `unspecified-encoding` when missing. */
  encoding?: string;
  schema?: LexObject | LexRef | LexUnion;
}

export interface LexErrorDef extends LexBase {
  name: string;
}

export interface LexRecord extends LexBase {
  type: 'record';
  /** `tid`, `nsid`, `any` or `literal:<rkey>`. */
  key: string;
  record: LexObject;
}

export interface LexQuery extends LexBase {
  type: 'query';
  parameters?: LexParams;
  output?: LexBody;
  errors?: LexErrorDef[];
}

export interface LexProcedure extends LexBase {
  type: 'procedure';
  parameters?: LexParams;
  input?: LexBody;
  output?: LexBody;
  errors?: LexErrorDef[];
}

export interface LexSubscriptionMessage extends LexBase {
  schema: LexUnion;
}

export interface LexSubscription extends LexBase {
  type: 'subscription';
  parameters?: LexParams;
  message?: LexSubscriptionMessage;
  errors?: LexErrorDef[];
}

/** One auth permission inside a permission set; fields beyond `resource` depend on the resource. */
export interface LexPermission extends LexBase {
  type: 'permission';
  resource: string;
  collection?: string[];
  action?: string[];
  lxm?: string[];
  aud?: string;
  inheritAud?: boolean;
  accept?: string[];
  attr?: string;
  /** Any other fields, kept verbatim (the permission vocabulary grows over time). */
  [field: string]: unknown;
}

export interface LexPermissionSet extends LexBase {
  type: 'permission-set';
  title?: string;
  'title:lang'?: Record<string, string>;
  detail?: string;
  'detail:lang'?: Record<string, string>;
  permissions: LexPermission[];
}

export type LexPrimaryDef = LexRecord | LexQuery | LexProcedure | LexSubscription | LexPermissionSet;

/** Anything that may be a named definition in `defs`. */
export type LexUserType =
  | LexPrimaryDef
  | LexObject
  | LexToken
  | LexBoolean
  | LexInteger
  | LexString
  | LexBytes
  | LexCidLink
  | LexBlob
  | LexArray;

/** Every schema node kind, for generic walkers. */
export type LexNode = LexUserType | LexField | LexParams | LexPermission;

export interface LexiconDocument {
  lexicon: 1;
  id: string;
  revision?: number;
  description?: string;
  defs: Record<string, LexUserType>;
}

/** A problem found in a schema, located by path (`defs.main.record.properties.text.maxLength`). */
export interface SchemaIssue {
  code: string;
  path: string;
  message: string;
}

export type LintLevel = 'error' | 'warning' | 'info';

/** One lint or evolution finding. */
export interface LexFinding {
  code: string;
  level: LintLevel;
  path: string;
  message: string;
}

/** A record-data validation error, located by data path (`embed.images[0].alt`, "" for the root). */
export interface ValidationError {
  path: string;
  message: string;
  /**
   * Set when the value could not be checked because the schema it needs (this reference) is not
   * in the catalog: a gap in what is known, not a fault of the data.
   */
  missingSchema?: string;
}

export function isPrimaryType(type: string): type is LexPrimaryType {
  return (PRIMARY_TYPES as readonly string[]).includes(type);
}
