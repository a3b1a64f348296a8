import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { ndjsonLine, printResult, stderrChalk, stdoutChalk, writeStdout } from '../output.js';
import { EXIT_CODES, invalid, isAtcliError, usage } from '../../../core/errors.js';
import { checkDid, checkNsid } from '../../../core/syntax/index.js';
import { lockPathFor } from '../../../core/lexicon/lock.js';
import {
  BREAKING_RULES,
  LINT_RULES,
  LexiconCatalog,
  TEMPLATE_KINDS,
  breakingChanges,
  diffLexicons,
  lexiconRelativePath,
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
  type LexiconDocument,
  type TemplateKind,
  type ValidationError,
} from '../../../core/lexicon/index.js';

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

// --- shared: project folder, network --------------------------------------------------------

function projectDir(opts: Record<string, unknown>): string {
  return (opts.lexicons as string | undefined) ?? DEFAULT_DIR;
}

function checkDirOption(opts: Record<string, unknown>): void {
  const dir = opts.lexicons as string | undefined;
  if (dir !== undefined && !(existsSync(dir) && statSync(dir).isDirectory())) throw usage('PathNotFound', `no such folder "${dir}" (--lexicons)`);
}

/** The paths a project command works on: the arguments, else the project folder (which must exist). */
function projectPaths(args: unknown, opts: Record<string, unknown>, command: string): string[] {
  const given = (args as string[] | undefined) ?? [];
  if (given.length > 0) return given;
  const dir = projectDir(opts);
  if (!existsSync(dir)) {
    throw usage('NoLexicons', `no folder ${display(dir)} here`, { hint: `give the files or folders: atcli lex ${command} path/to/lexicons (or --lexicons <dir>)` });
  }
  return [dir];
}

function lockFile(opts: Record<string, unknown>): string {
  return (opts.lock as string | undefined) ?? lockPathFor(projectDir(opts));
}

async function network() {
  return import('../../../core/lexicon/network.js');
}

async function resolverFor(ctx: Context) {
  const { LexiconResolver } = await network();
  return new LexiconResolver(await ctx.identityConfig(), {
    onProgress: (e) => {
      if (e.kind === 'authority') ctx.debug(`_lexicon.${e.authority} → ${e.did}`);
      else if (e.kind === 'resolved') ctx.debug(`fetched ${e.nsid} (${e.cid}) from ${e.did}, proof verified`);
      else ctx.debug(`${e.group}.*: ${e.count} schema${e.count === 1 ? '' : 's'} listed`);
    },
  });
}

function skippedWarnings(ctx: Context, skipped: Array<{ file: string; reason: string }>): void {
  for (const s of skipped) ctx.warn(`skipped ${display(s.file)}: ${s.reason}`);
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

interface Compared {
  old: string;
  new: string;
  a: LexiconDocument;
  b: LexiconDocument;
  /** Set when the old side is the published version. */
  published: { did: string; uri: string; cid: string; rev: string; localCid: string; inSync: boolean } | null;
}

/**
 * The two versions a diff or breaking check compares: two files, or (one argument: a file or an
 * NSID in the project folder) the published version and the local one.
 */
async function versionsToCompare(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Compared> {
  const [first, second] = args as [string, string | undefined];
  if (second !== undefined) {
    return { old: display(first), new: display(second), a: await loadLexiconFile(first), b: await loadLexiconFile(second), published: null };
  }
  checkDirOption(opts);
  let file = first;
  if (!existsSync(first) && checkNsid(first) === null) {
    file = join(projectDir(opts), ...lexiconRelativePath(first).split('/'));
    if (!existsSync(file)) throw usage('FileNotFound', `no local file for ${first} (looked for ${display(file)})`, { hint: 'give the file, or the project folder with --lexicons <dir>' });
  }
  const { readLocalSchemas } = await network();
  const { schemas } = await readLocalSchemas([file]);
  const local = schemas[0];
  if (local === undefined) {
    await loadLexiconFile(file); // throws the located reason
    throw invalid('InvalidLexicon', `${display(file)} is not a valid Lexicon`);
  }
  const resolver = await resolverFor(ctx);
  const remote = await resolver.resolve(local.nsid);
  return {
    old: `${remote.uri} (published, ${remote.cid})`,
    new: display(file),
    a: remote.document,
    b: local.document,
    published: { did: remote.did, uri: remote.uri, cid: remote.cid, rev: remote.rev, localCid: local.cid, inSync: remote.cid === local.cid },
  };
}

export interface DiffResult {
  old: string;
  new: string;
  nsid: string;
  /** The published side, when comparing with it (null for two files). */
  published: Compared['published'];
  changes: LexChange[];
  breaking: LexFinding[];
}

export async function lexDiffCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const v = await versionsToCompare(ctx, args, opts);
  const result: DiffResult = { old: v.old, new: v.new, nsid: v.b.id, published: v.published, changes: diffLexicons(v.a, v.b), breaking: breakingChanges(v.a, v.b) };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) => {
    const from = r.published ? ` (published ${r.published.cid} → ${r.new})` : '';
    if (r.changes.length === 0) return `${r.nsid}: no changes${from}${r.published && !r.published.inSync ? ' (the files differ only in formatting or key order)' : ''}`;
    const lines = [`${r.nsid}: ${r.changes.length} change${r.changes.length === 1 ? '' : 's'}${from}`];
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
  published: Compared['published'];
  breaking: boolean;
  errors: number;
  warnings: number;
  findings: LexFinding[];
}

export async function lexBreakingCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const v = await versionsToCompare(ctx, args, opts);
  const findings = breakingChanges(v.a, v.b);
  const errors = findings.filter((f) => f.level === 'error').length;
  const result: BreakingResult = { old: v.old, new: v.new, nsid: v.b.id, published: v.published, breaking: errors > 0, errors, warnings: findings.length - errors, findings };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) => {
    const against = r.published ? ` (against the published ${r.published.cid})` : '';
    const head = r.breaking
      ? c.red(`✗ ${r.nsid}: ${r.errors} breaking change${r.errors === 1 ? '' : 's'}${r.warnings ? `, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : ''}${against}`)
      : r.warnings > 0
        ? c.yellow(`! ${r.nsid}: no breaking changes, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}${against}`)
        : c.green(`✓ ${r.nsid}: no breaking changes${against}`);
    return [head, ...renderFindings(ctx, r.findings)].join('\n');
  });
  return result.breaking || (opts.strict === true && result.warnings > 0) ? EXIT_CODES.invalid : 0;
}

// --- resolve ---------------------------------------------------------------------------------

export async function lexResolveCommand({ ctx, args }: CommandRun): Promise<void> {
  const nsid = args[0] as string;
  const { checkLexiconNsid, lexiconFileText, lexiconTxtName } = await network();
  checkLexiconNsid(nsid);
  const resolver = await resolverFor(ctx);
  const r = await resolver.resolve(nsid);
  const result = {
    nsid: r.nsid,
    authority: r.authority,
    dnsName: lexiconTxtName(r.authority),
    did: r.did,
    pds: r.pds,
    uri: r.uri,
    cid: r.cid,
    rev: r.rev,
    signingKey: r.signingKey,
    verified: true,
    checks: r.checks,
    schema: r.json,
  };
  if (ctx.json) {
    await printResult(ctx, result, () => undefined);
    return;
  }
  await writeStdout(lexiconFileText(r.json));
  const c = stderrChalk(ctx);
  ctx.info(
    [
      `${c.green('✓')} ${r.nsid}: proof verified`,
      `  authority  ${result.dnsName} → ${r.did}`,
      `  pds        ${r.pds}`,
      `  record     ${r.uri}`,
      `  cid        ${r.cid}`,
      `  commit     rev ${r.rev}, signed by ${r.signingKey}`,
    ].join('\n'),
  );
}

// --- pull ------------------------------------------------------------------------------------

export async function lexPullCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const targets = (args[0] as string[] | undefined) ?? [];
  const { parsePullTarget, pullLexicons, readLock } = await network();
  for (const t of targets) parsePullTarget(t); // usage errors before any network use
  const dir = projectDir(opts);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw usage('NotADirectory', `"${dir}" is not a folder (--lexicons)`);
  const lockPath = lockFile(opts);
  const lock = await readLock(lockPath);
  const resolver = await resolverFor(ctx);
  const result = await pullLexicons(resolver, { dir, lockFile: lockPath, lock, targets, frozen: opts.frozen === true, deps: opts.deps !== false, dryRun: ctx.dryRun });
  const shown = {
    ...result,
    lockFile: display(result.lockFile),
    lexicons: result.lexicons.map((l) => ({ ...l, file: display(l.file) })),
    drift: result.drift.map((d) => ('file' in d ? { ...d, file: display(d.file) } : d)),
  };
  const c = stdoutChalk(ctx);
  await printResult(ctx, shown, (r) => {
    const lines: string[] = [];
    const verb = (s: string): string => (r.dryRun || (r.frozen && r.drift.length > 0) ? `would be ${s}` : s);
    for (const l of r.lexicons) {
      const mark = l.status === 'unchanged' ? c.dim('=') : l.status === 'created' ? c.green('+') : c.yellow('~');
      lines.push(`${mark} ${l.nsid}  ${c.dim(`${l.cid}${l.requiredBy ? `, needed by ${l.requiredBy}` : ''}`)}${l.status === 'unchanged' ? '' : `  ${verb(l.status)} ${l.file}`}`);
    }
    if (r.frozen) {
      if (r.drift.length === 0) lines.push(c.green(`✓ ${r.lexicons.length} schema${r.lexicons.length === 1 ? '' : 's'} match ${r.lockFile}`));
      else lines.push(c.red(`✗ ${r.drift.length} difference${r.drift.length === 1 ? '' : 's'} from ${r.lockFile}; nothing was written:`), ...r.drift.map((d) => `  ${d.kind.padEnd(14)} ${d.message}`));
    } else {
      const changed = r.lexicons.filter((l) => l.status !== 'unchanged').length;
      lines.push(`${r.lexicons.length} schema${r.lexicons.length === 1 ? '' : 's'} fetched and verified, ${changed} file${changed === 1 ? '' : 's'} ${r.dryRun ? 'would change' : 'written'}; ${r.dryRun ? `${r.lockFile} not touched (dry run)` : r.lockWritten ? `${r.lockFile} updated` : `${r.lockFile} unchanged`}`);
    }
    return lines.join('\n');
  });
  return result.drift.length > 0 ? EXIT_CODES.invalid : 0;
}

// --- publish ---------------------------------------------------------------------------------

export async function lexPublishCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  checkDirOption(opts);
  const paths = projectPaths(args[0], opts, 'publish');
  const { applyPublish, parseSavedPlan, planPublish, readLocalSchemas, readLock } = await network();
  let saved;
  if (opts.plan !== undefined) {
    const file = opts.plan as string;
    let value: unknown;
    try {
      value = JSON.parse(await readTextFile(file));
    } catch (err) {
      if (isAtcliError(err)) throw err;
      throw usage('InvalidPlan', `${file} is not JSON: ${(err as Error).message}`, { hint: 'save the plan with "atcli lex publish --dry-run --json > plan.json"' });
    }
    saved = parseSavedPlan(value, file);
  }
  const dir = projectDir(opts);
  const lock = await readLock(lockFile(opts));
  const { openSession } = await import('../session.js');
  const { client, session } = await openSession(ctx);

  // Schemas pulled from other publishers (in the lock under another DID) are dependencies, not ours.
  const local = await readLocalSchemas(paths);
  skippedWarnings(ctx, local.skipped);
  const foreign = local.schemas.filter((s) => {
    const e = lock?.lexicons[s.nsid];
    return e !== undefined && e.did !== session.did;
  });
  for (const s of foreign) ctx.info(`skipping ${s.nsid}: pulled from ${lock!.lexicons[s.nsid]!.did} (${display(lockFile(opts))})`);
  const schemas = local.schemas.filter((s) => !foreign.includes(s));
  if (schemas.length === 0 && foreign.length > 0) {
    const result = { did: session.did, published: 0, unchanged: 0, items: [], skipped: foreign.map((s) => s.nsid) };
    await printResult(ctx, result, (r) => `nothing to publish: ${r.skipped.length} schema${r.skipped.length === 1 ? ' was' : 's were'} pulled from other publishers`);
    return 0;
  }
  const catalog = await buildCatalog(ctx, opts, existsSync(dir) ? dir : undefined);
  const lint = await lintLexiconFiles(
    schemas.map((s) => s.file),
    { catalog, ...(existsSync(dir) ? { roots: [dir] } : {}) },
  );
  if (lint.warnings > 0) ctx.info(`lint: ${lint.warnings} warning${lint.warnings === 1 ? '' : 's'} (publishing anyway; "atcli lex lint" lists them)`);
  const resolver = await resolverFor(ctx);
  const repo = await resolver.repo(session.did, client);
  const plan = await planPublish({
    resolver,
    repo,
    pds: session.pds,
    schemas,
    lint,
    skipDnsCheck: opts.skipDnsCheck === true,
    force: opts.force === true,
    ...(saved === undefined ? {} : { saved }),
  });
  const c = stdoutChalk(ctx);
  const renderPlan = (p: typeof plan): string => {
    const lines = [`plan for ${p.did} on ${p.pds}${p.dnsChecked ? '' : ' (DNS check skipped)'}:`];
    for (const it of p.items) {
      const mark = it.action === 'unchanged' ? c.dim('=') : it.action === 'create' ? c.green('+') : c.yellow('~');
      lines.push(`${mark} ${it.nsid}  ${it.action}${it.action === 'unchanged' ? '' : ` ${it.swap ?? '(new)'} → ${it.cid}`}`);
      if (it.breaking.length > 0) lines.push(...renderFindings(ctx, it.breaking).map((l) => `  ${l}`));
    }
    for (const b of p.blocked) lines.push(c.red(`✗ ${b}`));
    return lines.join('\n');
  };
  const planOut = { dryRun: true, ...plan, items: plan.items.map((i) => ({ ...i, file: display(i.file) })) };
  if (ctx.dryRun || plan.blocked.length > 0) {
    await printResult(ctx, planOut, renderPlan);
    if (plan.blocked.length > 0) {
      throw invalid('BreakingChange', `refusing to publish: ${plan.blocked.join('; ')}`, {
        hint: 'a published schema must stay compatible (spec: Lexicon evolution); use a new NSID, or pass --force if nobody depends on it yet',
      });
    }
    return 0;
  }
  const result = await applyPublish(plan, repo, schemas, {
    onProgress: (e) => {
      if (e.kind === 'written') ctx.info(`${e.item.action === 'create' ? 'created' : 'updated'} ${e.item.uri} (${e.item.cid}), proof verified at rev ${e.item.rev}`);
    },
  });
  await printResult(ctx, result, (r) => {
    const lines = r.items.map((i) => `${i.action === 'unchanged' ? c.dim('=') : c.green('✓')} ${i.nsid}  ${i.action === 'unchanged' ? 'unchanged' : `${i.action === 'create' ? 'created' : 'updated'} ${i.cid}`}`);
    lines.push(`${r.published} published, ${r.unchanged} unchanged (${r.did})`);
    return lines.join('\n');
  });
  return 0;
}

// --- status ----------------------------------------------------------------------------------

export async function lexStatusCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  checkDirOption(opts);
  const paths = projectPaths(args[0], opts, 'status');
  const { lexiconStatus, readLocalSchemas, readLock } = await network();
  const local = await readLocalSchemas(paths);
  skippedWarnings(ctx, local.skipped);
  const lock = await readLock(lockFile(opts));
  const resolver = await resolverFor(ctx);
  const rows = await lexiconStatus(resolver, local.schemas, lock === undefined ? {} : { lock });
  const c = stdoutChalk(ctx);
  let out = '';
  for (const r of rows) {
    const row = { ...r, file: r.file === null ? null : display(r.file) };
    if (ctx.json) {
      out += ndjsonLine(row);
      continue;
    }
    const mark = { 'in-sync': c.green('✓'), differs: c.yellow('~'), 'local-only': c.cyan('+'), 'remote-only': c.magenta('-'), unresolved: c.red('?') }[r.status];
    const lockNote = r.lockedCid !== null && r.remoteCid !== null && r.lockedCid !== r.remoteCid ? c.yellow(` (changed since pulled: locked ${r.lockedCid})`) : '';
    out += `${mark} ${r.nsid.padEnd(Math.max(...rows.map((x) => x.nsid.length)))}  ${r.status}${r.detail ? c.dim(`  ${r.detail}`) : ''}${lockNote}\n`;
  }
  await writeStdout(out);
  if (!ctx.json) {
    const count = (s: string): number => rows.filter((r) => r.status === s).length;
    ctx.info(`${rows.length} schema${rows.length === 1 ? '' : 's'}: ${count('in-sync')} in sync, ${count('differs')} differ, ${count('local-only')} local only, ${count('remote-only')} remote only${count('unresolved') ? `, ${count('unresolved')} unresolved` : ''}`);
  }
}

// --- check-dns -------------------------------------------------------------------------------

async function expectedDid(ctx: Context, opts: Record<string, unknown>): Promise<string | undefined> {
  const flag = opts.did as string | undefined;
  if (flag !== undefined) {
    if (flag.startsWith('did:')) {
      const reason = checkDid(flag);
      if (reason !== null) throw usage('InvalidDid', `--did "${flag}" is not a DID: ${reason}`);
      return flag;
    }
    const { resolveIdentity } = await import('../../../core/identity/index.js');
    return (await resolveIdentity(await ctx.identityConfig(), flag)).did;
  }
  const env = ctx.env.ATCLI_IDENTIFIER;
  if (env !== undefined && env.startsWith('did:') && checkDid(env) === null) return env;
  try {
    const { FileSessionStore } = await import('../../../core/account/session-store.js');
    const session = await new FileSessionStore(ctx.configDir).read(ctx.profile);
    return session?.did;
  } catch {
    return undefined;
  }
}

export async function lexCheckDnsCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  checkDirOption(opts);
  const paths = projectPaths(args[0], opts, 'check-dns');
  const { checkLexiconDns, readLocalSchemas } = await network();
  const local = await readLocalSchemas(paths);
  skippedWarnings(ctx, local.skipped);
  if (local.schemas.length === 0) throw usage('NoLexicons', `no valid Lexicon schemas in ${paths.map(display).join(', ')}`);
  const expected = await expectedDid(ctx, opts);
  const resolver = await resolverFor(ctx);
  const rows = await checkLexiconDns(resolver, local.schemas.map((s) => s.nsid), expected);
  const c = stdoutChalk(ctx);
  let out = '';
  for (const r of rows) {
    if (ctx.json) {
      out += ndjsonLine(r);
      continue;
    }
    const n = `${r.nsids.length} schema${r.nsids.length === 1 ? '' : 's'}`;
    if (r.status === 'ok') out += `${c.green('✓')} ${r.name} → ${r.did} (${n})\n`;
    else {
      out += `${c.red('✗')} ${r.name}: ${r.status} (${n}): ${r.detail}\n`;
      if (r.record !== null) out += `  ${r.status === 'missing' ? 'add' : 'set'}: ${r.record}\n`;
    }
  }
  await writeStdout(out);
  const missing = rows.filter((r) => r.status === 'missing' || r.status === 'error').length;
  const wrong = rows.filter((r) => r.status === 'mismatch' || r.status === 'ambiguous').length;
  if (!ctx.json) {
    if (expected === undefined && rows.some((r) => r.record !== null)) ctx.info('hint: pass --did <your DID> (or log in) to print the exact record');
    ctx.info(`${rows.length} authorit${rows.length === 1 ? 'y' : 'ies'}: ${rows.length - missing - wrong} ok, ${missing} missing, ${wrong} wrong`);
  }
  return missing > 0 ? EXIT_CODES.notFound : wrong > 0 ? EXIT_CODES.invalid : 0;
}
