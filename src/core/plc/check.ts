/**
 * A did:plc checked against its directory (PLC spec, https://web.plc.directory/spec/v0.1/did-plc):
 * the whole audit log replayed (signatures, prev chain, rotation-key authority, nullification), and
 * the document the directory serves compared with the one the log's head derives.
 */
import { isAtcliError } from '../errors.js';
import { verifyAuditLog, type AuditHead, type AuditLogVerification } from './audit.js';
import { compareDidDocuments, type PlcDirectoryClient } from './directory.js';
import { documentFromOperation } from './document.js';
import { operationLabel } from './submit.js';

export interface PlcIdentityCheck {
  did: string;
  valid: boolean;
  log: AuditLogVerification;
  /** the directory's current document against the log's head; null when the log has no head */
  document: { matches: boolean; differences: string[] } | null;
  /** the log's problems, then the document's differences */
  problems: string[];
}

/** What the directory serves compared with what `head` derives. */
async function compareServedDocument(client: PlcDirectoryClient, did: string, head: AuditHead): Promise<string[]> {
  let served: Record<string, unknown> | undefined;
  try {
    served = await client.getDocument(did);
  } catch (err) {
    if (!isAtcliError(err) || err.code !== 'DidNotFound') throw err;
  }
  if (head.tombstoned) {
    return served === undefined ? [] : [`the log ends in a tombstone (${operationLabel(head.index, head.cid)}), but the directory still serves a DID document`];
  }
  if (served === undefined) return [`the directory serves no DID document, but the log's head ${operationLabel(head.index, head.cid)} is active`];
  return compareDidDocuments(documentFromOperation(did, head.data!), served);
}

/** Fetches the audit log and the document of `did` and checks both. Network errors throw. */
export async function verifyPlcIdentity(client: PlcDirectoryClient, did: string): Promise<PlcIdentityCheck> {
  const log = verifyAuditLog(did, await client.getAuditLog(did));
  const differences = log.head === undefined ? null : await compareServedDocument(client, did, log.head);
  const problems = [...log.problems, ...(differences ?? []).map((d) => `DID document: ${d}`)];
  return {
    did,
    valid: problems.length === 0,
    log,
    document: differences === null ? null : { matches: differences.length === 0, differences },
    problems,
  };
}
