/**
 * Read-only views of a repository CAR built on the streaming verifier: a summary, record
 * listings, diffs between two snapshots, the tree's shape, and unpacking records to files.
 *
 * None of them checks the commit signature, but each checks the structure (every block's hash,
 * the commit, the tree) and throws invalid 'InvalidRepo' when it is broken: corrupted data is
 * never summarised, listed or unpacked as if it were fine.
 */
import { lstat, mkdir, mkdtemp, open as openFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { cborToJson, stringifyJson } from '../codec/json.js';
import { decodeCbor } from '../codec/cbor.js';
import type { Cid } from '../codec/cid.js';
import { readCar } from '../codec/car.js';
import { invalid, isAtcliError, runtime, usage } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { recordFileComponents } from './file-names.js';
import { verifyRepoCar, type RepoEntry, type RepoVerifyOptions, type RepoVerifyReport } from './verify.js';

/**
 * Throws invalid 'InvalidRepo' when a check failed, and runtime 'RepoUnreadable' when the CAR
 * could not be read to the end (a broken download), so a listing is never silently partial.
 */
export function assertStructure(report: RepoVerifyReport, what: string): void {
  const failed = report.checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    const problems = failed.map((c) => `${c.name}: ${c.detail}`);
    throw invalid('InvalidRepo', `${what} is not a valid repository: ${problems.join('; ')}`, {
      hint: 'a full verification of the repository reports every check',
      details: { repository: what, problems },
    });
  }
  const unreadable = report.checks.find((c) => c.status === 'unchecked');
  if (unreadable) throw runtime('RepoUnreadable', `${what}: ${unreadable.detail}`);
}

export interface RepoSummary {
  did: string;
  rev: string;
  version: number;
  commit: string;
  data: string;
  prev: string | null;
  records: number;
  collections: Record<string, number>;
  blocks: number;
  bytes: number;
  mstDepth: number;
  mstNodes: number;
  /** Findings that do not make the repository invalid (unreferenced blocks, record types). */
  warnings: string[];
}

/** The commit and content summary of a repository whose structure checks out (the signature is not checked). */
export async function inspectRepo(source: AsyncIterable<Uint8Array>, what: string, options: RepoVerifyOptions = {}): Promise<RepoSummary> {
  const report = await verifyRepoCar(source, { ...options, skipSignature: true });
  assertStructure(report, what);
  return {
    did: report.did as string,
    rev: report.rev as string,
    version: report.version as number,
    commit: report.commit as string,
    data: report.data as string,
    prev: report.prev,
    records: report.records,
    collections: report.collections,
    blocks: report.blocks,
    bytes: report.bytes,
    mstDepth: report.mstDepth,
    mstNodes: report.mstNodes,
    warnings: report.warnings,
  };
}

export interface RepoListing {
  report: RepoVerifyReport;
  entries: RepoEntry[];
}

/** Every record path in key order (the tree is checked; the signature is not). */
export async function listRepoEntries(source: AsyncIterable<Uint8Array>, what: string, options: RepoVerifyOptions = {}): Promise<RepoListing> {
  const entries: RepoEntry[] = [];
  const report = await verifyRepoCar(source, {
    skipSignature: true,
    ...options,
    onEntry: (e) => {
      entries.push(e);
      options.onEntry?.(e);
    },
  });
  assertStructure(report, what);
  return { report, entries };
}

export interface RepoDiffRow {
  op: 'create' | 'update' | 'delete';
  collection: string;
  rkey: string;
  /** CID after the change (null for deletes). */
  cid: string | null;
  /** CID before the change (null for creates). */
  prev: string | null;
}

/** Records created, updated and deleted from `before` to `after` (both in key order). */
export function diffEntries(before: RepoEntry[], after: RepoEntry[]): RepoDiffRow[] {
  const rows: RepoDiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const a = before[i];
    const b = after[j];
    const order = a === undefined ? 1 : b === undefined ? -1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
    if (order < 0 && a) {
      rows.push({ op: 'delete', collection: a.collection, rkey: a.rkey, cid: null, prev: a.cid.toString() });
      i++;
    } else if (order > 0 && b) {
      rows.push({ op: 'create', collection: b.collection, rkey: b.rkey, cid: b.cid.toString(), prev: null });
      j++;
    } else if (a && b) {
      if (!a.cid.equals(b.cid)) rows.push({ op: 'update', collection: b.collection, rkey: b.rkey, cid: b.cid.toString(), prev: a.cid.toString() });
      i++;
      j++;
    }
  }
  return rows;
}

export type TreeEvent =
  | { kind: 'node'; cid: string; layer: number; entries: number; present: boolean; depth: number }
  | { kind: 'entry'; path: string; cid: string; depth: number };

/**
 * The tree in walk order: each node (with its depth below the root) followed by its entries.
 * A broken tree throws (see assertStructure); `partial: true` accepts absent nodes and records
 * (a CAR that declares itself partial, such as a diff or a proof), shown as not present.
 */
export async function repoTree(source: AsyncIterable<Uint8Array>, options: RepoVerifyOptions = {}, what = 'the CAR'): Promise<{ report: RepoVerifyReport; events: TreeEvent[] }> {
  const events: TreeEvent[] = [];
  let rootLayer: number | undefined;
  const depthOf = (layer: number): number => (rootLayer === undefined || layer < 0 ? 0 : rootLayer - layer);
  let currentLayer = 0;
  const report = await verifyRepoCar(source, {
    skipSignature: true,
    ...options,
    onNode: (n) => {
      if (rootLayer === undefined && n.layer >= 0) rootLayer = n.layer;
      currentLayer = n.layer;
      events.push({ kind: 'node', cid: n.cid.toString(), layer: n.layer, entries: n.entries, present: n.present, depth: depthOf(n.layer) });
    },
    onEntry: (e) => events.push({ kind: 'entry', path: e.path, cid: e.cid.toString(), depth: depthOf(currentLayer) }),
  });
  assertStructure(report, what);
  return { report, events };
}

export interface UnpackResult {
  dir: string;
  records: number;
  files: string[];
  /** Records whose file name is not simply `<collection>/<rkey>.json` (see docs/repo-unpack.md). */
  renamed: number;
}

export interface UnpackOptions {
  /**
   * Replace an existing output folder. Only an empty folder or one that holds an earlier unpack
   * (a `_commit.json` at its top) is replaced; anything else is refused.
   */
  replace?: boolean;
}

const COMMIT_FILE = '_commit.json';

/**
 * Writes one JSON file per record (atproto JSON form) plus `_commit.json` into `dir`. File names
 * follow the mapping of file-names.ts, so every valid path fits any common file system. Two
 * passes: the first checks the tree and maps record CIDs to paths, the second writes the records
 * as their blocks stream past.
 *
 * Everything is written into a new private folder beside `dir` and moved into place at the end,
 * so a failure leaves nothing half-written, and no file is opened through a symbolic link (each
 * is created exclusively in a folder atcli just made). Output paths that cannot work are usage
 * errors: `dir` naming a file ('NotADirectory'), a path under a file ('InvalidOutputPath'), a
 * folder that is not empty ('DirectoryNotEmpty', unless `replace` applies).
 */
export async function unpackRepo(open: () => AsyncIterable<Uint8Array>, dir: string, what: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const target = resolve(dir);
  const existing = await checkOutputDir(target, options.replace === true);
  const byCid = new Map<string, RepoEntry[]>();
  const { report } = await listRepoEntries(open(), what, {
    onEntry: (e) => {
      const list = byCid.get(e.cid.key);
      if (list) list.push(e);
      else byCid.set(e.cid.key, [e]);
    },
  });
  await mkdirOutputParent(dirname(target));
  const work = await mkdtemp(join(dirname(target), `.${basename(target)}.atcli-unpack-`));
  const files: string[] = [];
  let renamed = 0;
  try {
    const folders = new Set<string>();
    const car = await readCar(open());
    const root = car.header.roots[0] as Cid;
    for await (const block of car) {
      if (block.cid.equals(root)) {
        await writeNewFile(join(work, COMMIT_FILE), `${stringifyJson(cborToJson(decodeCbor(block.bytes)), 2)}\n`);
        files.push(join(dir, COMMIT_FILE));
        continue;
      }
      const entries = byCid.get(block.cid.key);
      if (!entries) continue;
      const json = `${stringifyJson(cborToJson(decodeCbor(block.bytes)), 2)}\n`;
      for (const e of entries) {
        const parts = recordFileComponents(e.collection, e.rkey);
        if (parts.length !== 2 || parts[0] !== e.collection || parts[1] !== `${e.rkey}.json`) renamed++;
        let folder = work;
        for (const part of parts.slice(0, -1)) {
          folder = join(folder, part);
          if (!folders.has(folder)) {
            await mkdir(folder);
            folders.add(folder);
          }
        }
        await writeNewFile(join(folder, parts[parts.length - 1] as string), json);
        files.push(join(dir, ...parts));
      }
      byCid.delete(block.cid.key);
    }
    await moveIntoPlace(work, target, existing);
  } catch (err) {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
    throw writeError(err, dir);
  }
  return { dir, records: report.records, files, renamed };
}

/** What is at the output path now: nothing, or a folder that may be replaced. Refuses anything else. */
async function checkOutputDir(target: string, replace: boolean): Promise<'none' | 'folder'> {
  let info;
  try {
    info = await lstat(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'none';
    if (code === 'ENOTDIR') throw usage('InvalidOutputPath', `${target} cannot be a folder: a part of its path is a file`);
    throw writeError(err, target);
  }
  if (info.isSymbolicLink()) throw usage('InvalidOutputPath', `${target} is a symbolic link; give the folder itself`);
  if (!info.isDirectory()) throw usage('NotADirectory', `${target} exists and is not a folder`);
  const names = await readdir(target);
  if (names.length === 0) return 'folder';
  if (!replace) throw usage('DirectoryNotEmpty', `${target} exists and is not empty`);
  if (!names.includes(COMMIT_FILE)) {
    throw usage('DirectoryNotEmpty', `${target} is not empty and does not hold an unpacked repository (no ${COMMIT_FILE}), so it is not replaced`);
  }
  return 'folder';
}

async function mkdirOutputParent(parent: string): Promise<void> {
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw usage('InvalidOutputPath', `${parent} cannot be a folder: a part of its path is a file`);
    throw writeError(err, parent);
  }
}

/** Creates `path` and writes `text`; fails if anything (a file, a symbolic link) is already there. */
async function writeNewFile(path: string, text: string): Promise<void> {
  const fh = await openFile(path, 'wx', 0o644);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** Moves the finished folder to `target`, replacing the old folder only once the new one is complete. */
async function moveIntoPlace(work: string, target: string, existing: 'none' | 'folder'): Promise<void> {
  if (existing === 'none') {
    await rename(work, target);
    return;
  }
  const old = `${work}.old`;
  await rename(target, old);
  try {
    await rename(work, target);
  } catch (err) {
    await rename(old, target).catch(() => undefined);
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}

function writeError(err: unknown, path: string): unknown {
  if (isAtcliError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return err;
  return runtime('WriteFailed', `could not write ${path}: ${code}`, { cause: err });
}
