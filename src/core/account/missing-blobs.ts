/**
 * Blob repair after a migration (https://atproto.com/guides/account-migration): the new host lists
 * the blobs its records reference but it does not have (`com.atproto.repo.listMissingBlobs`); each
 * is read from another host (the old PDS), checked against its CID, and uploaded to the new host
 * with its MIME type kept (`uploadBlob`'s answer is checked against the CID too).
 *
 * Resumable without a state file: the missing list is the state. A blob is either on the new host
 * (and no longer listed) or still listed, so running again copies exactly what is left. Memory is
 * bounded: the list is read page by page while `concurrency` blobs are in flight.
 */
import { AtcliError, authError } from '../errors.js';
import { XrpcClient, XrpcError } from '../xrpc/index.js';
import { DEFAULT_MAX_BLOB_BYTES, downloadBlob, uploadBlob } from '../blob/index.js';
import { mapUnordered } from '../util/concurrent.js';
import { sleep } from '../util/sleep.js';
import { listMissingBlobs } from './admin.js';

export const DEFAULT_COPY_ATTEMPTS = 5;
const MAX_ROUNDS = 3;
const MAX_FAILURES_KEPT = 100;

export interface CopyProgress {
  /** blobs the new host listed as missing when the run started */
  total: number;
  done: number;
  copied: number;
  failed: number;
  bytes: number;
}

/** Somewhere else blobs can be read (a backup): `read` returns the bytes, checked against the CID. */
export interface BlobReader {
  name: string;
  read(cid: string): Promise<{ bytes: Uint8Array; mimeType: string }>;
}

export interface CopyMissingBlobsOptions {
  /** the host that misses blobs, logged in as the account */
  target: XrpcClient;
  /** where the blobs are read: another host (the old PDS; a session there is needed when the account is deactivated on it), or a reader */
  source: XrpcClient | BlobReader;
  did: string;
  /** blobs in flight at once (default 4) */
  concurrency?: number;
  /** tries per blob for failures that may pass (default 5) */
  attempts?: number;
  /** per-blob size cap (default 512 MiB) */
  maxBytes?: number;
  /** first back-off step (default 250 ms, doubling, at most 8 s) */
  backoffBaseMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: Readonly<CopyProgress>) => void;
}

export interface CopyFailure {
  cid: string;
  code: string;
  error: string;
}

export interface CopyMissingBlobsResult {
  did: string;
  source: string;
  target: string;
  /** blobs listed as missing before the first copy */
  missingBefore: number;
  copied: number;
  bytes: number;
  /** copied blobs by MIME type */
  mimeTypes: Record<string, number>;
  /** the last failure of each blob that could not be copied (at most 100) */
  failed: CopyFailure[];
  /** blobs the new host still lists as missing at the end: 0 means repaired */
  missingAfter: number;
  rounds: number;
}

/** Failures another try will not fix: a blob the source lacks, a bad request, refused auth. */
function worthRetrying(err: unknown): boolean {
  if (!(err instanceof AtcliError)) return true;
  if (err.kind === 'interrupted' || err.kind === 'usage' || err.kind === 'notFound' || err.kind === 'auth') return false;
  if (err instanceof XrpcError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) return false;
  return true;
}

/** The source refuses to serve a deactivated (or taken-down) account's blobs without its session. */
function sourceClosed(err: unknown): boolean {
  return err instanceof XrpcError && (err.xrpcError === 'RepoDeactivated' || err.xrpcError === 'RepoTakendown' || err.xrpcError === 'RepoSuspended');
}

/** Counts what the host lists as missing (the list is read, not kept). */
export async function countMissingBlobs(client: XrpcClient): Promise<number> {
  let n = 0;
  for await (const _ of listMissingBlobs(client)) n++;
  return n;
}

/** CIDs of the missing list, each once per pass (a blob referenced by several records is listed once per record). */
async function* distinctMissing(client: XrpcClient): AsyncGenerator<string> {
  let last: string | undefined;
  for await (const b of listMissingBlobs(client)) {
    // The reference PDS lists in CID order, so repeats of one CID are adjacent.
    if (b.cid === last) continue;
    last = b.cid;
    yield b.cid;
  }
}

export async function copyMissingBlobs(opts: CopyMissingBlobsOptions): Promise<CopyMissingBlobsResult> {
  const { target, source, did, signal } = opts;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
  const attempts = Math.max(1, Math.floor(opts.attempts ?? DEFAULT_COPY_ATTEMPTS));
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const backoff = opts.backoffBaseMs ?? 250;
  const fromHost = source instanceof XrpcClient ? source : undefined;
  const read = (cid: string): Promise<{ bytes: Uint8Array; mimeType: string }> =>
    fromHost !== undefined ? downloadBlob(fromHost, did, cid, { maxBytes, ...(signal ? { signal } : {}) }) : (source as BlobReader).read(cid);
  const missingBefore = await countMissingBlobs(target);
  const result: CopyMissingBlobsResult = { did, source: fromHost?.service ?? (source as BlobReader).name, target: target.service, missingBefore, copied: 0, bytes: 0, mimeTypes: {}, failed: [], missingAfter: missingBefore, rounds: 0 };
  const progress: CopyProgress = { total: missingBefore, done: 0, copied: 0, failed: 0, bytes: 0 };
  opts.onProgress?.(progress);

  const withRetries = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', 'blob copy interrupted');
      try {
        return await fn();
      } catch (err) {
        if (sourceClosed(err) || !worthRetrying(err) || attempt >= attempts) throw err;
        await sleep(Math.min(8000, backoff * 2 ** (attempt - 1)), signal);
      }
    }
  };

  const copyOne = async (cid: string): Promise<CopyFailure | null> => {
    try {
      const blob = await withRetries(() => read(cid));
      await withRetries(() => uploadBlob(target, blob.bytes, blob.mimeType));
      result.copied++;
      result.bytes += blob.bytes.byteLength;
      result.mimeTypes[blob.mimeType] = (result.mimeTypes[blob.mimeType] ?? 0) + 1;
      progress.copied++;
      progress.bytes += blob.bytes.byteLength;
      return null;
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      if (fromHost !== undefined && sourceClosed(err) && fromHost.auth === undefined) {
        throw authError('SourceNeedsLogin', `${new URL(fromHost.service).host} serves the blobs of ${did} only to the account itself (${(err as XrpcError).xrpcError}): the account is not active there`, {
          hint: 'a deactivated account can read its own blobs with a session on that host: log in there as the account',
          details: { source: fromHost.service, did },
        });
      }
      return { cid, code: err instanceof AtcliError ? err.code : 'Error', error: err instanceof Error ? err.message : String(err) };
    } finally {
      progress.done++;
      opts.onProgress?.(progress);
    }
  };

  let failures = new Map<string, CopyFailure>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const copiedBefore = result.copied;
    failures = new Map();
    let listed = 0;
    const tracked = (async function* () {
      for await (const cid of distinctMissing(target)) {
        listed++;
        yield cid;
      }
    })();
    for await (const failure of mapUnordered(tracked, concurrency, copyOne)) {
      if (failure !== null) {
        failures.set(failure.cid, failure);
        progress.failed = failures.size;
      }
    }
    if (listed === 0) break;
    result.rounds++;
    if (failures.size === 0 || result.copied === copiedBefore) break;
  }
  result.missingAfter = await countMissingBlobs(target);
  result.failed = [...failures.values()].slice(0, MAX_FAILURES_KEPT);
  return result;
}
