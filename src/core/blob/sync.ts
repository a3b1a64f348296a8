/**
 * Incremental, verified, resumable copy of an account's blobs into a {@link BlobStore}.
 *
 * - the list comes from com.atproto.sync.listBlobs (or the caller);
 * - a blob already in the store with the right hash and its metadata is skipped; a file corrupted
 *   in place fails the hash and is fetched again;
 * - every download is hashed while it streams to a temp file and is renamed under its CID only if
 *   it matches (BlobStore.put), so an interruption at any moment leaves only whole, verified blobs
 *   under CID names, and running again continues where the last run stopped;
 * - `concurrency` workers (default 4); failed attempts are retried with exponential back-off and
 *   jitter; a 429 with Retry-After / RateLimit-Reset pauses every worker until the time given.
 */
import { AtcliError, runtime } from '../errors.js';
import type { XrpcClient } from '../xrpc/index.js';
import { XrpcError } from '../xrpc/index.js';
import { blobCid } from './ref.js';
import { clientWithSignal, listBlobs, openBlob, DEFAULT_MAX_BLOB_BYTES } from './remote.js';
import type { BlobStore } from './store.js';
import { sleep } from '../util/sleep.js';

export const DEFAULT_SYNC_CONCURRENCY = 4;
export const DEFAULT_SYNC_RETRIES = 3;

export interface SyncProgress {
  total: number;
  /** downloaded + skipped + failed */
  done: number;
  downloaded: number;
  skipped: number;
  failed: number;
  /** bytes received so far (finished downloads plus those under way) */
  bytes: number;
}

export interface SyncFailure {
  cid: string;
  /** the error message */
  error: string;
  /** the error's stable code (BlobHashMismatch, NetworkError, RateLimitExceeded, …) */
  code: string;
}

export interface SyncBlobsOptions {
  client: XrpcClient;
  did: string;
  store: BlobStore;
  /** parallel downloads (default 4) */
  concurrency?: number;
  /** extra attempts per blob after a failure that may pass on retry (default 3) */
  retries?: number;
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
  /** these CIDs instead of the account's whole listBlobs */
  cids?: Iterable<string>;
  /** listBlobs `since` (a repo revision) */
  since?: string;
  /** per-blob size cap (default 512 MiB) */
  maxBytes?: number;
  /** hash blobs already present before skipping them (default true; false checks size only) */
  verifyExisting?: boolean;
  /** first back-off step (default 500 ms; doubles per attempt, at most 10 s, with jitter) */
  backoffBaseMs?: number;
  /** longest server-requested wait sat through (default 60 s); longer fails the blob */
  maxWaitMs?: number;
}

export interface SyncBlobsResult {
  total: number;
  downloaded: number;
  skipped: number;
  failed: SyncFailure[];
  /** bytes downloaded (skipped blobs not counted) */
  bytes: number;
}

const RETRYABLE_CODES = new Set(['NetworkError', 'Timeout', 'BlobTruncated', 'BlobHashMismatch', 'InvalidResponse']);

function retryable(err: unknown): boolean {
  if (err instanceof XrpcError) return err.status === 408 || err.status === 429 || (err.status >= 500 && err.status !== 501);
  return err instanceof AtcliError && RETRYABLE_CODES.has(err.code);
}

/** Errors that no other blob would escape either (the disk is full, the folder is unwritable). */
function fatal(err: unknown): boolean {
  return err instanceof AtcliError && (err.code === 'WriteFailed' || err.code === 'ReadFailed');
}

function retryAtOf(err: unknown): number | undefined {
  const at = err instanceof AtcliError ? err.details?.['retryAt'] : undefined;
  if (typeof at !== 'string') return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : t;
}

function interrupted(message: string, details?: Record<string, unknown>): AtcliError {
  return new AtcliError('interrupted', 'Interrupted', message, details ? { details } : {});
}


function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function syncBlobs(opts: SyncBlobsOptions): Promise<SyncBlobsResult> {
  const { did, store } = opts;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_SYNC_CONCURRENCY));
  const retries = Math.max(0, Math.floor(opts.retries ?? DEFAULT_SYNC_RETRIES));
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const backoffBaseMs = opts.backoffBaseMs ?? 500;
  const maxWaitMs = opts.maxWaitMs ?? 60_000;
  const verifyExisting = opts.verifyExisting !== false;

  // One controller for the whole run: the caller's signal, or a fatal error in any worker.
  const ctl = new AbortController();
  const outer = opts.signal;
  const onOuter = (): void => ctl.abort(outer?.reason);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  const signal = ctl.signal;
  // Listing keeps the client's own retries; for transfers the retries are ours (they cover the
  // body and the hash too), so the transfer client makes one attempt per call.
  const lister = clientWithSignal(opts.client, signal);
  const download = clientWithSignal(opts.client, signal, { retries: 0 });

  const result: SyncBlobsResult = { total: 0, downloaded: 0, skipped: 0, failed: [], bytes: 0 };
  let inflight = 0;
  const progress = (): void =>
    opts.onProgress?.({
      total: result.total,
      done: result.downloaded + result.skipped + result.failed.length,
      downloaded: result.downloaded,
      skipped: result.skipped,
      failed: result.failed.length,
      bytes: result.bytes + inflight,
    });

  try {
    await store.sweep();
    const cids: string[] = [];
    if (opts.cids) {
      const seen = new Set<string>();
      for (const c of opts.cids) if (!seen.has(c)) (seen.add(c), cids.push(c));
    } else {
      for await (const c of listBlobs(lister, did, opts.since !== undefined ? { since: opts.since } : {})) {
        cids.push(c);
        if (cids.length % 1000 === 0) {
          result.total = cids.length;
          progress();
        }
      }
    }
    result.total = cids.length;
    progress();

    let pauseUntil = 0;
    let fatalError: unknown;
    let next = 0;

    const fetchOne = async (name: string): Promise<void> => {
      let cid;
      try {
        cid = blobCid(name);
      } catch (err) {
        result.failed.push({ cid: name, error: message(err), code: err instanceof AtcliError ? err.code : 'InvalidBlobCid' });
        return;
      }
      if ((await store.has(cid, { verify: verifyExisting })) && (await store.meta(cid)) !== undefined) {
        result.skipped++;
        return;
      }
      for (let attempt = 0; ; attempt++) {
        const wait = pauseUntil - Date.now();
        if (wait > 0) await sleep(wait, signal);
        let received = 0;
        try {
          const stream = await openBlob(download, did, cid, { maxBytes });
          const counted = (async function* () {
            for await (const chunk of stream.body) {
              received += chunk.byteLength;
              inflight += chunk.byteLength;
              progress();
              yield chunk;
            }
          })();
          const size = await store.put(cid, counted, stream.mimeType, { signal, maxBytes });
          inflight -= received;
          result.bytes += size;
          result.downloaded++;
          return;
        } catch (err) {
          inflight -= received;
          if (signal.aborted) throw err;
          if (fatal(err)) throw err;
          const retryAt = retryAtOf(err);
          const tooLong = retryAt !== undefined && retryAt - Date.now() > maxWaitMs;
          if (!retryable(err) || attempt >= retries || tooLong) {
            const tries = attempt + 1;
            result.failed.push({ cid: name, error: `${message(err)}${tries > 1 ? ` (after ${tries} attempts)` : ''}`, code: err instanceof AtcliError ? err.code : 'Error' });
            return;
          }
          if (retryAt !== undefined) {
            pauseUntil = Math.max(pauseUntil, retryAt);
          } else {
            const cap = Math.min(10_000, backoffBaseMs * 2 ** attempt);
            await sleep(cap / 2 + Math.random() * (cap / 2), signal);
          }
        }
      }
    };

    const worker = async (): Promise<void> => {
      while (next < cids.length && !signal.aborted) {
        const name = cids[next++] as string;
        try {
          await fetchOne(name);
        } catch (err) {
          if (!signal.aborted && fatal(err)) {
            fatalError = err;
            ctl.abort(err);
          }
          return;
        }
        progress();
      }
    };
    await Promise.allSettled(Array.from({ length: Math.min(concurrency, Math.max(1, cids.length)) }, worker));

    if (fatalError !== undefined) throw fatalError;
    if (signal.aborted) {
      const done = result.downloaded + result.skipped + result.failed.length;
      throw interrupted(`blob sync interrupted after ${done} of ${result.total} blobs (${result.downloaded} downloaded)`, {
        total: result.total,
        done,
        downloaded: result.downloaded,
        skipped: result.skipped,
        failed: result.failed.length,
        bytes: result.bytes,
      });
    }
    return result;
  } catch (err) {
    if (outer?.aborted && !(err instanceof AtcliError && err.kind === 'interrupted')) {
      throw interrupted('blob sync interrupted', { total: result.total, downloaded: result.downloaded });
    }
    if (err instanceof AtcliError || !(err instanceof Error)) throw err;
    throw runtime('BlobSyncFailed', `blob sync failed: ${err.message}`, { cause: err });
  } finally {
    outer?.removeEventListener('abort', onOuter);
  }
}
