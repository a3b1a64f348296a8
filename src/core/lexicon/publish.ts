/**
 * Publishing schemas (spec: lexicon "Lexicon Publication and Resolution",
 * https://atproto.com/specs/lexicon). Nothing is written unless every gate passes first:
 *
 * 1. lint: errors refuse (warnings are allowed);
 * 2. DNS: `_lexicon.<authority>` of every group names the publishing account's DID (unless
 *    skipped); a record naming another DID refuses;
 * 3. the currently published version is read from the account's repository with a verified
 *    proof (present with its CID, or proven absent);
 * 4. evolution: a breaking change against it refuses unless forced.
 *
 * Writes are `com.atproto.repo.putRecord` with compare-and-swap: `swapRecord` is the CID read in
 * step 3, or null for a new schema (the PDS then refuses if a record appeared meanwhile). An
 * unchanged schema is skipped. After each write the record is fetched back with its proof and
 * verified (signature, DID, CID, `id == nsid`).
 */
import { invalid, isAtcliError, notFound, runtime, usage } from '../errors.js';
import { XrpcError, type XrpcClient } from '../xrpc/index.js';
import { recordUri } from '../repo/records.js';
import { breakingChanges } from './breaking.js';
import type { LexiconCatalog } from './catalog.js';
import { lintLexiconFiles, type LintReport } from './files.js';
import { schemaRecord, type LocalSchema } from './local.js';
import type { LexiconLock } from './lock.js';
import {
  LEXICON_COLLECTION,
  lexiconAuthority,
  lexiconTxtName,
  lexiconTxtRecord,
  readSchemaRecord,
  type LexiconResolver,
  type RepoSource,
} from './resolve.js';
import type { LexFinding } from './types.js';

export type PublishAction = 'create' | 'update' | 'unchanged';

export interface PublishItem {
  nsid: string;
  file: string;
  uri: string;
  action: PublishAction;
  /** CID of the record this publish writes. */
  cid: string;
  /** The published CID the write replaces (compare-and-swap); null: none published yet. */
  swap: string | null;
  /** Evolution findings against the published version. */
  breaking: LexFinding[];
}

export interface DnsCheck {
  authority: string;
  name: string;
  nsids: string[];
  /** The DID the TXT record names (null when skipped). */
  did: string | null;
  ok: boolean;
}

export interface PublishPlan {
  did: string;
  pds: string;
  items: PublishItem[];
  dns: DnsCheck[];
  dnsChecked: boolean;
  lint: { errors: number; warnings: number };
  /** Reasons nothing may be written (breaking changes without force). */
  blocked: string[];
}

/** A plan saved from a dry run (its JSON form), whose swap CIDs a later publish must honour. */
export interface SavedPlan {
  did: string;
  items: Array<{ nsid: string; cid: string; swap: string | null }>;
}

export function parseSavedPlan(value: unknown, source: string): SavedPlan {
  const bad = (why: string): never => {
    throw usage('InvalidPlan', `${source}: ${why}`, { hint: 'a saved plan is the JSON of a dry run of the same publish' });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v.did !== 'string') return bad('no "did"');
  if (!Array.isArray(v.items)) return bad('no "items" list');
  const items = v.items.map((raw, i) => {
    const it = raw as Record<string, unknown>;
    if (typeof it !== 'object' || it === null || typeof it.nsid !== 'string' || typeof it.cid !== 'string' || !(typeof it.swap === 'string' || it.swap === null)) {
      return bad(`item ${i} needs "nsid", "cid" and "swap" (a CID or null)`);
    }
    return { nsid: it.nsid, cid: it.cid, swap: it.swap as string | null };
  });
  return { did: v.did, items };
}

export interface PlanPublishOptions {
  resolver: LexiconResolver;
  /** The publishing account's repository (an authenticated client for its PDS). */
  repo: RepoSource;
  pds: string;
  schemas: readonly LocalSchema[];
  /** Lint report of the files being published (errors refuse). */
  lint: LintReport;
  skipDnsCheck?: boolean;
  force?: boolean;
  /** Use this plan's swap CIDs instead of what is read now (a reviewed dry run). */
  saved?: SavedPlan;
}

/** Checks every gate and decides what to write; throws when a gate refuses outright. */
export async function planPublish(opts: PlanPublishOptions): Promise<PublishPlan> {
  const { resolver, repo, schemas, lint } = opts;
  const did = repo.did;
  if (schemas.length === 0) throw usage('NoLexicons', 'no Lexicon schemas to publish');

  // 1. lint
  if (lint.errors > 0) {
    const first = lint.findings.filter((f) => f.level === 'error').slice(0, 5);
    throw invalid(
      'LintErrors',
      `${lint.errors} lint error${lint.errors === 1 ? '' : 's'}; nothing was published (${first.map((f) => `${f.file}${f.line ? `:${f.line}` : ''} ${f.code}: ${f.message}`).join('; ')}${lint.errors > first.length ? '; …' : ''})`,
      { hint: 'fix the lint errors and publish again', details: { findings: lint.findings.filter((f) => f.level === 'error') } },
    );
  }

  // 2. DNS: the authority's record must name the publishing account
  const groups = new Map<string, string[]>();
  for (const s of schemas) {
    const a = lexiconAuthority(s.nsid);
    groups.set(a, [...(groups.get(a) ?? []), s.nsid]);
  }
  const dns: DnsCheck[] = [];
  const missing: Array<{ authority: string; name: string; nsids: string[]; detail: string }> = [];
  const foreign: Array<{ authority: string; name: string; nsids: string[]; did: string }> = [];
  for (const [authority, nsids] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const name = lexiconTxtName(authority);
    if (opts.skipDnsCheck === true) {
      dns.push({ authority, name, nsids, did: null, ok: true });
      continue;
    }
    try {
      const named = (await resolver.authority(authority)).did;
      dns.push({ authority, name, nsids, did: named, ok: named === did });
      if (named !== did) foreign.push({ authority, name, nsids, did: named });
    } catch (err) {
      // Only "there is no record" is the publisher's to fix here; several DIDs or a failed look-up stop as they are.
      if (!(isAtcliError(err) && err.kind === 'notFound')) throw err;
      dns.push({ authority, name, nsids, did: null, ok: false });
      missing.push({ authority, name, nsids, detail: err.message });
    }
  }
  if (foreign.length > 0) {
    const f = foreign[0]!;
    throw invalid(
      'LexiconAuthorityMismatch',
      `${foreign.map((x) => `${x.name} names ${x.did}`).join('; ')}, not the logged-in account ${did}: ${foreign.flatMap((x) => x.nsids).join(', ')} belong to another publisher; nothing was published`,
      {
        hint: `publish from ${f.did}, or point the record at this account: ${foreign.map((x) => lexiconTxtRecord(x.authority, did)).join(' and ')}`,
        details: { account: did, authorities: foreign },
      },
    );
  }
  if (missing.length > 0) {
    throw notFound(
      'LexiconAuthorityNotFound',
      `${missing.map((m) => m.name).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no did= TXT record, so ${missing.flatMap((m) => m.nsids).join(', ')} would not resolve to your repository; nothing was published`,
      {
        hint: `add the DNS record${missing.length === 1 ? '' : 's'} ${missing.map((m) => lexiconTxtRecord(m.authority, did)).join(' and ')}`,
        details: { account: did, authorities: missing },
      },
    );
  }

  // 3. current versions, verified; 4. evolution
  const saved = new Map<string, SavedPlan['items'][number]>();
  if (opts.saved !== undefined) {
    if (opts.saved.did !== did) throw usage('PlanMismatch', `the saved plan is for ${opts.saved.did}, but the logged-in account is ${did}`);
    for (const it of opts.saved.items) saved.set(it.nsid, it);
  }
  const items: PublishItem[] = [];
  const blocked: string[] = [];
  for (const s of schemas) {
    const current = await readSchemaRecord(repo, s.nsid);
    const uri = recordUri({ did, collection: LEXICON_COLLECTION, rkey: s.nsid });
    let swap = current.present ? current.lexicon.cid : null;
    const planned = saved.get(s.nsid);
    if (opts.saved !== undefined) {
      if (planned === undefined) throw usage('PlanMismatch', `${s.nsid} (${s.file}) is not in the saved plan`, { hint: 'make a new plan, or publish only the files it covers' });
      if (planned.cid !== s.cid) {
        throw invalid('PlanOutdated', `${s.file} changed since the plan was made (now ${s.cid}, planned ${planned.cid})`, { hint: 'make a new plan and review it' });
      }
      swap = planned.swap;
    }
    if (current.present && current.lexicon.cid === s.cid) {
      items.push({ nsid: s.nsid, file: s.file, uri, action: 'unchanged', cid: s.cid, swap: current.lexicon.cid, breaking: [] });
      continue;
    }
    const breaking = current.present ? breakingChanges(current.lexicon.document, s.document) : [];
    const errors = breaking.filter((f) => f.level === 'error');
    if (errors.length > 0 && opts.force !== true) {
      blocked.push(`${s.nsid}: ${errors.length} breaking change${errors.length === 1 ? '' : 's'} (${errors.map((f) => f.code).join(', ')})`);
    }
    items.push({ nsid: s.nsid, file: s.file, uri, action: swap === null ? 'create' : 'update', cid: s.cid, swap, breaking });
  }
  if (opts.saved !== undefined) {
    for (const it of opts.saved.items) {
      if (!schemas.some((s) => s.nsid === it.nsid)) throw usage('PlanMismatch', `the saved plan covers ${it.nsid}, which is not among the files being published`);
    }
  }
  return { did, pds: opts.pds, items, dns, dnsChecked: opts.skipDnsCheck !== true, lint: { errors: lint.errors, warnings: lint.warnings }, blocked };
}

/**
 * Refuses a plan with breaking changes that were not forced: invalid 'BreakingChange'. A published
 * schema must stay compatible (spec: lexicon "Lexicon Evolution").
 */
export function refuseBlocked(plan: Pick<PublishPlan, 'blocked'>): void {
  if (plan.blocked.length === 0) return;
  throw invalid('BreakingChange', `refusing to publish: ${plan.blocked.join('; ')}`, {
    hint: 'a published schema must stay compatible (spec: Lexicon evolution); publish the change under a new NSID',
    details: { blocked: plan.blocked },
  });
}

/** A schema of the project that another account publishes: pulled as a dependency, never ours to publish. */
export interface ForeignSchema {
  nsid: string;
  file: string;
  /** The publisher the lock file records. */
  did: string;
}

/**
 * Which local schemas an account may publish: a schema the lock file records as pulled from
 * another DID is a dependency (a copy of someone else's schema), so it is set aside; everything
 * else is the account's own.
 */
export function selectPublishable(schemas: readonly LocalSchema[], lock: LexiconLock | undefined, did: string): { own: LocalSchema[]; foreign: ForeignSchema[] } {
  const own: LocalSchema[] = [];
  const foreign: ForeignSchema[] = [];
  for (const s of schemas) {
    const pulled = lock?.lexicons[s.nsid];
    if (pulled !== undefined && pulled.did !== did) foreign.push({ nsid: s.nsid, file: s.file, did: pulled.did });
    else own.push(s);
  }
  return { own, foreign };
}

export interface PreparePublishOptions extends Omit<PlanPublishOptions, 'schemas' | 'lint'> {
  /** The schemas found under the paths being published. */
  schemas: readonly LocalSchema[];
  lock?: LexiconLock;
  /** Lexicons references may point to besides the published files (atcli's own, the project's). */
  catalog?: LexiconCatalog;
  /** The project's Lexicon folders, so the file-path rule knows where the tree starts. */
  roots?: readonly string[];
}

export interface PreparedPublish {
  /** Set aside: pulled from other publishers. */
  foreign: ForeignSchema[];
  /** The schemas to publish (the account's own). */
  schemas: LocalSchema[];
  /** Lint of those files (errors refuse; warnings are reported and allowed). */
  lint: LintReport;
  /** null when every schema was set aside, so there is nothing to plan. */
  plan: PublishPlan | null;
}

/**
 * The whole publish policy short of writing: set aside pulled schemas, lint what remains (with the
 * project's roots), and plan it behind the DNS and evolution gates ({@link planPublish}). A plan
 * may still be blocked by breaking changes; {@link applyPublish} refuses those.
 */
export async function preparePublish(opts: PreparePublishOptions): Promise<PreparedPublish> {
  const { own, foreign } = selectPublishable(opts.schemas, opts.lock, opts.repo.did);
  if (own.length === 0 && foreign.length > 0) {
    return { foreign, schemas: [], lint: { files: 0, errors: 0, warnings: 0, infos: 0, findings: [], findingsOmitted: 0 }, plan: null };
  }
  const lint = await lintLexiconFiles(
    own.map((s) => s.file),
    { ...(opts.catalog === undefined ? {} : { catalog: opts.catalog }), ...(opts.roots === undefined ? {} : { roots: opts.roots }) },
  );
  const { schemas: _schemas, lock: _lock, catalog: _catalog, roots: _roots, ...plan } = opts;
  return { foreign, schemas: own, lint, plan: await planPublish({ ...plan, schemas: own, lint }) };
}

export interface PublishedItem {
  nsid: string;
  uri: string;
  action: PublishAction;
  cid: string;
  /** The CID it replaced (null: new). */
  swap: string | null;
  /** Fetched back with a verified proof after writing (unchanged schemas: verified when read). */
  verified: boolean;
  rev: string | null;
}

export interface PublishResult {
  did: string;
  published: number;
  unchanged: number;
  items: PublishedItem[];
}

export type PublishProgress = { kind: 'writing'; item: PublishItem } | { kind: 'written'; item: PublishedItem };

export interface ApplyPublishOptions {
  /** Called (and awaited) before each write. */
  beforeWrite?: (item: PublishItem) => void | Promise<void>;
  onProgress?: (event: PublishProgress) => void;
}

/** Writes a plan (refuses a blocked one); stops at the first failure, saying what was written. */
export async function applyPublish(plan: PublishPlan, repo: RepoSource & { client: XrpcClient }, schemas: readonly LocalSchema[], options: ApplyPublishOptions = {}): Promise<PublishResult> {
  refuseBlocked(plan);
  const byNsid = new Map(schemas.map((s) => [s.nsid, s]));
  const done: PublishedItem[] = [];
  for (const item of plan.items) {
    if (item.action === 'unchanged') {
      done.push({ nsid: item.nsid, uri: item.uri, action: item.action, cid: item.cid, swap: item.swap, verified: true, rev: null });
      continue;
    }
    const schema = byNsid.get(item.nsid);
    if (schema === undefined) throw usage('PlanMismatch', `no local schema for ${item.nsid}`);
    await options.beforeWrite?.(item);
    options.onProgress?.({ kind: 'writing', item });
    const written = await putSchema(repo.client, plan.did, item, schema, done);
    if (written !== item.cid) {
      throw invalid('PublishMismatch', `the PDS stored ${item.uri} as ${written}, not as the ${item.cid} that was sent`, {
        hint: 'the PDS changed the record; compare the published version with the local one',
        details: { written: done.map((d) => d.nsid) },
      });
    }
    const back = await readSchemaRecord(repo, item.nsid);
    if (!back.present || back.lexicon.cid !== written) {
      throw invalid('PublishNotVerified', `${item.uri} was written (${written}) but the repository's signed proof ${back.present ? `holds ${back.lexicon.cid}` : 'shows no such record'}`, {
        hint: 'another writer may have changed it at the same moment; compare the published version with the local one',
        details: { written: done.map((d) => d.nsid) },
      });
    }
    const result: PublishedItem = { nsid: item.nsid, uri: item.uri, action: item.action, cid: written, swap: item.swap, verified: true, rev: back.lexicon.rev };
    done.push(result);
    options.onProgress?.({ kind: 'written', item: result });
  }
  return {
    did: plan.did,
    published: done.filter((d) => d.action !== 'unchanged').length,
    unchanged: done.filter((d) => d.action === 'unchanged').length,
    items: done,
  };
}

/** putRecord with swapRecord = the planned CID, or null: "must not exist yet". Returns the stored CID. */
async function putSchema(client: XrpcClient, did: string, item: PublishItem, schema: LocalSchema, done: readonly PublishedItem[]): Promise<string> {
  const nsid = 'com.atproto.repo.putRecord';
  const written = done.filter((d) => d.action !== 'unchanged').map((d) => d.nsid);
  const already = written.length > 0 ? ` (already published in this run: ${written.join(', ')})` : '';
  let res: unknown;
  try {
    res = await client.procedure(nsid, { repo: did, collection: LEXICON_COLLECTION, rkey: item.nsid, record: schemaRecord(schema.json), swapRecord: item.swap });
  } catch (err) {
    if (err instanceof XrpcError && err.xrpcError === 'InvalidSwap') {
      throw invalid(
        'RecordChanged',
        item.swap === null
          ? `${item.uri} was created by someone else after it was read; nothing was overwritten${already}`
          : `${item.uri} changed after it was read (it is no longer ${item.swap}); nothing was overwritten${already}`,
        { hint: 'compare the published version with the local one, then publish again', details: { uri: item.uri, swap: item.swap, written }, cause: err },
      );
    }
    if (err instanceof XrpcError && err.status === 400 && /\binvalid\b.*\brecord\b/i.test(err.message)) {
      throw invalid('InvalidRecord', `the PDS rejected ${item.uri}: ${err.message}${already}`, { cause: err, details: { written } });
    }
    throw err;
  }
  const r = res as { cid?: unknown } | undefined;
  if (typeof r !== 'object' || r === null || typeof r.cid !== 'string') throw runtime('InvalidResponse', `${nsid}: the server's answer has no "cid"`);
  return r.cid;
}
