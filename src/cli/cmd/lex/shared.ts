// What the lex commands share: the project folder and its lock file, the schemas to validate and
// lint against (atcli's own plus the project's), file names shown relative to the working
// directory, Lexicon resolution with its debug lines, and the renderers of findings and changes.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usage } from '../../../core/errors.js';
import type { LexChange, LexFinding, LexiconCatalog } from '../../../core/lexicon/index.js';
import type { LexiconResolver } from '../../../core/lexicon/network.js';
import type { Factory } from '../../factory.js';
import { opt } from '../../flags.js';
import type { Output } from '../../render/output.js';
import type { StderrWriter } from '../../render/stderr.js';

/** The project folder when none is named. */
export const DEFAULT_DIR = 'lexicons';

export const lexiconsOption = (description: string) => opt.value('--lexicons <dir>', description, { valueKind: 'dir' });
export const noBundledOption = opt.negatable('--no-bundled', 'do not use the Lexicons that ship with atcli');
export const lockOption = opt.value('--lock <file>', 'lock file (default lexicons.lock.json beside the folder)', { valueKind: 'file' });

/** The `lexicons/` folder that ships with atcli (next to its package.json, above this module). */
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

/** A path as shown to the user: relative to the working directory when it is below it. */
export function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A folder named with --lexicons must exist (usage error otherwise). */
export function checkDirOption(dir: string | undefined): void {
  if (dir !== undefined && !isDir(dir)) throw usage('PathNotFound', `no such folder "${dir}" (--lexicons)`);
}

/** The project folder: the one named (which must exist), else ./lexicons when there is one. */
export function projectFolder(dir: string | undefined): string | undefined {
  checkDirOption(dir);
  return dir ?? (isDir(DEFAULT_DIR) ? DEFAULT_DIR : undefined);
}

/** The paths a project command works on: the arguments, else the project folder (which must exist). */
export function projectPaths(given: readonly string[], dir: string | undefined, command: string): string[] {
  checkDirOption(dir);
  if (given.length > 0) return [...given];
  const folder = dir ?? DEFAULT_DIR;
  if (!existsSync(folder)) {
    throw usage('NoLexicons', `no folder ${display(folder)} here`, { hint: `give the files or folders: atcli lex ${command} path/to/lexicons (or --lexicons <dir>)` });
  }
  return [folder];
}

export async function lockPath(lock: string | undefined, dir: string | undefined): Promise<string> {
  if (lock !== undefined) return lock;
  const { lockPathFor } = await import('../../../core/lexicon/lock.js');
  return lockPathFor(dir ?? DEFAULT_DIR);
}

export function warnSkipped(err: StderrWriter, skipped: ReadonlyArray<{ file: string; reason: string }>): void {
  for (const s of skipped) err.warn(`skipped ${display(s.file)}: ${s.reason}`);
}

/** atcli's own Lexicons (unless --no-bundled), then the project folder's on top. */
export async function loadCatalog(err: StderrWriter, opts: { bundled: boolean; project?: string | undefined }): Promise<LexiconCatalog> {
  const { LexiconCatalog, loadLexicons } = await import('../../../core/lexicon/index.js');
  const catalog = new LexiconCatalog();
  const bundled = opts.bundled ? bundledLexiconsDir() : undefined;
  if (opts.bundled && bundled === undefined) err.debug('the Lexicons that ship with atcli were not found; using the project files only');
  if (bundled !== undefined) await loadLexicons([bundled], catalog);
  // The project folder is atcli's own when run inside atcli's source tree: loaded once, as atcli's.
  if (opts.project !== undefined && resolve(opts.project) !== bundled) warnSkipped(err, (await loadLexicons([opts.project], catalog)).skipped);
  return catalog;
}

/** Lexicon resolution (DNS _lexicon → DID → PDS → verified record), logging each step with -v. */
export async function lexiconResolver(f: Factory, err: StderrWriter): Promise<LexiconResolver> {
  const { LexiconResolver } = await import('../../../core/lexicon/network.js');
  return new LexiconResolver(await f.identity(), {
    onProgress: (e) => {
      if (e.kind === 'authority') err.debug(`_lexicon.${e.authority} → ${e.did}`);
      else if (e.kind === 'resolved') err.debug(`fetched ${e.nsid} (${e.cid}) from ${e.did}, proof verified`);
      else err.debug(`${e.group}.*: ${e.count} schema${e.count === 1 ? '' : 's'} listed`);
    },
  });
}

/** Runs `work` under a spinner on a terminal (a network wait of unknown length); silent elsewhere. */
export async function withSpinner<T>(err: StderrWriter, label: string, work: () => Promise<T>): Promise<T> {
  const spinner = err.interactive ? err.spinner(label) : undefined;
  try {
    return await work();
  } finally {
    spinner?.stop();
  }
}

/** Evolution findings: level, code, where and what. */
export async function findingsTable(out: Output, findings: readonly LexFinding[], indent = '  '): Promise<string> {
  if (findings.length === 0) return '';
  const rows = findings.map((f) => [f.level === 'error' ? out.c.red('error') : out.c.yellow('warning'), f.code, `${f.path}: ${f.message}`]);
  const table = await out.table(rows);
  return table
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** One line per change: + added, - removed, ~ changed. */
export function changeLines(out: Output, changes: readonly LexChange[]): string[] {
  return changes.map((ch) =>
    ch.kind === 'added'
      ? out.c.green(`  + ${ch.path}: ${short(ch.after)}`)
      : ch.kind === 'removed'
        ? out.c.red(`  - ${ch.path}: ${short(ch.before)}`)
        : out.c.yellow(`  ~ ${ch.path}: ${short(ch.before)} → ${short(ch.after)}`),
  );
}
