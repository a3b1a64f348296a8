/**
 * A relay's view of one account (`com.atproto.sync.getRepoStatus` on the relay) next to the
 * account's own PDS's view: is the relay following it, at the PDS's current rev, with the same
 * hosting status?
 */
import { AtcliError } from '../errors.js';
import type { HttpConfig } from '../net/http.js';
import { findRepoStatus, type RepoStatus } from '../account/admin.js';
import { resolveIdentity, type IdentityConfig } from '../identity/index.js';
import { XrpcClient } from '../xrpc/index.js';
import { compareTids } from '../syntax/index.js';
import { relayClient } from './hosts.js';

/** What one host says about a repository. */
export interface RepoView {
  active: boolean;
  status?: string;
  rev?: string;
}

/**
 * How a mirror's view (a relay's) stands to the source's (the PDS's): in-sync (same status and
 * rev), behind / ahead (both active, the mirror's rev older / newer), status-differs, or missing
 * (the mirror does not know the repository).
 */
export type Agreement = 'in-sync' | 'behind' | 'ahead' | 'status-differs' | 'missing';

export function repoView(status: Pick<RepoStatus, 'active' | 'status' | 'rev'>): RepoView {
  return { active: status.active, ...(status.status !== undefined ? { status: status.status } : {}), ...(status.rev !== undefined ? { rev: status.rev } : {}) };
}


export function compareRepoViews(mirror: RepoView | null, source: RepoView): Agreement {
  if (mirror === null) return 'missing';
  if (mirror.active !== source.active) return 'status-differs';
  if (!source.active) return (mirror.status ?? '') === (source.status ?? '') ? 'in-sync' : 'status-differs';
  if (mirror.rev === undefined || source.rev === undefined || mirror.rev === source.rev) return 'in-sync';
  return compareTids(mirror.rev, source.rev) < 0 ? 'behind' : 'ahead';
}

export interface RelayAccountStatus {
  did: string;
  /** the verified handle, or handle.invalid */
  handle: string;
  relay: { url: string; repo: RepoView | null };
  /** the account's PDS (from its DID document) and what it says; `error` when it could not be asked */
  pds: { url: string | null; repo: RepoView | null; error?: string };
  /** unknown when the PDS could not be asked; status-differs when the relay knows a repository the PDS does not have */
  agreement: Agreement | 'unknown';
}

/** The relay's and the PDS's view of one account (handle, DID or at:// URI). */
export async function relayAccountStatus(opts: { http: HttpConfig; identity: IdentityConfig; relay: string; id: string }): Promise<RelayAccountStatus> {
  const identity = await resolveIdentity(opts.identity, opts.id);
  const relay = relayClient(opts.http, opts.relay);
  const [relayStatus, pds] = await Promise.all([
    findRepoStatus(relay, identity.did),
    (async (): Promise<RelayAccountStatus['pds']> => {
      if (identity.pds === undefined) return { url: null, repo: null, error: 'the DID document names no PDS' };
      try {
        const status = await findRepoStatus(new XrpcClient({ service: identity.pds, http: opts.http }), identity.did);
        return { url: identity.pds, repo: status === null ? null : repoView(status) };
      } catch (err) {
        if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
        return { url: identity.pds, repo: null, error: err instanceof Error ? err.message : String(err) };
      }
    })(),
  ]);
  const relayRepo = relayStatus === null ? null : repoView(relayStatus);
  let agreement: RelayAccountStatus['agreement'];
  if (pds.error !== undefined) agreement = 'unknown';
  else if (pds.repo === null) agreement = relayRepo === null ? 'in-sync' : 'status-differs';
  else agreement = compareRepoViews(relayRepo, pds.repo);
  return { did: identity.did, handle: identity.handle, relay: { url: relay.service, repo: relayRepo }, pds, agreement };
}
