/**
 * Lexicon `uri` string format (spec: lexicon "uri"): any RFC 3986 URI with a scheme,
 * at most 8 KiB, no whitespace or non-ASCII characters.
 */
import { describeChar, whitespaceEdge } from './describe.js';

export const URI_MAX_LENGTH = 8192;

const URI_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[\x21-\x7e]+$/;
const SCHEME_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*$/;
const GRAPHIC_RE = /^[\x21-\x7e]$/;

/** Returns null when `s` is a valid Lexicon `uri`, else a short reason. */
export function checkUri(s: string): string | null {
  if (typeof s !== 'string') return 'URI must be a string';
  if (s.length > URI_MAX_LENGTH) return `URI is ${s.length} characters long (max ${URI_MAX_LENGTH})`;
  if (URI_RE.test(s)) return null;
  if (s.length === 0) return 'URI is empty';
  const ws = whitespaceEdge(s);
  if (ws) return `URI ${ws}`;
  const colon = s.indexOf(':');
  if (colon < 0) return "URI needs a scheme (like 'https:')";
  if (!SCHEME_RE.test(s.slice(0, colon))) {
    return `URI scheme ${JSON.stringify(s.slice(0, colon))} must start with a letter (then letters, digits, + . -)`;
  }
  if (colon === s.length - 1) return 'URI has nothing after the scheme';
  for (const ch of s) {
    if (!GRAPHIC_RE.test(ch)) return `URI contains ${describeChar(ch)}`;
  }
  return 'not a valid URI';
}

export function isValidUri(s: string): boolean {
  return checkUri(s) === null;
}
