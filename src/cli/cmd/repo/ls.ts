import { defineCommand } from '../../spec.js';
import { arg, nsid, opt } from '../../flags.js';
import { openRepoSource, repoLimitOptions, repoLimits } from '../../repo-source.js';

export default defineCommand({
  description: 'Lists the record paths of a repository in key order, with the CID of each record. The tree is checked on the way (corrupted data is refused); the signature is not.',
  args: { source: arg.required('car|id', 'a CAR file ("-" for stdin) or an account (handle, DID)', { valueKind: 'file' }) },
  options: { ...repoLimitOptions, collection: opt.listParsed('-c, --collection <nsid>', 'only this collection (repeatable)', nsid, { valueKind: 'none' }) },
  uses: ['network'],
  examples: ['atcli repo ls repo.car', 'atcli repo ls alice.example.com -c app.bsky.feed.post', 'atcli repo ls repo.car --json | jq -r .rkey'],
  notes: 'With --json: one NDJSON row per record (collection, rkey, cid). Exit status: 0 listed, 1 the download broke off, 3 the repository is corrupted, 4 account not found.',
  async run({ args, opts, io, out, err, f }) {
    const limits = repoLimits(opts);
    const source = await openRepoSource(args.source, { io, f, err }, { limits });
    const { listRepoEntries } = await import('../../../core/repo/read.js');
    const { entries } = await listRepoEntries(source.open(), source.what, { limits });
    const rows = opts.collection.length === 0 ? entries : entries.filter((e) => opts.collection.includes(e.collection));
    if (out.json) {
      for (const e of rows) await out.ndjson({ collection: e.collection, rkey: e.rkey, cid: e.cid.toString() });
      return;
    }
    const table = await out.table(rows.map((e) => [e.path, e.cid.toString()]), ['path', 'cid']);
    if (table !== '') await out.text(`${table}\n`);
  },
});
