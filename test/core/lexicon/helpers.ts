// Shared fixtures for the Lexicon tests: the interop vectors and their catalog.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LexiconCatalog, loadLexiconDocument, type LexiconDocument } from '../../../src/core/lexicon/index.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/interop/lexicon/', import.meta.url));
export const SHIPPED = fileURLToPath(new URL('../../../lexicons/', import.meta.url));

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as T;
}

export function interopCatalog(): LexiconCatalog {
  const catalog = new LexiconCatalog();
  for (const name of readdirSync(`${FIXTURES}catalog`).filter((n) => n.endsWith('.json')).sort()) {
    const json: unknown = JSON.parse(readFileSync(`${FIXTURES}catalog/${name}`, 'utf8'));
    catalog.add(loadLexiconDocument(json, { source: name }), { source: name });
  }
  return catalog;
}

/** A minimal valid document around `defs`, for rule tests. */
export function doc(defs: Record<string, unknown>, id = 'com.example.thing'): Record<string, unknown> {
  return { lexicon: 1, id, defs };
}

export function asDoc(json: Record<string, unknown>): LexiconDocument {
  return loadLexiconDocument(json);
}
