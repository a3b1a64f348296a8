/**
 * Full identity resolution with the bi-directional handle check.
 */
import { AtcliError, usage } from '../errors.js';
import { INVALID_HANDLE, parseAtUri } from '../syntax/index.js';
import { resolveDid } from './did.js';
import { parseDidDocument } from './document.js';
import { resolveHandle } from './handle.js';
import type { AtprotoIdentity, HandleMethod, HandleResolution, IdentityConfig } from './types.js';
import { errorMessage, quote } from './util.js';

export { INVALID_HANDLE };

export interface ResolveIdentityOptions {
  /** Skip cache reads (fresh results are still stored). */
  noCache?: boolean;
}

/** Split user input into a DID or a handle: accepts `did:…`, a handle, `@handle`, or an at:// URI. */
export function parseIdentifierInput(input: string): { did: string } | { handle: string } {
  let id = input.trim();
  if (id.startsWith('at://')) {
    let authority: string;
    try {
      authority = parseAtUri(id).authority;
    } catch (err) {
      if (err instanceof AtcliError) throw err;
      throw usage('InvalidAtUri', `invalid at:// URI ${quote(id, 100)}: ${errorMessage(err)}`);
    }
    id = authority;
  } else if (id.startsWith('@')) {
    id = id.slice(1);
  }
  if (id === '') throw usage('InvalidIdentifier', 'empty identifier', { hint: 'Give a handle, a DID, or an at:// URI.' });
  if (/^did:/i.test(id)) return { did: id };
  return { handle: id };
}

/**
 * Resolve a handle, DID, or at:// URI to a checked identity: DID document fetched and checked,
 * signing key and PDS extracted, and the handle verified both ways. The
 * returned `handle` is 'handle.invalid' unless the DID document claims the handle and the
 * handle resolves back to the same DID.
 */
export async function resolveIdentity(
  config: IdentityConfig,
  id: string,
  opts: ResolveIdentityOptions = {},
): Promise<AtprotoIdentity> {
  const parsedInput = parseIdentifierInput(id);
  const noCache = opts.noCache === true;
  const warnings: string[] = [];
  let did: string;
  let forward: HandleResolution | undefined;

  if ('handle' in parsedInput) {
    forward = await resolveHandle(config, parsedInput.handle, { noCache });
    did = forward.did;
    warnings.push(...forward.warnings);
  } else {
    did = parsedInput.did;
  }

  const didDoc = await resolveDid(config, did, { noCache });
  const parsed = parseDidDocument(did, didDoc, { dev: config.dev === true });
  warnings.push(...parsed.warnings);

  let handleVerified = false;
  let method: HandleMethod | undefined;
  const claimed = parsed.claimedHandle;

  if (forward !== undefined) {
    method = forward.method;
    if (claimed === forward.handle) {
      handleVerified = true;
    } else if (claimed === undefined) {
      warnings.push(`${forward.handle} resolves to ${did}, but its DID document claims no handle`);
    } else {
      warnings.push(`${forward.handle} resolves to ${did}, but its DID document claims the handle ${claimed}`);
    }
  } else if (claimed !== undefined) {
    try {
      const back = await resolveHandle(config, claimed, { noCache });
      warnings.push(...back.warnings);
      if (back.did === did) {
        handleVerified = true;
        method = back.method;
      } else {
        warnings.push(`the DID document claims ${claimed}, but ${claimed} resolves to ${back.did}`);
      }
    } catch (err) {
      warnings.push(`the DID document claims ${claimed}, which could not be verified: ${errorMessage(err)}`);
    }
  } else {
    warnings.push(`the DID document of ${did} claims no handle`);
  }

  // Key order is the order `--json` prints.
  const out: AtprotoIdentity = {
    did,
    handle: handleVerified && claimed !== undefined ? claimed : INVALID_HANDLE,
    handleVerified,
    ...(claimed !== undefined ? { claimedHandle: claimed } : {}),
    ...(parsed.pds !== undefined ? { pds: parsed.pds } : {}),
    ...(parsed.signingKey !== undefined ? { signingKey: parsed.signingKey.did() } : {}),
    ...(method !== undefined ? { method } : {}),
    didDoc,
    warnings,
  };
  return out;
}
