/**
 * A DID's history as people read it: every operation of its audit log with its verdict from the
 * replay (audit.ts), the rotation key that signed it, what nullified it, and what it changed in
 * the state of the operation it extends.
 */
import { capList } from '../util/capped-list.js';
import { verifyAuditLog, type AuditLogVerification, type AuditOperationReport } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import { operationData, parseOperation } from './operation.js';
import type { OperationData, OperationType } from './types.js';
import { diffOperationData } from './update.js';

export interface HeadSummary {
  index: number;
  cid: string;
  createdAt: string;
  type: OperationType;
  tombstoned: boolean;
}

export function headSummary(v: AuditLogVerification): HeadSummary | null {
  const h = v.head;
  return h === undefined ? null : { index: h.index, cid: h.cid, createdAt: h.createdAt, type: h.type, tombstoned: h.tombstoned };
}

export interface HistoryOperation {
  index: number;
  createdAt: string;
  cid: string;
  type: OperationType | 'unknown';
  prev: string | null;
  signedBy: { keyIndex: number; key: string } | null;
  nullified: boolean;
  /** Index of the operation that nullified this one. */
  nullifiedBy: number | null;
  /** CIDs this operation nullified. */
  nullifies: string[];
  valid: boolean;
  /** What it changed in the state of the operation its prev names, one line each; capped. */
  changes: string[];
  changesOmitted: number;
  /** Capped, like the replay's. */
  problems: string[];
  problemsOmitted: number;
  warnings: string[];
  warningsOmitted: number;
}

export interface PlcHistory {
  did: string;
  /** The whole log verifies. */
  valid: boolean;
  head: HeadSummary | null;
  operations: HistoryOperation[];
  problems: string[];
  problemsOmitted: number;
  warnings: string[];
  warningsOmitted: number;
}

/**
 * The history of `did` from its audit log (checked with verifyAuditLog). An operation whose state
 * or whose prev's state cannot be read has no changes listed (its problems say why).
 */
export function historyOfAuditLog(did: string, entries: readonly unknown[]): PlcHistory {
  const v = verifyAuditLog(did, entries);
  const states = new Map<string, OperationData | null>();
  for (const r of v.operations) {
    try {
      states.set(r.cid, operationData(parseOperation((entries[r.index] as { operation?: unknown }).operation)));
    } catch {
      // the replay reports it
    }
  }
  const nullifiedBy = new Map<string, number>();
  for (const r of v.operations) for (const c of r.nullifies ?? []) nullifiedBy.set(c, r.index);
  const changesOf = (r: AuditOperationReport): string[] => {
    const after = states.get(r.cid);
    const prev = r.prev ?? null;
    const before = prev === null ? null : states.get(prev);
    if (after === undefined || before === undefined) return [];
    return diffOperationData(before, after).map((c) => c.message);
  };
  return {
    did,
    valid: v.valid,
    head: headSummary(v),
    operations: v.operations.map((r) => {
      const changes = capList(changesOf(r));
      return {
        index: r.index,
        createdAt: r.createdAt,
        cid: r.cid,
        type: r.type,
        prev: r.prev ?? null,
        signedBy: r.signedBy ?? null,
        nullified: r.nullified,
        nullifiedBy: nullifiedBy.get(r.cid) ?? null,
        nullifies: r.nullifies ?? [],
        valid: r.valid,
        changes: changes.items,
        changesOmitted: changes.omitted,
        problems: r.problems,
        problemsOmitted: r.problemsOmitted,
        warnings: r.warnings,
        warningsOmitted: r.warningsOmitted,
      };
    }),
    problems: v.problems,
    problemsOmitted: v.problemsOmitted,
    warnings: v.warnings,
    warningsOmitted: v.warningsOmitted,
  };
}

/** The history of `did` from the directory's audit log. */
export async function plcHistory(client: PlcDirectoryClient, did: string): Promise<PlcHistory> {
  return historyOfAuditLog(did, await client.getAuditLog(did));
}
