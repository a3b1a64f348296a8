import type { HintTable } from './index.js';

/** Hints for blob listing, sync, download and upload. */
export const BLOB_HINTS: HintTable = {
  InvalidMimeType: 'give --mime-type as type/subtype, e.g. image/png or application/octet-stream',
  InvalidBlobCid: 'blob CIDs are CIDv1 raw sha2-256 in base32, e.g. bafkrei…',
  BlobNotFound: 'list what the account has with: atcli blob ls <id>',
};
