/**
 * Resynchronising an account whose chain broke (a `since`/`prevData` mismatch, or a `#sync` that
 * declares another state): fetch its whole repository with `com.atproto.sync.getRepo`, verify
 * it completely (repo/verify.ts), and hand back its commit, from which the chain continues
 * (spec: https://atproto.com/specs/sync, "Staying Synchronized").
 *
 * The repository comes from the PDS the account's DID document names (or a given host). Its
 * commit is checked with the current signing key, then once with the key before it: a host
 * serves an imported repository's commit, still signed with the old host's key, until the
 * account's next write (an account that has just migrated).
 */
import { parseDidKey } from '../crypto/index.js';
import type { HttpConfig } from '../net/http.js';
import { verifyRepoCar } from '../repo/verify.js';
import { XrpcClient } from '../xrpc/client.js';
import type { AccountInfo } from './keys.js';
import type { RepoResyncer, ResyncOutcome } from './pipeline.js';

export interface NetworkResyncOptions {
  http: HttpConfig;
  /** Fetch from this host instead of the account's PDS. */
  host?: string;
  /** Largest repository accepted (default 2 GB). */
  maxBytes?: number;
}

const MAX_REASONS = 5;

/** The key to check a repository's commit with: the current one, then (asked again) the one before it. */
function keysOf(info: AccountInfo): string[] {
  const keys: string[] = [];
  if (info.current !== null) keys.push(info.current);
  const windows = info.history ?? [];
  for (let i = windows.length - 1; i >= 0 && keys.length < 2; i--) {
    const k = windows[i]!.key;
    if (k !== null && !keys.includes(k)) keys.push(k);
  }
  return keys;
}

export function networkResync(options: NetworkResyncOptions): RepoResyncer {
  return async (did, info): Promise<ResyncOutcome> => {
    const host = options.host ?? info?.pds ?? null;
    if (host === null) return { ok: false, reasons: [`the DID document of ${did} names no PDS to fetch the repository from`], from: null };
    const keys = info === null ? [] : keysOf(info);
    if (keys.length === 0) return { ok: false, reasons: [`no signing key is known for ${did}`], from: host };
    const client = new XrpcClient({ service: host, http: options.http });
    const res = await client.queryStream('com.atproto.sync.getRepo', { did }, { maxBytes: options.maxBytes ?? 2_000_000_000 });
    const report = await verifyRepoCar(res.body, {
      expectedDid: did,
      resolveKey: async (_did, { fresh }) => {
        return parseDidKey(keys[fresh ? 1 : 0] ?? keys[0]!);
      },
    });
    if (!report.valid || report.rev === null || report.commit === null || report.data === null) {
      const reasons = report.errors.length > 0 ? report.errors : report.checks.filter((c) => !c.ok && c.level !== 'warning').map((c) => `${c.name}: ${c.detail}`);
      const shown = reasons.slice(0, MAX_REASONS);
      if (reasons.length > MAX_REASONS) shown.push(`… and ${reasons.length - MAX_REASONS} more`);
      return { ok: false, reasons: shown.length > 0 ? shown : ['the repository does not verify'], from: host };
    }
    return { ok: true, rev: report.rev, commit: report.commit, data: report.data, records: report.records, from: host };
  };
}
