/**
 * Extract the atproto view of a DID document (spec:did "DID Documents"; invariants J1–J4).
 *
 * Only the document `id` is fatal. Every other entry is looked at defensively: a malformed
 * unrelated entry is skipped (never throws), a malformed atproto entry is skipped with a warning.
 */
import { invalid } from '../errors.js';
import { publicKeyFromVerificationMethod, type PublicKey } from '../crypto/index.js';
import { checkHandle } from '../syntax/index.js';
import { checkPdsUrl } from '../net/url-policy.js';
import { errorMessage, quote } from './util.js';

export interface ParsedDidDocument {
  /** First syntactically valid `at://<handle>` in alsoKnownAs, lower-cased. */
  claimedHandle?: string;
  /** PDS base URL: scheme://host[:port], host lower-cased, no trailing slash. */
  pds?: string;
  /** First valid atproto signing key. */
  signingKey?: PublicKey;
  /** The key that signs labels (`#atproto_label`), when the document has a usable one. */
  labelKey?: PublicKey;
  /** Labeler service URL (`#atproto_labeler`, type AtprotoLabeler): scheme://host[:port]. */
  labeler?: string;
  warnings: string[];
}

export interface ParseDidDocumentOptions {
  /** Development mode: accept http:// PDS endpoints on loopback (localhost, 127.x, [::1]). */
  dev?: boolean;
}

const LEGACY_VM_TYPES = new Set(['EcdsaSecp256r1VerificationKey2019', 'EcdsaSecp256k1VerificationKey2019']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** J1: the document is an object whose `id` is exactly the DID. */
export function checkDocumentId(did: string, doc: unknown): asserts doc is Record<string, unknown> & { id: string } {
  if (!isRecord(doc)) {
    throw invalid('InvalidDidDocument', `DID document for ${did} is not a JSON object`);
  }
  if (doc['id'] !== did) {
    const got = typeof doc['id'] === 'string' ? quote(doc['id'], 120) : `a ${doc['id'] === null ? 'null' : typeof doc['id']} value`;
    throw invalid('DidDocumentMismatch', `DID document id is ${got}, expected exactly ${did}`, {
      hint: 'The server returned a document for a different DID; it cannot be trusted for this one.',
      details: { did, id: doc['id'] },
    });
  }
}

function listOf(doc: Record<string, unknown>, field: string, warnings: string[]): unknown[] {
  const value = doc[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    warnings.push(`DID document "${field}" is not an array; ignored`);
    return [];
  }
  return value;
}

function claimedHandleOf(aka: unknown[], warnings: string[]): string | undefined {
  for (const [i, entry] of aka.entries()) {
    if (typeof entry !== 'string' || !entry.startsWith('at://')) continue;
    const candidate = entry.slice('at://'.length);
    if (checkHandle(candidate) === null) return candidate.toLowerCase();
    warnings.push(`alsoKnownAs[${i}] ${quote(entry)} is not a valid handle URI; skipped`);
  }
  return undefined;
}

/**
 * The first usable verification method with id `#<fragment>` (relative or with this DID). With
 * `required`, its absence is a warning too.
 */
function verificationKeyOf(did: string, vms: unknown[], fragment: string, warnings: string[], required: boolean): PublicKey | undefined {
  const ids = new Set([`#${fragment}`, `${did}#${fragment}`]);
  for (const [i, vm] of vms.entries()) {
    if (!isRecord(vm)) continue;
    const id = vm['id'];
    if (typeof id !== 'string') continue;
    if (!ids.has(id)) {
      if (id.endsWith(`#${fragment}`)) warnings.push(`verificationMethod[${i}] id ${quote(id)} names another DID; skipped`);
      continue;
    }
    if (vm['controller'] !== did) {
      warnings.push(`verificationMethod[${i}] (#${fragment}) has controller ${quote(String(vm['controller']))}, not ${did}; skipped`);
      continue;
    }
    const type = vm['type'];
    if (type !== 'Multikey' && !(typeof type === 'string' && LEGACY_VM_TYPES.has(type))) {
      warnings.push(`verificationMethod[${i}] (#${fragment}) has unsupported type ${quote(String(type))}; skipped`);
      continue;
    }
    try {
      return publicKeyFromVerificationMethod(vm);
    } catch (err) {
      warnings.push(`verificationMethod[${i}] (#${fragment}) is unusable: ${errorMessage(err)}; skipped`);
    }
  }
  if (required) warnings.push(`DID document has no usable #${fragment} ${fragment === 'atproto' ? 'signing' : 'label signing'} key`);
  return undefined;
}

/**
 * Check a PDS `serviceEndpoint`: a string `https://host[:port]` (optionally with a lone trailing
 * `/`) naming a public host; in dev mode also http:// and loopback or private addresses. The URL
 * policy (net/url-policy.ts) judges the text as written, before anything parses it (N1). Returns
 * the normalized URL or the reason.
 */
export function checkPdsEndpoint(endpoint: unknown, opts: ParseDidDocumentOptions = {}): { url: string } | { reason: string } {
  if (typeof endpoint !== 'string') return { reason: `serviceEndpoint is not a string (${Array.isArray(endpoint) ? 'array' : endpoint === null ? 'null' : typeof endpoint})` };
  const checked = checkPdsUrl(endpoint, opts.dev === true);
  return 'url' in checked ? checked : { reason: `serviceEndpoint ${quote(endpoint)} ${checked.reason}` };
}

/**
 * The first service with id `#<fragment>` and the given type: its checked endpoint, or `null` when
 * that entry's endpoint is unusable (`what` names the service in the warning); undefined when absent.
 */
function serviceEndpointOf(
  did: string,
  services: unknown[],
  service: { fragment: string; type: string; what: string },
  warnings: string[],
  opts: ParseDidDocumentOptions,
): string | null | undefined {
  const { fragment, type, what } = service;
  const ids = new Set([`#${fragment}`, `${did}#${fragment}`]);
  for (const [i, svc] of services.entries()) {
    if (!isRecord(svc)) continue;
    const id = svc['id'];
    if (typeof id !== 'string' || !ids.has(id)) continue;
    if (svc['type'] !== type) {
      warnings.push(`service[${i}] (#${fragment}) has type ${quote(String(svc['type']))}, not ${type}; skipped`);
      continue;
    }
    // The first entry matching id and type is the service; a bad endpoint there means none.
    const checked = checkPdsEndpoint(svc['serviceEndpoint'], opts);
    if ('url' in checked) return checked.url;
    warnings.push(`service[${i}] (#${fragment}): ${checked.reason}; no ${what}`);
    return null;
  }
  return undefined;
}

/**
 * The atproto fields of a DID document. Throws only when the document is not an object or
 * its `id` is not exactly `did` (J1); everything else becomes a warning.
 */
export function parseDidDocument(did: string, doc: unknown, opts: ParseDidDocumentOptions = {}): ParsedDidDocument {
  checkDocumentId(did, doc);
  const warnings: string[] = [];
  const out: ParsedDidDocument = { warnings };
  const claimedHandle = claimedHandleOf(listOf(doc, 'alsoKnownAs', warnings), warnings);
  if (claimedHandle !== undefined) out.claimedHandle = claimedHandle;
  const vms = listOf(doc, 'verificationMethod', warnings);
  const signingKey = verificationKeyOf(did, vms, 'atproto', warnings, true);
  if (signingKey !== undefined) out.signingKey = signingKey;
  const services = listOf(doc, 'service', warnings);
  const pds = serviceEndpointOf(did, services, { fragment: 'atproto_pds', type: 'AtprotoPersonalDataServer', what: 'PDS' }, warnings, opts);
  if (pds === undefined) warnings.push('DID document names no atproto PDS (#atproto_pds service)');
  else if (pds !== null) out.pds = pds;
  // Most accounts are not labelers: only a malformed labeler entry is worth a warning.
  const labelKey = verificationKeyOf(did, vms, 'atproto_label', warnings, false);
  if (labelKey !== undefined) out.labelKey = labelKey;
  const labeler = serviceEndpointOf(did, services, { fragment: 'atproto_labeler', type: 'AtprotoLabeler', what: 'labeler' }, warnings, opts);
  if (typeof labeler === 'string') out.labeler = labeler;
  return out;
}
