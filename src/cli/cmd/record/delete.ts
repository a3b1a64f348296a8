import { isAtcliError, usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';

export default defineCommand({
  description: 'Deletes a record of the logged-in account (com.atproto.repo.deleteRecord), after asking.',
  args: { uri: arg.required('at-uri', 'at://<your handle or DID>/<collection>/<rkey>') },
  options: { swap: opt.value('--swap <cid>', 'compare-and-swap: delete only if the current record has this CID (exit 3 if it changed)', { valueKind: 'none' }) },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: [
    'atcli record delete at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h',
    'atcli record delete at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l2zpbbhuvw2h --yes',
    'atcli record delete at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h --dry-run',
  ],
  notes: 'Asks before deleting (--yes answers; without a terminal --yes is required). Exit status: 0 deleted (or, with --dry-run, shown), 2 not confirmed or not your record, 3 the record changed since --swap, 5 not logged in.',
  async run({ args, opts, g, out, f, prompt }) {
    const [{ parseRecordUri }, records] = await Promise.all([import('../../../core/repo/proven.js'), import('../../../core/repo/records.js')]);
    const target = parseRecordUri(args.uri);
    const swap = opts.swap === undefined ? undefined : records.parseCidArgument(opts.swap);
    const { client, session } = await f.session();
    if (target.authority !== session.did && target.authority.toLowerCase() !== session.handle.toLowerCase()) {
      throw usage('NotYourRepository', `${target.authority} is not the logged-in account (${session.handle}, ${session.did})`, {
        hint: 'records can only be deleted from your own repository; log in as that account first',
      });
    }
    const ref = { did: session.did, collection: target.collection, rkey: target.rkey };
    const uri = records.recordUri(ref);
    if (g.dryRun) {
      let current: string | null = null;
      try {
        current = (await records.getRecord(client, ref)).cid;
      } catch (err) {
        if (!(isAtcliError(err) && err.kind === 'notFound')) throw err;
      }
      const plan = { dryRun: true, uri, cid: current, exists: current !== null, deleted: false };
      await out.result(plan, (p) =>
        p.exists ? `would delete ${p.uri} (${p.cid})${swap && swap !== p.cid ? `; but it is no longer ${swap}, so the delete would fail` : ''}` : `${p.uri} does not exist; nothing would be deleted`,
      );
      return;
    }
    await prompt.require(`Delete ${uri}${swap ? ` (if it is still ${swap})` : ''}?`, 'delete cancelled; nothing was deleted');
    const result = await records.deleteRecord(client, { repo: session.did, collection: ref.collection, rkey: ref.rkey, ...(swap === undefined ? {} : { swapRecord: swap }) });
    await out.result(result, (r) => `deleted ${r.uri}`);
  },
});
