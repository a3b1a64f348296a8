// The account whose blobs a command reads, and its PDS.
import { usage } from '../../../core/errors.js';
import type { AtprotoIdentity } from '../../../core/identity/index.js';
import type { XrpcClient } from '../../../core/xrpc/index.js';
import type { Factory } from '../../factory.js';

export interface BlobAccount {
  identity: AtprotoIdentity;
  /** The handle when it is verified, else the DID. */
  name: string;
  client: XrpcClient;
}

export async function blobAccount(f: Factory, id: string): Promise<BlobAccount> {
  const identity = await f.resolveAccount(id);
  if (!identity.pds) throw usage('NoPds', `${identity.did} has no PDS in its DID document`, { hint: `check the DID document with: atcli resolve ${id}` });
  return { identity, name: identity.handle !== 'handle.invalid' ? identity.handle : identity.did, client: await f.xrpc(identity.pds) };
}

/** The MIME type of a --mime-type flag (type/subtype). */
export async function mimeTypeOption(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const { checkMimeType } = await import('../../../core/blob/index.js');
  return checkMimeType(value);
}

/** A blob reference as printed: pretty JSON (the same with --json). */
export function refJson(ref: object): string {
  return JSON.stringify(ref, null, 2);
}
