/**
 * Uploading a repository CAR to the account's PDS (`com.atproto.repo.importRepo`). The host checks
 * neither the DID nor the signature, so callers verify the CAR first (verify.ts). The CAR is sent
 * in one request, so it is read into memory, up to a cap.
 */
import { readFile, stat } from 'node:fs/promises';
import { usage } from '../errors.js';
import type { XrpcClient } from '../xrpc/index.js';

/** Largest CAR sent in one import. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

/**
 * Uploads the CAR at `path`. importRepo is idempotent (the same CAR again changes nothing), so the
 * request may be retried. Throws usage 'CarTooLarge' past `maxBytes` (before reading the file).
 */
export async function importRepoCar(client: XrpcClient, path: string, options: { maxBytes?: number } = {}): Promise<{ bytes: number }> {
  const max = options.maxBytes ?? MAX_IMPORT_BYTES;
  const size = (await stat(path)).size;
  if (size > max) throw usage('CarTooLarge', `${path} is ${size} bytes, more than the ${max} bytes one import may send`);
  const bytes = await readFile(path);
  await client.procedure('com.atproto.repo.importRepo', { bytes, contentType: 'application/vnd.ipld.car' }, { idempotent: true });
  return { bytes: bytes.length };
}
