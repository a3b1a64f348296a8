// A seeded generator of Lexicon records: valid records for every record schema of a catalog, and
// each one with at most one mutation (a named way of breaking, or deliberately not breaking, one
// value). The differential test feeds them to atcli's validator and to @atproto/lexicon.
import { CODEC_DAG_CBOR, CODEC_RAW, Cid, MH_SHA256, sha256 } from '../../../../src/core/codec/cid.js';
import type { LexiconCatalog } from '../../../../src/core/lexicon/index.js';
import type { LexArray, LexBlob, LexBytes, LexInteger, LexNode, LexObject, LexString, LexStringFormat, LexUnion } from '../../../../src/core/lexicon/index.js';
import { expandRef } from '../../../../src/core/lexicon/index.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

/** mulberry32: small, fast, good enough to spread cases. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'.split('');
const TID_CHARS = '234567abcdefghijklmnopqrstuvwxyz'.split('');
const TID_FIRST = TID_CHARS.slice(0, 16);

function cidOf(rng: Rng, codec: number): string {
  const seed = new Uint8Array(8);
  for (let i = 0; i < 8; i++) seed[i] = rng.int(0, 255);
  return Cid.create(codec, MH_SHA256, sha256(seed)).toString();
}

function tid(rng: Rng): string {
  let s = rng.pick(TID_FIRST);
  for (let i = 0; i < 12; i++) s += rng.pick(TID_CHARS);
  return s;
}

function did(rng: Rng): string {
  if (rng.chance(0.2)) return rng.pick(['did:web:example.com', 'did:web:alice.example.org']);
  let s = 'did:plc:';
  for (let i = 0; i < 24; i++) s += rng.pick(B32);
  return s;
}

function handle(rng: Rng): string {
  return `${rng.pick(['alice', 'bob', 'carol-1', 'd4n'])}.${rng.pick(['example.com', 'bsky.social', 'test.example.org'])}`;
}

const NSIDS = ['app.bsky.feed.post', 'com.example.diff.everything', 'com.atproto.repo.strongRef', 'org.example.someThing'];

export function validFormat(rng: Rng, format: LexStringFormat): string {
  switch (format) {
    case 'datetime':
      return new Date(Date.UTC(2020, 0, 1) + rng.int(0, 5 * 365 * 86400) * 1000 + rng.int(0, 999)).toISOString();
    case 'did':
      return did(rng);
    case 'handle':
      return handle(rng);
    case 'at-identifier':
      return rng.chance(0.5) ? did(rng) : handle(rng);
    case 'at-uri':
      return rng.chance(0.2) ? `at://${did(rng)}` : `at://${did(rng)}/${rng.pick(NSIDS)}/${tid(rng)}`;
    case 'nsid':
      return rng.pick(NSIDS);
    case 'cid':
      return cidOf(rng, rng.chance(0.7) ? CODEC_DAG_CBOR : CODEC_RAW);
    case 'language':
      return rng.pick(['en', 'pt-BR', 'ja', 'zh-Hant', 'hy-Latn-IT-arevela', 'i-default']);
    case 'uri':
      return rng.pick(['https://example.com/a?b=c#d', 'at://did:plc:abc/app.bsky.feed.post/3k', 'dns:example.com', 'ipfs://bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', 'did:web:example.com']);
    case 'tid':
      return tid(rng);
    case 'record-key':
      return rng.chance(0.6) ? tid(rng) : rng.pick(['self', 'a.b-c_d:e~f', '3']);
  }
}

/** Bad values of each format, by name: the differential table refers to these names. */
export const BAD_FORMATS: Record<LexStringFormat, Record<string, string>> = {
  datetime: {
    'no-timezone': '2024-01-02T03:04:05.678',
    'lowercase-t': '2024-01-02t03:04:05.678Z',
    'lowercase-z': '2024-01-02T03:04:05.678z',
    'space-separator': '2024-01-02 03:04:05.678Z',
    'negative-zero-offset': '2024-01-02T03:04:05.678-00:00',
    'no-seconds': '2024-01-02T03:04Z',
    'date-only': '2024-01-02',
    'impossible-date': '2023-02-30T03:04:05Z',
    'leap-second': '2016-12-31T23:59:60Z',
    'offset-without-colon': '2024-01-02T03:04:05+0100',
    'six-digit-year': '+002024-01-02T03:04:05Z',
    words: 'yesterday',
  },
  'at-uri': {
    words: 'not an at uri',
    'https-scheme': 'https://example.com/post/1',
    'bad-authority': 'at://not a did/app.bsky.feed.post/3k',
    'trailing-slash': 'at://did:plc:abcdefghijklmnopqrstuvwx/',
    'with-query': 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k?x=1',
    'with-fragment': 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k#frag',
    'bad-collection': 'at://did:plc:abcdefghijklmnopqrstuvwx/not_an_nsid/3k',
    'too-many-segments': 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k/extra',
  },
  did: {
    words: 'alice',
    'empty-method': 'did::abc',
    'uppercase-method': 'did:PLC:abc',
    'trailing-colon': 'did:plc:abc:',
    'bad-percent': 'did:web:%zz',
  },
  handle: {
    words: 'not a handle',
    'single-label': 'alice',
    underscore: 'al_ice.example.com',
    'numeric-tld': 'alice.example.123',
    'trailing-dot': 'alice.example.com.',
  },
  'at-identifier': {
    words: 'not an identifier',
    'at-sign': '@alice.example.com',
  },
  nsid: {
    words: 'not an nsid',
    'two-segments': 'com.example',
    'digit-name': 'com.example.3thing',
    'hyphen-name': 'com.example.some-thing',
  },
  cid: {
    truncated: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icif',
    'bad-character': 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hp1',
    cidv0: 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR',
    words: 'abcdefghij',
    'uppercase-base32': 'BAFYREIE5737GDXLW5I64VZICHCALBA3Z2V5N6ICIFVX5XYTVSKE7MR3HPM',
  },
  language: {
    words: 'english!',
    underscore: 'en_US',
    'too-long-primary': 'abcdefghij',
    empty: '',
  },
  uri: {
    'no-scheme': 'example.com/path',
    space: 'https://exa mple.com/',
    words: 'just words',
  },
  tid: {
    words: 'not-a-tid',
    uppercase: '3JZFCIJPJ2Z2A',
    'too-short': '3jzfcijpj2z2',
    'bad-first-char': 'zjzfcijpj2z2a',
  },
  'record-key': {
    dot: '.',
    'dot-dot': '..',
    slash: 'a/b',
    space: 'a b',
    empty: '',
  },
};

/** Valid but unusual datetimes: both validators should accept them. */
const ODD_VALID_DATETIMES = ['1985-04-12T23:20:50.12345678912345Z', '1985-04-12T23:20:50.123+01:45', '0001-01-01T00:00:00.000Z', '1985-04-12T23:20:50Z'];

/** What a mutation may change, decided where a value is generated. */
interface Site {
  def: LexNode;
  /** The object that holds the value, and its key there (undefined for array items). */
  parent?: LexObject;
  key?: string;
}

export interface Mutation {
  id: string;
  /** Can it change a value generated for this site? */
  applies(site: Site, ctx: Context): boolean;
  /** The replacement (`undefined`: drop the field). */
  apply(valid: Json, site: Site, ctx: Context): Json | undefined;
}

interface Context {
  rng: Rng;
  catalog: LexiconCatalog;
  /** Object definitions the catalog knows, for "known but unlisted" union members. */
  objectRefs: string[];
}

const isString = (s: Site): s is Site & { def: LexString } => s.def.type === 'string';
const hasFormat = (format: LexStringFormat) => (s: Site) => isString(s) && s.def.format === format;

function blobMutation(id: string, change: (b: JsonMap, def: LexBlob) => Json | undefined, when: (def: LexBlob) => boolean = () => true): Mutation {
  return {
    id,
    applies: (s) => s.def.type === 'blob' && when(s.def),
    apply: (v, s) => change({ ...(v as JsonMap) }, s.def as LexBlob),
  };
}

function unionMutation(id: string, change: (v: JsonMap, def: LexUnion, ctx: Context) => Json, when: (def: LexUnion) => boolean = () => true): Mutation {
  return {
    id,
    applies: (s) => s.def.type === 'union' && when(s.def),
    apply: (v, s, ctx) => change({ ...(v as JsonMap) }, s.def as LexUnion, ctx),
  };
}

function nest(levels: number): Json {
  let v: Json = 'leaf';
  for (let i = 0; i < levels; i++) v = i % 2 === 0 ? { n: v } : [v];
  return v;
}

const WRONG_KIND: Record<string, Json> = {
  boolean: 'true',
  integer: '42',
  string: 42,
  bytes: 'AAEC',
  'cid-link': 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  blob: 'blob',
  array: { item: 1 },
  object: 'object',
  unknown: 17,
  union: ['not', 'an', 'object'],
};

export const MUTATIONS: Mutation[] = [
  { id: 'wrong-type', applies: (s) => s.def.type in WRONG_KIND, apply: (_v, s) => WRONG_KIND[s.def.type] as Json },
  { id: 'missing-required', applies: (s) => s.def.type === 'object' && (s.def.required?.length ?? 0) > 0, apply: (v, s, ctx) => dropKey(v, ctx.rng.pick((s.def as LexObject).required as string[])) },
  { id: 'null-not-nullable', applies: (s) => s.parent !== undefined && !(s.parent.nullable ?? []).includes(s.key as string), apply: () => null },
  { id: 'null-nullable', applies: (s) => s.parent !== undefined && (s.parent.nullable ?? []).includes(s.key as string), apply: () => null },
  { id: 'extra-field', applies: (s) => s.def.type === 'object', apply: (v) => ({ ...(v as JsonMap), zzUndeclared: 'extra' }) },
  { id: 'extra-field-dollar', applies: (s) => s.def.type === 'object', apply: (v) => ({ ...(v as JsonMap), $zz: 'reserved but ignored' }) },
  { id: 'extra-field-float', applies: (s) => s.def.type === 'object', apply: (v) => ({ ...(v as JsonMap), zzFloat: 1.5 }) },
  { id: 'extra-field-lone-surrogate', applies: (s) => s.def.type === 'object', apply: (v) => ({ ...(v as JsonMap), zzText: 'broken \ud800 text' }) },
  { id: 'nesting-20', applies: (s) => s.def.type === 'record', apply: (v) => ({ ...(v as JsonMap), zzDeep: nest(20) }) },
  { id: 'nesting-40', applies: (s) => s.def.type === 'record', apply: (v) => ({ ...(v as JsonMap), zzDeep: nest(40) }) },
  // strings
  { id: 'string-too-many-bytes', applies: (s) => isString(s) && s.def.maxLength !== undefined && s.def.format === undefined && s.def.enum === undefined && s.def.const === undefined, apply: (_v, s) => 'x'.repeat(((s.def as LexString).maxLength as number) + 1) },
  { id: 'string-too-many-graphemes', applies: (s) => isString(s) && s.def.maxGraphemes !== undefined && s.def.enum === undefined && s.def.const === undefined, apply: (_v, s) => 'é'.repeat(((s.def as LexString).maxGraphemes as number) + 1) },
  { id: 'string-too-short', applies: (s) => isString(s) && ((s.def.minLength ?? 0) > 0 || (s.def.minGraphemes ?? 0) > 0), apply: () => '' },
  { id: 'string-not-in-enum', applies: (s) => isString(s) && s.def.enum !== undefined, apply: () => 'not-in-the-enum' },
  { id: 'string-wrong-const', applies: (s) => isString(s) && s.def.const !== undefined, apply: (v) => `${String(v)}-changed` },
  { id: 'string-unknown-known-value', applies: (s) => isString(s) && s.def.knownValues !== undefined && (s.def.maxLength ?? 100) >= 12, apply: () => 'other-value' },
  { id: 'string-lone-surrogate', applies: (s) => isString(s) && s.def.format === undefined && s.def.enum === undefined && s.def.const === undefined && (s.def.maxLength ?? 100) >= 4, apply: () => 'a\udc00b' },
  { id: 'datetime-unusual-valid', applies: hasFormat('datetime'), apply: (_v, _s, ctx) => ctx.rng.pick(ODD_VALID_DATETIMES) },
  ...Object.entries(BAD_FORMATS).flatMap(([format, bad]) =>
    Object.entries(bad).map(([name, value]): Mutation => ({ id: `format-${format}-${name}`, applies: hasFormat(format as LexStringFormat), apply: () => value })),
  ),
  // integers
  { id: 'integer-below-minimum', applies: (s) => s.def.type === 'integer' && s.def.minimum !== undefined, apply: (_v, s) => ((s.def as LexInteger).minimum as number) - 1 },
  { id: 'integer-above-maximum', applies: (s) => s.def.type === 'integer' && s.def.maximum !== undefined, apply: (_v, s) => ((s.def as LexInteger).maximum as number) + 1 },
  { id: 'integer-float', applies: (s) => s.def.type === 'integer', apply: () => 2.5 },
  { id: 'integer-beyond-int64', applies: (s) => s.def.type === 'integer' && s.def.maximum === undefined && s.def.enum === undefined && s.def.const === undefined, apply: () => 1e20 },
  { id: 'integer-not-in-enum', applies: (s) => s.def.type === 'integer' && s.def.enum !== undefined, apply: () => 99 },
  { id: 'integer-wrong-const', applies: (s) => s.def.type === 'integer' && s.def.const !== undefined, apply: (v) => (v as number) + 1 },
  { id: 'boolean-wrong-const', applies: (s) => s.def.type === 'boolean' && s.def.const !== undefined, apply: (v) => !(v as boolean) },
  // bytes and links
  { id: 'bytes-too-long', applies: (s) => s.def.type === 'bytes' && s.def.maxLength !== undefined, apply: (_v, s) => ({ $bytes: Buffer.alloc(((s.def as LexBytes).maxLength as number) + 1, 7).toString('base64') }) },
  { id: 'bytes-too-short', applies: (s) => s.def.type === 'bytes' && (s.def.minLength ?? 0) > 0, apply: () => ({ $bytes: '' }) },
  { id: 'bytes-bad-base64', applies: (s) => s.def.type === 'bytes', apply: () => ({ $bytes: '!!not base64!!' }) },
  { id: 'cid-link-garbage', applies: (s) => s.def.type === 'cid-link', apply: () => ({ $link: 'not-a-cid' }) },
  { id: 'cid-link-cidv0', applies: (s) => s.def.type === 'cid-link', apply: () => ({ $link: BAD_FORMATS.cid.cidv0 as string }) },
  { id: 'cid-link-extra-key', applies: (s) => s.def.type === 'cid-link', apply: (v) => ({ ...(v as JsonMap), other: 1 }) },
  // blobs
  blobMutation('blob-mime-not-accepted', (b) => ({ ...b, mimeType: 'application/x-not-accepted' }), (d) => d.accept !== undefined && !d.accept.includes('*/*')),
  blobMutation('blob-over-max-size', (b, d) => ({ ...b, size: (d.maxSize as number) + 1 }), (d) => d.maxSize !== undefined),
  blobMutation('blob-size-zero', (b) => ({ ...b, size: 0 })),
  blobMutation('blob-size-negative', (b) => ({ ...b, size: -1 })),
  blobMutation('blob-size-float', (b) => ({ ...b, size: 10.5 })),
  blobMutation('blob-ref-dag-cbor', (b) => ({ ...b, ref: { $link: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' } })),
  blobMutation('blob-ref-string', (b) => ({ ...b, ref: 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' })),
  blobMutation('blob-missing-mime-type', (b) => dropKey(b, 'mimeType')),
  blobMutation('blob-empty-mime-type', (b) => ({ ...b, mimeType: '' })),
  blobMutation('blob-extra-key', (b) => ({ ...b, name: 'photo.png' })),
  blobMutation('blob-legacy-form', (b) => ({ cid: ((b.ref as JsonMap).$link as string), mimeType: b.mimeType as string })),
  // unions
  unionMutation('union-unknown-type', (v) => ({ ...v, $type: 'org.example.elsewhere.thing#variant' })),
  unionMutation('union-known-unlisted-type', (v, def, ctx) => ({ ...v, $type: ctx.rng.pick(ctx.objectRefs.filter((r) => !def.refs.includes(r))) })),
  unionMutation('union-two-fragments', (v) => ({ ...v, $type: `${String(v.$type).split('#')[0]}#a#b` })),
  unionMutation('union-main-suffix', (v) => ({ ...v, $type: `${String(v.$type)}#main` }), (d) => d.refs.some((r) => !r.includes('#'))),
  unionMutation('union-missing-type', (v) => dropKey(v, '$type') as Json),
  unionMutation('union-type-not-string', (v) => ({ ...v, $type: 5 })),
  // arrays
  { id: 'array-too-long', applies: (s) => s.def.type === 'array' && s.def.maxLength !== undefined && s.def.maxLength < 20, apply: (v, s) => Array.from({ length: ((s.def as LexArray).maxLength as number) + 1 }, (_x, i) => (v as Json[])[i % Math.max(1, (v as Json[]).length)] ?? null) },
  { id: 'array-too-short', applies: (s) => s.def.type === 'array' && (s.def.minLength ?? 0) > 0, apply: () => [] },
  // unknown
  { id: 'unknown-array', applies: (s) => s.def.type === 'unknown', apply: () => [1, 2] },
  { id: 'unknown-blob', applies: (s) => s.def.type === 'unknown', apply: () => ({ $type: 'blob', ref: { $link: 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }, mimeType: 'image/png', size: 10 }) },
  { id: 'unknown-with-type', applies: (s) => s.def.type === 'unknown', apply: () => ({ $type: 'org.example.whatever', a: 1 }) },
  // the record itself
  { id: 'record-wrong-type', applies: (s) => s.def.type === 'record', apply: (v) => ({ ...(v as JsonMap), $type: 'org.example.other.record' }) },
  { id: 'record-type-main-suffix', applies: (s) => s.def.type === 'record', apply: (v) => ({ ...(v as JsonMap), $type: `${String((v as JsonMap).$type)}#main` }) },
];

function dropKey(v: Json, key: string): Json {
  const { [key]: _dropped, ...rest } = v as JsonMap;
  return rest;
}

export interface GeneratedCase {
  nsid: string;
  /** 'none' for an unmutated valid record. */
  mutation: string;
  record: Json;
}

export class RecordGenerator {
  readonly recordTypes: string[];
  private readonly objectRefs: string[];
  /** Record types a mutation has been applied to before: most mutations fit only a few. */
  private readonly hosts = new Map<string, string[]>();

  constructor(private readonly catalog: LexiconCatalog) {
    this.recordTypes = catalog.nsids().filter((n) => catalog.get(n)?.defs.main?.type === 'record');
    this.objectRefs = catalog.nsids().flatMap((n) =>
      Object.entries(catalog.get(n)?.defs ?? {})
        .filter(([, d]) => d.type === 'object')
        .map(([name]) => (name === 'main' ? n : `${n}#${name}`)),
    );
  }

  /**
   * One case: a valid record of a random type, with `mutation` applied at one random site where
   * it applies (tried on several record types); undefined when no record type offers the site.
   */
  generate(rng: Rng, mutation: Mutation | undefined): GeneratedCase | undefined {
    const hosts = mutation === undefined ? undefined : this.hosts.get(mutation.id);
    for (let attempt = 0; attempt < 12; attempt++) {
      const nsid =
        attempt === 11 ? 'com.example.diff.everything' : hosts !== undefined && rng.chance(0.8) ? rng.pick(hosts) : rng.pick(this.recordTypes);
      if (!this.catalog.has(nsid)) continue;
      const state = { mutation, applied: false, probability: mutation === undefined ? 0 : 0.35 };
      const ctx: Context = { rng, catalog: this.catalog, objectRefs: this.objectRefs };
      const main = this.catalog.get(nsid)!.defs.main!;
      const record = this.value({ def: main }, nsid, 0, ctx, state);
      if (mutation !== undefined && state.applied && !(hosts ?? []).includes(nsid)) this.hosts.set(mutation.id, [...(hosts ?? []), nsid]);
      if (mutation === undefined || state.applied) return { nsid, mutation: mutation?.id ?? 'none', record: record as Json };
    }
    return undefined;
  }

  private value(site: Site, base: string, depth: number, ctx: Context, state: { mutation: Mutation | undefined; applied: boolean; probability: number }): Json | undefined {
    const valid = this.valid(site, base, depth, ctx, state);
    const m = state.mutation;
    if (m !== undefined && !state.applied && m.applies(site, ctx) && ctx.rng.chance(state.probability)) {
      state.applied = true;
      return m.apply(valid, site, ctx);
    }
    return valid;
  }

  private valid(site: Site, base: string, depth: number, ctx: Context, state: { mutation: Mutation | undefined; applied: boolean; probability: number }): Json {
    const { rng } = ctx;
    const def = site.def;
    switch (def.type) {
      case 'record':
        return { $type: base, ...(this.object(def.record, base, depth, ctx, state) as JsonMap) };
      case 'object':
        return this.object(def, base, depth, ctx, state);
      case 'boolean':
        return def.const ?? rng.chance(0.5);
      case 'integer': {
        if (def.const !== undefined) return def.const;
        if (def.enum !== undefined) return rng.pick(def.enum);
        const lo = def.minimum ?? 0;
        return rng.int(lo, Math.min(def.maximum ?? lo + 1000, lo + 1000));
      }
      case 'string':
        return this.string(def, rng);
      case 'bytes': {
        const n = rng.int(def.minLength ?? 0, Math.min(def.maxLength ?? 16, 16));
        return { $bytes: Buffer.alloc(n, rng.int(0, 255)).toString('base64') };
      }
      case 'cid-link':
        return { $link: cidOf(rng, CODEC_DAG_CBOR) };
      case 'blob': {
        const accept = def.accept !== undefined && def.accept.length > 0 ? rng.pick(def.accept) : '*/*';
        const mimeType = accept === '*/*' ? 'application/octet-stream' : accept.endsWith('/*') ? `${accept.slice(0, -2)}/png` : accept;
        return { $type: 'blob', ref: { $link: cidOf(rng, CODEC_RAW) }, mimeType, size: rng.int(1, Math.min(def.maxSize ?? 1_000_000, 1_000_000)) };
      }
      case 'unknown':
        return { note: 'free-form', n: rng.int(0, 9), list: ['a', { b: true }] };
      case 'array': {
        const n = depth > 4 ? (def.minLength ?? 0) : rng.int(def.minLength ?? 0, Math.min(def.maxLength ?? 2, 2));
        const out: Json[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.value({ def: def.items }, base, depth + 1, ctx, state);
          if (item !== undefined) out.push(item);
        }
        return out;
      }
      case 'ref': {
        const target = this.catalog.resolve(def.ref, base);
        if (target === undefined) throw new Error(`generator: unresolved ref ${def.ref} in ${base}`);
        return this.value({ def: target.def, ...(site.parent ? { parent: site.parent, key: site.key as string } : {}) }, target.nsid, depth, ctx, state) ?? null;
      }
      case 'union': {
        const members = def.refs.map((r) => expandRef(r, base)).filter((r) => {
          const t = this.catalog.resolve(r);
          return t !== undefined && (t.def.type === 'object' || t.def.type === 'record');
        });
        if (members.length === 0) return { $type: 'org.example.elsewhere.thing', anything: 1 };
        const ref = rng.pick(members);
        const target = this.catalog.resolve(ref)!;
        const inner = this.value({ def: target.def }, target.nsid, depth + 1, ctx, state) as JsonMap;
        return { ...inner, $type: ref };
      }
      default:
        throw new Error(`generator: cannot generate data for a ${def.type}`);
    }
  }

  private object(def: LexObject, base: string, depth: number, ctx: Context, state: { mutation: Mutation | undefined; applied: boolean; probability: number }): Json {
    const out: JsonMap = {};
    const required = new Set(def.required ?? []);
    for (const [key, prop] of Object.entries(def.properties)) {
      if (!required.has(key) && (depth > 4 || !ctx.rng.chance(0.45))) continue;
      if ((def.nullable ?? []).includes(key) && ctx.rng.chance(0.1)) {
        out[key] = null;
        continue;
      }
      const v = this.value({ def: prop, parent: def, key }, base, depth + 1, ctx, state);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  private string(def: LexString, rng: Rng): string {
    if (def.const !== undefined) return def.const;
    if (def.enum !== undefined) return rng.pick(def.enum);
    if (def.knownValues !== undefined && def.knownValues.length > 0 && rng.chance(0.7)) return rng.pick(def.knownValues);
    if (def.format !== undefined) return validFormat(rng, def.format);
    const maxG = Math.min(def.maxGraphemes ?? 24, def.maxLength ?? 24, 24);
    const minG = Math.max(def.minGraphemes ?? 0, def.minLength ?? 0);
    const n = rng.int(Math.min(minG, maxG), Math.max(Math.min(minG, maxG), maxG));
    // Code points and graphemes coincide for ASCII, which keeps a grapheme minimum easy to meet.
    const pool = def.minGraphemes !== undefined ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'c', 'd', ' ', 'é', '日', '👍', '🇩🇪', 'e\u0301'];
    let s = '';
    for (let i = 0; i < n; i++) s += rng.pick(pool);
    // Keep within the byte limit; pad to the byte minimum with ASCII.
    while (def.maxLength !== undefined && Buffer.byteLength(s) > def.maxLength) s = Array.from(s).slice(0, -1).join('');
    while (Buffer.byteLength(s) < (def.minLength ?? 0) || (def.minGraphemes !== undefined && Array.from(s).length < def.minGraphemes)) s += 'x';
    return s;
  }
}
