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

/**
 * NSIDs of the other Lexicons a document depends on: the targets of its `ref`s and union
 * members (what validating data against it needs), sorted, without the document's own id.
 */
export function referencedNsids(doc: { id: string; defs: unknown }): string[] {
  const out = new Set<string>();
  const add = (ref: unknown): void => {
    if (typeof ref !== 'string' || ref.startsWith('#') || checkRef(ref) !== null) return;
    const { nsid } = splitRef(expandRef(ref, doc.id));
    if (nsid !== doc.id) out.add(nsid);
  };
  const seen = new Set<unknown>();
  const walk = (node: unknown, depth: number): void => {
    if (typeof node !== 'object' || node === null || depth > 64 || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    const o = node as Record<string, unknown>;
    if (o.type === 'ref') add(o.ref);
    if (o.type === 'union' && Array.isArray(o.refs)) for (const r of o.refs) add(r);
    for (const v of Object.values(o)) walk(v, depth + 1);
  };
  walk(doc.defs, 0);
  return [...out].sort();
}
