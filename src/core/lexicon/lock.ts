/**
 * The lock file `lexicons.lock.json` (beside the Lexicon folder): what `lex pull` fetched, by
 * NSID, with the record CID, the publishing DID and the repository revision it was verified at.
 * Written sorted and only when it changes, so it diffs cleanly and CI can detect drift
 * (`lex pull --frozen`, `lex status`).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { invalid, runtime } from '../errors.js';
import { checkNsid, isValidDid } from '../syntax/index.js';
import { parseCid } from '../codec/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { ResolvedLexicon } from './resolve.js';

export const LOCK_FILE_NAME = 'lexicons.lock.json';
export const LOCK_VERSION = 1;

export interface LockEntry {
  cid: string;
  did: string;
  rev: string;
}

export interface LexiconLock {
  version: 1;
  /** What was asked for (NSIDs and `group.*`), so `lex pull` with no arguments repeats it. */
  pulled: string[];
  /** Every schema fetched (the targets and their dependencies). */
  lexicons: Record<string, LockEntry>;
}

/** `<parent of dir>/lexicons.lock.json`: beside the folder, not inside it. */
export function lockPathFor(dir: string): string {
  return join(dirname(resolve(dir)), LOCK_FILE_NAME);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses lock file text; invalid 'InvalidLockFile' names what is wrong. */
export function parseLock(text: string, path = LOCK_FILE_NAME): LexiconLock {
  const bad = (why: string): never => {
    throw invalid('InvalidLockFile', `${path}: ${why}`, { hint: 'fix it, or delete it and pull again to write a new one' });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (!isObj(json)) return bad('not a JSON object');
  if (json.version !== LOCK_VERSION) return bad(`unsupported version ${JSON.stringify(json.version)} (version ${LOCK_VERSION} is the one known)`);
  const pulled = json.pulled ?? [];
  if (!Array.isArray(pulled) || !pulled.every((p) => typeof p === 'string')) return bad('"pulled" must be a list of strings');
  const lexicons: Record<string, LockEntry> = {};
  const raw = json.lexicons ?? {};
  if (!isObj(raw)) return bad('"lexicons" must be an object');
  for (const [nsid, e] of Object.entries(raw)) {
    if (checkNsid(nsid) !== null) return bad(`"${nsid}" is not an NSID`);
    if (!isObj(e) || typeof e.cid !== 'string' || typeof e.did !== 'string' || typeof e.rev !== 'string') return bad(`entry ${nsid} needs "cid", "did" and "rev" strings`);
    try {
      parseCid(e.cid);
    } catch {
      return bad(`entry ${nsid}: "${e.cid}" is not a CID`);
    }
    if (!isValidDid(e.did)) return bad(`entry ${nsid}: "${e.did}" is not a DID`);
    Object.defineProperty(lexicons, nsid, { value: { cid: e.cid, did: e.did, rev: e.rev }, enumerable: true, writable: true, configurable: true });
  }
  return { version: 1, pulled: [...new Set(pulled as string[])].sort(), lexicons };
}

/** Reads a lock file; undefined when there is none. */
export async function readLock(path: string): Promise<LexiconLock | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw runtime('ReadFailed', `could not read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseLock(text, path);
}

/** Stable text: keys and lists sorted, 2-space indent, trailing newline. */
export function serializeLock(lock: LexiconLock): string {
  const lexicons: Record<string, LockEntry> = {};
  for (const nsid of Object.keys(lock.lexicons).sort()) {
    const e = lock.lexicons[nsid]!;
    Object.defineProperty(lexicons, nsid, { value: { cid: e.cid, did: e.did, rev: e.rev }, enumerable: true, writable: true, configurable: true });
  }
  return `${JSON.stringify({ version: LOCK_VERSION, pulled: [...new Set(lock.pulled)].sort(), lexicons }, null, 2)}\n`;
}

/**
 * The lock after a pull. `replace`: the pull repeated every target of the lock, so entries not
 * fetched again are dropped; otherwise they are kept. An entry whose CID did not change keeps
 * its old revision, so re-pulling an unchanged schema does not touch the file.
 */
export function updateLock(previous: LexiconLock | undefined, targets: readonly string[], fetched: readonly ResolvedLexicon[], replace: boolean): LexiconLock {
  const lexicons: Record<string, LockEntry> = {};
  if (previous !== undefined && !replace) Object.assign(lexicons, previous.lexicons);
  for (const r of fetched) {
    const old = previous?.lexicons[r.nsid];
    const entry = old !== undefined && old.cid === r.cid && old.did === r.did ? old : { cid: r.cid, did: r.did, rev: r.rev };
    Object.defineProperty(lexicons, r.nsid, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  const pulled = replace ? [...targets] : [...(previous?.pulled ?? []), ...targets];
  return { version: 1, pulled: [...new Set(pulled)].sort(), lexicons };
}

/** Writes the lock atomically when its text changes; returns whether it was written. */
export async function writeLock(path: string, lock: LexiconLock): Promise<boolean> {
  const text = serializeLock(lock);
  let current: string | undefined;
  try {
    current = await readFile(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return false;
  await writeFileAtomic(path, text, { overwrite: true });
  return true;
}

export type LockDriftKind = 'not-locked' | 'changed' | 'moved' | 'removed';

export interface LockDrift {
  nsid: string;
  kind: LockDriftKind;
  locked: LockEntry | null;
  /** What the network has now (null for 'removed'). */
  remote: { cid: string; did: string; rev: string } | null;
  message: string;
}

/**
 * Compares what a pull fetched with the lock: schemas missing from the lock, with another CID,
 * or from another DID; with `complete`, locked schemas the pull no longer reaches.
 */
export function compareWithLock(lock: LexiconLock, fetched: readonly ResolvedLexicon[], complete: boolean): LockDrift[] {
  const out: LockDrift[] = [];
  const seen = new Set<string>();
  for (const r of fetched) {
    seen.add(r.nsid);
    const locked = lock.lexicons[r.nsid] ?? null;
    const remote = { cid: r.cid, did: r.did, rev: r.rev };
    if (locked === null) out.push({ nsid: r.nsid, kind: 'not-locked', locked, remote, message: `${r.nsid} is not in the lock file (published as ${r.cid})` });
    else if (locked.did !== r.did) out.push({ nsid: r.nsid, kind: 'moved', locked, remote, message: `${r.nsid} is now published by ${r.did}, the lock says ${locked.did}` });
    else if (locked.cid !== r.cid) out.push({ nsid: r.nsid, kind: 'changed', locked, remote, message: `${r.nsid} changed: published ${r.cid} (rev ${r.rev}), locked ${locked.cid}` });
  }
  if (complete) {
    for (const nsid of Object.keys(lock.lexicons).sort()) {
      if (!seen.has(nsid)) out.push({ nsid, kind: 'removed', locked: lock.lexicons[nsid]!, remote: null, message: `${nsid} is locked but no longer part of what is pulled` });
    }
  }
  return out.sort((a, b) => (a.nsid < b.nsid ? -1 : a.nsid > b.nsid ? 1 : 0));
}
