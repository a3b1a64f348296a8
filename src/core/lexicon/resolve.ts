/**
 * Lexicon resolution over the network (spec: lexicon "Lexicon Publication and Resolution",
 * https://atproto.com/specs/lexicon): NSID → authority (the NSID minus its name, reversed) → DNS TXT
 * `_lexicon.<authority>` holding exactly one `did=<DID>` → DID document → PDS and signing key →
 * `com.atproto.sync.getRecord` for `com.atproto.lexicon.schema/<nsid>`, whose proof (commit
 * signature, MST path, record block) is verified → the record's `id` must be the NSID → parsed as
 * a Lexicon document. Resolution never walks up or down the DNS tree.
 */
import { cborToJson, stringifyJson, type JsonObject, type JsonValue } from '../codec/index.js';
import { parseDidKey, type PublicKey } from '../crypto/index.js';
import { AtcliError, invalid, isAtcliError, notFound, runtime, usage } from '../errors.js';
import { lookupTxt } from '../identity/dns.js';
import { DEFAULT_DNS_TIMEOUT_MS, parseDidDocument, resolveDid, type IdentityConfig } from '../identity/index.js';
import { fetchRecordProof, listRecords, recordUri } from '../repo/records.js';
import type { ProofCheck } from '../repo/proof.js';
import { checkNsid, isValidDid, parseNsid } from '../syntax/index.js';
import { XrpcClient } from '../xrpc/index.js';
import { parseLexiconDocument } from './parse.js';
import { referencedNsids } from './refs.js';
import type { LexiconDocument } from './types.js';

/** The collection Lexicon schemas are published in; the record key is the schema's NSID. */
export const LEXICON_COLLECTION = 'com.atproto.lexicon.schema';

/** `app.bsky.feed.post` → `app.bsky.feed` (the NSID minus its name). */
export function lexiconGroup(nsid: string): string {
  parseNsid(nsid);
  return nsid.slice(0, nsid.lastIndexOf('.'));
}

/** `app.bsky.feed.post` → `feed.bsky.app` (spec: the authority domain of the group). */
export function lexiconAuthority(nsid: string): string {
  return parseNsid(nsid).authority;
}

/** `app.bsky.feed` → `feed.bsky.app`. */
export function groupAuthority(group: string): string {
  return group.split('.').reverse().join('.').toLowerCase();
}

/** The DNS name holding the authority's `did=` TXT record. */
export function lexiconTxtName(authority: string): string {
  return `_lexicon.${authority}`;
}

/** The TXT record an authority needs, as a zone-file line. */
export function lexiconTxtRecord(authority: string, did: string): string {
  return `${lexiconTxtName(authority)}. TXT "did=${did}"`;
}

/** What the `_lexicon` TXT record of an authority says. */
export interface LexiconAuthority {
  authority: string;
  /** `_lexicon.<authority>` */
  name: string;
  did: string;
  /** Every TXT value found there (including ones that are not `did=`). */
  txt: string[];
}

/** An authority's repository: its DID, PDS and current signing key. */
export interface LexiconHost extends LexiconAuthority {
  pds: string;
  signingKey: string;
}

/** A published schema, fetched with a verified proof. */
export interface ResolvedLexicon {
  nsid: string;
  authority: string;
  did: string;
  pds: string;
  /** at://<did>/com.atproto.lexicon.schema/<nsid> */
  uri: string;
  /** The record's CID, as the signed MST holds it. */
  cid: string;
  /** The repository revision the proof was signed at. */
  rev: string;
  /** The key that verified the commit signature (did:key). */
  signingKey: string;
  /** The record as published, without `$type`. */
  json: JsonObject;
  document: LexiconDocument;
  /** The proof checks (all passed). */
  checks: ProofCheck[];
}

/** Where a repository is and how to verify what it serves. */
export interface RepoSource {
  did: string;
  /** A client for the PDS holding the repository. */
  client: XrpcClient;
  key: PublicKey;
  /** A freshly resolved key, tried once when the signature does not verify with `key`. */
  freshKey?: () => Promise<PublicKey | undefined>;
}

/** A schema record read from a repository with its proof: present or proven absent. */
export type SchemaRecordRead =
  | { present: true; lexicon: Omit<ResolvedLexicon, 'authority' | 'pds'> }
  | { present: false; did: string; rev: string; uri: string };

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks an NSID given on the command line (usage error with the reason). */
export function checkLexiconNsid(nsid: string): void {
  const reason = checkNsid(nsid);
  if (reason !== null) throw usage('InvalidNsid', `"${nsid}" is not a valid NSID: ${reason}`, { hint: 'a Lexicon NSID looks like com.example.calendar.event' });
}

/**
 * Looks up `_lexicon.<authority>` (that name only) and returns the one DID it names. Throws
 * notFound 'LexiconAuthorityNotFound' when there is no `did=` record, invalid
 * 'AmbiguousLexiconAuthority' when there are several DIDs, runtime 'LexiconDnsFailed' when the
 * look-up itself failed.
 */
export async function lookupLexiconAuthority(config: IdentityConfig, authority: string): Promise<LexiconAuthority> {
  const name = lexiconTxtName(authority);
  const opts: Parameters<typeof lookupTxt>[1] = { timeoutMs: config.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS };
  if (config.dnsServers !== undefined) opts.servers = config.dnsServers;
  if (config.http.signal !== undefined) opts.signal = config.http.signal;
  const res = await lookupTxt(name, opts);
  const addHint = `the authority publishes its schemas by adding the DNS record ${lexiconTxtName(authority)} TXT "did=<DID of the publishing account>" (parent and child domains are never consulted)`;
  if (config.http.signal?.aborted === true) throw new AtcliError('interrupted', 'Interrupted', 'Lexicon resolution was interrupted');
  if (res.kind === 'none') {
    throw notFound('LexiconAuthorityNotFound', `no Lexicon authority record: ${res.detail}`, { hint: addHint, details: { authority, name } });
  }
  if (res.kind === 'error') {
    throw runtime('LexiconDnsFailed', `could not look up ${name}: ${res.detail}`, { hint: 'try again, or ask another DNS server', details: { authority, name } });
  }
  const dids = new Set<string>();
  const malformed: string[] = [];
  for (const value of res.records) {
    if (!value.startsWith('did=')) continue;
    const did = value.slice(4).trim();
    if (isValidDid(did)) dids.add(did);
    else malformed.push(value);
  }
  if (dids.size > 1) {
    throw invalid('AmbiguousLexiconAuthority', `${name} names ${dids.size} different DIDs (${[...dids].join(', ')}); exactly one is allowed`, {
      hint: `the owner of ${authority} must remove all but one did= TXT record`,
      details: { authority, name, dids: [...dids] },
    });
  }
  const [did] = dids;
  if (did === undefined) {
    const what = malformed.length > 0 ? `${name} has no valid did= TXT record (malformed: ${malformed.map((m) => JSON.stringify(m.slice(0, 80))).join(', ')})` : `${name} has no did= TXT record`;
    throw notFound('LexiconAuthorityNotFound', what, { hint: addHint, details: { authority, name, txt: res.records } });
  }
  return { authority, name, did, txt: res.records };
}

/** DID document of a Lexicon host: its PDS and signing key (errors name the authority). */
async function hostOf(config: IdentityConfig, did: string, context: string): Promise<{ pds: string; key: PublicKey }> {
  let doc;
  try {
    doc = await resolveDid(config, did);
  } catch (err) {
    if (isAtcliError(err) && err.kind === 'usage') {
      throw invalid('UnresolvableLexiconDid', `${context}: ${err.message}`, { hint: 'the _lexicon TXT record must name a did:plc or did:web', cause: err });
    }
    throw err;
  }
  const parsed = parseDidDocument(did, doc, { dev: config.dev === true });
  if (parsed.pds === undefined) throw notFound('NoPds', `${context}: the DID document of ${did} names no PDS`, { hint: 'the account may have been deleted or never set up' });
  if (parsed.signingKey === undefined) {
    throw invalid('NoSigningKey', `${context}: the DID document of ${did} has no atproto signing key, so its records cannot be verified`);
  }
  return { pds: parsed.pds, key: parsed.signingKey };
}

/**
 * Reads `com.atproto.lexicon.schema/<nsid>` from a repository through `com.atproto.sync.getRecord`
 * and verifies everything: the commit (DID, signature), the MST path, the record block, its
 * `$type`, `id == nsid`, and that it is a valid Lexicon document. A proven absence comes back as
 * `{present: false}`; a failed check throws invalid (exit 3).
 */
export async function readSchemaRecord(source: RepoSource, nsid: string): Promise<SchemaRecordRead> {
  const ref = { did: source.did, collection: LEXICON_COLLECTION, rkey: nsid };
  const uri = recordUri(ref);
  const proof = await fetchRecordProof(source.client, ref, source.freshKey === undefined ? { key: source.key } : { key: source.key, fresh: source.freshKey });
  if (!proof.valid) {
    throw invalid('LexiconProofInvalid', `the proof for ${uri} does not verify: ${proof.errors.join('; ')}`, {
      hint: 'the PDS served a record that is not in the signed repository; do not trust it',
      details: { uri, checks: proof.checks },
    });
  }
  const rev = proof.commit?.rev ?? '';
  if (proof.present !== true || proof.cid === null || proof.record === undefined) return { present: false, did: source.did, rev, uri };
  let json: JsonObject;
  try {
    const value = cborToJson(proof.record);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the record is not an object');
    json = value as JsonObject;
  } catch (err) {
    throw invalid('InvalidLexiconRecord', `${uri}: ${errMessage(err)}`, { cause: err });
  }
  const { $type: _type, ...rest } = json;
  if (rest.id !== nsid) {
    throw invalid('LexiconIdMismatch', `${uri} holds a schema with id ${JSON.stringify(rest.id)}, not ${nsid}`, {
      hint: 'a schema record must be stored under its own NSID as the record key',
      details: { uri, id: rest.id ?? null },
    });
  }
  const parsed = parseLexiconDocument(rest, { source: uri });
  if (!parsed.ok) {
    throw invalid('InvalidLexicon', `${uri} is not a valid Lexicon (${parsed.errors.map((e) => `${e.path || '(document)'}: ${e.message}`).slice(0, 5).join('; ')})`, {
      details: { uri, problems: parsed.errors.map((e) => `${e.path || '(document)'}: ${e.message} [${e.code}]`) },
    });
  }
  return {
    present: true,
    lexicon: { nsid, did: source.did, uri, cid: proof.cid, rev, signingKey: proof.signingKey, json: rest, document: parsed.document, checks: proof.checks },
  };
}

export type ResolverProgress =
  | { kind: 'authority'; authority: string; did: string }
  | { kind: 'resolved'; nsid: string; cid: string; did: string }
  | { kind: 'listed'; group: string; count: number };

export interface LexiconResolverOptions {
  onProgress?: (event: ResolverProgress) => void;
}

/** Resolves schemas, caching each authority's DNS answer and DID document for its lifetime. */
export class LexiconResolver {
  private readonly authorities = new Map<string, Promise<LexiconAuthority>>();
  private readonly hosts = new Map<string, Promise<LexiconHost>>();

  constructor(
    readonly config: IdentityConfig,
    private readonly options: LexiconResolverOptions = {},
  ) {}

  /** The DNS answer for an authority (cached). */
  authority(authority: string): Promise<LexiconAuthority> {
    let p = this.authorities.get(authority);
    if (p === undefined) {
      p = lookupLexiconAuthority(this.config, authority);
      this.authorities.set(authority, p);
    }
    return p;
  }

  /** The authority's repository: DID, PDS and signing key (cached). */
  host(authority: string): Promise<LexiconHost> {
    let p = this.hosts.get(authority);
    if (p === undefined) {
      p = (async () => {
        const a = await this.authority(authority);
        const { pds, key } = await hostOf(this.config, a.did, `${a.name} → ${a.did}`);
        this.options.onProgress?.({ kind: 'authority', authority, did: a.did });
        return { ...a, pds, signingKey: key.did() };
      })();
      this.hosts.set(authority, p);
    }
    return p;
  }

  /** A verifying source for a repository by DID (no DNS involved). */
  async repo(did: string, client?: XrpcClient): Promise<RepoSource> {
    const { pds, key } = await hostOf(this.config, did, did);
    const config = this.config;
    return {
      did,
      client: client ?? new XrpcClient({ service: pds, http: config.http }),
      key,
      freshKey: async () => {
        const doc = await resolveDid(config, did, { noCache: true });
        return parseDidDocument(did, doc, { dev: config.dev === true }).signingKey;
      },
    };
  }

  /** A verifying source for an authority's repository. */
  source(host: LexiconHost): RepoSource {
    const config = this.config;
    return {
      did: host.did,
      client: new XrpcClient({ service: host.pds, http: config.http }),
      key: parseDidKey(host.signingKey),
      freshKey: async () => {
        const doc = await resolveDid(config, host.did, { noCache: true });
        return parseDidDocument(host.did, doc, { dev: config.dev === true }).signingKey;
      },
    };
  }

  /**
   * Reads a schema from its authority's repository: present (verified) or proven absent.
   * DNS problems throw (see {@link lookupLexiconAuthority}).
   */
  async read(nsid: string): Promise<{ host: LexiconHost; read: SchemaRecordRead }> {
    checkLexiconNsid(nsid);
    const host = await this.host(lexiconAuthority(nsid));
    const read = await readSchemaRecord(this.source(host), nsid);
    if (read.present) this.options.onProgress?.({ kind: 'resolved', nsid, cid: read.lexicon.cid, did: host.did });
    return { host, read };
  }

  /** Resolves one published schema; notFound 'LexiconNotPublished' when the repository proves it absent. */
  async resolve(nsid: string): Promise<ResolvedLexicon> {
    const { host, read } = await this.read(nsid);
    if (!read.present) {
      throw notFound('LexiconNotPublished', `${host.name} names ${host.did}, but its repository has no ${LEXICON_COLLECTION} record for ${nsid} (absence proven at rev ${read.rev})`, {
        hint: `the authority has not published ${nsid}; its ${LEXICON_COLLECTION} records list what it has`,
        details: { nsid, did: host.did, uri: read.uri },
      });
    }
    return { ...read.lexicon, authority: host.authority, pds: host.pds };
  }

  /**
   * The NSIDs published in a group (`app.bsky.feed` → `app.bsky.feed.*`, one level, the way
   * authority works) according to the authority repository's `com.atproto.repo.listRecords`,
   * with the CIDs it lists (unverified), sorted.
   */
  async listGroup(group: string): Promise<Array<{ nsid: string; cid: string }>> {
    const host = await this.host(groupAuthority(group));
    const source = this.source(host);
    const out: Array<{ nsid: string; cid: string }> = [];
    for await (const r of listRecords(source.client, host.did, LEXICON_COLLECTION)) {
      if (!r.rkey.startsWith(`${group}.`)) continue;
      const name = r.rkey.slice(group.length + 1);
      if (name.includes('.') || checkNsid(r.rkey) !== null) continue;
      out.push({ nsid: r.rkey, cid: r.cid });
    }
    out.sort((a, b) => (a.nsid < b.nsid ? -1 : a.nsid > b.nsid ? 1 : 0));
    this.options.onProgress?.({ kind: 'listed', group, count: out.length });
    return out;
  }
}

/** A pull target: one NSID, or every schema of a group (`com.example.calendar.*` or `com.example.calendar.`). */
export type PullTarget = { kind: 'nsid'; nsid: string; text: string } | { kind: 'group'; group: string; text: string };

export function parsePullTarget(text: string): PullTarget {
  const group = text.endsWith('.*') ? text.slice(0, -2) : text.endsWith('.') ? text.slice(0, -1) : undefined;
  if (group !== undefined) {
    // A group is an NSID minus its name: check it by giving it one.
    if (group.split('.').length < 2 || checkNsid(`${group}.x`) !== null) {
      throw usage('InvalidNsidPrefix', `"${text}" is not a Lexicon group: ${checkNsid(`${group}.x`) ?? 'a group has at least two segments'}`, {
        hint: 'a group is an NSID without its name, followed by ".*", like com.example.calendar.*',
      });
    }
    return { kind: 'group', group, text: `${group}.*` };
  }
  checkLexiconNsid(text);
  return { kind: 'nsid', nsid: text, text };
}

export interface ClosureOptions {
  /** Follow references to other Lexicons (default true). */
  deps?: boolean;
  /** Parallel fetches (default 8). */
  concurrency?: number;
}

export interface ClosureResult {
  /** Every schema fetched, sorted by NSID. */
  lexicons: ResolvedLexicon[];
  /** For each target, the NSIDs it named directly. */
  targets: Array<{ target: string; nsids: string[] }>;
  /** Why each dependency was fetched: nsid → the schema that referenced it first. */
  requiredBy: Record<string, string>;
}

/**
 * Resolves the targets and, unless `deps` is false, every Lexicon they reference, to their
 * closure. Any schema that does not resolve fails the whole call (naming what needed it).
 */
export async function resolveClosure(resolver: LexiconResolver, targets: readonly PullTarget[], options: ClosureOptions = {}): Promise<ClosureResult> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const requiredBy: Record<string, string> = {};
  const named: ClosureResult['targets'] = [];
  const queue: string[] = [];
  const seen = new Set<string>();
  const enqueue = (nsid: string, by?: string): void => {
    if (seen.has(nsid)) return;
    seen.add(nsid);
    if (by !== undefined) requiredBy[nsid] = by;
    queue.push(nsid);
  };
  for (const t of targets) {
    if (t.kind === 'nsid') {
      named.push({ target: t.text, nsids: [t.nsid] });
      enqueue(t.nsid);
    } else {
      const listed = await resolver.listGroup(t.group);
      if (listed.length === 0) {
        const host = await resolver.host(groupAuthority(t.group));
        throw notFound('NoLexiconsInGroup', `${host.did} (${host.name}) publishes no schemas in ${t.text}`, {
          hint: `check the group name; the ${LEXICON_COLLECTION} records of ${host.did} list what it publishes`,
          details: { did: host.did, group: t.group },
        });
      }
      named.push({ target: t.text, nsids: listed.map((l) => l.nsid) });
      for (const l of listed) enqueue(l.nsid);
    }
  }
  const out = new Map<string, ResolvedLexicon>();
  while (queue.length > 0) {
    const batch = queue.splice(0, concurrency);
    const results = await Promise.all(
      batch.map(async (nsid) => {
        try {
          return await resolver.resolve(nsid);
        } catch (err) {
          const by = requiredBy[nsid];
          if (by !== undefined && isAtcliError(err)) {
            throw new AtcliError(err.kind, err.code, `${nsid} (referenced by ${by}): ${err.message}`, {
              ...(err.hint === undefined ? {} : { hint: err.hint }),
              ...(err.details === undefined ? {} : { details: err.details }),
              cause: err,
            });
          }
          throw err;
        }
      }),
    );
    for (const r of results) {
      out.set(r.nsid, r);
      if (options.deps !== false) for (const dep of referencedNsids(r.document)) enqueue(dep, r.nsid);
    }
  }
  const lexicons = [...out.values()].sort((a, b) => (a.nsid < b.nsid ? -1 : a.nsid > b.nsid ? 1 : 0));
  return { lexicons, targets: named, requiredBy };
}

/** The order keys are written in for a pulled file: the usual Lexicon layout, then the rest as published. */
const TOP_ORDER = ['lexicon', 'id', 'revision', 'description', 'defs'];
const NODE_ORDER = ['type', 'description'];

function ordered(value: unknown, top: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, false));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  const first = (top ? TOP_ORDER : NODE_ORDER).filter((k) => Object.prototype.hasOwnProperty.call(o, k));
  const out: Record<string, unknown> = {};
  for (const k of [...first, ...Object.keys(o).filter((k) => !first.includes(k))]) {
    Object.defineProperty(out, k, { value: ordered(o[k], false), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The file text for a schema: 2-space JSON in the usual key order, trailing newline, no `$type`. */
export function lexiconFileText(json: JsonObject): string {
  const { $type: _type, ...rest } = json;
  return `${stringifyJson(ordered(rest, true) as JsonValue, 2)}\n`;
}
