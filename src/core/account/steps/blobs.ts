/**
 * Step blobs (invariants §5.A.3, V6): after the import is indexed, the new host's
 * listMissingBlobs says what to copy. Each blob is downloaded from the old host (bytes checked
 * against the CID by the blob core) and uploaded to the new host with its MIME type (the returned
 * ref checked against the CID). Every failure is retried; a blob that still cannot be moved stops
 * the migration here — before the identity step — naming the CIDs. Re-running copies only what is
 * still missing, so nothing is duplicated.
 */
import { AtcliError, runtime } from '../../errors.js';
import { XrpcError, type XrpcClient } from '../../xrpc/index.js';
import { downloadBlob, uploadBlob } from '../../blob/index.js';
import { missingBlobCids } from '../admin.js';
import type { BlobProgress } from '../journal.js';
import { done, pool, sleep, type MigrationRun, type StepOutcome } from './context.js';

export const BLOB_ATTEMPTS = 5;
/** Largest blob we move (the reference PDS's limit is far lower; big video hosts go higher). */
export const BLOB_MAX_BYTES = 512 * 1024 * 1024;
const MAX_ROUNDS = 3;

function retryable(err: unknown): boolean {
  if (!(err instanceof AtcliError)) return true;
  if (err.kind === 'interrupted' || err.kind === 'usage' || err.kind === 'notFound' || err.kind === 'auth') return false;
  if (err instanceof XrpcError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) return false;
  return true;
}

async function withRetries<T>(signal: AbortSignal | undefined, what: string, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
    if (signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', `interrupted while ${what}`);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      last = err;
      if (!retryable(err) || attempt === BLOB_ATTEMPTS - 1) break;
      await sleep(Math.min(8000, 250 * 2 ** attempt), signal);
    }
  }
  const msg = last instanceof Error ? last.message : String(last);
  throw new AtcliError(last instanceof AtcliError ? last.kind : 'runtime', last instanceof AtcliError ? last.code : 'BlobFailed', `${what}: ${msg}`);
}

export interface MissingBlobCopy {
  /** The destination host, logged in as the account. */
  client: XrpcClient;
  /** Where the blobs come from ("the old host", "the backup"). */
  source: string;
  /** Fetches one blob's bytes (checked against the CID) and its MIME type from the source. */
  fetch(cid: string): Promise<{ bytes: Uint8Array; mimeType: string }>;
  /** Counters kept in the journal. */
  progress: BlobProgress;
  concurrency: number;
  signal?: AbortSignal | undefined;
  event?(e: { kind: 'blobs'; done: number; total: number; bytes: number; failed: number }): void;
  /** Saves the journal (after each round, so counters survive an interruption). */
  save(): Promise<void>;
  /** Said when a blob cannot be copied (what the user's situation is and how to go on). */
  failureHint: string;
}

/**
 * Copies what the destination lists as missing (listMissingBlobs) from the source, uploading each
 * blob with its MIME type; failures are retried and the list is asked again, at most a few rounds.
 * Throws runtime 'BlobTransferFailed' naming the CIDs still missing. Returns how many were copied.
 */
export async function copyMissingBlobs(c: MissingBlobCopy): Promise<number> {
  const progress = c.progress;
  progress.failed = [];
  let copiedNow = 0;
  let failures = new Map<string, string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const missing = await missingBlobCids(c.client);
    if (missing.length === 0) break;
    progress.rounds++;
    failures = new Map();
    let doneCount = 0;
    let bytesNow = 0;
    const emit = (): void => c.event?.({ kind: 'blobs', done: doneCount, total: missing.length, bytes: bytesNow, failed: failures.size });
    emit();
    await pool(
      missing,
      c.concurrency,
      async (cid) => {
        try {
          const blob = await withRetries(c.signal, `reading blob ${cid} from ${c.source}`, () => c.fetch(cid));
          await withRetries(c.signal, `uploading blob ${cid} to ${new URL(c.client.service).host}`, () => uploadBlob(c.client, blob.bytes, blob.mimeType));
          progress.transferred++;
          progress.bytes += blob.bytes.length;
          progress.mimeTypes[blob.mimeType] = (progress.mimeTypes[blob.mimeType] ?? 0) + 1;
          bytesNow += blob.bytes.length;
          copiedNow++;
        } catch (err) {
          if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
          failures.set(cid, err instanceof Error ? err.message : String(err));
        } finally {
          doneCount++;
          emit();
        }
      },
      c.signal,
    );
    // Counters survive an interruption of the next round.
    await c.save();
    if (failures.size === missing.length) break; // no progress at all this round
  }
  const still = await missingBlobCids(c.client);
  if (still.length > 0) {
    progress.failed = still.map((cid) => ({ cid, error: failures.get(cid) ?? `still missing on ${new URL(c.client.service).host} after copying` }));
    const list = progress.failed.slice(0, 5).map((f) => `${f.cid} (${f.error})`).join('; ');
    throw runtime('BlobTransferFailed', `${still.length} blob${still.length === 1 ? '' : 's'} could not be copied to ${new URL(c.client.service).host}: ${list}${still.length > 5 ? '; …' : ''}`, {
      hint: c.failureHint,
      details: { failed: progress.failed.slice(0, 100) },
    });
  }
  return copiedNow;
}

export async function blobsStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const progress = (j.blobs ??= { transferred: 0, bytes: 0, rounds: 0, failed: [], mimeTypes: {} });
  const copiedNow = await copyMissingBlobs({
    client: await run.newClient(),
    source: 'the old host',
    fetch: (cid) => downloadBlob(run.oldClient, run.did, cid, { maxBytes: BLOB_MAX_BYTES, ...(run.settings.signal ? { signal: run.settings.signal } : {}) }),
    progress,
    concurrency: run.settings.blobConcurrency,
    signal: run.settings.signal,
    event: (e) => run.callbacks.event?.(e),
    save: () => run.save(),
    failureHint: 'nothing about your identity changed and the old account is still active; fix the cause (or wait for the rate limit), then: atcli account migrate --resume',
  });
  return done(`${copiedNow} copied this run (${progress.transferred} in all, ${progress.bytes} bytes); the new host misses none`);
}
