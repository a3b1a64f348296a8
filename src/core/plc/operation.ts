/**
 * PLC operations (https://web.plc.directory/spec/v0.1/did-plc): strict parsing, DAG-CBOR bytes
 * for signing and hashing, CIDs, signatures and DID derivation from a signed genesis operation.
 */
import { invalid, type AtcliError } from '../errors.js';
import { base32Encode, cidForCbor, encodeCbor, parseCid, sha256, type CborValue } from '../codec/index.js';
import { parseDidKey, verifySignature, type PrivateKey, type PublicKey } from '../crypto/index.js';
import { decodeSignature, encodeBase64Url } from './encoding.js';
import { redactSecrets } from './keys.js';
import type {
  AnyOperation,
  Operation,
  OperationData,
  PlcService,
  UnsignedOperation,
} from './types.js';

export const OPERATION_TYPES = ['plc_operation', 'plc_tombstone', 'create'] as const;

const FIELDS: Readonly<Record<(typeof OPERATION_TYPES)[number], readonly string[]>> = {
  plc_operation: ['type', 'rotationKeys', 'verificationMethods', 'alsoKnownAs', 'services', 'prev', 'sig'],
  plc_tombstone: ['type', 'prev', 'sig'],
  create: ['type', 'signingKey', 'recoveryKey', 'handle', 'service', 'prev', 'sig'],
};

/** Short, single-line rendering of an untrusted value for messages. */
export function quoteValue(value: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  s = redactSecrets(s);
  if (s.length > max) s = `${s.slice(0, max - 1)}…`;
  return s;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

function badOp(rawField: string, message: string): AtcliError {
  const field = redactSecrets(rawField);
  return invalid('InvalidPlcOperation', redactSecrets(`invalid PLC operation: ${field === '' ? '' : `${field}: `}${message}`), {
    details: { field },
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Assign without ever touching a prototype (a `__proto__` key stays an own property). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function fieldPath(parent: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function needString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw badOp(field, `must be a string, got ${typeName(v)}`);
  return v;
}

function needStringArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw badOp(field, `must be an array of strings, got ${typeName(v)}`);
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) out.push(needString(v[i], `${field}[${i}]`));
  return out;
}

function needStringMap(v: unknown, field: string): Record<string, string> {
  if (!isPlainObject(v)) throw badOp(field, `must be an object mapping names to strings, got ${typeName(v)}`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) setOwn(out, k, needString(val, fieldPath(field, k)));
  return out;
}

function needServices(v: unknown, field: string): Record<string, PlcService> {
  if (!isPlainObject(v)) throw badOp(field, `must be an object mapping names to {type, endpoint}, got ${typeName(v)}`);
  const out: Record<string, PlcService> = {};
  for (const [k, val] of Object.entries(v)) {
    const path = fieldPath(field, k);
    if (!isPlainObject(val)) throw badOp(path, `must be an object {type, endpoint}, got ${typeName(val)}`);
    for (const key of Object.keys(val)) {
      if (key !== 'type' && key !== 'endpoint') {
        throw badOp(path, `unexpected field ${quoteValue(key)} (a service has only "type" and "endpoint")`);
      }
    }
    if (!hasOwn(val, 'type')) throw badOp(path, 'missing field "type"');
    if (!hasOwn(val, 'endpoint')) throw badOp(path, 'missing field "endpoint"');
    setOwn(out, k, { type: needString(val['type'], `${path}.type`), endpoint: needString(val['endpoint'], `${path}.endpoint`) });
  }
  return out;
}

/** Null when `s` is a CID string of the form PLC uses (CIDv1, dag-cbor, sha2-256, base32 'b…'). */
export function checkOperationCid(s: string): string | null {
  let cid;
  try {
    cid = parseCid(s);
  } catch (err) {
    return err instanceof Error ? err.message : 'not a CID';
  }
  if (!cid.isBlessed) return `${quoteValue(s)} is not a CIDv1 dag-cbor sha2-256 CID`;
  if (cid.toString() !== s) return `${quoteValue(s)} is not in canonical base32 form (expected ${cid.toString()})`;
  return null;
}

function needPrev(v: unknown, field: string, nullable: boolean): string | null {
  if (v === null) {
    if (!nullable) throw badOp(field, 'must be the CID of the previous operation, got null');
    return null;
  }
  if (typeof v !== 'string') throw badOp(field, `must be a CID string${nullable ? ' or null' : ''}, got ${typeName(v)}`);
  const reason = checkOperationCid(v);
  if (reason !== null) throw badOp(field, reason);
  return v;
}

/** Whether and how `sig` is expected by the parser. */
export type SigRequirement = 'required' | 'optional' | 'absent';

export interface ParseOperationOptions {
  /** Default 'required'. 'absent' refuses a signed operation; 'optional' accepts either. */
  sig?: SigRequirement;
}

function checkSigField(obj: Record<string, unknown>, req: SigRequirement): string | undefined {
  if (!hasOwn(obj, 'sig')) {
    if (req === 'required') throw badOp('sig', 'missing field "sig" (the operation is not signed)');
    return undefined;
  }
  if (req === 'absent') throw badOp('sig', 'the operation is already signed (remove "sig" to sign it again)');
  const sig = needString(obj['sig'], 'sig');
  const decoded = decodeSignature(sig);
  if (!decoded.ok) throw badOp('sig', decoded.reason);
  return sig;
}

function parseAny(json: unknown, req: SigRequirement): AnyOperation {
  if (!isPlainObject(json)) throw badOp('', `an operation must be a JSON object, got ${typeName(json)}`);
  if (!hasOwn(json, 'type')) throw badOp('type', 'missing field "type"');
  const type = json['type'];
  if (type !== 'plc_operation' && type !== 'plc_tombstone' && type !== 'create') {
    throw badOp('type', `unknown operation type ${quoteValue(type)} (expected plc_operation, plc_tombstone or create)`);
  }
  const allowed = FIELDS[type];
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) {
      throw badOp(key, `unexpected field ${quoteValue(key)}; a ${type} operation has only: ${allowed.join(', ')}`);
    }
  }
  for (const key of allowed) {
    if (key === 'sig') continue;
    if (!hasOwn(json, key)) {
      if (key === 'prev' && type !== 'plc_tombstone') {
        throw badOp(
          'prev',
          'missing field "prev": a genesis operation must carry "prev": null explicitly (omitting it changes the DID hash)',
        );
      }
      throw badOp(key, `missing field ${quoteValue(key)}`);
    }
  }
  const sig = checkSigField(json, req);
  let op: AnyOperation;
  if (type === 'plc_operation') {
    op = {
      type,
      rotationKeys: needStringArray(json['rotationKeys'], 'rotationKeys'),
      verificationMethods: needStringMap(json['verificationMethods'], 'verificationMethods'),
      alsoKnownAs: needStringArray(json['alsoKnownAs'], 'alsoKnownAs'),
      services: needServices(json['services'], 'services'),
      prev: needPrev(json['prev'], 'prev', true),
    };
  } else if (type === 'plc_tombstone') {
    op = { type, prev: needPrev(json['prev'], 'prev', false)! };
  } else {
    if (json['prev'] !== null) {
      throw badOp('prev', `a legacy "create" operation is genesis-only; prev must be null, got ${quoteValue(json['prev'])}`);
    }
    op = {
      type,
      signingKey: needString(json['signingKey'], 'signingKey'),
      recoveryKey: needString(json['recoveryKey'], 'recoveryKey'),
      handle: needString(json['handle'], 'handle'),
      service: needString(json['service'], 'service'),
      prev: null,
    };
  }
  if (sig !== undefined) (op as Operation).sig = sig;
  try {
    encodeCbor(op as unknown as CborValue);
  } catch (err) {
    throw badOp('', `cannot be encoded as DAG-CBOR: ${err instanceof Error ? err.message : String(err)}`);
  }
  return op;
}

/**
 * Parse a signed operation (parsed JSON) with strict shape checks: known type, exactly the
 * fields of that type, field types, `prev` present (null for genesis) and a CIDv1
 * dag-cbor string otherwise, `sig` a strict unpadded base64url 64-byte value.
 * Returns a fresh copy. Throws invalid 'InvalidPlcOperation' naming the field.
 */
export function parseOperation(json: unknown): Operation {
  return parseAny(json, 'required') as Operation;
}

/**
 * Like {@link parseOperation} but for an operation that may or may not be signed
 * (`options.sig`: 'optional' (default here) or 'absent').
 */
export function parseAnyOperation(json: unknown, options: ParseOperationOptions = {}): AnyOperation {
  return parseAny(json, options.sig ?? 'optional');
}

/** Parse an operation that must not carry a signature yet. */
export function parseUnsignedOperation(json: unknown): UnsignedOperation {
  return parseAny(json, 'absent') as UnsignedOperation;
}

/** True when the operation carries a `sig` field. */
export function isSigned(op: AnyOperation): op is Operation {
  return typeof (op as { sig?: unknown }).sig === 'string';
}

/** The operation without `sig` (a fresh object holding only the fields of its type). */
export function withoutSig(op: AnyOperation): UnsignedOperation {
  switch (op.type) {
    case 'plc_operation':
      return {
        type: op.type,
        rotationKeys: op.rotationKeys,
        verificationMethods: op.verificationMethods,
        alsoKnownAs: op.alsoKnownAs,
        services: op.services,
        prev: op.prev,
      };
    case 'plc_tombstone':
      return { type: op.type, prev: op.prev };
    case 'create':
      return {
        type: op.type,
        signingKey: op.signingKey,
        recoveryKey: op.recoveryKey,
        handle: op.handle,
        service: op.service,
        prev: null,
      };
    default:
      throw badOp('type', `unknown operation type ${quoteValue((op as { type?: unknown }).type)}`);
  }
}

function encodeOp(value: AnyOperation): Uint8Array {
  try {
    return encodeCbor(value as unknown as CborValue);
  } catch (err) {
    throw badOp('', `cannot be encoded as DAG-CBOR: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** DAG-CBOR of the operation with the `sig` key absent (not null): the bytes that are signed. */
export function unsignedBytes(op: AnyOperation): Uint8Array {
  return encodeOp(withoutSig(op));
}

/** DAG-CBOR of the signed operation: the bytes that are hashed for the CID and the DID. */
export function signedBytes(op: Operation): Uint8Array {
  if (!isSigned(op)) throw badOp('sig', 'the operation is not signed');
  return encodeOp({ ...withoutSig(op), sig: op.sig } as Operation);
}

/** CIDv1 dag-cbor sha2-256 of the signed operation, base32 ('bafyrei…'): what `prev` refers to. */
export function operationCid(op: Operation): string {
  return cidForCbor(signedBytes(op)).toString();
}

/**
 * The rotation keys an operation grants (the keys allowed to sign the *next* operation):
 * `rotationKeys`; `[recoveryKey, signingKey]` for a legacy create; none for a tombstone.
 */
export function operationRotationKeys(op: AnyOperation): string[] {
  if (op.type === 'plc_operation') return [...op.rotationKeys];
  if (op.type === 'create') return [op.recoveryKey, op.signingKey];
  return [];
}

/** True for a genesis (creation) operation: `prev` is null and it is not a tombstone. */
export function isGenesis(op: AnyOperation): boolean {
  return op.type !== 'plc_tombstone' && op.prev === null;
}

/**
 * `did:plc:` + the first 24 characters of base32-lower(sha256(DAG-CBOR of the signed genesis
 * operation)). Throws invalid 'NotGenesisOperation' for a tombstone or an operation with a
 * `prev`, and 'InvalidPlcOperation' for an unsigned one.
 */
export function didForGenesis(op: Operation): string {
  if (!isGenesis(op)) {
    throw invalid(
      'NotGenesisOperation',
      op.type === 'plc_tombstone'
        ? 'a tombstone is never a genesis operation; it has no DID of its own'
        : 'only a genesis operation (prev: null) determines a DID',
    );
  }
  const suffix = base32Encode(sha256(signedBytes(op))).slice(0, 24);
  if (!/^[a-z2-7]{24}$/.test(suffix)) {
    throw invalid('InvalidPlcOperation', 'internal error: DID suffix is not 24 base32 characters');
  }
  return `did:plc:${suffix}`;
}

/**
 * Sign an operation with a rotation key: ECDSA-SHA256 over {@link unsignedBytes}, 64-byte compact
 * low-S, base64url without padding. Any existing `sig` is replaced. The result is verified
 * against the key's own public key before it is returned. Whether the key is *authorised* for
 * the operation's `prev` is a separate check ({@link verifyOperationSignature}).
 */
export function signOperation(op: AnyOperation, privateKey: PrivateKey): Operation {
  let input: unknown = op;
  if (isPlainObject(op) && hasOwn(op, 'sig')) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(op)) if (k !== 'sig') setOwn(copy, k, v);
    input = copy;
  }
  const unsigned = parseUnsignedOperation(input);
  const message = unsignedBytes(unsigned);
  const sigBytes = privateKey.sign(message);
  const check = verifySignature(privateKey.publicKey, message, sigBytes);
  if (!check.ok) {
    throw invalid('SigningFailed', `the new signature does not verify: ${check.reason}`);
  }
  return { ...unsigned, sig: encodeBase64Url(sigBytes) } as Operation;
}

export interface SignatureVerification {
  ok: boolean;
  /** Index in the given key list of the first key that verifies the signature. */
  keyIndex?: number;
  /** That key (did:key). */
  key?: string;
  /** Why verification failed. */
  reason?: string;
}

/**
 * Check `op.sig` against `rotationKeys` (in order; the first key that verifies wins, as in the
 * Go implementation, github.com/did-method-plc/go-didplc). The signature must be strict base64url
 * of a 64-byte compact low-S ECDSA signature over {@link unsignedBytes}. Never throws for bad input.
 */
export function verifyOperationSignature(op: AnyOperation, rotationKeys: readonly string[]): SignatureVerification {
  const sig = (op as { sig?: unknown }).sig;
  if (typeof sig !== 'string') return { ok: false, reason: 'the operation is not signed' };
  if (sig.length === 0) return { ok: false, reason: 'the signature is empty' };
  const decoded = decodeSignature(sig);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  if (rotationKeys.length === 0) {
    return { ok: false, reason: 'there are no rotation keys that could sign it (an empty key list, or a tombstone)' };
  }
  let message: Uint8Array;
  try {
    message = unsignedBytes(op);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const notes: string[] = [];
  for (let i = 0; i < rotationKeys.length; i++) {
    const didKey = rotationKeys[i]!;
    let pub: PublicKey;
    try {
      pub = parseDidKey(didKey);
    } catch (err) {
      notes.push(`rotation key #${i} is not a usable p256/k256 did:key (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    const result = verifySignature(pub, message, decoded.bytes);
    if (result.ok) return { ok: true, keyIndex: i, key: didKey };
    if (result.reason !== 'signature does not match the message and public key') {
      const note = `rotation key #${i} (${pub.type}): ${result.reason}`;
      notes.push(note);
    }
  }
  const count = rotationKeys.length;
  const base = `the signature does not verify against any of the ${count} allowed rotation key${count === 1 ? '' : 's'}`;
  return { ok: false, reason: notes.length === 0 ? base : `${base}; ${notes.join('; ')}` };
}

function ensureAtprotoPrefix(handle: string): string {
  if (handle.startsWith('at://')) return handle;
  // As the reference implementation: strip one occurrence of each scheme, then prefix.
  return `at://${handle.replace('http://', '').replace('https://', '')}`;
}

function ensureHttpPrefix(url: string): string {
  if (url.startsWith('http://') || url.startsWith('https://')) return url;
  return `https://${url}`;
}

/**
 * The state an operation sets, with a legacy `create` normalised the way the directory does
 * (`rotationKeys = [recoveryKey, signingKey]`, `verificationMethods.atproto = signingKey`,
 * `alsoKnownAs = ["at://" + handle]`, `services.atproto_pds` with an https-prefixed URL).
 * Null for a tombstone. Returns fresh copies.
 */
export function operationData(op: AnyOperation): OperationData | null {
  if (op.type === 'plc_tombstone') return null;
  if (op.type === 'create') {
    return {
      rotationKeys: [op.recoveryKey, op.signingKey],
      verificationMethods: { atproto: op.signingKey },
      alsoKnownAs: [ensureAtprotoPrefix(op.handle)],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: ensureHttpPrefix(op.service) } },
    };
  }
  const verificationMethods: Record<string, string> = {};
  for (const [k, v] of Object.entries(op.verificationMethods)) setOwn(verificationMethods, k, v);
  const services: Record<string, PlcService> = {};
  for (const [k, v] of Object.entries(op.services)) setOwn(services, k, { type: v.type, endpoint: v.endpoint });
  return {
    rotationKeys: [...op.rotationKeys],
    verificationMethods,
    alsoKnownAs: [...op.alsoKnownAs],
    services,
  };
}
