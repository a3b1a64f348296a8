/**
 * A project's own schemas as the network would see them: the file's JSON exactly as written
 * (without `$type`), its parsed document, and the CID the `com.atproto.lexicon.schema` record
 * made from it would have — so "is the published version the same?" is one CID comparison.
 */
import { cidOfJsonRecord } from '../repo/records.js';
import { isAtcliError } from '../errors.js';
import type { JsonObject } from '../codec/index.js';
import { findLexiconFiles, readTextFile } from './files.js';
import { parseLexiconText } from './parse.js';
import { LEXICON_COLLECTION } from './resolve.js';
import type { LexiconDocument } from './types.js';

export interface LocalSchema {
  file: string;
  nsid: string;
  /** The file's JSON, without `$type`. */
  json: JsonObject;
  document: LexiconDocument;
  /** CID of the schema record this file would publish. */
  cid: string;
}

export interface LocalSchemas {
  schemas: LocalSchema[];
  /** Files that are not valid Lexicons (or repeat an NSID), with why. */
  skipped: Array<{ file: string; reason: string }>;
}

/** The record a schema is published as: its JSON plus `$type`. */
export function schemaRecord(json: JsonObject): JsonObject {
  const { $type: _type, ...rest } = json;
  return { $type: LEXICON_COLLECTION, ...rest };
}

/** CID of the record a schema JSON would be published as. */
export function schemaRecordCid(json: JsonObject): string {
  return cidOfJsonRecord(schemaRecord(json)).toString();
}

/** Reads every Lexicon file under `paths` (sorted by NSID); invalid ones are skipped with the reason. */
export async function readLocalSchemas(paths: readonly string[]): Promise<LocalSchemas> {
  const schemas: LocalSchema[] = [];
  const skipped: LocalSchemas['skipped'] = [];
  const owners = new Map<string, string>();
  for (const file of await findLexiconFiles(paths)) {
    let parsed;
    try {
      parsed = parseLexiconText(await readTextFile(file), { source: file });
    } catch (err) {
      if (isAtcliError(err) && (err.code === 'InvalidJson' || err.code === 'InvalidUtf8')) {
        skipped.push({ file, reason: err.message });
        continue;
      }
      throw err;
    }
    if (!parsed.ok) {
      skipped.push({ file, reason: parsed.errors.map((e) => `${e.path || '(document)'}: ${e.message}`).join('; ') });
      continue;
    }
    const nsid = parsed.document.id;
    const first = owners.get(nsid);
    if (first !== undefined) {
      skipped.push({ file, reason: `${nsid} is also declared by ${first}` });
      continue;
    }
    const { $type: _type, ...json } = parsed.json as JsonObject;
    let cid: string;
    try {
      cid = schemaRecordCid(json);
    } catch (err) {
      skipped.push({ file, reason: `cannot be encoded as a record: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    owners.set(nsid, file);
    schemas.push({ file, nsid, json, document: parsed.document, cid });
  }
  schemas.sort((a, b) => (a.nsid < b.nsid ? -1 : a.nsid > b.nsid ? 1 : 0));
  return { schemas, skipped };
}
