import { EXIT_CODES } from '../../../core/errors.js';
import { opt } from '../../flags.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { findingsTable } from './shared.js';
import { compareArgs, compareLexiconsOption, versionsToCompare } from './compare.js';

export default defineCommand({
  args: compareArgs('checked against'),
  options: {
    lexicons: compareLexiconsOption,
    strict: opt.flag('--strict', 'exit 3 on warnings too (loosened limits that old readers may reject)'),
  },
  uses: ['network'],
  examples: ['atcli lex breaking lexicons/com/example/calendar/event.json', 'atcli lex breaking com.example.calendar.event --json', 'atcli lex breaking published/post.json lexicons/com/example/post.json'],
  notes:
    'Errors: type changes, new required fields, removed required fields, tighter const/enum/length/range/format/blob limits, closed-union and record-key changes. Warnings: loosened limits and ref changes. "atcli lex rules" lists every rule. ' +
    'Exit status: 0 compatible, 3 breaking (or warnings with --strict), 4 not published (one-schema form).',
  async run({ args, opts, out, err, f }) {
    const { breakingChanges } = await import('../../../core/lexicon/index.js');
    const v = await versionsToCompare(f, err, args.schema, args.newer, opts.lexicons);
    const findings = breakingChanges(v.a, v.b);
    const errors = findings.filter((x) => x.level === 'error').length;
    const result = { old: v.old, new: v.new, nsid: v.b.id, published: v.published, breaking: errors > 0, errors, warnings: findings.length - errors, findings };
    const c = out.c;
    await out.result(result, async (r) => {
      const against = r.published ? ` (against the published ${r.published.cid})` : '';
      const head = r.breaking
        ? c.red(`${out.mark('fail')} ${r.nsid}: ${plural(r.errors, 'breaking change')}${r.warnings ? `, ${plural(r.warnings, 'warning')}` : ''}${against}`)
        : r.warnings > 0
          ? c.yellow(`${out.mark('warn')} ${r.nsid}: no breaking changes, ${plural(r.warnings, 'warning')}${against}`)
          : c.green(`${out.mark('ok')} ${r.nsid}: no breaking changes${against}`);
      return [head, await findingsTable(out, r.findings)].filter((s) => s !== '').join('\n');
    });
    return result.breaking || (opts.strict && result.warnings > 0) ? EXIT_CODES.invalid : 0;
  },
});
