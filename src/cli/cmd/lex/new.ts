import { TEMPLATE_KINDS, lexiconTemplate } from '../../../core/lexicon/templates.js';
import { arg, opt } from '../../flags.js';
import { defineCommand } from '../../spec.js';
import { DEFAULT_DIR, display, lexiconsOption } from './shared.js';

export default defineCommand({
  args: {
    type: arg.choice('type', 'primary type of the new Lexicon', TEMPLATE_KINDS),
    nsid: arg.required('nsid', 'NSID of the new Lexicon, like com.example.fooBar'),
  },
  options: {
    lexicons: lexiconsOption('project folder of Lexicon files (default ./lexicons)'),
    force: opt.flag('-f, --force', 'overwrite an existing file'),
  },
  uses: ['dryRun'],
  examples: ['atcli lex new record com.example.calendar.event', 'atcli lex new query com.example.calendar.listEvents --lexicons schemas', 'atcli lex new permission-set com.example.calendar.authBasic --dry-run'],
  notes: 'The file is written atomically as <dir>/a/b/c.json for a.b.c; with --dry-run it is printed instead. Exit status: 0 written, 2 the file exists (without --force) or the NSID is invalid.',
  async run({ args, opts, g, out, err }) {
    const { writeLexiconFile } = await import('../../../core/lexicon/files.js');
    const doc = lexiconTemplate(args.type, args.nsid);
    const dir = opts.lexicons ?? DEFAULT_DIR;
    const w = await writeLexiconFile(dir, doc, { force: opts.force, dryRun: g.dryRun });
    const result = { file: display(w.file), nsid: args.nsid, type: args.type, written: w.written, overwritten: w.overwritten, ...(w.written ? {} : { content: doc }) };
    await out.result(result, (r) => (r.written ? `${r.overwritten ? 'overwrote' : 'created'} ${r.file} (${r.type} ${r.nsid})` : `would create ${r.file} (${r.type} ${r.nsid}):\n${w.content}`));
    if (w.written) err.info(`next: fill in the TODOs, then run "atcli lex lint ${display(dir)}"`);
  },
});
