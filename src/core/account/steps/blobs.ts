/**
 * Step blobs (docs/account-migration.md): after the import is indexed, the new host's
 * listMissingBlobs says what to copy. Each blob is downloaded from the old host (bytes checked
 * against the CID by the blob core) and uploaded to the new host with its MIME type (the returned
 * ref checked against the CID). Every failure is retried; a blob that still cannot be moved stops
 * the migration here — before the identity step — naming the CIDs. Re-running copies only what is
 * still missing, so nothing is duplicated.
 */
import { AtcliError, runtime } from '../../errors.js';
import type { XrpcClient } from '../../xrpc/index.js';
import type { BlobProgress } from '../journal.js';
import { copyMissingBlobs, type BlobReader } from '../missing-blobs.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';

export const BLOB_ATTEMPTS = 5;
/** Largest blob we move (the reference PDS's limit is far lower; big video hosts go higher). */
export const BLOB_MAX_BYTES = 512 * 1024 * 1024;

/** What copying blobs needs of a run (a migration's or a restore's). */
export interface BlobCopyRun {
  did: string;
  journal: { blobs?: BlobProgress };
  settings: { blobConcurrency: number; signal?: AbortSignal | undefined };
  callbacks: { event?(e: { kind: 'blobs'; done: number; total: number; bytes: number; failed: number }): void };
  save(): Promise<void>;
}

/**
 * Copies what `client`'s host lists as missing from `source`, adds the counts to the journal's
 * blob progress and saves it. Throws runtime 'BlobTransferFailed' naming what is still missing,
 * with `failureHint` (what the user's situation is and how to go on). Returns how many were copied.
 */
export async function copyBlobsOfRun(run: BlobCopyRun, client: XrpcClient, source: XrpcClient | BlobReader, failureHint: string): Promise<number> {
  const progress = (run.journal.blobs ??= { transferred: 0, bytes: 0, rounds: 0, failed: [], mimeTypes: {} });
  progress.failed = [];
  if (run.settings.signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', 'interrupted before the blob copy');
  const result = await copyMissingBlobs({
    target: client,
    source,
    did: run.did,
    concurrency: run.settings.blobConcurrency,
    attempts: BLOB_ATTEMPTS,
    maxBytes: BLOB_MAX_BYTES,
    ...(run.settings.signal ? { signal: run.settings.signal } : {}),
    onProgress: (p) => run.callbacks.event?.({ kind: 'blobs', done: p.done, total: p.total, bytes: p.bytes, failed: p.failed }),
  });
  progress.transferred += result.copied;
  progress.bytes += result.bytes;
  progress.rounds += result.rounds;
  for (const [mime, n] of Object.entries(result.mimeTypes)) progress.mimeTypes[mime] = (progress.mimeTypes[mime] ?? 0) + n;
  // Counters survive a failure below and an interruption of a later step.
  await run.save();
  if (result.missingAfter > 0) {
    const failures = new Map(result.failed.map((f) => [f.cid, f.error]));
    progress.failed = result.failed.length > 0 ? result.failed.map((f) => ({ cid: f.cid, error: f.error })) : [{ cid: '?', error: 'still missing on the new host after copying' }];
    await run.save();
    const list = progress.failed.slice(0, 5).map((f) => `${f.cid} (${failures.get(f.cid) ?? f.error})`).join('; ');
    throw runtime('BlobTransferFailed', `${result.missingAfter} blob${result.missingAfter === 1 ? '' : 's'} could not be copied to the new host: ${list}${result.missingAfter > 5 ? '; …' : ''}`, {
      hint: failureHint,
      details: { failed: progress.failed.slice(0, 100) },
    });
  }
  return result.copied;
}

export async function blobsStep(run: MigrationRun): Promise<StepOutcome> {
  const copied = await copyBlobsOfRun(
    run,
    await run.newClient(),
    run.oldClient,
    'nothing about your identity changed and the old account is still active; fix the cause (or wait for the rate limit), then resume the migration',
  );
  const progress = run.journal.blobs!;
  return done(`${copied} copied this run (${progress.transferred} in all, ${progress.bytes} bytes); the new host misses none`);
}
