import { defineCommand } from '../../spec.js';
import { arg, integer, nsid, opt } from '../../flags.js';
import { pdsClient } from '../../repo-source.js';
import { plural } from '../../render/text.js';

export default defineCommand({
  description: "Lists an account's records as its PDS reports them (com.atproto.repo.listRecords), one collection after the other. For a listing checked against the signed repository, use repo ls.",
  args: { id: arg.required('id', 'handle or DID') },
  options: {
    collection: opt.listParsed('-c, --collection <nsid>', 'only this collection (repeatable; default: every collection the repository has)', nsid, { valueKind: 'none' }),
    collections: opt.flag('--collections', 'list the collection names only'),
    limit: opt.parsed('--limit <n>', 'stop after n records', integer({ min: 1 }), { valueKind: 'none' }),
  },
  uses: ['network'],
  examples: [
    'atcli record ls alice.example.com',
    'atcli record ls alice.example.com -c app.bsky.feed.post --limit 20',
    'atcli record ls did:plc:ewvi7nxzyoun6zhxrhs64oiz --collections',
    'atcli record ls alice.example.com --json | jq -r .uri',
  ],
  notes: 'With --json: one NDJSON row per record (collection, rkey, cid, uri); with --collections one document {did, collections}. Exit status: 0 listed, 4 account not found.',
  async run({ args, opts, out, err, f }) {
    const identity = await f.resolveAccount(args.id);
    const did = identity.did;
    const client = await pdsClient(f, identity);
    const { listAccountRecords, listCollections } = await import('../../../core/repo/records.js');
    if (opts.collections) {
      const collections = await listCollections(client, did);
      await out.result({ did, collections }, (r) => out.table(r.collections.map((c) => [c]), ['collection']));
      if (!out.json && collections.length === 0) err.info(`${did} has no records`);
      return;
    }
    const { collections, records } = await listAccountRecords(client, did, {
      collections: opts.collection,
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      onPage: (p) => err.debug(`${p.collection}: page ${p.page}, ${p.records} records${p.cursor ? '' : ' (last)'}`),
    });
    const rows: string[][] = [];
    for await (const r of records) {
      if (out.json) await out.ndjson({ collection: r.collection, rkey: r.rkey, cid: r.cid, uri: r.uri });
      else rows.push([`${r.collection}/${r.rkey}`, r.cid]);
    }
    if (out.json) return;
    if (rows.length > 0) await out.text(`${await out.table(rows, ['path', 'cid'])}\n`);
    const stopped = opts.limit !== undefined && rows.length >= opts.limit ? ` (stopped at --limit ${opts.limit})` : '';
    err.info(`${plural(rows.length, 'record')} in ${plural(collections.length, 'collection')} of ${did}${stopped}`);
  },
});
