/**
 * Finding the schema of a record type: first the catalog the caller loaded (the Lexicons that ship
 * with atcli, a project folder), then, when a resolver is given, Lexicon resolution over the
 * network (spec: lexicon "Lexicon Publication and Resolution"), with the schemas it references.
 */
import { isAtcliError } from '../errors.js';
import { checkNsid } from '../syntax/index.js';
import type { LexiconCatalog } from './catalog.js';
import { referencedNsids } from './refs.js';
import type { LexiconResolver } from './resolve.js';

/** Where a schema came from. */
export type SchemaOrigin =
  | { kind: 'local'; nsid: string; /** The file it was loaded from, when known. */ file: string | null; /** One of atcli's own. */ bundled: boolean }
  | { kind: 'network'; nsid: string; uri: string; cid: string; did: string };

export type SchemaLookup =
  | { found: true; origin: SchemaOrigin }
  /** `unchecked`: the look-up itself failed (network, a proof that does not verify), so the answer is unknown. */
  | { found: false; unchecked: boolean; reason: string };

export interface SchemaFinderOptions {
  /** Files under this folder are atcli's own Lexicons (reported as `bundled`). */
  bundledDir?: string;
  /** Resolves what the catalog lacks over the network; without it only the catalog is used. */
  resolver?: LexiconResolver;
  /** Schemas resolved over the network in one run, at most (default 200): a hostile repository can name a million collections. */
  maxResolved?: number;
}

export class SchemaFinder {
  private readonly lookups = new Map<string, Promise<SchemaLookup>>();
  private readonly attempted = new Set<string>();
  private resolved = 0;

  constructor(
    readonly catalog: LexiconCatalog,
    private readonly options: SchemaFinderOptions = {},
  ) {}

  /** The schema of record type `nsid` (looked up once per NSID), added to the catalog when fetched. */
  find(nsid: string): Promise<SchemaLookup> {
    let p = this.lookups.get(nsid);
    if (p === undefined) {
      p = this.lookup(nsid);
      this.lookups.set(nsid, p);
    }
    return p;
  }

  private async lookup(nsid: string): Promise<SchemaLookup> {
    const reason = checkNsid(nsid);
    if (reason !== null) return { found: false, unchecked: false, reason: `"${nsid}" is not an NSID: ${reason}` };
    if (this.catalog.has(nsid)) {
      await this.fetchReferences(nsid);
      const file = this.catalog.sourceOf(nsid) ?? null;
      const bundled = file !== null && this.options.bundledDir !== undefined && file.startsWith(this.options.bundledDir);
      return { found: true, origin: { kind: 'local', nsid, file, bundled } };
    }
    const resolver = this.options.resolver;
    if (resolver === undefined) return { found: false, unchecked: false, reason: `no Lexicon schema for ${nsid} among the loaded ones` };
    const fetched = await this.fetch(resolver, nsid);
    if (!fetched.ok) return { found: false, unchecked: fetched.unchecked, reason: fetched.reason };
    await this.fetchReferences(nsid);
    return { found: true, origin: { kind: 'network', nsid, uri: fetched.uri, cid: fetched.cid, did: fetched.did } };
  }

  private async fetch(resolver: LexiconResolver, nsid: string): Promise<{ ok: true; uri: string; cid: string; did: string } | { ok: false; unchecked: boolean; reason: string }> {
    this.attempted.add(nsid);
    if (this.resolved >= (this.options.maxResolved ?? 200)) {
      return { ok: false, unchecked: true, reason: `not resolved: already resolved ${this.resolved} schemas over the network in this run` };
    }
    this.resolved++;
    try {
      const lexicon = await resolver.resolve(nsid);
      if (!this.catalog.has(nsid)) this.catalog.add(lexicon.document, { source: lexicon.uri });
      return { ok: true, uri: lexicon.uri, cid: lexicon.cid, did: lexicon.did };
    } catch (err) {
      if (!isAtcliError(err) || err.kind === 'interrupted' || err.kind === 'usage') throw err;
      // Not published (no _lexicon record, or the authority's repository proves it absent): no schema.
      return { ok: false, unchecked: err.kind !== 'notFound', reason: err.message };
    }
  }

  /** Resolves, best effort, the schemas `nsid` refers to that the catalog lacks (transitively). */
  private async fetchReferences(nsid: string): Promise<void> {
    const resolver = this.options.resolver;
    if (resolver === undefined) return;
    const queue = [nsid];
    const visited = new Set(queue);
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const doc = this.catalog.get(next);
      if (doc === undefined) continue;
      for (const dep of referencedNsids(doc)) {
        if (visited.has(dep)) continue;
        visited.add(dep);
        // A reference that cannot be fetched is reported where the data needs it (missingSchema).
        if (!this.catalog.has(dep) && (this.attempted.has(dep) || !(await this.fetch(resolver, dep)).ok)) continue;
        queue.push(dep);
      }
    }
  }
}
