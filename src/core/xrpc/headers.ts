/**
 * Extra request headers for raw XRPC calls: service proxying (`atproto-proxy`, spec:xrpc
 * "Service Proxying", https://atproto.com/specs/xrpc), admin Basic auth, and headers written as
 * `name: value` text. Everything is checked before anything is sent: a header value can never
 * smuggle a second header (no CR/LF), and the admin password never appears in an error.
 */
import { usage } from '../errors.js';
import { checkDid } from '../syntax/index.js';
import { sanitizeRemoteText } from './errors.js';

/** The header a PDS reads to forward a call to another service. */
export const ATPROTO_PROXY_HEADER = 'atproto-proxy';

/** RFC 9110 token characters of a header name. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Visible ASCII, spaces and tabs; no CR, LF or other controls. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]{0,8192}$/;
/** Headers the HTTP layer owns: setting them by hand would corrupt the request. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive']);
/** A service id in a DID document (`#atproto_labeler`): letters, digits and `_ - . : %`. */
const SERVICE_ID_RE = /^[A-Za-z0-9._:%-]{1,128}$/;

export interface HeaderLine {
  name: string;
  value: string;
}

/**
 * Parses `name: value` (curl `-H` style). The name is lower-cased; surrounding spaces of the value
 * are dropped. Throws usage 'InvalidHeader' for a malformed line or a header the HTTP layer owns.
 */
export function parseHeaderLine(line: string): HeaderLine {
  const colon = line.indexOf(':');
  if (colon <= 0) {
    throw usage('InvalidHeader', `"${sanitizeRemoteText(line, 80)}" is not a header: expected "name: value"`);
  }
  const name = line.slice(0, colon).trim().toLowerCase();
  const value = line.slice(colon + 1).trim();
  if (!HEADER_NAME_RE.test(name)) throw usage('InvalidHeader', `"${sanitizeRemoteText(name, 80)}" is not a valid header name`);
  if (!HEADER_VALUE_RE.test(value)) {
    throw usage('InvalidHeader', `the value of header ${name} contains control characters (or is longer than 8192 bytes)`);
  }
  if (RESERVED_HEADERS.has(name)) throw usage('ReservedHeader', `header ${name} is set by the HTTP layer and cannot be given by hand`);
  return { name, value };
}

/** Several `name: value` lines as one header map (a repeated name keeps the last value). */
export function parseHeaderLines(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const { name, value } = parseHeaderLine(line);
    out[name] = value;
  }
  return out;
}

export interface ServiceRef {
  did: string;
  /** the service id without '#', e.g. "atproto_labeler" */
  id: string;
}

/**
 * Parses a service reference `did:…#service_id` (the value of `atproto-proxy`, and an XRPC
 * target naming a service in a DID document). Throws usage 'InvalidServiceRef'.
 */
export function parseServiceRef(text: string): ServiceRef {
  const hash = text.lastIndexOf('#');
  const did = hash < 0 ? text : text.slice(0, hash);
  const id = hash < 0 ? '' : text.slice(hash + 1);
  const problem = hash < 0 ? 'it has no "#service" part' : checkDid(did) ?? (SERVICE_ID_RE.test(id) ? null : `"#${sanitizeRemoteText(id, 60)}" is not a service id`);
  if (problem !== null) {
    throw usage('InvalidServiceRef', `"${sanitizeRemoteText(text, 120)}" is not a service reference (did#service_id): ${problem}`, {
      hint: 'a service reference is a DID and the id of a service in its DID document, e.g. did:web:api.bsky.app#bsky_appview',
    });
  }
  return { did, id };
}

/** The `atproto-proxy` header that asks a PDS to forward a call to `ref`. */
export function proxyHeader(ref: string): Record<string, string> {
  const { did, id } = parseServiceRef(ref);
  return { [ATPROTO_PROXY_HEADER]: `${did}#${id}` };
}

/**
 * `Authorization: Basic` for the admin user of a PDS (the reference PDS's admin endpoints).
 * The password must not be empty; it is never echoed.
 */
export function adminAuthorization(password: string): Record<string, string> {
  if (password === '') throw usage('AdminPasswordMissing', 'the admin password is empty');
  if (/[\r\n]/.test(password)) throw usage('InvalidAdminPassword', 'the admin password contains a line break');
  return { authorization: `Basic ${Buffer.from(`admin:${password}`, 'utf8').toString('base64')}` };
}
