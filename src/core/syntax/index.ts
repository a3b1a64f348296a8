/**
 * Syntax checks for atproto identifiers and Lexicon string formats. Dependency-free
 * (only `../errors.js`) so `atcli syntax check` loads nothing else.
 *
 * Every `check*` returns null when the value is valid, or a short human-readable reason.
 */
import { checkAtIdentifier } from './atidentifier.js';
import { checkAtUri } from './aturi.js';
import { checkCidString } from './cid.js';
import { checkDatetime } from './datetime.js';
import { checkDid } from './did.js';
import { checkHandle } from './handle.js';
import { checkLanguage } from './language.js';
import { checkNsid } from './nsid.js';
import { checkRecordKey } from './recordkey.js';
import { checkTid } from './tid.js';

export * from './handle.js';
export * from './did.js';
export * from './nsid.js';
export * from './aturi.js';
export * from './atidentifier.js';
export * from './recordkey.js';
export * from './tid.js';
export * from './cid.js';
export * from './datetime.js';
export * from './language.js';
export * from './uri.js';

export const SYNTAX_KINDS = [
  'handle',
  'did',
  'nsid',
  'at-uri',
  'at-identifier',
  'rkey',
  'tid',
  'cid',
  'datetime',
  'language',
] as const;

export type SyntaxKind = (typeof SYNTAX_KINDS)[number];

const CHECKERS: Record<SyntaxKind, (value: string) => string | null> = {
  handle: checkHandle,
  did: checkDid,
  nsid: checkNsid,
  'at-uri': checkAtUri,
  'at-identifier': checkAtIdentifier,
  rkey: checkRecordKey,
  tid: checkTid,
  cid: checkCidString,
  datetime: checkDatetime,
  language: checkLanguage,
};

export function isSyntaxKind(kind: string): kind is SyntaxKind {
  return Object.prototype.hasOwnProperty.call(CHECKERS, kind);
}

/** Check `value` as `kind`: null when valid, else a short reason. */
export function checkSyntax(kind: SyntaxKind, value: string): string | null {
  if (!isSyntaxKind(kind)) return `unknown syntax kind ${JSON.stringify(String(kind))}`;
  return CHECKERS[kind](value);
}
export * from './types.js';
