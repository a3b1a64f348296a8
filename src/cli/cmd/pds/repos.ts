// The hosting listing a PDS and a relay both serve (com.atproto.sync.listRepos): `pds accounts` and
// `relay accounts` print it the same way.
import type { XrpcClient } from '../../../core/xrpc/index.js';
import { opt } from '../../flags.js';
import type { Output } from '../../render/output.js';
import type { StderrWriter } from '../../render/stderr.js';
import { printListing } from '../../render/listing.js';
import { plural } from '../../render/text.js';

export const repoListingOptions = {
  status: opt.value('--status <status>', 'only accounts in this state: active, inactive, or a reason such as takendown or deactivated'),
  count: opt.flag('--count', 'print only the totals: accounts, active, inactive by reason'),
};

export const REPO_LISTING_NOTE =
  'One row per account (NDJSON with --json): did, head, rev, active, status. With --count, JSON: total, active, inactive ({reason: n}), malformed (entries skipped).';

/** Malformed entries reported, at most this many (the rest are counted). */
const MAX_WARNINGS = 10;

export async function printHostedRepos(ctx: { out: Output; err: StderrWriter }, client: XrpcClient, opts: { status: string | undefined; count: boolean }): Promise<void> {
  const { out, err } = ctx;
  const { countRepos, listRepos } = await import('../../../core/pds/repos.js');
  const filter = opts.status !== undefined ? { status: opts.status } : {};
  if (opts.count) {
    const spin = err.spinner(`counting the accounts of ${client.service}`);
    const c = await countRepos(client, filter).finally(() => spin.stop());
    await out.result(c, (r) =>
      out.fields([
        ['accounts', r.total],
        ['active', r.active],
        ...Object.entries(r.inactive).map(([why, n]) => [`inactive: ${why}`, n] as const),
        ['malformed', r.malformed > 0 ? `${r.malformed} (skipped)` : undefined],
      ]),
    );
    return;
  }
  let malformed = 0;
  const onMalformed = (reason: string): void => {
    if (++malformed <= MAX_WARNINGS) err.warn(`skipped: ${reason}`);
  };
  const count = await printListing(out, listRepos(client, { ...filter, onMalformed }), {
    header: ['did', 'status', 'rev', 'head'],
    row: (r) => [r.did, r.active ? 'active' : (r.status ?? 'inactive'), r.rev ?? '', r.head],
  });
  if (malformed > MAX_WARNINGS) err.warn(`${malformed - MAX_WARNINGS} more malformed entries skipped`);
  err.info(`${plural(count, 'account')}${opts.status !== undefined ? ` with status ${opts.status}` : ''}`);
}
