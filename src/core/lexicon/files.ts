/**
 * Lexicon files on disk: finding them, reading them with located errors, loading folders into
 * a catalog, linting a project, and writing new files.
 */
import { mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { invalid, isAtcliError, runtime, usage } from '../errors.js';
import { LexiconCatalog } from './catalog.js';
import { locate, type JsonPosition } from './json.js';
import { lintLexicon, makeFinding, ruleFilter, type RuleSelection } from './lint.js';
import { invalidLexiconError, parseLexiconText, type FailedLexicon, type ParsedLexicon } from './parse.js';
import { lexiconRelativePath } from './templates.js';
import type { LexFinding, LexiconDocument } from './types.js';
import { CappedList } from '../util/capped-list.js';

/** Largest Lexicon or record file read (the biggest published schemas are ~100 KB). */
export const MAX_LEXICON_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Where the first byte that is not UTF-8 sits (JSON text must be UTF-8, RFC 8259 §8.1), as a
 * byte offset and a 1-based line and column (in bytes), or undefined when `buf` is UTF-8.
 */
function invalidUtf8At(buf: Buffer): { offset: number; line: number; column: number } | undefined {
  if (isUtf8(buf)) return undefined;
  const text = buf.toString('utf8');
  let offset = 0;
  let from = 0;
  for (;;) {
    const i = text.indexOf('\uFFFD', from);
    if (i < 0) return undefined;
    offset += Buffer.byteLength(text.slice(from, i), 'utf8');
    // A replacement character that was in the file as written is data; look further.
    if (!(buf[offset] === 0xef && buf[offset + 1] === 0xbf && buf[offset + 2] === 0xbd)) break;
    offset += 3;
    from = i + 1;
  }
  const lineStart = buf.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let p = buf.indexOf(0x0a); p >= 0 && p < offset; p = buf.indexOf(0x0a, p + 1)) line++;
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * Reads a UTF-8 file of at most `maxBytes`. A missing file is usage 'FileNotFound' (the input
 * named is wrong), a file that is not UTF-8 invalid 'InvalidUtf8' (details: offset, line,
 * column), anything else runtime 'ReadFailed'.
 */
export async function readTextFile(path: string, maxBytes = MAX_LEXICON_FILE_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) throw usage('IsADirectory', `"${path}" is a directory, not a file`);
    if (info.size > maxBytes) throw usage('FileTooLarge', `"${path}" is ${info.size} bytes, more than the ${maxBytes} accepted`);
    const buf = await handle.readFile();
    if (buf.length > maxBytes) throw usage('FileTooLarge', `"${path}" is more than ${maxBytes} bytes`);
    const bad = invalidUtf8At(buf);
    if (bad !== undefined) {
      throw invalid('InvalidUtf8', `"${path}" is not UTF-8 text: invalid byte 0x${(buf[bad.offset] ?? 0).toString(16).padStart(2, '0')} at line ${bad.line}, column ${bad.column}`, {
        details: { file: path, ...bad },
      });
    }
    return buf.toString('utf8');
  } catch (err) {
    if (isAtcliError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage('FileNotFound', `no such file "${path}"`);
    if (code === 'EISDIR') throw usage('IsADirectory', `"${path}" is a directory, not a file`);
    throw runtime('ReadFailed', `could not read "${path}": ${(err as Error).message}`, { cause: err });
  } finally {
    await handle?.close();
  }
}

/**
 * Expands files and folders into a sorted list of `*.json` files (folders recursively, skipping
 * hidden folders and node_modules). A path that does not exist is usage 'FileNotFound'.
 */
export async function findLexiconFiles(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        await walk(p);
      } else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.json')) out.add(p);
    }
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw usage('FileNotFound', `no such file or folder "${path}"`);
    }
    if (info.isDirectory()) await walk(path);
    else out.add(path);
  }
  return [...out].sort();
}

export type LexiconFile = (ParsedLexicon | FailedLexicon) & {
  file: string;
  positions: Map<string, JsonPosition>;
  duplicateKeys: string[];
};

/** The JSON syntax error of a file, as a finding with its position. */
export interface JsonSyntaxProblem {
  file: string;
  message: string;
  line: number;
  column: number;
}

/**
 * Reads and parses one Lexicon file. JSON syntax errors come back as `{syntax}` (with line and
 * column) rather than thrown, so a project lint can report every file.
 */
export async function readLexiconFile(file: string): Promise<LexiconFile | { file: string; syntax: JsonSyntaxProblem }> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (err) {
    if (isAtcliError(err) && err.code === 'InvalidUtf8') {
      const message = `not UTF-8 text (JSON must be UTF-8): invalid byte at offset ${Number(err.details?.offset)}`;
      return { file, syntax: { file, message, line: Number(err.details?.line ?? 1), column: Number(err.details?.column ?? 1) } };
    }
    throw err;
  }
  try {
    const parsed = parseLexiconText(text, { source: file });
    const { json: _json, ...rest } = parsed;
    return { ...rest, file } as LexiconFile;
  } catch (err) {
    if (isAtcliError(err) && err.code === 'InvalidJson') {
      const line = Number(err.details?.line ?? 1);
      const column = Number(err.details?.column ?? 1);
      const message = err.message.replace(/ at line \d+, column \d+$/, '');
      return { file, syntax: { file, message, line, column } };
    }
    throw err;
  }
}

export interface LoadDirResult {
  catalog: LexiconCatalog;
  /** Files that could not be loaded, with why. */
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Loads every valid Lexicon under `paths` into `catalog` (a new one by default), replacing
 * documents with the same id. Invalid files are skipped and listed.
 */
export async function loadLexicons(paths: readonly string[], catalog: LexiconCatalog = new LexiconCatalog()): Promise<LoadDirResult> {
  const skipped: LoadDirResult['skipped'] = [];
  for (const file of await findLexiconFiles(paths)) {
    const r = await readLexiconFile(file);
    if ('syntax' in r) skipped.push({ file, reason: r.syntax.message });
    else if (!r.ok) skipped.push({ file, reason: r.errors.map((e) => `${e.path}: ${e.message}`).join('; ') });
    else catalog.add(r.document, { source: file, replace: true });
  }
  return { catalog, skipped };
}

/** Reads one Lexicon file and returns its document, or throws (InvalidJson / InvalidLexicon). */
export async function loadLexiconFile(file: string): Promise<LexiconDocument> {
  const r = await readLexiconFile(file);
  if ('syntax' in r) {
    const { message, line, column } = r.syntax;
    throw invalid('InvalidJson', `${file}:${line}:${column}: ${message}`, { details: { file, line, column }, hint: 'fix the JSON syntax at the position shown' });
  }
  if (!r.ok) throw invalidLexiconError(r);
  return r.document;
}

export interface FileFinding extends LexFinding {
  file: string;
  /** The document's id, when it has one. */
  nsid?: string;
  line?: number;
  column?: number;
}

export interface LintReport {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  /** The first findings of each file (at most LIST_CAP per file); the counts above cover them all. */
  findings: FileFinding[];
  /** Findings left out of `findings` by the per-file cap. */
  findingsOmitted: number;
}

export interface LintFilesOptions extends RuleSelection {
  /**
   * Lexicons to resolve references against besides the linted files (for example the ones that
   * ship with atcli); linted files take precedence.
   */
  catalog?: LexiconCatalog;
  /**
   * The project's Lexicon folders, for `file-path-mismatch`: a file inside one must sit at
   * `<root>/a/b/c.json`. Files outside them (and every file when there are none) are where they
   * belong when their path ends in `a/b/c.json`, whatever folder was named to lint: the Lexicon
   * root is found by walking up from the file, not assumed to be the argument.
   */
  roots?: readonly string[];
}

/**
 * Lints every Lexicon file under `paths`: each file on its own (see `lintLexicon`), then across
 * files (duplicate ids, references between them, file paths). Findings carry file, line, column.
 */
export async function lintLexiconFiles(paths: readonly string[], options: LintFilesOptions = {}): Promise<LintReport> {
  const enabled = ruleFilter(options);
  const files = await findLexiconFiles(paths);
  const roots: string[] = options.roots?.map((r) => resolve(r)) ?? [];
  const read = await Promise.all(files.map((f) => readLexiconFile(f)));
  const catalog = new LexiconCatalog();
  for (const doc of options.catalog?.documents() ?? []) catalog.add(doc, { replace: true });
  const owners = new Map<string, string>();
  for (const r of read) {
    if (!('syntax' in r) && r.ok) {
      catalog.add(r.document, { source: r.file, replace: true });
    }
  }

  const findings: FileFinding[] = [];
  const at = (positions: Map<string, JsonPosition> | undefined, path: string): { line?: number; column?: number } => {
    const pos = positions === undefined ? undefined : locate(positions, path);
    return pos === undefined ? {} : { line: pos.line, column: pos.column };
  };
  for (const r of read) {
    if ('syntax' in r) {
      // A file that is not JSON is always reported, whatever the rule selection: nothing else
      // in it can be checked.
      findings.push({ ...makeFinding('schema-json-parse', '', r.syntax.message), file: r.file, line: r.syntax.line, column: r.syntax.column });
      continue;
    }
    const id = r.ok ? r.document.id : r.id;
    const base = { file: r.file, ...(id === undefined ? {} : { nsid: id }) };
    const docFindings = r.ok
      ? lintLexicon(r.document, catalog, { ...options, unexpectedFields: r.unexpectedFields, duplicateKeys: r.duplicateKeys })
      : [
          ...r.duplicateKeys.map((p) => makeFinding('duplicate-key', p, 'this key appears more than once in the same object (readers keep only one)')),
          ...r.unexpectedFields.map((p) => makeFinding('unexpected-field', p, `unexpected field at ${p}`)),
        ].filter((f) => enabled(f.code)).concat(r.errors.filter((e) => !(options.ignore ?? []).includes(e.code)).map((e) => makeFinding(e.code, e.path, e.message)));
    const located = docFindings.map((f) => ({ ...f, ...base, ...at(r.positions, f.path) }));
    // Source order within a file (stable for findings on the same spot).
    located.sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0));
    findings.push(...located);

    if (id !== undefined && r.ok) {
      const first = owners.get(id);
      if (first !== undefined) {
        if (enabled('duplicate-id')) findings.push({ ...makeFinding('duplicate-id', 'id', `${id} is also declared by ${first}`), ...base, ...at(r.positions, 'id') });
      } else owners.set(id, r.file);
      if (enabled('file-path-mismatch')) {
        const expected = lexiconRelativePath(id);
        const abs = resolve(r.file);
        const root = roots.find((d) => abs.startsWith(d + sep));
        const ok = root !== undefined ? relative(root, abs).split(sep).join('/') === expected : abs.split(sep).join('/').endsWith(`/${expected}`);
        if (!ok) findings.push({ ...makeFinding('file-path-mismatch', 'id', `${id} should be in a file named ${expected}`), ...base, ...at(r.positions, 'id') });
      }
    }
  }
  const perFile = new Map<string, CappedList<FileFinding>>();
  for (const f of findings) {
    let list = perFile.get(f.file);
    if (list === undefined) perFile.set(f.file, (list = new CappedList<FileFinding>()));
    list.add(f);
  }
  const kept = [...perFile.values()];
  return {
    files: files.length,
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
    infos: findings.filter((f) => f.level === 'info').length,
    findings: kept.flatMap((l) => l.items),
    findingsOmitted: kept.reduce((n, l) => n + l.omitted, 0),
  };
}

export interface WriteLexiconOptions {
  /** Overwrite an existing file (default: refuse with usage 'FileExists'). */
  force?: boolean;
  /** Compute the path and content but write nothing. */
  dryRun?: boolean;
}

export interface WrittenLexicon {
  file: string;
  nsid: string;
  written: boolean;
  overwritten: boolean;
  content: string;
}

/** Writes `doc` to `<dir>/a/b/c.json` (2-space JSON, trailing newline), atomically. */
export async function writeLexiconFile(dir: string, doc: LexiconDocument, options: WriteLexiconOptions = {}): Promise<WrittenLexicon> {
  const file = join(dir, ...lexiconRelativePath(doc.id).split('/'));
  const content = `${JSON.stringify(doc, null, 2)}\n`;
  let exists = false;
  try {
    await stat(file);
    exists = true;
  } catch {
    exists = false;
  }
  if (exists && options.force !== true) {
    throw usage('FileExists', `${file} already exists`, { details: { file } });
  }
  if (options.dryRun === true) return { file, nsid: doc.id, written: false, overwritten: false, content };
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, content, { mode: 0o644 });
    try {
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  } catch (err) {
    throw runtime('WriteFailed', `could not write ${file}: ${(err as Error).message}`, { cause: err });
  }
  return { file, nsid: doc.id, written: true, overwritten: exists, content };
}
