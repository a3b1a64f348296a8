import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { openRepoSource } from '../../repo-source.js';
import { plural } from '../../render/text.js';

export default defineCommand({
  description: 'Prints the Merkle Search Tree of a repository: each node with its layer and entries, and the record paths under it, in key order. Every block hash and the tree are checked (corrupted data is refused).',
  args: { source: arg.required('car|id', 'a CAR file ("-" for stdin) or an account (handle, DID)', { valueKind: 'file' }) },
  options: { partial: opt.flag('--partial', 'the CAR holds only part of the tree (a diff or a proof): absent nodes and records are shown as missing, not refused') },
  uses: ['network'],
  examples: ['atcli repo mst repo.car', 'atcli repo mst proof.car --partial', 'atcli repo mst repo.car --json'],
  notes: 'Exit status: 0 printed, 1 the download broke off, 3 the repository is corrupted (or incomplete, without --partial), 4 account not found.',
  async run({ args, opts, io, out, err, f }) {
    const source = await openRepoSource(args.source, { io, f, err });
    const { repoTree } = await import('../../../core/repo/read.js');
    const { report, events } = await repoTree(source.open(), opts.partial ? { partial: true } : {}, source.what);
    const result = { root: report.data, rootLayer: report.mstDepth, nodes: report.mstNodes, records: report.records, events };
    const c = out.c;
    await out.result(result, (r) =>
      r.events
        .map((e) => {
          const indent = '  '.repeat(e.depth);
          if (e.kind === 'entry') return `${indent}  ${e.path} ${c.dim(e.cid)}`;
          return e.present ? `${indent}${c.cyan('◉')} ${c.dim(e.cid)} layer ${e.layer}, ${plural(e.entries, 'entry', 'entries')}` : `${indent}${c.red('◌')} ${e.cid} (missing)`;
        })
        .join('\n'),
    );
  },
});
