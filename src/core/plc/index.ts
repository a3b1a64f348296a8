/**
 * did:plc, offline: operation types and strict parsing, DAG-CBOR signing bytes and CIDs,
 * signatures, DID derivation, the DID document, build-time validation, audit-log replay, and
 * building / diffing updates (https://web.plc.directory/spec/v0.1/did-plc; docs/plc-operations.md).
 * Imports: codec, crypto, syntax (and errors).
 */
export type {
  AnyOperation,
  AuditLogEntry,
  DidDocService,
  DidDocVerificationMethod,
  LegacyCreate,
  Operation,
  OperationData,
  OperationType,
  PlcData,
  PlcDidDocument,
  PlcOperation,
  PlcService,
  PlcTombstone,
  UnsignedLegacyCreate,
  UnsignedOperation,
  UnsignedPlcOperation,
  UnsignedPlcTombstone,
} from './types.js';
export {
  OPERATION_TYPES,
  checkOperationCid,
  didForGenesis,
  isGenesis,
  isSigned,
  operationCid,
  operationData,
  operationRotationKeys,
  parseAnyOperation,
  parseOperation,
  parseUnsignedOperation,
  signOperation,
  signedBytes,
  unsignedBytes,
  verifyOperationSignature,
  withoutSig,
  type ParseOperationOptions,
  type SigRequirement,
  type SignatureVerification,
} from './operation.js';
export {
  SIGNATURE_BYTES,
  SIGNATURE_CHARS,
  compareTimestamps,
  decodeBase64UrlStrict,
  decodeSignature,
  encodeBase64Url,
  parseTimestamp,
  type Base64UrlResult,
  type Timestamp,
} from './encoding.js';
export { DID_KEY_SYNTAX_RE, didKeyKind, safeKeyText } from './keys.js';
export {
  DID_CONTEXT,
  K256_CONTEXT,
  MULTIKEY_CONTEXT,
  P256_CONTEXT,
  dataFromOperation,
  documentFromOperation,
} from './document.js';
export {
  ATPROTO_PDS_SERVICE,
  ATPROTO_PDS_TYPE,
  ATPROTO_VERIFICATION_METHOD,
  DIRECTORY_MAX_ROTATION_KEYS,
  PLC_LIMITS,
  RECOVERY_WINDOW_MS,
  SIGNATURE_CBOR_OVERHEAD,
  SPEC_MAX_OPERATION_BYTES,
  buildErrors,
  checkOperationDataLimits,
  checkOperationForBuild,
  checkPdsEndpoint,
  formatBuildIssue,
  lockoutProblem,
  type BuildIssue,
  type CheckOperationOptions,
  type PlcLimits,
} from './validate.js';
export {
  authorityForPrev,
  checkNextOperation,
  verifyAuditLog,
  type PrevAuthority,
  type AuditHead,
  type AuditLogVerification,
  type AuditOperationReport,
} from './audit.js';
export {
  buildGenesis,
  buildTombstone,
  buildUpdate,
  diffOperationData,
  type PlcChange,
  type PlcGenesisInput,
  type PlcUpdateEdits,
} from './update.js';
export { verifyPlcIdentity, type PlcIdentityCheck } from './check.js';
export { operationFileDid, operationFileText, parseOperationFile, type OperationFile } from './operation-file.js';
