/**
 * Lexicon references: `#name` (a def in the same file), `nsid` (that file's `main`) and
 * `nsid#name`. Canonical form, as used in `$type`: `nsid` for main, `nsid#name` otherwise.
 */
import { checkNsid } from '../syntax/index.js';

const DEF_NAME = /^[^\s#]+$/;

/** Null when `ref` is a syntactically valid reference, else the reason. */
export function checkRef(ref: string): string | null {
  if (ref.length === 0) return 'reference is empty';
  const hash = ref.indexOf('#');
  if (hash === 0) {
    const name = ref.slice(1);
    if (name.length === 0) return 'local reference has no name after "#"';
    if (!DEF_NAME.test(name)) return `definition name ${JSON.stringify(name)} contains whitespace or "#"`;
    return null;
  }
  const nsid = hash < 0 ? ref : ref.slice(0, hash);
  const reason = checkNsid(nsid);
  if (reason !== null) return `${JSON.stringify(nsid)} is not a valid NSID: ${reason}`;
  if (hash >= 0) {
    const name = ref.slice(hash + 1);
    if (name.length === 0) return 'reference has no name after "#"';
    if (!DEF_NAME.test(name)) return `definition name ${JSON.stringify(name)} contains whitespace or "#"`;
  }
  return null;
}

/** Expands `ref` against the file it appears in, in canonical form (`nsid` for main). */
export function expandRef(ref: string, baseNsid: string): string {
  const full = ref.startsWith('#') ? `${baseNsid}${ref}` : ref;
  return full.endsWith('#main') ? full.slice(0, -5) : full;
}

/** Splits a canonical or full reference into NSID and def name (`main` when absent). */
export function splitRef(full: string): { nsid: string; name: string } {
  const hash = full.indexOf('#');
  if (hash < 0) return { nsid: full, name: 'main' };
  return { nsid: full.slice(0, hash), name: full.slice(hash + 1) };
}

/** Canonical reference to def `name` of `nsid`. */
export function refTo(nsid: string, name: string): string {
  return name === 'main' ? nsid : `${nsid}#${name}`;
}
