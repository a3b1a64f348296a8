/** at-identifier: a handle or a DID (spec: lexicon string formats). */
import { checkDid } from './did.js';
import { checkHandle } from './handle.js';

/** Returns null when `s` is a valid handle or DID, else a short reason. */
export function checkAtIdentifier(s: string): string | null {
  if (typeof s !== 'string') return 'identifier must be a string';
  // A DID always starts with `did:`, and a handle can never contain ':'.
  if (s.startsWith('did:')) return checkDid(s);
  const handleReason = checkHandle(s);
  if (handleReason === null) return null;
  if (s.includes(':')) {
    const didReason = checkDid(s);
    return `neither a handle nor a DID: ${didReason ?? handleReason}`;
  }
  return handleReason;
}

export function isValidAtIdentifier(s: string): boolean {
  return checkAtIdentifier(s) === null;
}
