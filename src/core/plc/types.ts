/**
 * did:plc operation and state types (https://web.plc.directory/spec/v0.1/did-plc, "Operation
 * Serialization").
 *
 * Field sets are strict: `parseOperation` rejects any field not listed here. `prev` is a CID
 * *string* (never a CBOR link) and a genesis operation carries `prev: null` explicitly.
 */

/** One entry of `services`: `{type, endpoint}` and nothing else. */
export interface PlcService {
  type: string;
  endpoint: string;
}

/** A regular create/update operation without its signature. */
export interface UnsignedPlcOperation {
  type: 'plc_operation';
  /** Priority order: index 0 has the highest authority. */
  rotationKeys: string[];
  /** Name (no `#`) → did:key. */
  verificationMethods: Record<string, string>;
  alsoKnownAs: string[];
  /** Name (no `#`) → service. */
  services: Record<string, PlcService>;
  /** CID string of the operation this one extends; null for a genesis operation. */
  prev: string | null;
}

export interface PlcOperation extends UnsignedPlcOperation {
  /** base64url (no padding) of the 64-byte compact low-S ECDSA signature. */
  sig: string;
}

/** Deactivation. Never a genesis operation; nothing may extend it. */
export interface UnsignedPlcTombstone {
  type: 'plc_tombstone';
  prev: string;
}

export interface PlcTombstone extends UnsignedPlcTombstone {
  sig: string;
}

/** The deprecated genesis-only format (still the first entry of many old logs). */
export interface UnsignedLegacyCreate {
  type: 'create';
  signingKey: string;
  recoveryKey: string;
  /** Bare handle, no `at://`. */
  handle: string;
  /** PDS URL (normalised with an `https://` prefix when it has no scheme). */
  service: string;
  prev: null;
}

export interface LegacyCreate extends UnsignedLegacyCreate {
  sig: string;
}

/** A signed operation of any of the three types. */
export type Operation = PlcOperation | PlcTombstone | LegacyCreate;
/** An operation of any type without its `sig`. */
export type UnsignedOperation = UnsignedPlcOperation | UnsignedPlcTombstone | UnsignedLegacyCreate;
/** Signed or not. */
export type AnyOperation = Operation | UnsignedOperation;

export type OperationType = Operation['type'];

/** The identity state an operation sets (everything but the DID). Legacy `create` is normalised. */
export interface OperationData {
  rotationKeys: string[];
  verificationMethods: Record<string, string>;
  alsoKnownAs: string[];
  services: Record<string, PlcService>;
}

/** What `GET /{did}/data` returns. */
export interface PlcData extends OperationData {
  did: string;
}

/** One entry of `GET /{did}/log/audit`. */
export interface AuditLogEntry {
  did: string;
  operation: unknown;
  cid: string;
  nullified: boolean;
  createdAt: string;
}

export interface DidDocVerificationMethod {
  id: string;
  type: 'Multikey';
  controller: string;
  publicKeyMultibase: string;
}

export interface DidDocService {
  id: string;
  type: string;
  serviceEndpoint: string;
}

/** The DID document the directory renders from operation data. */
export interface PlcDidDocument {
  '@context': string[];
  id: string;
  alsoKnownAs: string[];
  verificationMethod: DidDocVerificationMethod[];
  service: DidDocService[];
}
