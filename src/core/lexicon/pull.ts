/**
 * `lex pull`: fetch schemas (and, by default, everything they reference) with verified proofs,
 * write them as `<dir>/a/b/c.json` atomically, and record each one in the lock file. Frozen mode
 * (CI) writes nothing unless every fetched schema matches the lock and the local files.
 */
import { join } from 'node:path';
import { invalid, isAtcliError, usage } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { JsonObject } from '../codec/index.js';
import { readTextFile } from './files.js';
import { schemaRecordCid } from './local.js';
import { compareWithLock, updateLock, writeLock, type LexiconLock, type LockDrift } from './lock.js';
import { parseJsonText } from './json.js';
import { lexiconFileText, parsePullTarget, resolveClosure, type LexiconResolver, type PullTarget } from './resolve.js';
import { lexiconRelativePath } from './templates.js';

export type PullFileStatus = 'created' | 'updated' | 'unchanged';

export interface PulledLexicon {
  nsid: string;
  file: string;
  cid: string;
  did: string;
  rev: string;
  uri: string;
  /** What happened to the file (with a dry run or a frozen check that failed: what would have). */
  status: PullFileStatus;
  /** Null for a target; else the schema that referenced it first. */
  requiredBy: string | null;
}

/** A local file that no longer matches what was published and locked. */
export interface LocalDrift {
  nsid: string;
  file: string;
  kind: 'local-modified';
  localCid: string | null;
  /** The CID the file should have: the locked one (or the published one, when not locked). */
  expectedCid: string;
  message: string;
}

export interface PullResult {
  targets: Array<{ target: string; nsids: string[] }>;
  lexicons: PulledLexicon[];
  lockFile: string;
  lockWritten: boolean;
  frozen: boolean;
  dryRun: boolean;
  /** Frozen mode: every difference from the lock and the files (empty: in sync). */
  drift: Array<LockDrift | LocalDrift>;
}

export interface PullOptions {
  /** Lexicon folder (files go to `<dir>/a/b/c.json`). */
  dir: string;
  lockFile: string;
  lock: LexiconLock | undefined;
  /** NSIDs and `group.*`; empty: repeat what the lock says was pulled. */
  targets: readonly string[];
  frozen?: boolean;
  deps?: boolean;
  dryRun?: boolean;
}

async function localState(file: string): Promise<{ text: string; cid: string | null } | undefined> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (err) {
    if (isAtcliError(err) && err.code === 'FileNotFound') return undefined;
    // Not UTF-8: certainly not the published schema, so it differs.
    if (isAtcliError(err) && err.code === 'InvalidUtf8') return { text: '', cid: null };
    throw err;
  }
  try {
    const json = parseJsonText(text).value;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { text, cid: null };
    return { text, cid: schemaRecordCid(json as JsonObject) };
  } catch {
    return { text, cid: null };
  }
}

export async function pullLexicons(resolver: LexiconResolver, opts: PullOptions): Promise<PullResult> {
  const fromLock = opts.targets.length === 0;
  if (fromLock && (opts.lock === undefined || opts.lock.pulled.length === 0)) {
    throw usage('NothingToPull', `nothing to pull: no NSIDs given and ${opts.lockFile} ${opts.lock === undefined ? 'does not exist' : 'lists nothing pulled'}`, {
      hint: 'name the schemas to fetch: NSIDs such as com.example.calendar.event, or groups such as com.example.calendar.*',
    });
  }
  if (opts.frozen === true && opts.lock === undefined) {
    throw invalid('LockMissing', `a frozen pull compares with the lock file ${opts.lockFile}, and there is none`, {
      hint: 'pull once without freezing to write the lock file, and commit it',
    });
  }
  const targets: PullTarget[] = (fromLock ? opts.lock!.pulled : opts.targets).map((t) => parsePullTarget(t));
  const closure = await resolveClosure(resolver, targets, { deps: opts.deps !== false });

  const drift: PullResult['drift'] = opts.frozen === true ? compareWithLock(opts.lock!, closure.lexicons, fromLock) : [];
  const lexicons: PulledLexicon[] = [];
  const writes: Array<{ file: string; text: string }> = [];
  for (const r of closure.lexicons) {
    const file = join(opts.dir, ...lexiconRelativePath(r.nsid).split('/'));
    const text = lexiconFileText(r.json);
    const local = await localState(file);
    let status: PullFileStatus;
    if (local === undefined) status = 'created';
    else if (local.text === text || local.cid === r.cid) status = 'unchanged';
    else status = 'updated';
    // Frozen: the file must hold what the lock promises (or, for a schema the lock lacks, what is published).
    const expected = opts.frozen === true ? (opts.lock!.lexicons[r.nsid]?.cid ?? r.cid) : r.cid;
    if (opts.frozen === true && local !== undefined && local.cid !== expected) {
      drift.push({
        nsid: r.nsid,
        file,
        kind: 'local-modified',
        localCid: local.cid,
        expectedCid: expected,
        message: `${file} is not the ${expected === r.cid ? 'published' : 'locked'} ${r.nsid} (${expected})`,
      });
    }
    if (status !== 'unchanged') writes.push({ file, text });
    lexicons.push({ nsid: r.nsid, file, cid: r.cid, did: r.did, rev: r.rev, uri: r.uri, status, requiredBy: closure.requiredBy[r.nsid] ?? null });
  }

  const result: PullResult = {
    targets: closure.targets,
    lexicons,
    lockFile: opts.lockFile,
    lockWritten: false,
    frozen: opts.frozen === true,
    dryRun: opts.dryRun === true,
    drift,
  };
  if (opts.dryRun === true || drift.length > 0) return result;
  for (const w of writes) await writeFileAtomic(w.file, w.text, { overwrite: true });
  if (opts.frozen !== true) {
    const next = updateLock(opts.lock, targets.map((t) => t.text), closure.lexicons, fromLock);
    result.lockWritten = await writeLock(opts.lockFile, next);
  }
  return result;
}
