/**
 * AT URIs in the restricted Lexicon `at-uri` form (spec: at-uri-scheme):
 * `at://AUTHORITY[/COLLECTION[/RKEY]]` with a handle or DID authority, an NSID
 * collection and a record key; no query, fragment or trailing slash; ≤ 8 KiB.
 */
import { usage } from '../errors.js';
import { describeChar, quote, show, whitespaceEdge } from './describe.js';
import { checkAtIdentifier } from './atidentifier.js';
import { checkNsid } from './nsid.js';
import { checkRecordKey } from './recordkey.js';

export const AT_URI_MAX_LENGTH = 8192;
const PREFIX = 'at://';
const QUERY_OR_FRAGMENT_RE = /[?#]/;

export interface ParsedAtUri {
  authority: string;
  collection?: string;
  rkey?: string;
}

type AtUriResult = { ok: true; value: ParsedAtUri } | { ok: false; reason: string };

function analyse(s: string): AtUriResult {
  const fail = (reason: string): AtUriResult => ({ ok: false, reason });
  if (typeof s !== 'string') return fail('AT URI must be a string');
  if (s.length === 0) return fail('AT URI is empty');
  if (s.length > AT_URI_MAX_LENGTH) {
    return fail(`AT URI is ${s.length} characters long (max ${AT_URI_MAX_LENGTH})`);
  }
  const ws = whitespaceEdge(s);
  if (ws) return fail(`AT URI ${ws}`);
  if (!s.startsWith(PREFIX)) {
    if (s.toLowerCase().startsWith(PREFIX)) return fail("AT URI scheme must be lowercase 'at://'");
    return fail("AT URI must start with 'at://'");
  }
  const rest = s.slice(PREFIX.length);
  const qf = QUERY_OR_FRAGMENT_RE.exec(rest);
  if (qf) return fail(`AT URI contains ${describeChar(qf[0])} (query and fragment parts are not allowed)`);
  const parts = rest.split('/');
  const authority = parts[0] ?? '';
  if (authority.length === 0) return fail('AT URI authority is empty');
  const authReason = checkAtIdentifier(authority);
  if (authReason !== null) return fail(`authority ${quote(authority)}: ${authReason}`);
  if (parts.length === 1) return { ok: true, value: { authority } };

  if (parts.length > 3) {
    if (parts.length === 4 && parts[3] === '') return fail('AT URI must not end with a slash');
    return fail('AT URI path has too many segments (only /collection/rkey)');
  }
  const collection = parts[1] ?? '';
  if (collection.length === 0) {
    return fail(parts.length === 2 ? 'AT URI must not end with a slash' : 'AT URI path has an empty segment');
  }
  const nsidReason = checkNsid(collection);
  if (nsidReason !== null) return fail(`collection ${quote(collection)}: ${nsidReason}`);
  if (parts.length === 2) return { ok: true, value: { authority, collection } };

  const rkey = parts[2] ?? '';
  if (rkey.length === 0) return fail('AT URI must not end with a slash');
  const rkeyReason = checkRecordKey(rkey);
  if (rkeyReason !== null) return fail(rkeyReason);
  return { ok: true, value: { authority, collection, rkey } };
}

/** Returns null when `s` is a valid Lexicon `at-uri`, else a short reason. */
export function checkAtUri(s: string): string | null {
  const r = analyse(s);
  return r.ok ? null : r.reason;
}

export function isValidAtUri(s: string): boolean {
  return analyse(s).ok;
}

/** Parse an AT URI. Throws AtcliError usage `InvalidAtUri` with the reason. */
export function parseAtUri(s: string): ParsedAtUri {
  const r = analyse(s);
  if (!r.ok) {
    throw usage('InvalidAtUri', `invalid AT URI ${show(s)}: ${r.reason}`, {
      hint: 'An AT URI looks like at://<handle or DID>/<collection NSID>/<record key>',
    });
  }
  return r.value;
}
