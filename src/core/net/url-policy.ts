/**
 * The one policy for service URLs (PDS, PLC directory, relay, handle resolver, XRPC targets),
 * applied to the raw string before anything parses or normalises it: WHATWG URL parsing turns
 * `http://2130706433`, `http://0x7f.1` and `http://127.1` into `http://127.0.0.1`, strips tabs and
 * newlines, and reads `\` as `/`, so a check made after `new URL()` checks something other than
 * what was written. The rules are described in docs/network-policy.md.
 *
 * Connect-time address checks (DNS answers that point at private addresses) are in http.ts; this
 * module only judges the text of the URL.
 */
import { isIP } from 'node:net';
import { usage, type AtcliError } from '../errors.js';
import { isLoopbackHostname, isPublicAddress, parseIPv4 } from './address.js';

export type UrlSource =
  /** typed by the user (a flag, an argument, a config value) */
  | 'user'
  /** taken from data a server sent (a DID document, an operation, a redirect) */
  | 'remote';

export interface UrlPolicy {
  /** Development mode: plain http:// and loopback, private and link-local addresses are allowed. */
  dev: boolean;
  /**
   * Outside development mode, a loopback host (`localhost`, 127.0.0.0/8, `[::1]`) is allowed,
   * with http:// or https://, only in a URL the user typed; a server can never send us there.
   */
  source: UrlSource;
  /** Accepted schemes, lower case (default `https`, `http`). `ws` counts as `http`. */
  schemes?: readonly string[];
  /**
   * 'origin': scheme, host and port only (a lone trailing `/` allowed): PDS endpoints.
   * 'base' (default): a path may follow, but no query or fragment: service base URLs.
   * 'request': path and query, no fragment: a full request URL.
   */
  shape?: 'origin' | 'base' | 'request';
}

export type UrlProblemCode = 'InvalidUrl' | 'InsecureUrl' | 'PrivateAddress';

export interface UrlProblem {
  code: UrlProblemCode;
  reason: string;
}

export interface CheckedUrl {
  url: URL;
  /** Scheme, host and port as written (lower-cased), without a trailing slash. */
  origin: string;
  /** Whether the host is a loopback host. */
  loopback: boolean;
}

/** Longer URLs are refused before any parsing (no service URL comes close). */
export const MAX_URL_LENGTH = 8192;

const AUTHORITY_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Shown in messages: capped, and never with userinfo. */
export function displayRawUrl(raw: string): string {
  const hidden = raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
  return JSON.stringify(hidden.length > 200 ? `${hidden.slice(0, 200)}…` : hidden);
}

/**
 * WHATWG's "ends in a number" test: when the last label is all digits or 0x-hex, the URL parser
 * reads the whole host as an IPv4 address in any of its shorthand forms.
 */
function endsInNumber(host: string): boolean {
  const labels = host.split('.');
  let last = labels[labels.length - 1] as string;
  if (last === '' && labels.length > 1) last = labels[labels.length - 2] as string;
  return /^[0-9]+$/.test(last) || /^0[xX][0-9A-Fa-f]*$/.test(last);
}

function hostProblem(host: string, requireDomain: boolean): string | null {
  if (host === '') return 'has no host';
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return 'has a malformed IPv6 address';
    const inner = host.slice(1, -1);
    if (inner.includes('%')) return 'has an IPv6 zone identifier';
    return isIP(inner) === 6 ? null : 'has a malformed IPv6 address';
  }
  if (!/^[\x21-\x7e]+$/.test(host)) return 'has a host with characters other than ASCII letters, digits, "-" and "." (write international names in their xn-- form)';
  if (endsInNumber(host)) {
    return parseIPv4(host) !== null ? null : `has an ambiguous host "${host.slice(0, 100)}" (write IPv4 addresses as four decimal numbers a.b.c.d)`;
  }
  if (host.length > 253) return 'has a host name longer than 253 characters';
  const labels = host.split('.');
  for (const label of labels) {
    if (label === '') return `has an empty label in the host name "${host.slice(0, 100)}"`;
    if (!LABEL_RE.test(label)) return `has an invalid host name "${host.slice(0, 100)}"`;
  }
  if (requireDomain && labels.length < 2 && host !== 'localhost') return `has a host name without a domain ("${host.slice(0, 100)}")`;
  return null;
}

/**
 * Why `raw` is not acceptable under `policy`, or null with the parsed URL. Never throws.
 */
export function checkUrlPolicy(raw: string, policy: UrlPolicy): { problem: UrlProblem } | { ok: CheckedUrl } {
  const bad = (reason: string, code: UrlProblemCode = 'InvalidUrl'): { problem: UrlProblem } => ({ problem: { code, reason } });
  if (typeof raw !== 'string') return bad('is not a string');
  if (raw.length > MAX_URL_LENGTH) return bad(`is ${raw.length} characters long (at most ${MAX_URL_LENGTH})`);
  // Characters the URL parser would drop or reinterpret: controls, spaces, backslashes.
  if (/[\x00-\x20\x7f\\]/.test(raw)) return bad('contains spaces, control characters or backslashes');
  const m = AUTHORITY_RE.exec(raw);
  if (m === null) return bad('is not an absolute URL (scheme://host)');
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  const rest = m[3] as string;
  const schemes = policy.schemes ?? ['https', 'http'];
  if (!schemes.includes(scheme)) return bad(`uses the scheme "${scheme.slice(0, 20)}" (expected ${schemes.join(' or ')})`);
  if (authority.includes('@')) return bad('carries credentials (userinfo: user@host); they are never sent');
  const hp = /^(\[[^\]]*\]|[^:[\]]*)(?::([0-9]*))?$/.exec(authority);
  if (hp === null) return bad('has a malformed host or port');
  const host = (hp[1] as string).toLowerCase();
  const port = hp[2];
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return bad('has a port that is not a number from 1 to 65535');
  if (host.endsWith('.')) return bad('has a host name ending in "."');
  // Single-label names (intranet, container names) only where the user or development mode says so.
  const hostIssue = hostProblem(host, policy.source === 'remote' && !policy.dev);
  if (hostIssue !== null) return bad(hostIssue);

  const shape = policy.shape ?? 'base';
  const q = rest.indexOf('?');
  const f = rest.indexOf('#');
  if (f >= 0) return bad('has a fragment (#…)');
  if (shape !== 'request' && q >= 0) return bad('has a query (?…)');
  if (shape === 'origin' && rest !== '' && rest !== '/') return bad('must be scheme, host and port only (it has a path)');
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return bad('has a malformed path');

  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const literal = isIP(bare) !== 0;
  const loopback = isLoopbackHostname(host);
  if (!policy.dev) {
    const userLoopback = loopback && policy.source === 'user';
    if ((scheme === 'http' || scheme === 'ws') && !userLoopback) {
      return bad(`uses unencrypted ${scheme}://; https is required (${scheme}:// only for a loopback host typed by the user, or in development mode)`, 'InsecureUrl');
    }
    if (literal && !isPublicAddress(bare) && !userLoopback) {
      return bad(`has a host at a non-public address (${host}); loopback, private and link-local addresses are only allowed in development mode${policy.source === 'user' ? ' (a loopback address typed by the user is allowed)' : ''}`, 'PrivateAddress');
    }
    if (loopback && !userLoopback) {
      return bad(`points at this machine (${host}), which data from a server may only name in development mode`, 'PrivateAddress');
    }
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad('is not a valid URL');
  }
  // The checks above make the parser's host the written one; make sure of it (IPv6 literals are
  // compressed by the parser, which changes their spelling but not the address).
  if (!literal || !host.startsWith('[')) {
    if (url.hostname !== host) return bad(`has a host the URL parser reads as "${url.hostname.slice(0, 100)}"`);
  }
  const origin = `${scheme}://${host}${port === undefined ? '' : `:${port}`}`;
  return { ok: { url, origin, loopback } };
}

/**
 * A URL the user gave (`source: 'user'` unless said otherwise): the parsed URL, or a usage error
 * whose code is the problem's ('InvalidUrl', 'InsecureUrl', 'PrivateAddress'). `what` names the
 * URL in the message ("the PLC directory URL").
 */
export function checkServiceUrl(raw: string, policy: Omit<UrlPolicy, 'source'> & { source?: UrlSource }, what = 'the URL'): CheckedUrl {
  const result = checkUrlPolicy(raw, { ...policy, source: policy.source ?? 'user' });
  if ('problem' in result) throw urlError(raw, result.problem, what);
  return result.ok;
}

export function urlError(raw: string, problem: UrlProblem, what = 'the URL'): AtcliError {
  return usage(problem.code, `${what} ${displayRawUrl(raw)} ${problem.reason}`, { details: { reason: problem.reason } });
}

/**
 * A PDS endpoint from a DID document or an operation: `https://host[:port]` (a lone trailing `/`
 * allowed), public hosts only unless `dev`. The normalised origin, or the reason it is refused.
 */
export function checkPdsUrl(endpoint: string, dev: boolean): { url: string } | { reason: string } {
  const result = checkUrlPolicy(endpoint, { dev, source: 'remote', shape: 'origin' });
  return 'problem' in result ? { reason: result.problem.reason } : { url: result.ok.origin };
}
