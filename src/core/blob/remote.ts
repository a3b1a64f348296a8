/**
 * Blob transfers with a PDS: paged listing (com.atproto.sync.listBlobs), verified download
 * (com.atproto.sync.getBlob) and upload (com.atproto.repo.uploadBlob). Every byte that reaches a
 * caller has been hashed against the CID it was asked for (invariants V6).
 */
import { createHash } from 'node:crypto';
import { invalid, notFound, runtime } from '../errors.js';
import { type Cid } from '../codec/index.js';
import { XrpcClient, XrpcError, sanitizeRemoteText, type XrpcStreamResult } from '../xrpc/index.js';
import { OCTET_STREAM, blobCid, blobRefForBytes, isMimeType, type BlobRef } from './ref.js';

/** Largest blob downloaded by default (bytes). PDSes cap uploads far lower (5 MB–100 MB). */
export const DEFAULT_MAX_BLOB_BYTES = 512 * 1024 * 1024;

export interface ListBlobsOptions {
  /** only blobs added after this repo revision */
  since?: string;
  /** CIDs per request (default 500; PDSes allow up to 1000) */
  pageSize?: number;
}

/** Every blob CID of an account, page by page (the strings as the server sent them, deduplicated). */
export async function* listBlobs(client: XrpcClient, did: string, opts: ListBlobsOptions = {}): AsyncGenerator<string> {
  const limit = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? 500)));
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await client.query<unknown>('com.atproto.sync.listBlobs', { did, since: opts.since, limit, cursor });
    const cids = (page as { cids?: unknown } | null)?.cids;
    if (!Array.isArray(cids) || !cids.every((c): c is string => typeof c === 'string')) {
      throw runtime('InvalidResponse', `com.atproto.sync.listBlobs: ${new URL(client.service).host} answered without a list of CIDs`, {
        details: { nsid: 'com.atproto.sync.listBlobs' },
      });
    }
    for (const cid of cids) {
      if (seen.has(cid)) continue;
      seen.add(cid);
      yield cid;
    }
    const next = (page as { cursor?: unknown }).cursor;
    if (cids.length === 0 || typeof next !== 'string' || next === '' || next === cursor) return;
    cursor = next;
  }
}

/** A client that also stops when `signal` aborts (same service, session and connection pool). */
export function clientWithSignal(client: XrpcClient, signal: AbortSignal | undefined, opts: { retries?: number } = {}): XrpcClient {
  if ((signal === undefined || signal === client.http.signal) && opts.retries === undefined) return client;
  const signals = [client.http.signal, signal].filter((s): s is AbortSignal => s !== undefined);
  const combined = signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
  return new XrpcClient({
    service: client.service,
    http: { ...client.http, ...(combined ? { signal: combined } : {}) },
    ...(client.auth ? { auth: client.auth } : {}),
    headers: client.headers,
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
  });
}

/**
 * The MIME type of a blob from a getBlob Content-Type: `type/subtype`, lower-case, without
 * parameters — what a PDS stores (the reference PDS keeps only the short type of the upload's
 * Content-Type, and its HTTP layer appends `; charset=utf-8` to text and JSON responses). Record
 * blob references must carry exactly the stored MIME type. Anything unusable: application/octet-stream.
 */
export function mimeTypeOf(contentType: string | undefined): string {
  const t = sanitizeRemoteText(contentType ?? '', 300).split(';')[0]!.trim().toLowerCase();
  return t !== '' && isMimeType(t) ? t : OCTET_STREAM;
}

export interface BlobStream {
  cid: Cid;
  body: AsyncIterable<Uint8Array>;
  mimeType: string;
  contentLength: number | null;
}

/**
 * getBlob as a stream. The body yields exactly the bytes received and fails when fewer or more
 * arrive than `Content-Length` announced; the caller hashes them.
 */
export async function openBlob(client: XrpcClient, did: string, cid: Cid | string, opts: { maxBytes?: number } = {}): Promise<BlobStream> {
  const c = blobCid(cid);
  const name = c.toString();
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  let res: XrpcStreamResult;
  try {
    res = await client.queryStream('com.atproto.sync.getBlob', { did, cid: name }, { maxBytes });
  } catch (err) {
    // The reference PDS answers a missing blob with 400 InvalidRequest "Blob not found".
    if (err instanceof XrpcError && err.kind !== 'notFound' && (err.xrpcError === 'BlobNotFound' || /\bblob not found\b/i.test(err.message))) {
      throw notFound('BlobNotFound', `${new URL(client.service).host} has no blob ${name} for ${did}`, { cause: err, details: { cid: name, did, status: err.status } });
    }
    throw err;
  }
  const declared = res.contentLength;
  async function* body(): AsyncGenerator<Uint8Array> {
    let got = 0;
    for await (const chunk of res.body) {
      got += chunk.byteLength;
      yield chunk;
    }
    if (declared !== null && got !== declared) {
      throw runtime('BlobTruncated', `blob ${name}: received ${got} of the ${declared} bytes announced`, { details: { cid: name, received: got, contentLength: declared } });
    }
  }
  return { cid: c, body: body(), mimeType: mimeTypeOf(res.headers['content-type']), contentLength: declared };
}

export interface DownloadBlobOptions {
  /** refuse blobs larger than this (default 512 MiB) */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Downloads one blob into memory and checks it: the CID must be CIDv1 raw sha2-256, and the
 * bytes must hash to it (else invalid 'BlobHashMismatch'; nothing is returned).
 */
export async function downloadBlob(client: XrpcClient, did: string, cid: Cid | string, opts: DownloadBlobOptions = {}): Promise<{ bytes: Uint8Array; mimeType: string }> {
  const c = blobCid(cid);
  const stream = await openBlob(clientWithSignal(client, opts.signal), did, c, opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {});
  const chunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream.body) {
    hash.update(chunk);
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const digest = hash.digest();
  if (!Buffer.from(c.digest).equals(digest)) {
    throw invalid('BlobHashMismatch', `the bytes received for blob ${c.toString()} do not match its CID (sha2-256 ${digest.toString('hex')}, ${size} bytes)`, {
      hint: 'the server sent corrupted or different data',
      details: { cid: c.toString(), sha256: digest.toString('hex'), size },
    });
  }
  const bytes = Buffer.concat(chunks, size);
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mimeType: stream.mimeType };
}

function refFromResponse(res: unknown): { link: string | undefined; mimeType: string | undefined; size: number | undefined } {
  const blob = (res as { blob?: unknown } | null)?.blob as Record<string, unknown> | undefined;
  if (!blob || typeof blob !== 'object') return { link: undefined, mimeType: undefined, size: undefined };
  const ref = blob['ref'] as { $link?: unknown } | undefined;
  // Legacy blob objects ({cid, mimeType}) predate the `ref` form.
  const link = typeof ref?.$link === 'string' ? ref.$link : typeof blob['cid'] === 'string' ? blob['cid'] : undefined;
  return {
    link,
    mimeType: typeof blob['mimeType'] === 'string' ? blob['mimeType'] : undefined,
    size: typeof blob['size'] === 'number' ? blob['size'] : undefined,
  };
}

/**
 * com.atproto.repo.uploadBlob with `Content-Type: mimeType`. The server's reference must name the
 * CID computed locally and the same size (else invalid 'BlobRefMismatch': corruption or
 * transcoding). Returns the server's reference (its MIME type, which a server may correct).
 */
export async function uploadBlob(client: XrpcClient, data: Uint8Array, mimeType: string): Promise<BlobRef> {
  const local = blobRefForBytes(data, mimeType);
  const res = await client.procedure<unknown>('com.atproto.repo.uploadBlob', { bytes: data, contentType: mimeType }, { idempotent: true });
  const got = refFromResponse(res);
  if (got.link !== local.ref.$link || (got.size !== undefined && got.size !== local.size)) {
    const host = new URL(client.service).host;
    throw invalid(
      'BlobRefMismatch',
      `${host} stored the upload as ${got.link === undefined ? 'no blob reference' : sanitizeRemoteText(got.link, 100)}${got.size !== undefined ? ` (${got.size} bytes)` : ''}, but the bytes sent are ${local.ref.$link} (${local.size} bytes)`,
      { hint: 'the upload was corrupted or transcoded on the way; do not reference it', details: { expected: local.ref.$link, got: got.link, size: local.size, gotSize: got.size } },
    );
  }
  const serverMime = got.mimeType !== undefined && isMimeType(got.mimeType) ? got.mimeType : mimeType;
  return { $type: 'blob', ref: { $link: local.ref.$link }, mimeType: serverMime, size: local.size };
}
