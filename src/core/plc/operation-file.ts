/**
 * The file an operation travels in between building, signing and submitting it.
 *
 * An update does not name the DID it is for (its `prev` points into a log the directory keys by
 * DID), so the file carries the DID beside the operation:
 *
 *     { "did": "did:plc:…", "operation": { "type": "plc_operation", …, "prev": "bafy…" } }
 *
 * Only `operation` is ever signed or sent to the directory. A bare operation (what the directory
 * serves, or what another tool wrote) is read as well, without a DID. A DID given separately must
 * match the file's. See docs/plc-operation-file.md.
 */
import { invalid, usage } from '../errors.js';
import { checkDidPlc } from '../syntax/index.js';
import { didForGenesis, isGenesis, isSigned, parseAnyOperation, quoteValue, type ParseOperationOptions } from './operation.js';
import type { AnyOperation } from './types.js';

export interface OperationFile {
  /** The DID the operation is for, when the file says (a wrapped file), else null. */
  did: string | null;
  operation: AnyOperation;
  /** The file is the `{did, operation}` wrapper, not a bare operation. */
  wrapped: boolean;
}

function badFile(message: string): Error {
  return invalid('InvalidOperationFile', `invalid operation file: ${message}`);
}

/**
 * Reads parsed JSON that is either the `{did, operation}` wrapper or a bare operation (strictly
 * parsed, `options.sig` as for parseAnyOperation). A signed genesis operation in a wrapper must
 * name the DID it creates.
 */
export function parseOperationFile(json: unknown, options: ParseOperationOptions = {}): OperationFile {
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (!isObject || !Object.hasOwn(json, 'operation')) {
    return { did: null, operation: parseAnyOperation(json, { sig: options.sig ?? 'optional' }), wrapped: false };
  }
  const obj = json as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== 'did' && k !== 'operation');
  if (extra.length > 0) throw badFile(`unexpected field ${quoteValue(extra[0])}; the file holds only "did" and "operation"`);
  const did = obj['did'];
  if (typeof did !== 'string') throw badFile('"did" must be the did:plc the operation is for');
  const reason = checkDidPlc(did);
  if (reason !== null) throw badFile(`"did" ${quoteValue(did)} is not a did:plc: ${reason}`);
  const operation = parseAnyOperation(obj['operation'], { sig: options.sig ?? 'optional' });
  if (isGenesis(operation) && isSigned(operation)) {
    const created = didForGenesis(operation);
    if (created !== did) throw badFile(`the genesis operation creates ${created}, but the file says it is for ${did}`);
  }
  return { did, operation, wrapped: true };
}

/**
 * The DID an operation file is for: the one given separately (which must be a valid did:plc and
 * agree with the file), else the file's, else the DID a signed genesis operation creates. Undefined
 * when nothing says (a bare update with no DID given). Throws usage 'InvalidDid' and
 * 'OperationDidMismatch'.
 */
export function operationFileDid(file: OperationFile, given?: string): string | undefined {
  if (given !== undefined) {
    const reason = checkDidPlc(given);
    if (reason !== null) throw usage('InvalidDid', `invalid did:plc ${quoteValue(given)}: ${reason}`);
    if (file.did !== null && file.did !== given) {
      throw usage('OperationDidMismatch', `the operation file is for ${file.did}, not ${given}`);
    }
    return given;
  }
  if (file.did !== null) return file.did;
  if (isGenesis(file.operation) && isSigned(file.operation)) return didForGenesis(file.operation);
  return undefined;
}

/**
 * The JSON text to write: the `{did, operation}` wrapper when the DID is known, else the bare
 * operation. Ends with a newline.
 */
export function operationFileText(operation: AnyOperation, did: string | null | undefined): string {
  return `${JSON.stringify(did ? { did, operation } : operation, null, 2)}\n`;
}
