/**
 * A set of Lexicon documents keyed by NSID, resolving references across files.
 */
import { invalid } from '../errors.js';
import { expandRef, refTo, splitRef } from './refs.js';
import type { LexUserType, LexiconDocument } from './types.js';

export interface ResolvedDef {
  /** Canonical reference (`nsid` for main, `nsid#name`). */
  ref: string;
  nsid: string;
  name: string;
  def: LexUserType;
  document: LexiconDocument;
}

export interface CatalogEntry {
  document: LexiconDocument;
  source?: string;
}

export interface AddOptions {
  source?: string;
  /** Replace a document already in the catalog with the same id (default: throw). */
  replace?: boolean;
}

export class LexiconCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  /** Builds a catalog from documents (later documents replace earlier ones with the same id). */
  static from(documents: Iterable<LexiconDocument>): LexiconCatalog {
    const c = new LexiconCatalog();
    for (const d of documents) c.add(d, { replace: true });
    return c;
  }

  /**
   * Adds a parsed document. A second document with the same id throws invalid
   * 'DuplicateLexicon' unless `replace` is set.
   */
  add(document: LexiconDocument, options: AddOptions = {}): void {
    const existing = this.entries.get(document.id);
    if (existing !== undefined && options.replace !== true) {
      throw invalid('DuplicateLexicon', `two Lexicon documents declare ${document.id}${existing.source && options.source ? ` (${existing.source} and ${options.source})` : ''}`, {
        hint: 'each NSID must be defined by exactly one file',
      });
    }
    this.entries.set(document.id, options.source === undefined ? { document } : { document, source: options.source });
  }

  has(nsid: string): boolean {
    return this.entries.has(nsid);
  }

  get(nsid: string): LexiconDocument | undefined {
    return this.entries.get(nsid)?.document;
  }

  /** Where a document came from (a file path or URI), when known. */
  sourceOf(nsid: string): string | undefined {
    return this.entries.get(nsid)?.source;
  }

  /** Every NSID in the catalog, sorted. */
  nsids(): string[] {
    return [...this.entries.keys()].sort();
  }

  get size(): number {
    return this.entries.size;
  }

  documents(): LexiconDocument[] {
    return this.nsids().map((n) => this.entries.get(n)!.document);
  }

  /**
   * Resolves `ref` (`#name` relative to `from`, `nsid`, `nsid#name`, `nsid#main`) to its
   * definition, or undefined when the document or the def is missing.
   */
  resolve(ref: string, from?: string): ResolvedDef | undefined {
    if (ref.startsWith('#') && from === undefined) return undefined;
    const full = expandRef(ref, from ?? '');
    const { nsid, name } = splitRef(full);
    const document = this.entries.get(nsid)?.document;
    if (document === undefined) return undefined;
    if (!Object.prototype.hasOwnProperty.call(document.defs, name)) return undefined;
    const def = document.defs[name]!;
    return { ref: refTo(nsid, name), nsid, name, def, document };
  }
}
