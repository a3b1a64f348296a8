/**
 * A repository downloaded from its host (`com.atproto.sync.getRepo`), held to the repository
 * limits: a declared length beyond `maxBytes` is refused before the body is read, and the stream
 * stops once it passes `maxBytes`. Pass the same limits to the verifier (`verifyRepoCar`'s
 * `limits`), which counts blocks and unreferenced blocks as they arrive.
 */
import type { XrpcClient } from '../xrpc/client.js';
import { DEFAULT_REPO_LIMITS, type RepoLimits } from './reach.js';

export interface RepoDownload {
  body: AsyncIterable<Uint8Array>;
  /** The length the host declared, if any (already checked against `maxBytes`). */
  contentLength: number | null;
}

export async function downloadRepoCar(client: XrpcClient, did: string, limits: Partial<RepoLimits> = {}): Promise<RepoDownload> {
  const maxBytes = limits.maxBytes ?? DEFAULT_REPO_LIMITS.maxBytes;
  const res = await client.queryStream('com.atproto.sync.getRepo', { did }, { maxBytes });
  return { body: res.body, contentLength: res.contentLength };
}
