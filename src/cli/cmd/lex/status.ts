import { EXIT_CODES } from '../../../core/errors.js';
import { arg } from '../../flags.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { display, lexiconResolver, lexiconsOption, lockOption, lockPath, projectPaths, warnSkipped, withSpinner } from './shared.js';

export default defineCommand({
  args: { paths: arg.variadic('paths', 'files or folders (default the --lexicons folder)', { valueKind: 'file' }) },
  options: { lexicons: lexiconsOption('project folder (default ./lexicons)'), lock: lockOption },
  uses: ['network'],
  examples: ['atcli lex status', 'atcli lex status lexicons/com/example --json', "atcli lex status --json | jq -r 'select(.status != \"in-sync\") | .nsid'"],
  notes:
    '--json prints one JSON object per schema (NDJSON): nsid, status, file, localCid, remoteCid, lockedCid, did, uri, detail. Published versions are read with their proofs verified. ' +
    'Exit status: 0 every schema was compared (the rows say what differs), 4 some could not be (status "unresolved": no _lexicon record, an unresolvable DID or PDS, a proof that fails).',
  async run({ args, opts, out, err, f }) {
    const paths = projectPaths(args.paths, opts.lexicons, 'status');
    const { lexiconStatus, readLocalSchemas, readLock, summarizeStatus } = await import('../../../core/lexicon/network.js');
    const local = await readLocalSchemas(paths);
    warnSkipped(err, local.skipped);
    const lock = await readLock(await lockPath(opts.lock, opts.lexicons));
    const resolver = await lexiconResolver(f, err);
    const rows = (await withSpinner(err, 'comparing with the published schemas', () => lexiconStatus(resolver, local.schemas, lock === undefined ? {} : { lock }))).map((r) => ({
      ...r,
      file: r.file === null ? null : display(r.file),
    }));
    const summary = summarizeStatus(rows);
    if (out.json) {
      for (const r of rows) await out.ndjson(r);
    } else {
      const c = out.c;
      const mark = { 'in-sync': out.mark('ok'), differs: c.yellow('~'), 'local-only': c.cyan('+'), 'remote-only': c.magenta('-'), unresolved: out.mark('unchecked') };
      const table = await out.table(
        rows.map((r) => [
          mark[r.status],
          r.nsid,
          r.status,
          [r.detail ?? '', r.lockedCid !== null && r.remoteCid !== null && r.lockedCid !== r.remoteCid ? `changed since pulled: locked ${r.lockedCid}` : ''].filter((s) => s !== '').join('; '),
        ]),
      );
      if (table !== '') await out.text(`${table}\n`);
      const n = summary.counts;
      err.info(`${plural(summary.total, 'schema')}: ${n['in-sync']} in sync, ${n.differs} differ, ${n['local-only']} local only, ${n['remote-only']} remote only${n.unresolved ? `, ${n.unresolved} unresolved` : ''}`);
    }
    return summary.verdict === 'unresolved' ? EXIT_CODES.notFound : 0;
  },
});
