/**
 * The verdict on a DID's PLC log: the audit-log replay (audit.ts), which operations were
 * nullified and by which, and — when the log comes from the directory — whether the directory
 * serves the DID document the log derives. See docs/plc-operations.md.
 */
import { invalid, isAtcliError, usage } from '../errors.js';
import { checkDidPlc } from '../syntax/index.js';
import { capList } from '../util/capped-list.js';
import { verifyAuditLog, type AuditLogVerification } from './audit.js';
import { compareDidDocuments, type PlcDirectoryClient } from './directory.js';
import { documentFromOperation } from './document.js';
import { headSummary, type HeadSummary } from './history.js';
import { quoteValue } from './operation.js';
import { operationLabel } from './submit.js';

/** The DID document the directory serves: the document, or null when it serves none (unknown or deactivated). */
export type ServedDocument = Record<string, unknown> | null;

export interface NullifiedOperation {
  index: number;
  cid: string;
  createdAt: string;
  nullifiedBy: { index: number; cid: string } | null;
}

export interface DocumentComparison {
  checked: true;
  matches: boolean;
  /** Capped. */
  differences: string[];
  differencesOmitted: number;
}

export interface PlcLogReport {
  did: string;
  /** The log verifies and, when compared, the directory serves the document it derives. */
  valid: boolean;
  source: 'file' | 'directory';
  /** How many operations the log holds. */
  operations: number;
  /** Capped. */
  nullified: NullifiedOperation[];
  nullifiedOmitted: number;
  head: HeadSummary | null;
  /** Null when not compared (an audit-log file, or a log with no active operation). */
  document: DocumentComparison | null;
  /** Capped, each with its own capped problems. */
  invalidOperations: Array<{ index: number; cid: string; problems: string[]; problemsOmitted: number }>;
  invalidOperationsOmitted: number;
  /** The replay's problems, then the document's differences; capped. */
  problems: string[];
  problemsOmitted: number;
  warnings: string[];
  warningsOmitted: number;
}

/** What differs between the document the log derives and the one the directory serves. */
function documentDifferences(v: AuditLogVerification, served: ServedDocument): string[] {
  const head = v.head!;
  const label = operationLabel(head.index, head.cid);
  if (head.tombstoned) return served === null ? [] : [`the log ends in a tombstone (${label}), but the directory still serves a DID document`];
  if (served === null || head.data === null) return [`the directory serves no DID document, but the log's head ${label} is active`];
  return compareDidDocuments(documentFromOperation(v.did, head.data), served);
}

/**
 * The report on the audit log `entries` of `did`. With `served` (what the directory serves for the
 * DID), the document the log derives is compared with it; without, the log alone is judged.
 */
export function plcLogReport(did: string, entries: readonly unknown[], served?: ServedDocument): PlcLogReport {
  const v = verifyAuditLog(did, entries);
  const nullifier = new Map<string, { index: number; cid: string }>();
  for (const o of v.operations) for (const c of o.nullifies ?? []) nullifier.set(c, { index: o.index, cid: o.cid });
  const nullified = capList(
    v.operations.filter((r) => r.nullified).map((r) => ({ index: r.index, cid: r.cid, createdAt: r.createdAt, nullifiedBy: nullifier.get(r.cid) ?? null })),
  );
  let document: DocumentComparison | null = null;
  let differences: string[] = [];
  if (served !== undefined && v.head !== undefined) {
    differences = documentDifferences(v, served);
    const listed = capList(differences);
    document = { checked: true, matches: differences.length === 0, differences: listed.items, differencesOmitted: listed.omitted };
  }
  const problems = capList([...v.problems, ...differences.map((d) => `DID document: ${d}`)]);
  const problemCount = v.problems.length + v.problemsOmitted + differences.length;
  const invalid = capList(
    v.operations.filter((r) => !r.valid).map((r) => ({ index: r.index, cid: r.cid, problems: r.problems, problemsOmitted: r.problemsOmitted })),
  );
  return {
    did,
    valid: problemCount === 0,
    source: served === undefined ? 'file' : 'directory',
    operations: v.operations.length,
    nullified: nullified.items,
    nullifiedOmitted: nullified.omitted,
    head: headSummary(v),
    document,
    invalidOperations: invalid.items,
    invalidOperationsOmitted: invalid.omitted,
    problems: problems.items,
    problemsOmitted: problemCount - problems.items.length,
    warnings: v.warnings,
    warningsOmitted: v.warningsOmitted,
  };
}

/** Fetches the audit log of `did` and the document the directory serves for it, and reports on both. */
export async function verifyAtDirectory(client: PlcDirectoryClient, did: string): Promise<PlcLogReport> {
  const entries = await client.getAuditLog(did);
  let served: ServedDocument;
  try {
    served = await client.getDocument(did);
  } catch (err) {
    if (!isAtcliError(err) || err.code !== 'DidNotFound') throw err;
    served = null;
  }
  return plcLogReport(did, entries, served);
}

/**
 * An audit log read from a file: a JSON array of entries, and the DID it belongs to — the one
 * given, else the first entry's. Throws invalid 'InvalidAuditLog', usage 'MissingDid' and
 * 'InvalidDid'.
 */
export function auditLogFromFile(json: unknown, givenDid?: string): { did: string; entries: unknown[] } {
  if (!Array.isArray(json)) throw invalid('InvalidAuditLog', 'not an audit log: expected a JSON array of {did, operation, cid, nullified, createdAt}');
  const first = json[0] as { did?: unknown } | undefined;
  const did = givenDid ?? (typeof first?.did === 'string' ? first.did : undefined);
  if (did === undefined) throw usage('MissingDid', 'cannot tell which DID the audit log belongs to: its first entry names none');
  const reason = checkDidPlc(did);
  if (reason !== null) throw usage('InvalidDid', `the audit log's DID ${quoteValue(did)} is not a valid did:plc: ${reason}`);
  return { did, entries: json };
}
