import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { printResult, stdoutChalk, writeStdout } from '../output.js';
import { EXIT_CODES, invalid, isAtcliError, usage } from '../../core/errors.js';
import { checkNsid } from '../../core/syntax/index.js';
import {
  BREAKING_RULES,
  LINT_RULES,
  LexiconCatalog,
  TEMPLATE_KINDS,
  breakingChanges,
  diffLexicons,
  lexiconTemplate,
  lintLexiconFiles,
  loadLexiconFile,
  loadLexicons,
  parseJsonText,
  readTextFile,
  ruleFilter,
  validateRecord,
  writeLexiconFile,
  type FileFinding,
  type LexChange,
  type LexFinding,
  type TemplateKind,
  type ValidationError,
} from '../../core/lexicon/index.js';

const DEFAULT_DIR = 'lexicons';
const MAX_RECORD_FILE_BYTES = 4 * 1024 * 1024;

/** The `lexicons/` folder that ships with atcli (found next to package.json above this module). */
export function bundledLexiconsDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'lexicons');
    if (existsSync(join(candidate, 'com', 'atproto')) && existsSync(join(dir, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** Shipped Lexicons (unless --no-bundled), then the project's folder on top. */
async function buildCatalog(ctx: Context, opts: Record<string, unknown>, projectDir: string | undefined): Promise<LexiconCatalog> {
  const catalog = new LexiconCatalog();
  if (opts.bundled !== false) {
    const dir = bundledLexiconsDir();
    if (dir === undefined) ctx.debug('bundled lexicons not found; resolving against project files only');
    else await loadLexicons([dir], catalog);
  }
  if (projectDir !== undefined) {
    const { skipped } = await loadLexicons([projectDir], catalog);
    for (const s of skipped) ctx.warn(`skipped ${display(s.file)}: ${s.reason}`);
  }
  return catalog;
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function codes(values: unknown): string[] {
  if (!Array.isArray(values)) return [];
  return values.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

// --- lint ------------------------------------------------------------------------------------

export interface LintResult {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  findings: Array<{ file: string; nsid: string | null; code: string; level: string; path: string; message: string; line: number | null; column: number | null }>;
}

/** GitHub workflow command escaping (toolkit/command.ts). */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export async function lexLintCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  let paths = (args[0] as string[] | undefined) ?? [];
  if (paths.length === 0) {
    if (!existsSync(DEFAULT_DIR)) {
      throw usage('NoLexicons', `no ./${DEFAULT_DIR} folder here`, { hint: 'give the files or folders to lint: atcli lex lint path/to/lexicons' });
    }
    paths = [DEFAULT_DIR];
  }
  const format = (opts.format as string | undefined) ?? (ctx.json ? 'json' : 'text');
  const rules = codes(opts.rule);
  const ignore = codes(opts.ignore);
  ruleFilter({ rules, ignore }); // unknown codes are a usage error before any work
  const catalog = await buildCatalog(ctx, opts, undefined);
  const report = await lintLexiconFiles(paths, { catalog, rules, ignore });
  const result: LintResult = {
    files: report.files,
    errors: report.errors,
    warnings: report.warnings,
    infos: report.infos,
    findings: report.findings.map((f: FileFinding) => ({
      file: display(f.file),
      nsid: f.nsid ?? null,
      code: f.code,
      level: f.level,
      path: f.path,
      message: f.message,
      line: f.line ?? null,
      column: f.column ?? null,
    })),
  };
  const showInfo = ctx.verbosity > 0;
  const failed = result.errors > 0 || (opts.strict === true && result.warnings > 0);
  const summary = `${result.files} file${result.files === 1 ? '' : 's'} checked: ${result.errors} error${result.errors === 1 ? '' : 's'}, ${result.warnings} warning${result.warnings === 1 ? '' : 's'}, ${result.infos} note${result.infos === 1 ? '' : 's'}${result.infos > 0 && !showInfo ? ' (notes shown with -v)' : ''}`;

  if (format === 'json') {
    await writeStdout(`${JSON.stringify(result, null, 2)}\n`);
  } else if (format === 'github') {
    const lines = result.findings
      .filter((f) => f.level !== 'info' || showInfo)
      .map((f) => {
        const kind = f.level === 'error' ? 'error' : f.level === 'warning' ? 'warning' : 'notice';
        const props = [`file=${ghProp(f.file)}`, ...(f.line === null ? [] : [`line=${f.line}`]), ...(f.column === null ? [] : [`col=${f.column}`]), `title=${ghProp(f.code)}`];
        return `::${kind} ${props.join(',')}::${ghData(f.path === '' ? f.message : `${f.path}: ${f.message}`)}\n`;
      });
    await writeStdout(lines.join(''));
    ctx.info(summary);
  } else {
    const c = stdoutChalk(ctx);
    const byFile = new Map<string, LintResult['findings']>();
    for (const f of result.findings) {
      if (f.level === 'info' && !showInfo) continue;
      const list = byFile.get(f.file) ?? [];
      list.push(f);
      byFile.set(f.file, list);
    }
    let out = '';
    for (const [file, list] of byFile) {
      const worst = list.some((f) => f.level === 'error') ? c.red('✗') : list.some((f) => f.level === 'warning') ? c.yellow('!') : c.cyan('i');
      out += `${worst} ${c.bold(file)}${list[0]?.nsid ? c.dim(` (${list[0].nsid})`) : ''}\n`;
      const where = list.map((f) => (f.line === null ? '' : `${f.line}:${f.column ?? 1}`));
      const width = Math.max(...where.map((w) => w.length));
      list.forEach((f, i) => {
        const level = f.level === 'error' ? c.red('error  ') : f.level === 'warning' ? c.yellow('warning') : c.cyan('note   ');
        out += `  ${c.dim((where[i] ?? '').padEnd(width))}  ${level}  ${f.path === '' ? '' : `${f.path}: `}${f.message}  ${c.dim(f.code)}\n`;
      });
    }
    out += `${failed ? c.red(summary) : result.warnings > 0 ? summary : c.green(summary)}\n`;
    await writeStdout(out);
  }
  return failed ? EXIT_CODES.invalid : 0;
}

// --- rules -----------------------------------------------------------------------------------

export async function lexRulesCommand({ ctx }: CommandRun): Promise<void> {
  const result = {
    lint: LINT_RULES.map((r) => ({ code: r.code, level: r.level, origin: r.origin, description: r.description })),
    breaking: BREAKING_RULES.map((r) => ({ code: r.code, origin: r.origin, description: r.description })),
  };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) => {
    const w = Math.max(...r.lint.map((x) => x.code.length), ...r.breaking.map((x) => x.code.length));
    const lint = r.lint.map((x) => `  ${x.code.padEnd(w)}  ${x.level.padEnd(7)}  ${x.description}${x.origin === 'goat' ? c.dim(' (goat)') : ''}`);
    const breaking = r.breaking.map((x) => `  ${x.code.padEnd(w)}  ${x.description}${x.origin === 'goat' ? c.dim(' (goat)') : ''}`);
    return `${c.bold('lint rules')} (atcli lex lint)\n${lint.join('\n')}\n\n${c.bold('evolution rules')} (atcli lex breaking: tighter = error, looser = warning)\n${breaking.join('\n')}`;
  });
}

// --- validate --------------------------------------------------------------------------------

export interface ValidateResult {
  file: string;
  nsid: string;
  valid: boolean;
  /** Where the record's schema came from. */
  schema: string | null;
  errors: ValidationError[];
}

export async function lexValidateCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const file = args[0] as string;
  const text = await readTextFile(file, MAX_RECORD_FILE_BYTES);
  let json: unknown;
  try {
    json = parseJsonText(text).value;
  } catch (err) {
    if (isAtcliError(err) && err.code === 'InvalidJson') throw invalid('InvalidJson', `${file}: ${err.message}`, { details: err.details, hint: 'fix the JSON syntax at the position shown' });
    throw err;
  }
  // Also accept getRecord / listRecords-style output: {"uri", "cid", "value": {…}}.
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (o.$type === undefined && typeof o.value === 'object' && o.value !== null && typeof o.uri === 'string') json = o.value;
  }
  const declared = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).$type : undefined;
  const nsid = (opts.nsid as string | undefined) ?? (typeof declared === 'string' ? declared : undefined);
  if (nsid === undefined) throw usage('MissingType', `${file} has no "$type"`, { hint: 'pass the record type with --nsid, like --nsid app.bsky.feed.post' });
  const reason = checkNsid(nsid);
  if (reason !== null) throw usage('InvalidNsid', `"${nsid}" is not a valid NSID: ${reason}`, { hint: 'the record type is an NSID like app.bsky.feed.post' });

  let dir = opts.lexicons as string | undefined;
  if (dir !== undefined && !existsSync(dir)) throw usage('PathNotFound', `no such folder "${dir}" (--lexicons)`);
  if (dir === undefined && existsSync(DEFAULT_DIR) && statSync(DEFAULT_DIR).isDirectory()) dir = DEFAULT_DIR;
  const catalog = await buildCatalog(ctx, opts, dir);
  const errors = validateRecord(catalog, nsid, json);
  const source = catalog.sourceOf(nsid);
  const bundled = bundledLexiconsDir();
  const result: ValidateResult = {
    file: display(file),
    nsid,
    valid: errors.length === 0,
    schema: source === undefined ? null : bundled !== undefined && source.startsWith(bundled) ? `bundled:${relative(bundled, source).split('\\').join('/')}` : display(source),
    errors,
  };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) =>
    r.valid
      ? `${c.green('✓')} ${r.file}: valid ${r.nsid}`
      : [`${c.red('✗')} ${r.file}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'} against ${r.nsid}`, ...r.errors.map((e) => `  ${e.path === '' ? '(record)' : e.path}: ${e.message}`)].join('\n'),
  );
  return result.valid ? 0 : EXIT_CODES.invalid;
}

// --- new -------------------------------------------------------------------------------------

export async function lexNewCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const kind = args[0] as string;
  const nsid = args[1] as string;
  if (!(TEMPLATE_KINDS as readonly string[]).includes(kind)) {
    throw usage('UnknownLexiconType', `unknown Lexicon type "${kind}"`, { hint: `types: ${TEMPLATE_KINDS.join(', ')}` });
  }
  const doc = lexiconTemplate(kind as TemplateKind, nsid);
  const dir = (opts.lexicons as string | undefined) ?? DEFAULT_DIR;
  const w = await writeLexiconFile(dir, doc, { force: opts.force === true, dryRun: ctx.dryRun });
  const result = { file: display(w.file), nsid, type: kind, written: w.written, overwritten: w.overwritten, ...(w.written ? {} : { content: doc }) };
  await printResult(ctx, result, (r) => (r.written ? `${r.overwritten ? 'overwrote' : 'created'} ${r.file} (${r.type} ${r.nsid})` : `would create ${r.file} (${r.type} ${r.nsid}):\n${w.content}`));
  if (w.written) ctx.info(`next: fill in the TODOs, then run "atcli lex lint ${display(dir)}"`);
}

// --- diff / breaking -------------------------------------------------------------------------

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

function renderFindings(ctx: Context, findings: LexFinding[]): string[] {
  const c = stdoutChalk(ctx);
  const w = Math.max(0, ...findings.map((f) => f.code.length));
  return findings.map((f) => `  ${f.level === 'error' ? c.red('error  ') : c.yellow('warning')}  ${f.code.padEnd(w)}  ${f.path}: ${f.message}`);
}

export interface DiffResult {
  old: string;
  new: string;
  nsid: string;
  changes: LexChange[];
  breaking: LexFinding[];
}

export async function lexDiffCommand({ ctx, args }: CommandRun): Promise<void> {
  const [oldFile, newFile] = args as [string, string];
  const a = await loadLexiconFile(oldFile);
  const b = await loadLexiconFile(newFile);
  const result: DiffResult = { old: display(oldFile), new: display(newFile), nsid: b.id, changes: diffLexicons(a, b), breaking: breakingChanges(a, b) };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) => {
    if (r.changes.length === 0) return `${r.nsid}: no changes`;
    const lines = [`${r.nsid}: ${r.changes.length} change${r.changes.length === 1 ? '' : 's'}`];
    for (const ch of r.changes) {
      if (ch.kind === 'added') lines.push(c.green(`  + ${ch.path}: ${short(ch.after)}`));
      else if (ch.kind === 'removed') lines.push(c.red(`  - ${ch.path}: ${short(ch.before)}`));
      else lines.push(c.yellow(`  ~ ${ch.path}: ${short(ch.before)} → ${short(ch.after)}`));
    }
    const errors = r.breaking.filter((f) => f.level === 'error').length;
    if (r.breaking.length > 0) lines.push(`evolution: ${errors} breaking, ${r.breaking.length - errors} warning${r.breaking.length - errors === 1 ? '' : 's'}`, ...renderFindings(ctx, r.breaking));
    else lines.push(c.green('evolution: compatible'));
    return lines.join('\n');
  });
}

export interface BreakingResult {
  old: string;
  new: string;
  nsid: string;
  breaking: boolean;
  errors: number;
  warnings: number;
  findings: LexFinding[];
}

export async function lexBreakingCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const [oldFile, newFile] = args as [string, string];
  const a = await loadLexiconFile(oldFile);
  const b = await loadLexiconFile(newFile);
  const findings = breakingChanges(a, b);
  const errors = findings.filter((f) => f.level === 'error').length;
  const result: BreakingResult = { old: display(oldFile), new: display(newFile), nsid: b.id, breaking: errors > 0, errors, warnings: findings.length - errors, findings };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) => {
    const head = r.breaking
      ? c.red(`✗ ${r.nsid}: ${r.errors} breaking change${r.errors === 1 ? '' : 's'}${r.warnings ? `, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : ''}`)
      : r.warnings > 0
        ? c.yellow(`! ${r.nsid}: no breaking changes, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`)
        : c.green(`✓ ${r.nsid}: no breaking changes`);
    return [head, ...renderFindings(ctx, r.findings)].join('\n');
  });
  return result.breaking || (opts.strict === true && result.warnings > 0) ? EXIT_CODES.invalid : 0;
}
