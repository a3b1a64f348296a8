/**
 * One look at a saved repository for a backup: its structure verified (every block's hash, the
 * commit, the tree, every record) and the blobs its records reference, each with the path of one
 * record that references it; and, given the keys to judge by, the commit signature.
 *
 * Two passes over the file: the first decodes the blocks and keeps the blob references of those
 * that have any (records with images, profiles), the second walks the tree and keeps the
 * references of the blocks it reaches as records, so blocks outside the tree count for nothing.
 */
import { openCarFile } from '../codec/car.js';
import { decodeCbor } from '../codec/cbor.js';
import { blobRefsIn } from '../blob/ref.js';
import type { SigningKeySource } from '../identity/signing-keys.js';
import { verifyRepoCar, type RepoVerifyReport } from '../repo/verify.js';
import { fileChunks } from '../util/file-chunks.js';

export interface RepoScan {
  report: RepoVerifyReport;
  /** Blob CID → the path of one record that references it. */
  blobs: Map<string, string>;
}

/** With `signingKeys` the commit signature is judged too (report.signature); without, it is skipped. */
export async function scanRepoCar(
  path: string,
  opts: { expectedDid: string; signingKeys?: SigningKeySource; onProgress?: (p: { bytes: number; blocks: number }) => void },
): Promise<RepoScan> {
  const refsByBlock = new Map<string, string[]>();
  try {
    const car = await openCarFile(path, { verifyHashes: false });
    for await (const batch of car.batches()) {
      for (const block of batch) {
        let value;
        try {
          value = decodeCbor(block.bytes);
        } catch {
          continue; // the verification pass reports it if the tree uses it
        }
        const refs = new Set<string>();
        blobRefsIn(value, refs);
        if (refs.size > 0) refsByBlock.set(block.cid.key, [...refs]);
      }
    }
  } catch {
    // An unreadable CAR: the verification pass says why.
  }
  const blobs = new Map<string, string>();
  const report = await verifyRepoCar(fileChunks(path), {
    expectedDid: opts.expectedDid,
    ...(opts.signingKeys !== undefined ? { signingKeys: opts.signingKeys } : { skipSignature: true }),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    onEntry: (e) => {
      const refs = refsByBlock.get(e.cid.key);
      if (refs === undefined) return;
      for (const cid of refs) if (!blobs.has(cid)) blobs.set(cid, e.path);
    },
  });
  return { report, blobs };
}
