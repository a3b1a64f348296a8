/**
 * Read-only views of a repository CAR built on the streaming verifier: a summary, record
 * listings, diffs between two snapshots, the tree's shape, and unpacking records to files.
 *
 * None of them checks the commit signature, but each checks the structure (every block's hash,
 * the commit, the tree) and throws invalid 'InvalidRepo' when it is broken: corrupted data is
 * never summarised, listed or unpacked as if it were fine.
 */
import { join } from 'node:path';
import { cborToJson, stringifyJson } from '../codec/json.js';
import { decodeCbor } from '../codec/cbor.js';
import type { Cid } from '../codec/cid.js';
import { readCar } from '../codec/car.js';
import { invalid, runtime } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
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
      details: { problems },
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
}

/**
 * Writes one JSON file per record (`dir/<collection>/<rkey>.json`, atproto JSON form) plus
 * `_commit.json`. Two passes: the first checks the tree and maps record CIDs to paths, the
 * second writes the records as their blocks stream past.
 */
export async function unpackRepo(open: () => AsyncIterable<Uint8Array>, dir: string, what: string): Promise<UnpackResult> {
  const byCid = new Map<string, RepoEntry[]>();
  const { report } = await listRepoEntries(open(), what, {
    onEntry: (e) => {
      const list = byCid.get(e.cid.key);
      if (list) list.push(e);
      else byCid.set(e.cid.key, [e]);
    },
  });
  const files: string[] = [];
  const car = await readCar(open());
  const root = car.header.roots[0] as Cid;
  for await (const block of car) {
    if (block.cid.equals(root)) {
      const commit = cborToJson(decodeCbor(block.bytes));
      const path = join(dir, '_commit.json');
      await writeFileAtomic(path, `${stringifyJson(commit, 2)}\n`, { overwrite: true });
      files.push(path);
      continue;
    }
    const entries = byCid.get(block.cid.key);
    if (!entries) continue;
    const json = `${stringifyJson(cborToJson(decodeCbor(block.bytes)), 2)}\n`;
    for (const e of entries) {
      const path = join(dir, e.collection, `${e.rkey}.json`);
      await writeFileAtomic(path, json, { overwrite: true });
      files.push(path);
    }
    byCid.delete(block.cid.key);
  }
  return { dir, records: report.records, files };
}
