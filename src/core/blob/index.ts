/**
 * Blobs (spec:blob): listing, verified download, a content-addressed local store with MIME types,
 * incremental resumable sync, upload, and the blob reference of a local file.
 */
export { blobCid, blobRefsIn, blobRefForBytes, blobRefForFile, readBlobFile, checkMimeType, detectMimeType, isMimeType, sniffMimeType, OCTET_STREAM, type BlobRef } from './ref.js';
export { BlobStore, type BlobMeta, type BlobPutOptions, type BlobStoreOptions } from './store.js';
export {
  DEFAULT_MAX_BLOB_BYTES,
  clientWithSignal,
  downloadBlob,
  listBlobs,
  mimeTypeOf,
  openBlob,
  uploadBlob,
  type BlobStream,
  type DownloadBlobOptions,
  type ListBlobsOptions,
} from './remote.js';
export {
  DEFAULT_SYNC_CONCURRENCY,
  DEFAULT_SYNC_RETRIES,
  syncBlobs,
  type SyncBlobsOptions,
  type SyncBlobsResult,
  type SyncFailure,
  type SyncProgress,
} from './sync.js';
