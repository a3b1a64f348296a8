/**
 * Handles (spec: handle). Syntax is checked on the raw ASCII string; lower-casing
 * happens only after the check passes (invariant H2), so look-alike characters that
 * JS `toLowerCase()` folds into ASCII (U+212A KELVIN SIGN → `k`) are rejected.
 */
import { usage } from '../errors.js';
import { firstBadChar, quote, show, whitespaceEdge } from './describe.js';

export const HANDLE_MAX_LENGTH = 253;
/** `_atproto.` + handle must fit in a 253-character DNS name. */
export const RESOLVABLE_HANDLE_MAX_LENGTH = HANDLE_MAX_LENGTH - '_atproto.'.length;

const HANDLE_RE =
  /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const LABEL_CHAR_RE = /^[a-zA-Z0-9-]$/;
const DIGIT_START_RE = /^[0-9]/;

/** TLDs that are syntactically fine but must never be resolved (invariant H3). */
export const DISALLOWED_HANDLE_TLDS: readonly string[] = Object.freeze([
  '.alt',
  '.arpa',
  '.example',
  '.internal',
  '.invalid',
  '.local',
  '.localhost',
  '.onion',
]);

/** The placeholder handle servers return when no valid handle is known. */
export const INVALID_HANDLE = 'handle.invalid';

/** Returns null when `s` is a syntactically valid handle, else a short reason. */
export function checkHandle(s: string): string | null {
  if (typeof s !== 'string') return 'handle must be a string';
  if (s.length === 0) return 'handle is empty';
  if (s.length > HANDLE_MAX_LENGTH) {
    return `handle is ${s.length} characters long (max ${HANDLE_MAX_LENGTH})`;
  }
  if (HANDLE_RE.test(s)) return null;
  return explainHandle(s);
}

function explainHandle(s: string): string {
  const ws = whitespaceEdge(s);
  if (ws) return `handle ${ws}`;
  if (s.startsWith('@')) return "handle must not start with '@'";
  if (s.endsWith('.')) return 'handle must not end with a dot';
  if (s.startsWith('.')) return 'handle must not start with a dot';
  const labels = s.split('.');
  for (const label of labels) {
    const bad = firstBadChar(label, LABEL_CHAR_RE);
    if (bad) {
      if (labels.length === 1) return `handle contains ${bad} (only a-z, 0-9, '-' and '.' are allowed)`;
      return `label ${quote(label)} contains ${bad} (only a-z, 0-9 and '-' are allowed)`;
    }
  }
  if (labels.length < 2) return 'handle needs at least two labels (like name.example.com)';
  for (const label of labels) {
    if (label.length === 0) return 'handle contains an empty label (two dots in a row)';
    if (label.length > 63) return `label ${quote(label)} is ${label.length} characters long (max 63)`;
    if (label.startsWith('-')) return `label ${quote(label)} starts with a hyphen`;
    if (label.endsWith('-')) return `label ${quote(label)} ends with a hyphen`;
  }
  const tld = labels[labels.length - 1] ?? '';
  if (DIGIT_START_RE.test(tld)) return `top-level domain ${quote(tld)} starts with a digit`;
  return 'not a valid handle';
}

export function isValidHandle(s: string): boolean {
  return checkHandle(s) === null;
}

/**
 * Validate, then lower-case. Throws AtcliError usage `InvalidHandle` with the reason.
 */
export function normalizeHandle(s: string): string {
  const reason = checkHandle(s);
  if (reason !== null) {
    throw usage('InvalidHandle', `invalid handle ${show(s)}: ${reason}`, {
      hint: 'A handle is a domain name like alice.bsky.social (ASCII letters, digits, hyphens and dots).',
    });
  }
  return s.toLowerCase();
}

export interface ResolvableHandleOptions {
  /** Allow the `.test` TLD (local development networks only). */
  allowTest?: boolean;
}

/**
 * Syntax plus the resolution restrictions (invariant H3): disallowed TLDs, `.test`
 * only with `allowTest`, never `handle.invalid`, and `_atproto.<handle>` ≤ 253 chars.
 */
export function checkResolvableHandle(s: string, options: ResolvableHandleOptions = {}): string | null {
  const syntax = checkHandle(s);
  if (syntax !== null) return syntax;
  const lower = s.toLowerCase();
  if (lower === INVALID_HANDLE) return `'${INVALID_HANDLE}' marks a missing handle and is never resolvable`;
  const tld = lower.slice(lower.lastIndexOf('.'));
  if (DISALLOWED_HANDLE_TLDS.includes(tld)) return `the ${tld} top-level domain is not resolvable`;
  if (tld === '.test' && !options.allowTest) {
    return 'the .test top-level domain is only for local development';
  }
  if (s.length > RESOLVABLE_HANDLE_MAX_LENGTH) {
    return `handle is ${s.length} characters long (max ${RESOLVABLE_HANDLE_MAX_LENGTH} for DNS resolution)`;
  }
  return null;
}
