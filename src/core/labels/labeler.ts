/**
 * Labeler identities (https://atproto.com/specs/label "Labeler Service Identity"): the DID
 * document names the label signing key (`#atproto_label`) and the service URL
 * (`#atproto_labeler`, type AtprotoLabeler).
 */
import { notFound, usage } from '../errors.js';
import type { PublicKey } from '../crypto/index.js';
import { parseDidDocument, parseIdentifierInput, resolveDid, resolveHandle, type IdentityConfig } from '../identity/index.js';
import type { KeyResolver } from './label.js';

export interface Labeler {
  /** null when the labeler was given as a URL. */
  did: string | null;
  /** Service URL (scheme://host[:port]). */
  url: string;
  /** did:key of the label signing key, when the DID document has one. */
  labelKey: string | null;
  warnings: string[];
}

/**
 * Find a labeler from a DID, a handle, or its service URL (`https://…`, or `http://` on loopback in
 * dev mode). Throws notFound 'NoLabelerService' when the DID document names no labeler service,
 * and the identity layer's errors.
 */
export async function resolveLabeler(config: IdentityConfig, id: string): Promise<Labeler> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(id) && !id.startsWith('at://')) {
    let u: URL;
    try {
      u = new URL(id);
    } catch {
      throw usage('InvalidUrl', `not a URL: ${id.slice(0, 200)}`);
    }
    return { did: null, url: u.origin, labelKey: null, warnings: [] };
  }
  const input = parseIdentifierInput(id);
  const did = 'did' in input ? input.did : (await resolveHandle(config, input.handle)).did;
  const doc = parseDidDocument(did, await resolveDid(config, did), { dev: config.dev === true });
  if (doc.labeler === undefined) {
    throw notFound('NoLabelerService', `${did} is not a labeler: its DID document names no labeler service (#atproto_labeler of type AtprotoLabeler)`, {
      details: { did },
    });
  }
  return { did, url: doc.labeler, labelKey: doc.labelKey?.did() ?? null, warnings: doc.warnings };
}

/** The `#atproto_label` key of an issuer, from its DID document (`fresh`: bypass the cache). */
export function labelKeyResolver(config: IdentityConfig): KeyResolver {
  return async (did, { fresh }): Promise<PublicKey> => {
    const doc = parseDidDocument(did, await resolveDid(config, did, { noCache: fresh }), { dev: config.dev === true });
    if (doc.labelKey === undefined) throw notFound('NoLabelKey', `the DID document of ${did} has no usable #atproto_label key`, { details: { did } });
    return doc.labelKey;
  };
}
