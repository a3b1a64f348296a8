/**
 * Namespaced identifiers (spec: nsid): a reversed domain authority followed by a name,
 * like `app.bsky.feed.post` (authority `feed.bsky.app`, name `post`).
 */
import { usage } from '../errors.js';
import { firstBadChar, quote, show, whitespaceEdge } from './describe.js';

export const NSID_MAX_LENGTH = 317;

const NSID_RE =
  /^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$/;
const DOMAIN_CHAR_RE = /^[a-zA-Z0-9-]$/;
const NAME_CHAR_RE = /^[a-zA-Z0-9]$/;
const DIGIT_START_RE = /^[0-9]/;

/** Returns null when `s` is a syntactically valid NSID, else a short reason. */
export function checkNsid(s: string): string | null {
  if (typeof s !== 'string') return 'NSID must be a string';
  if (s.length === 0) return 'NSID is empty';
  if (s.length > NSID_MAX_LENGTH) return `NSID is ${s.length} characters long (max ${NSID_MAX_LENGTH})`;
  // The spec also caps the authority at 253 characters, but the interop vectors accept
  // longer ones (nsid_syntax_valid.txt has a 283-character authority) and so do the
  // reference implementations; only the 317 total is enforced.
  if (NSID_RE.test(s)) return null;
  return explainNsid(s);
}

function explainNsid(s: string): string {
  const ws = whitespaceEdge(s);
  if (ws) return `NSID ${ws}`;
  const segments = s.split('.');
  if (segments.length < 3) {
    return 'NSID needs at least 3 segments (a reversed domain plus a name, like com.example.fooBar)';
  }
  const name = segments[segments.length - 1] ?? '';
  const domain = segments.slice(0, -1);
  for (const seg of domain) {
    if (seg.length === 0) return 'NSID contains an empty segment (leading or doubled dot)';
    const bad = firstBadChar(seg, DOMAIN_CHAR_RE);
    if (bad) return `segment ${quote(seg)} contains ${bad} (only a-z, 0-9 and '-' are allowed)`;
    if (seg.length > 63) return `segment ${quote(seg)} is ${seg.length} characters long (max 63)`;
    if (seg.startsWith('-')) return `segment ${quote(seg)} starts with a hyphen`;
    if (seg.endsWith('-')) return `segment ${quote(seg)} ends with a hyphen`;
  }
  if (DIGIT_START_RE.test(domain[0] ?? '')) {
    return `first segment ${quote(domain[0] ?? '')} (the top-level domain) starts with a digit`;
  }
  if (name.length === 0) return 'NSID name (last segment) is empty';
  const bad = firstBadChar(name, NAME_CHAR_RE);
  if (bad) return `name ${quote(name)} contains ${bad} (only letters and digits are allowed)`;
  if (DIGIT_START_RE.test(name)) return `name ${quote(name)} starts with a digit`;
  if (name.length > 63) return `name ${quote(name)} is ${name.length} characters long (max 63)`;
  return 'not a valid NSID';
}

export function isValidNsid(s: string): boolean {
  return checkNsid(s) === null;
}

export interface ParsedNsid {
  /**
   * The domain authority as a hostname: every segment except the name, reversed and
   * lower-cased (`app.bsky.feed.post` → `feed.bsky.app`; spec: nsid, lexicon resolution).
   */
  authority: string;
  /** The final segment, case preserved (`post`). */
  name: string;
  /** All segments as written. */
  segments: string[];
}

/** Parse an NSID. Throws AtcliError usage `InvalidNsid` with the reason. */
export function parseNsid(s: string): ParsedNsid {
  const reason = checkNsid(s);
  if (reason !== null) {
    throw usage('InvalidNsid', `invalid NSID ${show(s)}: ${reason}`, {
      hint: 'An NSID is a reversed domain plus a name, like app.bsky.feed.post',
    });
  }
  const segments = s.split('.');
  const name = segments[segments.length - 1] as string;
  const authority = segments.slice(0, -1).reverse().join('.').toLowerCase();
  return { authority, name, segments };
}
