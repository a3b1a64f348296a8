/**
 * The repositories a host serves (`com.atproto.sync.listRepos`, implemented by PDSes and relays;
 * https://atproto.com/specs/sync): each account's DID, head commit, rev and hosting status,
 * streamed page by page so that a relay's millions of accounts never sit in memory.
 */
import { checkDid, checkTid } from '../syntax/index.js';
import { paginate, sanitizeRemoteText, type XrpcClient } from '../xrpc/index.js';

export interface HostedRepo {
  did: string;
  /** the current commit CID, as the host says */
  head: string;
  /** the current revision (a TID); absent when the host sent none */
  rev?: string;
  active: boolean;
  /** why the account is not active (takendown, suspended, deleted, deactivated, desynchronized, throttled, …) */
  status?: string;
}

/** `active`, `inactive` (any reason), or one status value such as `takendown` or `deactivated`. */
export type RepoStatusFilter = string;

export interface ListReposOptions {
  /** accounts per request (1–1000, default 500) */
  pageSize?: number;
  status?: RepoStatusFilter;
  /** told about each entry that is skipped because it is malformed */
  onMalformed?: (reason: string) => void;
}

/** Whether `repo` passes `filter` (see {@link RepoStatusFilter}). */
export function matchesStatus(repo: Pick<HostedRepo, 'active' | 'status'>, filter: RepoStatusFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter === 'active') return repo.active;
  if (filter === 'inactive') return !repo.active;
  return !repo.active && repo.status === filter;
}

/** One listRepos entry, checked; a reason string when it is unusable. */
export function parseHostedRepo(entry: unknown): HostedRepo | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'an entry is not an object';
  const o = entry as Record<string, unknown>;
  if (typeof o['did'] !== 'string' || checkDid(o['did']) !== null) return `an entry has no valid "did" (${sanitizeRemoteText(String(o['did']), 80)})`;
  const repo: HostedRepo = {
    did: o['did'],
    head: typeof o['head'] === 'string' ? sanitizeRemoteText(o['head'], 120) : '',
    // The lexicon makes `active` optional on listRepos; a host that omits it makes no claim, and
    // the reference PDS always sends it. Treat a missing value as active, as clients do.
    active: o['active'] !== false,
  };
  if (typeof o['rev'] === 'string' && o['rev'] !== '') {
    if (checkTid(o['rev']) !== null) return `${repo.did} has a "rev" that is not a TID`;
    repo.rev = o['rev'];
  }
  if (typeof o['status'] === 'string' && o['status'] !== '') repo.status = sanitizeRemoteText(o['status'], 60);
  return repo;
}

/** Every repository `client`'s host lists, in the host's order, filtered by status. */
export async function* listRepos(client: XrpcClient, opts: ListReposOptions = {}): AsyncGenerator<HostedRepo, void, undefined> {
  const limit = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? 500)));
  for await (const page of paginate(client, 'com.atproto.sync.listRepos', 'repos', { limit })) {
    for (const entry of page) {
      const repo = parseHostedRepo(entry);
      if (typeof repo === 'string') {
        opts.onMalformed?.(repo);
        continue;
      }
      if (matchesStatus(repo, opts.status)) yield repo;
    }
  }
}

const MAX_STATUS_KINDS = 50;

export interface RepoCount {
  total: number;
  active: number;
  /** inactive accounts by reason ('unknown' when the host gave none; 'other' past 50 distinct reasons) */
  inactive: Record<string, number>;
  /** entries skipped as malformed */
  malformed: number;
}

/** Counts the repositories a host lists (every page is read; only the counts are kept). */
export async function countRepos(client: XrpcClient, opts: Omit<ListReposOptions, 'onMalformed'> = {}): Promise<RepoCount> {
  const out: RepoCount = { total: 0, active: 0, inactive: {}, malformed: 0 };
  for await (const repo of listRepos(client, { ...opts, onMalformed: () => void out.malformed++ })) {
    out.total++;
    if (repo.active) out.active++;
    else {
      let why = repo.status ?? 'unknown';
      if (out.inactive[why] === undefined && Object.keys(out.inactive).length >= MAX_STATUS_KINDS) why = 'other';
      out.inactive[why] = (out.inactive[why] ?? 0) + 1;
    }
  }
  return out;
}
