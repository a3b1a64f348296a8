/**
 * How a project's schemas compare with what their authorities publish (`lex status`, and one
 * schema for `lex diff` / `lex breaking`), and whether each authority's `_lexicon` TXT record
 * resolves (`lex check-dns`).
 */
import { invalid, isAtcliError } from '../errors.js';
import { loadLexiconFile } from './files.js';
import { readLocalSchemas, type LocalSchema } from './local.js';
import type { LexiconLock } from './lock.js';
import { groupAuthority, lexiconGroup, lexiconTxtName, lexiconTxtRecord, readSchemaRecord, type LexiconHost, type LexiconResolver, type ResolvedLexicon } from './resolve.js';

export type SyncStatus = 'in-sync' | 'differs' | 'local-only' | 'remote-only' | 'unresolved';

export interface StatusRow {
  nsid: string;
  status: SyncStatus;
  file: string | null;
  /** CID of the record the local file would publish. */
  localCid: string | null;
  /** CID of the published record (verified by its proof, except for remote-only rows, which come from the listing). */
  remoteCid: string | null;
  /** What the lock file recorded when it was pulled (null: not pulled). */
  lockedCid: string | null;
  did: string | null;
  uri: string | null;
  /** Why a schema could not be compared (unresolved), or other notes. */
  detail: string | null;
}

function byNsid<T extends { nsid: string }>(a: T, b: T): number {
  return a.nsid < b.nsid ? -1 : a.nsid > b.nsid ? 1 : 0;
}

/** One row per local schema, plus one per schema published in the same groups but not present locally. */
export async function lexiconStatus(resolver: LexiconResolver, schemas: readonly LocalSchema[], opts: { lock?: LexiconLock } = {}): Promise<StatusRow[]> {
  const groups = new Map<string, LocalSchema[]>();
  for (const s of schemas) {
    const g = lexiconGroup(s.nsid);
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  const locked = (nsid: string): string | null => opts.lock?.lexicons[nsid]?.cid ?? null;
  const rows: StatusRow[] = [];
  for (const [group, members] of groups) {
    const authority = groupAuthority(group);
    let host: LexiconHost;
    try {
      host = await resolver.host(authority);
    } catch (err) {
      if (!isAtcliError(err) || err.kind === 'interrupted') throw err;
      for (const s of members) rows.push({ nsid: s.nsid, status: 'unresolved', file: s.file, localCid: s.cid, remoteCid: null, lockedCid: locked(s.nsid), did: null, uri: null, detail: err.message });
      continue;
    }
    const source = resolver.source(host);
    for (const s of members) {
      try {
        const read = await readSchemaRecord(source, s.nsid);
        if (!read.present) {
          rows.push({ nsid: s.nsid, status: 'local-only', file: s.file, localCid: s.cid, remoteCid: null, lockedCid: locked(s.nsid), did: host.did, uri: null, detail: null });
        } else {
          const remoteCid = read.lexicon.cid;
          rows.push({
            nsid: s.nsid,
            status: remoteCid === s.cid ? 'in-sync' : 'differs',
            file: s.file,
            localCid: s.cid,
            remoteCid,
            lockedCid: locked(s.nsid),
            did: host.did,
            uri: read.lexicon.uri,
            detail: null,
          });
        }
      } catch (err) {
        if (!isAtcliError(err) || err.kind === 'interrupted') throw err;
        rows.push({ nsid: s.nsid, status: 'unresolved', file: s.file, localCid: s.cid, remoteCid: null, lockedCid: locked(s.nsid), did: host.did, uri: null, detail: err.message });
      }
    }
    try {
      const local = new Set(members.map((m) => m.nsid));
      for (const r of await resolver.listGroup(group)) {
        if (local.has(r.nsid)) continue;
        rows.push({ nsid: r.nsid, status: 'remote-only', file: null, localCid: null, remoteCid: r.cid, lockedCid: locked(r.nsid), did: host.did, uri: `at://${host.did}/com.atproto.lexicon.schema/${r.nsid}`, detail: null });
      }
    } catch (err) {
      if (!isAtcliError(err) || err.kind === 'interrupted') throw err;
      // The listing only finds remote-only schemas; the rows above stand without it.
    }
  }
  return rows.sort(byNsid);
}

/** A project's schema file and the version its authority publishes. */
export interface PublishedComparison {
  local: LocalSchema;
  published: ResolvedLexicon;
  /** The file would publish exactly the published record (the same record CID). */
  inSync: boolean;
}

/**
 * Reads one schema file and resolves the published version of its NSID (proof verified), for
 * `lex diff` and `lex breaking` with one schema. Throws what reading the file throws
 * (FileNotFound, InvalidUtf8, InvalidJson, InvalidLexicon) and what resolution throws
 * (LexiconAuthorityNotFound, LexiconNotPublished, …).
 */
export async function compareWithPublished(resolver: LexiconResolver, file: string): Promise<PublishedComparison> {
  const { schemas } = await readLocalSchemas([file]);
  const local = schemas[0];
  if (local === undefined) {
    await loadLexiconFile(file); // throws the located reason
    throw invalid('InvalidLexicon', `${file} is not a valid Lexicon`);
  }
  const published = await resolver.resolve(local.nsid);
  return { local, published, inSync: published.cid === local.cid };
}

/** What a status run amounts to: counts per status, and whether any schema could not be compared. */
export interface StatusSummary {
  total: number;
  counts: Record<SyncStatus, number>;
  /**
   * `complete`: every schema was compared with what its authority publishes (or proven
   * unpublished); `unresolved`: at least one could not be (no `_lexicon` record, an unresolvable
   * DID or PDS, a proof that fails), so the comparison is unfinished.
   */
  verdict: 'complete' | 'unresolved';
  /** The schemas that could not be compared, with why (every one: there is one per local file). */
  unresolved: Array<{ nsid: string; detail: string | null }>;
}

export function summarizeStatus(rows: readonly StatusRow[]): StatusSummary {
  const counts: Record<SyncStatus, number> = { 'in-sync': 0, differs: 0, 'local-only': 0, 'remote-only': 0, unresolved: 0 };
  for (const r of rows) counts[r.status]++;
  const unresolved = rows.filter((r) => r.status === 'unresolved').map((r) => ({ nsid: r.nsid, detail: r.detail }));
  return { total: rows.length, counts, verdict: unresolved.length > 0 ? 'unresolved' : 'complete', unresolved };
}

export type DnsStatus = 'ok' | 'missing' | 'mismatch' | 'ambiguous' | 'error';

export interface DnsRow {
  authority: string;
  /** `_lexicon.<authority>` */
  name: string;
  /** The project's schemas under this authority. */
  nsids: string[];
  status: DnsStatus;
  /** The DID the record names (null when it names none). */
  did: string | null;
  /** The DID it should name, when known (--did or the logged-in account). */
  expected: string | null;
  /** The TXT record to add or change to (null when it is right). */
  record: string | null;
  detail: string;
}

/**
 * For each authority of the given NSIDs: does `_lexicon.<authority>` name exactly one DID, and
 * (when `expected` is given) the right one. Never walks up or down the DNS tree.
 */
export async function checkLexiconDns(resolver: LexiconResolver, nsids: readonly string[], expected?: string): Promise<DnsRow[]> {
  const groups = new Map<string, string[]>();
  for (const nsid of nsids) {
    const a = groupAuthority(lexiconGroup(nsid));
    groups.set(a, [...new Set([...(groups.get(a) ?? []), nsid])].sort());
  }
  const rows: DnsRow[] = [];
  const want = expected ?? '<DID of the publishing account>';
  for (const authority of [...groups.keys()].sort()) {
    const name = lexiconTxtName(authority);
    const base = { authority, name, nsids: groups.get(authority)!, expected: expected ?? null };
    try {
      const a = await resolver.authority(authority);
      if (expected !== undefined && a.did !== expected) {
        rows.push({ ...base, status: 'mismatch', did: a.did, record: lexiconTxtRecord(authority, expected), detail: `${name} names ${a.did}, not ${expected}` });
      } else {
        rows.push({ ...base, status: 'ok', did: a.did, record: null, detail: `${name} names ${a.did}` });
      }
    } catch (err) {
      if (!isAtcliError(err) || err.kind === 'interrupted') throw err;
      const status: DnsStatus = err.code === 'AmbiguousLexiconAuthority' ? 'ambiguous' : err.kind === 'notFound' ? 'missing' : 'error';
      rows.push({ ...base, status, did: null, record: status === 'error' ? null : lexiconTxtRecord(authority, want), detail: err.message });
    }
  }
  return rows;
}
