import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { openRepoSource, repoLimitOptions, repoLimits } from '../../repo-source.js';
import { formatBytes } from '../../render/text.js';

export default defineCommand({
  description: 'Summarises a repository: its commit, the root of its tree, and how many records each collection holds. Every block hash and the tree are checked on the way (corrupted data is refused); the signature is not: use repo verify for that.',
  args: { source: arg.required('car|id', 'a CAR file ("-" for stdin) or an account (handle, DID)', { valueKind: 'file' }) },
  options: repoLimitOptions,
  uses: ['network'],
  examples: ['atcli repo inspect repo.car', 'atcli repo inspect alice.example.com --json'],
  notes: 'Exit status: 0 summarised, 1 the download broke off, 3 the repository is corrupted (a block does not match its hash, the tree is broken), 4 account not found.',
  async run({ args, opts, io, out, err, f }) {
    const limits = repoLimits(opts);
    const source = await openRepoSource(args.source, { io, f, err }, { limits });
    const { inspectRepo } = await import('../../../core/repo/read.js');
    const summary = await inspectRepo(source.open(), source.what, { limits });
    for (const warning of summary.warnings) err.warn(warning);
    await out.result(summary, async (r) => {
      const head = out.fields([
        ['did', r.did],
        ['rev', r.rev],
        ['version', r.version],
        ['commit', r.commit],
        ['data', r.data],
        ['prev', r.prev ?? 'null'],
        ['records', r.records],
        ['blocks', r.blocks],
        ['size', formatBytes(r.bytes)],
        ['MST', `${r.mstNodes} nodes, root layer ${r.mstDepth}`],
      ]);
      const rows = Object.entries(r.collections)
        .sort((a, b) => b[1] - a[1])
        .map(([nsid, n]) => [String(n), nsid]);
      return `${head}\n\n${await out.table(rows, ['records', 'collection'])}`;
    });
  },
});
