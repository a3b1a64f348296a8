import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { readRecordBody, validateField, validateOption, warnIfReencoded } from './body.js';

export default defineCommand({
  description: 'Creates or replaces the record at <collection>/<rkey> in the logged-in account (com.atproto.repo.putRecord). The body is checked first, as for record create.',
  args: {
    collection: arg.required('collection', 'collection NSID; the record\'s "$type" must match it'),
    rkey: arg.required('rkey', 'record key'),
    file: arg.optional('file', 'the record as atproto JSON ("-" or omitted: stdin)', { valueKind: 'file' }),
  },
  options: {
    swap: opt.value('--swap <cid>', 'compare-and-swap: replace only if the current record has this CID (exit 3 if it changed)', { valueKind: 'none' }),
    validate: validateOption,
  },
  uses: ['network', 'auth', 'dryRun'],
  examples: [
    'atcli record put app.bsky.actor.profile self profile.json',
    'atcli record put app.bsky.actor.profile self profile.json --swap bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  ],
  notes: 'Exit status: 0 written (or, with --dry-run, checked), 2 the body or an argument is malformed, 3 the record changed since --swap or the PDS rejects it, 5 not logged in.',
  async run({ args, opts, g, io, out, err, f }) {
    const records = await import('../../../core/repo/records.js');
    records.checkCollection(args.collection);
    records.checkRkey(args.rkey);
    const swap = opts.swap === undefined ? undefined : records.parseCidArgument(opts.swap);
    const body = await readRecordBody(io, err, args.file, args.collection);
    const { client, session } = await f.session();
    const uri = records.recordUri({ did: session.did, collection: args.collection, rkey: args.rkey });
    if (g.dryRun) {
      const plan = { dryRun: true, uri, cid: body.cid.toString(), swap: swap ?? null, record: body.json };
      await out.result(plan, (p) => `would write ${p.uri}${p.swap ? ` (if it is still ${p.swap})` : ''}\n${out.fields([['cid', p.cid]])}`);
      return;
    }
    const result = await records.putRecord(client, {
      repo: session.did,
      collection: args.collection,
      rkey: args.rkey,
      record: body.json,
      ...(swap === undefined ? {} : { swapRecord: swap }),
      ...validateField(opts.validate),
    });
    warnIfReencoded(err, body, result.cid);
    await out.result(result, (r) => out.fields([['uri', r.uri], ['cid', r.cid]]));
  },
});
