import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { readRecordBody, validateField, validateOption, warnIfReencoded } from './body.js';

export default defineCommand({
  description:
    'Creates a record in the logged-in account (com.atproto.repo.createRecord). The body is checked first: one JSON object in the atproto JSON form (integers only, $link, $bytes and blob objects) whose "$type" is the collection.',
  args: {
    collection: arg.required('collection', 'collection NSID; the record\'s "$type" must match it'),
    file: arg.optional('file', 'the record as atproto JSON ("-" or omitted: stdin)', { valueKind: 'file' }),
  },
  options: {
    rkey: opt.value('--rkey <key>', 'record key (default: a TID chosen by the PDS)', { valueKind: 'none' }),
    validate: validateOption,
  },
  uses: ['network', 'auth', 'dryRun'],
  examples: [
    'atcli record create app.bsky.feed.post post.json',
    `echo '{"$type":"app.bsky.feed.post","text":"hi","createdAt":"2024-01-01T00:00:00Z"}' | atcli record create app.bsky.feed.post`,
    'atcli record create com.example.thing thing.json --rkey self --no-validate',
  ],
  notes: 'Exit status: 0 created (or, with --dry-run, checked), 2 the body or an argument is malformed, 3 the PDS rejects the record (its Lexicon), 5 not logged in.',
  async run({ args, opts, g, io, out, err, f }) {
    const records = await import('../../../core/repo/records.js');
    records.checkCollection(args.collection);
    if (opts.rkey !== undefined) records.checkRkey(opts.rkey);
    const body = await readRecordBody(io, err, args.file, args.collection);
    const { client, session } = await f.session();
    if (g.dryRun) {
      const uri = opts.rkey === undefined ? null : records.recordUri({ did: session.did, collection: args.collection, rkey: opts.rkey });
      const plan = { dryRun: true, uri, cid: body.cid.toString(), record: body.json };
      await out.result(plan, (p) => `would create ${p.uri ?? `a record in ${session.did}/${args.collection} (key chosen by the PDS)`}\n${out.fields([['cid', p.cid]])}`);
      return;
    }
    const result = await records.createRecord(client, {
      repo: session.did,
      collection: args.collection,
      record: body.json,
      ...(opts.rkey === undefined ? {} : { rkey: opts.rkey }),
      ...validateField(opts.validate),
    });
    warnIfReencoded(err, body, result.cid);
    await out.result(result, (r) => out.fields([['uri', r.uri], ['cid', r.cid]]));
  },
});
