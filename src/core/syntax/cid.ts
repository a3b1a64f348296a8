/**
 * Lexicon `cid` string format, syntax level only (spec: data-model, lexicon): 8–256
 * characters of the multibase alphabets (`[a-zA-Z0-9+=]`), and not a legacy CIDv0
 * (`Qm…`). Full decoding (multibase, version, codec, multihash) lives in the codec module.
 */
import { describeChar, whitespaceEdge } from './describe.js';

const CID_RE = /^[a-zA-Z0-9+=]{8,256}$/;
const CID_CHAR_RE = /^[a-zA-Z0-9+=]$/;

/** Returns null when `s` looks like a CIDv1 string, else a short reason. */
export function checkCidString(s: string): string | null {
  if (typeof s !== 'string') return 'CID must be a string';
  if (CID_RE.test(s)) {
    if (s.startsWith('Qm')) return 'CIDv0 (Qm…) is not allowed; use CIDv1';
    return null;
  }
  if (s.length === 0) return 'CID is empty';
  const ws = whitespaceEdge(s);
  if (ws) return `CID ${ws}`;
  for (const ch of s) {
    if (!CID_CHAR_RE.test(ch)) return `CID contains ${describeChar(ch)} (not a multibase character)`;
  }
  if (s.length < 8) return `CID is ${s.length} characters long (min 8)`;
  return `CID is ${s.length} characters long (max 256)`;
}

export function isValidCidString(s: string): boolean {
  return checkCidString(s) === null;
}
