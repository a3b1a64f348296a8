/** Record keys (spec: record-key), the generic "any" syntax. */
import { firstBadChar, quote } from './describe.js';

export const RECORD_KEY_MAX_LENGTH = 512;

const RECORD_KEY_RE = /^[a-zA-Z0-9._:~-]{1,512}$/;
const RECORD_KEY_CHAR_RE = /^[a-zA-Z0-9._:~-]$/;

/** Returns null when `s` is a syntactically valid record key, else a short reason. */
export function checkRecordKey(s: string): string | null {
  if (typeof s !== 'string') return 'record key must be a string';
  if (RECORD_KEY_RE.test(s)) {
    if (s === '.' || s === '..') return `record key ${quote(s)} is not allowed`;
    return null;
  }
  if (s.length === 0) return 'record key is empty';
  const bad = firstBadChar(s, RECORD_KEY_CHAR_RE);
  if (bad) return `record key contains ${bad} (allowed: letters, digits and . - _ : ~)`;
  return `record key is ${s.length} characters long (max ${RECORD_KEY_MAX_LENGTH})`;
}

export function isValidRecordKey(s: string): boolean {
  return checkRecordKey(s) === null;
}
