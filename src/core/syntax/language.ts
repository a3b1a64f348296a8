/**
 * Lexicon `language`: a well-formed BCP 47 language tag (RFC 5646 §2.1), as atproto
 * implementations accept it: the primary language subtag is 2–3 lower-case letters
 * (the reserved 4-letter and registered 5–8-letter forms are not accepted), the other
 * subtags are case-insensitive, plus the grandfathered tags and `x-…` private use.
 *
 * `checkLanguage` checks well-formedness only (what Lexicon validation requires).
 * `checkLanguageStrict` also applies the RFC 5646 "valid tag" rules that need no
 * registry: no repeated variant subtag and no repeated extension singleton.
 */
import { quote, whitespaceEdge } from './describe.js';

const GRANDFATHERED = new Set([
  // irregular
  'en-GB-oed', 'i-ami', 'i-bnn', 'i-default', 'i-enochian', 'i-hak', 'i-klingon', 'i-lux',
  'i-mingo', 'i-navajo', 'i-pwn', 'i-tao', 'i-tay', 'i-tsu', 'sgn-BE-FR', 'sgn-BE-NL', 'sgn-CH-DE',
  // regular
  'art-lojban', 'cel-gaulish', 'no-bok', 'no-nyn', 'zh-guoyu', 'zh-hakka', 'zh-min', 'zh-min-nan',
  'zh-xiang',
]);

const SUBTAG_RE = /^[A-Za-z0-9]{1,8}$/;
const PRIMARY_RE = /^[a-z]{2,3}$/;
const EXTLANG_RE = /^[A-Za-z]{3}$/;
const SCRIPT_RE = /^[A-Za-z]{4}$/;
const REGION_RE = /^(?:[A-Za-z]{2}|[0-9]{3})$/;
const VARIANT_RE = /^(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3})$/;
const SINGLETON_RE = /^[0-9A-WYZa-wyz]$/;
const EXTENSION_SUBTAG_RE = /^[A-Za-z0-9]{2,8}$/;
const PRIVATE_X_RE = /^[xX]$/;

interface LanguageAnalysis {
  /** Why the tag is not well-formed, or null. */
  reason: string | null;
  /** Why a well-formed tag is still not valid (a repeated subtag), or null. */
  duplicate: string | null;
}

function analyse(s: string): LanguageAnalysis {
  const bad = (reason: string): LanguageAnalysis => ({ reason, duplicate: null });
  if (typeof s !== 'string') return bad('language tag must be a string');
  if (s.length === 0) return bad('language tag is empty');
  if (GRANDFATHERED.has(s)) return { reason: null, duplicate: null };
  const ws = whitespaceEdge(s);
  if (ws) return bad(`language tag ${ws}`);

  const parts = s.split('-');
  for (const p of parts) {
    if (p.length === 0) return bad("language tag has an empty subtag (leading, trailing or doubled '-')");
    if (!SUBTAG_RE.test(p)) return bad(`subtag ${quote(p)} must be 1-8 ASCII letters or digits`);
  }

  const first = parts[0] as string;
  let i = 1;
  if (PRIVATE_X_RE.test(first)) return privateUse(parts, 0);
  if (!PRIMARY_RE.test(first)) {
    return bad(`primary language subtag ${quote(first)} must be 2-3 lowercase letters`);
  }
  // extlang: up to three 3-letter subtags
  for (let n = 0; n < 3 && i < parts.length && EXTLANG_RE.test(parts[i] as string); n++) i++;
  if (i < parts.length && SCRIPT_RE.test(parts[i] as string)) i++;
  if (i < parts.length && REGION_RE.test(parts[i] as string)) i++;

  let duplicate: string | null = null;
  const variants = new Set<string>();
  while (i < parts.length && VARIANT_RE.test(parts[i] as string)) {
    const v = (parts[i] as string).toLowerCase();
    if (variants.has(v) && duplicate === null) duplicate = `variant subtag ${quote(parts[i] as string)} is repeated`;
    variants.add(v);
    i++;
  }

  const singletons = new Set<string>();
  while (i < parts.length && SINGLETON_RE.test(parts[i] as string)) {
    const single = parts[i] as string;
    const key = single.toLowerCase();
    if (singletons.has(key) && duplicate === null) {
      duplicate = `extension singleton ${quote(single)} is repeated`;
    }
    singletons.add(key);
    i++;
    const start = i;
    while (i < parts.length && EXTENSION_SUBTAG_RE.test(parts[i] as string)) i++;
    if (i === start) return bad(`extension ${quote(single)} needs at least one subtag of 2-8 characters`);
  }

  if (i < parts.length && PRIVATE_X_RE.test(parts[i] as string)) {
    const r = privateUse(parts, i);
    return r.reason === null ? { reason: null, duplicate } : r;
  }
  if (i < parts.length) {
    return bad(`subtag ${quote(parts[i] as string)} is not allowed at position ${i + 1}`);
  }
  return { reason: null, duplicate };
}

/** `x-…` from index `at` to the end: at least one subtag of 1-8 characters. */
function privateUse(parts: string[], at: number): LanguageAnalysis {
  if (at + 1 >= parts.length) {
    return { reason: "private-use 'x' needs at least one subtag after it", duplicate: null };
  }
  return { reason: null, duplicate: null };
}

/** Returns null when `s` is a well-formed BCP 47 language tag, else a short reason. */
export function checkLanguage(s: string): string | null {
  return analyse(s).reason;
}

/** Like checkLanguage, but also rejects repeated variant subtags and extension singletons. */
export function checkLanguageStrict(s: string): string | null {
  const r = analyse(s);
  return r.reason ?? r.duplicate;
}

export function isValidLanguage(s: string): boolean {
  return analyse(s).reason === null;
}
