import { existsSync, statSync } from 'node:fs';
import { EXIT_CODES, usage } from '../../../core/errors.js';
import { arg, opt } from '../../flags.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { DEFAULT_DIR, display, lexiconResolver, lexiconsOption, lockOption, lockPath, withSpinner } from './shared.js';

export default defineCommand({
  args: { nsids: arg.variadic('nsids', 'NSIDs, or a group as prefix.* (every schema directly under it); default: what the lock file says was pulled') },
  options: {
    lexicons: lexiconsOption('project folder to write to (default ./lexicons)'),
    lock: lockOption,
    frozen: opt.flag('--frozen', 'CI check: change nothing unless every fetched schema matches the lock and the local files (exit 3 on drift)'),
    deps: opt.negatable('--no-deps', 'fetch only the named schemas, not the ones they reference'),
  },
  uses: ['network', 'dryRun'],
  examples: ['atcli lex pull app.bsky.feed.post', 'atcli lex pull com.example.calendar.*', 'atcli lex pull', 'atcli lex pull --frozen', 'atcli lex pull app.bsky.actor.profile --dry-run --json'],
  notes:
    'Every schema is fetched with its signed proof verified, and written atomically as <dir>/a/b/c.json (replacing the file of the same NSID). ' +
    'Pulled schemas from other publishers are never published by "atcli lex publish". ' +
    'Exit status: 0 done (or in sync with --frozen), 3 drift with --frozen or an invalid proof, 4 something does not resolve.',
  async run({ args, opts, g, out, err, f }) {
    const { parsePullTarget, pullLexicons, readLock } = await import('../../../core/lexicon/network.js');
    for (const t of args.nsids) parsePullTarget(t); // usage errors before any network use
    const dir = opts.lexicons ?? DEFAULT_DIR;
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw usage('NotADirectory', `"${dir}" is not a folder (--lexicons)`);
    const lockFile = await lockPath(opts.lock, dir);
    const lock = await readLock(lockFile);
    const resolver = await lexiconResolver(f, err);
    const result = await withSpinner(err, 'fetching schemas', () =>
      pullLexicons(resolver, { dir, lockFile, lock, targets: args.nsids, frozen: opts.frozen, deps: opts.deps, dryRun: g.dryRun }),
    );
    const shown = {
      ...result,
      lockFile: display(result.lockFile),
      lexicons: result.lexicons.map((l) => ({ ...l, file: display(l.file) })),
      drift: result.drift.map((d) => ('file' in d ? { ...d, file: display(d.file) } : d)),
    };
    const c = out.c;
    await out.result(shown, async (r) => {
      const would = r.dryRun || (r.frozen && r.drift.length > 0);
      const rows = r.lexicons.map((l) => [
        l.status === 'unchanged' ? c.dim('=') : l.status === 'created' ? c.green('+') : c.yellow('~'),
        l.nsid,
        would && l.status !== 'unchanged' ? `would be ${l.status}` : l.status,
        l.file,
        c.dim(l.cid),
        l.requiredBy ? c.dim(`needed by ${l.requiredBy}`) : '',
      ]);
      const lines = [await out.table(rows)];
      if (r.frozen) {
        if (r.drift.length === 0) lines.push(c.green(`${out.mark('ok')} ${plural(r.lexicons.length, 'schema')} match ${r.lockFile}`));
        else lines.push(c.red(`${out.mark('fail')} ${plural(r.drift.length, 'difference')} from ${r.lockFile}; nothing was written:`), await out.table(r.drift.map((d) => [`  ${d.kind}`, d.message])));
      } else {
        const changed = r.lexicons.filter((l) => l.status !== 'unchanged').length;
        const lockNote = r.dryRun ? `${r.lockFile} not touched (dry run)` : r.lockWritten ? `${r.lockFile} updated` : `${r.lockFile} unchanged`;
        lines.push(`${plural(r.lexicons.length, 'schema')} fetched and verified, ${plural(changed, 'file')} ${r.dryRun ? 'would change' : 'written'}; ${lockNote}`);
      }
      return lines.filter((l) => l !== '').join('\n');
    });
    return result.drift.length > 0 ? EXIT_CODES.invalid : 0;
  },
});
