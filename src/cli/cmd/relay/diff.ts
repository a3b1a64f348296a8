import type { AccountDifference, DiffSummary, RepoView } from '../../../core/relay/index.js';
import { defineCommand } from '../../spec.js';
import { arg, integer, opt } from '../../flags.js';
import { printListing } from '../../render/listing.js';
import { plural } from '../../render/text.js';

function viewText(v: RepoView | null): string {
  if (v === null) return '-';
  return v.active ? `active ${v.rev ?? ''}`.trim() : (v.status ?? 'inactive');
}

function summaryText(s: DiffSummary): string {
  const differ = s.onlyInA + s.onlyInB + s.statusDiffers + s.revDiffers;
  const parts = [`${s.onlyInA} only in a`, `${s.onlyInB} only in b`, `${s.statusDiffers} with another status`, `${s.revDiffers} at another rev`];
  const read = s.scope === 'b' ? `${plural(s.listedB, 'account')} of b asked of a` : `${s.listedA} + ${s.listedB} accounts listed, ${s.compared} on both`;
  return `${s.complete ? '' : 'incomplete: '}${plural(differ, 'account')} differ (${parts.join(', ')}); ${read}`;
}

export default defineCommand({
  description:
    "Compares two hosts account by account, like goat's relay host diff: accounts only one of them lists, or that both list with another hosting status or rev. When b answers describeServer it is a PDS, and only its accounts are compared (each asked of a); otherwise both listings are read in step, with bounded memory.",
  args: { a: arg.required('a', 'a relay (https:// or wss://)'), b: arg.required('b', 'another relay, or a PDS') },
  options: {
    window: opt.withDefault('--window <n>', 'accounts one side may hold while waiting for the other to list them', 50_000, integer({ min: 1, max: 10_000_000 })),
    concurrency: opt.withDefault('--concurrency <n>', 'getRepoStatus calls at once', 8, integer({ min: 1, max: 64 })),
  },
  uses: ['network'],
  examples: ['atcli relay diff https://relay1.example.com https://relay2.example.com', 'atcli relay diff wss://bsky.network https://pds.example.com --json'],
  notes:
    'One row per account that differs (NDJSON with --json): did, difference (only-in-a, only-in-b, status, rev), a, b ({active, status, rev} or null), newer (a or b, for rev); then a summary (with --json a last line {"summary": {…}}). Exit status: 0 no difference, 3 differences found, 1 a listing failed (the summary says incomplete).',
  async run({ args, opts, out, err, f }) {
    const [{ describePds }, { diffAccounts, relayClient }] = await Promise.all([import('../../../core/pds/server.js'), import('../../../core/relay/index.js')]);
    const http = await f.http();
    // A PDS answers describeServer, a relay need not: against a PDS only the PDS's accounts count.
    const scope = await describePds(http, args.b).then(
      () => 'b' as const,
      () => 'both' as const,
    );
    const bar = err.progress(`comparing ${args.a} with ${args.b}`, 'items');
    const diff = diffAccounts(relayClient(http, args.a), relayClient(http, args.b), { scope, window: opts.window, concurrency: opts.concurrency, onProgress: (s) => bar.update(s.listedA + s.listedB) });
    const summarize = async (): Promise<void> => {
      bar.done();
      if (out.json) await out.ndjson({ summary: diff.summary });
      else err.info(summaryText(diff.summary));
    };
    let found: number;
    try {
      found = await printListing<AccountDifference>(out, diff, {
        header: ['did', 'difference', 'a', 'b', 'newer'],
        row: (d) => [d.did, d.difference, viewText(d.a), viewText(d.b), d.newer ?? ''],
      });
    } catch (error) {
      await summarize();
      throw error;
    }
    await summarize();
    return found > 0 ? 3 : 0;
  },
});
