import { existsSync } from 'node:fs';
import { EXIT_CODES, usage } from '../../../core/errors.js';
import type { LintReport } from '../../../core/lexicon/index.js';
import { arg, opt } from '../../flags.js';
import type { Output } from '../../render/output.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { DEFAULT_DIR, display, loadCatalog, noBundledOption } from './shared.js';

type Finding = { file: string; nsid: string | null; code: string; level: 'error' | 'warning' | 'info'; path: string; message: string; line: number | null; column: number | null };

export interface LintResult {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  findings: Finding[];
}

function resultOf(report: LintReport): LintResult {
  return {
    files: report.files,
    errors: report.errors,
    warnings: report.warnings,
    infos: report.infos,
    findings: report.findings.map((f) => ({ file: display(f.file), nsid: f.nsid ?? null, code: f.code, level: f.level, path: f.path, message: f.message, line: f.line ?? null, column: f.column ?? null })),
  };
}

/** GitHub workflow command escaping (data, and property values). */
const ghData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProp = (s: string): string => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** A workflow annotation; GitHub calls the info level "notice". */
function annotation(f: Finding): string {
  const kind = f.level === 'info' ? 'notice' : f.level;
  const props = [`file=${ghProp(f.file)}`, ...(f.line === null ? [] : [`line=${f.line}`]), ...(f.column === null ? [] : [`col=${f.column}`]), `title=${ghProp(f.code)}`];
  return `::${kind} ${props.join(',')}::${ghData(f.path === '' ? f.message : `${f.path}: ${f.message}`)}\n`;
}

const where = (f: Finding): string => (f.line === null ? '' : `${f.line}:${f.column ?? 1}`);
const what = (f: Finding): string => (f.path === '' ? f.message : `${f.path}: ${f.message}`);

/** On a terminal: grouped by file, aligned. Piped: one tab-separated line per finding. */
async function renderText(out: Output, findings: Finding[]): Promise<string> {
  const c = out.c;
  if (!out.tty) return out.table(findings.map((f) => [f.file, where(f), f.level, what(f), f.code]));
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const blocks: string[] = [];
  for (const [file, list] of byFile) {
    const worst = list.some((f) => f.level === 'error') ? out.mark('fail') : list.some((f) => f.level === 'warning') ? out.mark('warn') : c.cyan('i');
    const level = (f: Finding): string => (f.level === 'error' ? c.red('error') : f.level === 'warning' ? c.yellow('warning') : c.cyan('info'));
    const rows = await out.table(list.map((f) => [c.dim(where(f)), level(f), what(f), c.dim(f.code)]));
    blocks.push(`${worst} ${c.bold(file)}${list[0]?.nsid ? c.dim(` (${list[0].nsid})`) : ''}\n${rows.replace(/^/gm, '  ')}`);
  }
  return blocks.join('\n');
}

export default defineCommand({
  args: { paths: arg.variadic('paths', 'files or folders to check (folders recursively, *.json; default ./lexicons)', { valueKind: 'file' }) },
  options: {
    format: opt.choice('--format <format>', 'output: text, json (one object with every finding) or github (workflow annotations); default text, json with --json', ['text', 'json', 'github']),
    strict: opt.flag('--strict', 'exit 3 on warnings too'),
    rules: opt.list('--rule <code>', 'report only this rule (see "atcli lex rules")', { commas: true }),
    ignore: opt.list('--ignore <code>', 'never report this rule', { commas: true }),
    bundled: noBundledOption,
  },
  examples: ['atcli lex lint', 'atcli lex lint lexicons/com/example --strict', 'atcli lex lint --format github', 'atcli lex lint --ignore unlimited-string,endpoint-output-undefined --json'],
  notes:
    'Levels (the same names in text, JSON and "atcli lex rules"): error (exit 3), warning (exit 3 with --strict), info (listed with -v, never fails; a "notice" annotation with --format github). ' +
    'A file that is not JSON, or not UTF-8, is an error with its line and column. In ./lexicons, a file must sit at <root>/a/b/c.json for a.b.c; elsewhere its path must end so. ' +
    'Piped, text output is one tab-separated line per finding (file, line:column, level, message, code) and the counts go to stderr. Exit status: 0 clean, 3 errors (or warnings with --strict), 2 a path that does not exist.',
  async run({ args, opts, g, out, err }) {
    let paths = args.paths;
    if (paths.length === 0) {
      if (!existsSync(DEFAULT_DIR)) throw usage('NoLexicons', `no ./${DEFAULT_DIR} folder here`, { hint: 'give the files or folders to lint: atcli lex lint path/to/lexicons' });
      paths = [DEFAULT_DIR];
    }
    const { lintLexiconFiles, ruleFilter } = await import('../../../core/lexicon/index.js');
    const selection = { rules: opts.rules, ignore: opts.ignore };
    ruleFilter(selection); // an unknown code is a usage error before any work
    const catalog = await loadCatalog(err, { bundled: opts.bundled });
    const roots = existsSync(DEFAULT_DIR) ? [DEFAULT_DIR] : [];
    const result = resultOf(await lintLexiconFiles(paths, { catalog, ...selection, roots }));
    const failed = result.errors > 0 || (opts.strict && result.warnings > 0);
    const format = opts.format ?? (g.json ? 'json' : 'text');
    if (format === 'json') {
      await out.text(`${JSON.stringify(result, null, 2)}\n`);
      return failed ? EXIT_CODES.invalid : 0;
    }
    const shown = result.findings.filter((f) => f.level !== 'info' || g.verbosity > 0);
    const hidden = result.infos > 0 && g.verbosity === 0 ? ' (shown with -v)' : '';
    const summary = `${plural(result.files, 'file')} checked: ${plural(result.errors, 'error')}, ${plural(result.warnings, 'warning')}, ${result.infos} info${hidden}`;
    if (format === 'github') {
      await out.text(shown.map(annotation).join(''));
      err.info(summary);
    } else {
      const text = await renderText(out, shown);
      if (text !== '') await out.text(`${text}\n`);
      if (out.tty) await out.text(`${failed ? out.c.red(summary) : result.warnings > 0 ? summary : out.c.green(summary)}\n`);
      else err.info(summary);
    }
    return failed ? EXIT_CODES.invalid : 0;
  },
});
