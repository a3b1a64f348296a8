import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { openRepoSource, type RepoSource } from '../../repo-source.js';

export default defineCommand({
  description: 'Compares two snapshots of a repository record by record: what was created, updated (a new CID) and deleted from <a> to <b>. Each snapshot is checked on the way (corrupted data is refused).',
  args: {
    a: arg.required('a', 'the earlier snapshot: a CAR file ("-" for stdin) or an account', { valueKind: 'file' }),
    b: arg.required('b', 'the later snapshot: a CAR file or an account', { valueKind: 'file' }),
  },
  uses: ['network'],
  examples: ['atcli repo diff before.car after.car', 'atcli repo diff backup.car alice.example.com --json'],
  notes: 'With --json: one NDJSON row per change (op, collection, rkey, cid, prev). Exit status: 0 compared, 1 a download broke off, 3 a snapshot is corrupted, 4 account not found.',
  async run({ args, io, out, err, f }) {
    if (args.a === '-' && args.b === '-') throw usage('StdinReadTwice', 'only one of the snapshots can come from stdin');
    const { diffEntries, listRepoEntries } = await import('../../../core/repo/read.js');
    const entries = async (source: RepoSource) => (await listRepoEntries(source.open(), source.what)).entries;
    const before = await entries(await openRepoSource(args.a, { io, f, err }));
    const after = await entries(await openRepoSource(args.b, { io, f, err }));
    const rows = diffEntries(before, after);
    if (out.json) {
      for (const row of rows) await out.ndjson(row);
      return;
    }
    const c = out.c;
    const colour = { create: c.green, update: c.yellow, delete: c.red };
    const table = await out.table(
      rows.map((r) => [colour[r.op](r.op), `${r.collection}/${r.rkey}`, (r.op === 'delete' ? r.prev : r.cid) ?? '']),
      ['change', 'path', 'cid'],
    );
    if (rows.length > 0) await out.text(`${table}\n`);
    const counts = { create: 0, update: 0, delete: 0 };
    for (const r of rows) counts[r.op]++;
    err.info(`${counts.create} created, ${counts.update} updated, ${counts.delete} deleted`);
  },
});
