import { defineCommand } from '../../spec.js';
import { plural } from '../../render/text.js';
import { changeLines, findingsTable } from './shared.js';
import { compareArgs, compareLexiconsOption, versionsToCompare } from './compare.js';

export default defineCommand({
  args: compareArgs('compared with'),
  options: { lexicons: compareLexiconsOption },
  uses: ['network'],
  examples: ['atcli lex diff lexicons/com/example/calendar/event.json', 'atcli lex diff com.example.calendar.event --json', 'atcli lex diff old/com/example/post.json lexicons/com/example/post.json'],
  notes:
    'With one schema, the published version is resolved like "atcli lex resolve" (DNS _lexicon TXT → DID → PDS, proof verified); two files need no network. ' +
    'Exit status: 0 (differences are not failures), 4 when the schema is not published.',
  async run({ args, opts, out, err, f }) {
    const { breakingChanges, diffLexicons } = await import('../../../core/lexicon/index.js');
    const v = await versionsToCompare(f, err, args.schema, args.newer, opts.lexicons);
    const result = { old: v.old, new: v.new, nsid: v.b.id, published: v.published, changes: diffLexicons(v.a, v.b), breaking: breakingChanges(v.a, v.b) };
    const c = out.c;
    await out.result(result, async (r) => {
      const from = r.published ? ` (published ${r.published.cid} → ${r.new})` : '';
      if (r.changes.length === 0) return `${r.nsid}: no changes${from}${r.published && !r.published.inSync ? ' (the files differ only in formatting or key order)' : ''}`;
      const lines = [`${r.nsid}: ${plural(r.changes.length, 'change')}${from}`, ...changeLines(out, r.changes)];
      const errors = r.breaking.filter((x) => x.level === 'error').length;
      if (r.breaking.length === 0) lines.push(c.green('evolution: compatible'));
      else lines.push(`evolution: ${errors} breaking, ${plural(r.breaking.length - errors, 'warning')}`, await findingsTable(out, r.breaking));
      return lines.join('\n');
    });
  },
});
