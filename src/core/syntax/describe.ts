/**
 * Internal helpers for building short, human-readable rejection reasons.
 * Not re-exported from the syntax index.
 */

/** Render one character for an error message: `'x'`, `a space`, or `U+212A`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp === 0x20) return 'a space';
  if (ch === "'") return `"'"`;
  if (cp > 0x20 && cp < 0x7f) return `'${ch}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * First character of `s` that is not allowed by `allowed` (a single-character
 * test regex), described for a message; null when every character is allowed.
 */
export function firstBadChar(s: string, allowed: RegExp): string | null {
  for (const ch of s) {
    if (!allowed.test(ch)) return describeChar(ch);
  }
  return null;
}

/** Quote a (possibly long) value for a message, truncating it. */
export function quote(s: string, max = 40): string {
  const shown = s.length > max ? `${s.slice(0, max)}…` : s;
  return `'${shown}'`;
}

const LEADING_WS = /^\s/;
const TRAILING_WS = /\s$/;

/** Leading or trailing whitespace reason, or null. */
export function whitespaceEdge(s: string): string | null {
  if (LEADING_WS.test(s)) return 'has leading whitespace';
  if (TRAILING_WS.test(s)) return 'has trailing whitespace';
  return null;
}

/** Show a user-supplied value in an error message: JSON-quoted, truncated. */
export function show(value: unknown, max = 100): string {
  const s = String(value);
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}
