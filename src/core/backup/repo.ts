/**
 * The repository part of a backup: a new verified snapshot in a temp file of the folder, taken
 * the cheapest way that works —
 * - unchanged: the host's latest commit is the one already saved; nothing is downloaded;
 * - incremental: `getRepo` with `since` = the saved revision returns only the blocks written
 *   since; they are applied to the saved snapshot (car-rebuild.ts) and the result verified;
 * - full: the whole repository.
 * An incremental attempt that fails in any way (the host ignores or refuses `since`, a block is
 * missing, the result does not verify) falls back to a full download, and says why.
 */
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AtcliError, invalid } from '../errors.js';
import { getLatestCommit } from '../account/admin.js';
import { CarFileBlocks, rebuildRepoCar, type RebuildStats } from '../repo/car-rebuild.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { XrpcClient } from '../xrpc/index.js';
import { scanRepoCar, type RepoScan } from './scan.js';
import type { SigningKeyHistory } from '../plc/key-history.js';
import { savedKeySource, type SignatureVerdict } from './signature.js';

export interface SavedSnapshot {
  /** Absolute path of the saved CAR (its sha256 already checked against the manifest). */
  file: string;
  rev: string;
  commit: string;
}

export interface RepoFetchOptions {
  client: XrpcClient;
  did: string;
  dir: string;
  previous: SavedSnapshot | null;
  /** What the commit signature is judged by: the audit log's key history (did:plc) or the document's key. */
  keys: { history: SigningKeyHistory | null; documentKey: string | null };
  maxBytes: number;
  onBytes?: (p: { done: number; total: number | null; what: 'diff' | 'full' }) => void;
}

export type RepoVia = 'unchanged' | 'incremental' | 'full';

export interface RepoFetchResult {
  via: RepoVia;
  /** The new snapshot (a temp file of the folder) — absent when unchanged. */
  tempFile?: string;
  scan?: RepoScan;
  signature?: SignatureVerdict | null;
  takenAt: string;
  /** Bytes received from the host. */
  downloadedBytes: number;
  /** Incremental: what came from the diff and what was reused from the saved snapshot. */
  diff?: { bytes: number; blocks: number; blocksReused: number; recordBlocks: number; recordBlocksReused: number };
  /** Why an incremental update was not used (when it was tried). */
  fallback?: string;
}

function tempName(dir: string, what: string): string {
  return join(dir, `.${what}.${process.pid}.${randomBytes(6).toString('hex')}.atcli-tmp`);
}

async function download(o: RepoFetchOptions, params: Record<string, string>, target: string, what: 'diff' | 'full'): Promise<number> {
  const res = await o.client.queryStream('com.atproto.sync.getRepo', { did: o.did, ...params }, { maxBytes: o.maxBytes });
  let done = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of res.body) {
      done += chunk.length;
      o.onBytes?.({ done, total: res.contentLength, what });
      yield chunk;
    }
  }
  await writeFileAtomic(target, counted(), { mode: 0o600, overwrite: true });
  return done;
}

/** Verifies a candidate snapshot: structure, DID and signature. Returns a reason when it fails. */
async function verifySnapshot(o: RepoFetchOptions, file: string, takenAt: string): Promise<{ scan: RepoScan; signature: SignatureVerdict | null; problem?: string }> {
  const scan = await scanRepoCar(file, { expectedDid: o.did, signingKeys: savedKeySource(o.keys.history, o.keys.documentKey, takenAt) });
  const problems = scan.report.status === 'invalid' ? scan.report.errors : [];
  return { scan, signature: scan.report.signature, ...(problems.length > 0 ? { problem: problems.slice(0, 3).join('; ') } : {}) };
}

async function incremental(o: RepoFetchOptions, previous: SavedSnapshot, takenAt: string): Promise<RepoFetchResult> {
  const diffFile = tempName(o.dir, 'diff.car');
  const outFile = tempName(o.dir, 'repo.car');
  let diff: CarFileBlocks | undefined;
  let saved: CarFileBlocks | undefined;
  try {
    const bytes = await download(o, { since: previous.rev }, diffFile, 'diff');
    diff = await CarFileBlocks.open(diffFile);
    saved = await CarFileBlocks.open(previous.file);
    const root = diff.roots[0];
    if (root === undefined) throw invalid('InvalidCar', 'the diff names no commit');
    const stats: RebuildStats = { blocks: 0, recordBlocks: 0, blocksFromFirst: 0, recordBlocksFromFirst: 0 };
    await writeFileAtomic(outFile, rebuildRepoCar(root, [diff, saved], stats), { mode: 0o600, overwrite: true });
    const checked = await verifySnapshot(o, outFile, takenAt);
    if (checked.problem !== undefined) throw invalid('RebuiltRepoInvalid', `the repository rebuilt from the diff does not verify: ${checked.problem}`);
    return {
      via: 'incremental',
      tempFile: outFile,
      scan: checked.scan,
      signature: checked.signature,
      takenAt,
      downloadedBytes: bytes,
      diff: {
        bytes,
        blocks: stats.blocksFromFirst,
        blocksReused: stats.blocks - stats.blocksFromFirst,
        recordBlocks: stats.recordBlocksFromFirst,
        recordBlocksReused: stats.recordBlocks - stats.recordBlocksFromFirst,
      },
    };
  } catch (err) {
    await unlink(outFile).catch(() => undefined);
    throw err;
  } finally {
    await diff?.close();
    await saved?.close();
    await unlink(diffFile).catch(() => undefined);
  }
}

/**
 * Takes a new snapshot. Throws invalid 'BackupRepoInvalid' when the host's full repository does
 * not verify (the saved snapshot is left as it was).
 */
export async function fetchRepoSnapshot(o: RepoFetchOptions): Promise<RepoFetchResult> {
  const takenAt = new Date().toISOString();
  const latest = await getLatestCommit(o.client, o.did);
  const previous = o.previous;
  if (previous !== null && previous.commit === latest.cid) return { via: 'unchanged', takenAt, downloadedBytes: 0 };
  let fallback: string | undefined;
  if (previous !== null) {
    try {
      return await incremental(o, previous, takenAt);
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      fallback = err instanceof Error ? err.message : String(err);
    }
  }
  const file = tempName(o.dir, 'repo.car');
  try {
    const bytes = await download(o, {}, file, 'full');
    const checked = await verifySnapshot(o, file, takenAt);
    if (checked.problem !== undefined) {
      throw invalid('BackupRepoInvalid', `the repository served by ${new URL(o.client.service).host} does not verify: ${checked.problem}`, {
        hint: 'the saved backup was left as it was; the host serves a damaged or forged repository',
        details: { errors: checked.scan.report.errors.slice(0, 20), signature: checked.signature },
      });
    }
    return { via: 'full', tempFile: file, scan: checked.scan, signature: checked.signature, takenAt, downloadedBytes: bytes, ...(fallback !== undefined ? { fallback } : {}) };
  } catch (err) {
    await unlink(file).catch(() => undefined);
    throw err;
  }
}
