/**
 * Public keys: parsing (did:key, Multikey, legacy raw-point multibase), encoding, and signature
 * verification (invariants Y1–Y3, K6, J2).
 *
 * Verification runs on node:crypto with a KeyObject built once per key (lazily) from an SPKI DER
 * assembled here, after the byte-level shape/range/low-S checks of `checkSignatureBytes`;
 * noble is used for point validation, (de)compression, key generation and signing.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';

import { invalid, type AtcliError } from '../errors.js';
import { CURVES, curveForLegacyVmType, type CurveInfo, type KeyType } from './curves.js';
import {
  concatBytes,
  decodeBase58btcMultibase,
  keyLengthProblem,
  describeCodec,
  describeMultibasePrefix,
  encodeBase58btcMultibase,
  isPrivateKeyCodec,
  readVarint,
} from './encoding.js';
import { checkSignatureBytes } from './signature.js';

export interface PublicKey {
  readonly type: KeyType;
  /** 33-byte compressed SEC1 point. */
  readonly compressed: Uint8Array;
  /** `did:key:z…` */
  did(): string;
  /** `z…`: base58btc(multicodec varint ‖ compressed point). */
  multikey(): string;
  /**
   * Strict atproto verification: 64-byte compact r‖s, 1 ≤ r,s < n, low-S, DER rejected.
   * SHA-256 of `message` is computed inside.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const VERIFY_OK: VerifyResult = Object.freeze({ ok: true as const });
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const DID_KEY_PREFIX = 'did:key:';

function badKey(message: string, hint?: string): AtcliError {
  return invalid('InvalidPublicKey', message, hint === undefined ? undefined : { hint });
}

function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** The concrete PublicKey. Construct through the parse functions or `publicKeyFromBytes`. */
class EcPublicKey implements PublicKey {
  readonly type: KeyType;
  readonly #curve: CurveInfo;
  readonly #compressed: Uint8Array;
  readonly #uncompressed: Uint8Array;
  #multikey: string | undefined;
  #keyObject: KeyObject | undefined;

  constructor(curve: CurveInfo, compressed: Uint8Array, uncompressed: Uint8Array) {
    this.type = curve.type;
    this.#curve = curve;
    this.#compressed = compressed;
    this.#uncompressed = uncompressed;
  }

  /** A copy of the 33-byte compressed point. */
  get compressed(): Uint8Array {
    return this.#compressed.slice();
  }

  /** A copy of the 65-byte uncompressed point (0x04 ‖ x ‖ y). */
  uncompressed(): Uint8Array {
    return this.#uncompressed.slice();
  }

  get jwtAlg(): 'ES256K' | 'ES256' {
    return this.#curve.jwtAlg;
  }

  multikey(): string {
    this.#multikey ??= encodeBase58btcMultibase(concatBytes(this.#curve.pubCodec, this.#compressed));
    return this.#multikey;
  }

  did(): string {
    return DID_KEY_PREFIX + this.multikey();
  }

  /** The node:crypto KeyObject for this key, built on first use. */
  keyObject(): KeyObject {
    this.#keyObject ??= createPublicKey({
      key: Buffer.from(concatBytes(this.#curve.spkiPrefix, this.#uncompressed)),
      format: 'der',
      type: 'spki',
    });
    return this.#keyObject;
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return verifySignature(this, message, signature).ok;
  }

  equals(other: PublicKey): boolean {
    if (other.type !== this.type) return false;
    const c = other instanceof EcPublicKey ? other.#compressed : other.compressed;
    if (c.length !== this.#compressed.length) return false;
    for (let i = 0; i < c.length; i++) if (c[i] !== this.#compressed[i]) return false;
    return true;
  }

  toString(): string {
    return this.did();
  }

  toJSON(): string {
    return this.did();
  }

  [INSPECT](): string {
    return `PublicKey(${this.type} ${this.did()})`;
  }
}

/**
 * Validate a SEC1 point (33-byte compressed or 65-byte uncompressed) on `curve` and build the key.
 * `what` names the source in messages ("did:key", "publicKeyMultibase", …).
 */
function keyFromPoint(curve: CurveInfo, point: Uint8Array, what: string): EcPublicKey {
  if (point.length !== 33 && point.length !== 65) {
    throw badKey(`${what} holds a ${point.length}-byte point; expected 33 (compressed) or 65 (uncompressed)`);
  }
  let allZero = true;
  for (let i = 0; i < point.length; i++) {
    if (point[i] !== 0) {
      allZero = false;
      break;
    }
  }
  if (allZero) {
    throw badKey(`${what} is the all-zero point (identity / point at infinity), not a valid ${curve.label} key`);
  }
  const prefix = point[0]!;
  if (point.length === 33 && prefix !== 0x02 && prefix !== 0x03) {
    throw badKey(`${what}: a compressed point must start with 0x02 or 0x03 (got ${hexByte(prefix)})`);
  }
  if (point.length === 65 && prefix !== 0x04) {
    throw badKey(`${what}: an uncompressed point must start with 0x04 (got ${hexByte(prefix)})`);
  }
  let compressed: Uint8Array;
  let uncompressed: Uint8Array;
  try {
    const P = curve.noble.Point.fromBytes(point);
    P.assertValidity();
    if (P.is0()) throw new Error('identity');
    compressed = P.toBytes(true);
    uncompressed = P.toBytes(false);
  } catch {
    throw badKey(`${what} is not a valid ${curve.label} point (not on the curve, or a coordinate is out of range)`);
  }
  return new EcPublicKey(curve, compressed, uncompressed);
}

/** Build a public key from a raw SEC1 point (33 or 65 bytes) of a known curve. */
export function publicKeyFromBytes(type: KeyType, point: Uint8Array): PublicKey {
  return keyFromPoint(CURVES[type], point, `${type} public key`);
}

interface MultikeyOptions {
  /** Accept a multicodec key that carries a 65-byte uncompressed point (normalised to compressed). */
  readonly allowUncompressed: boolean;
}

function parseMultikeyBody(text: string, what: string, options: MultikeyOptions): EcPublicKey {
  if (text.length === 0) throw badKey(`${what} is empty`);
  if (text[0] !== 'z') {
    throw badKey(
      `${what} must use the base58btc multibase prefix 'z'; got ${describeMultibasePrefix(text)}`,
      'atproto key strings are z + base58btc (e.g. zQ3s… for k256, zDnae… for p256).',
    );
  }
  const tooLong = keyLengthProblem(text);
  if (tooLong !== null) throw badKey(`${what} ${tooLong}`);
  const bytes = decodeBase58btcMultibase(text);
  if (bytes === null) throw badKey(`${what} is not valid base58btc after the 'z' prefix`);
  const codec = readVarint(bytes);
  if (codec === null) throw badKey(`${what} does not start with a valid multicodec varint`);
  let curve: CurveInfo | undefined;
  if (codec.value === CURVES.k256.pubCodecValue) curve = CURVES.k256;
  else if (codec.value === CURVES.p256.pubCodecValue) curve = CURVES.p256;
  if (curve === undefined) {
    if (isPrivateKeyCodec(codec.value)) {
      throw badKey(
        `${what} uses multicodec ${describeCodec(codec.value)}: that is a private key, not a public key`,
        'Never share a private key; use the public did:key / multikey derived from it.',
      );
    }
    throw badKey(
      `${what} uses unsupported multicodec ${describeCodec(codec.value)}; atproto keys are k256 (0xe7) or p256 (0x1200)`,
    );
  }
  const pointLength = bytes.length - codec.length;
  const expected = codec.length + 33;
  if (pointLength === 65 && options.allowUncompressed) {
    return keyFromPoint(curve, bytes.subarray(codec.length), what);
  }
  if (pointLength !== 33) {
    throw badKey(
      `${what} decodes to ${bytes.length} bytes; expected ${expected} (${codec.length}-byte multicodec + 33-byte compressed point)`,
      pointLength === 65 ? 'This key carries an uncompressed point; atproto requires the compressed form.' : undefined,
    );
  }
  return keyFromPoint(curve, bytes.subarray(codec.length), what);
}

/**
 * Parse `did:key:z…` (multicodec 0xe7 k256 / 0x1200 p256, 33-byte compressed point, 35 bytes in all).
 * Throws invalid 'InvalidPublicKey'.
 */
export function parseDidKey(s: string): PublicKey {
  if (typeof s !== 'string' || !s.startsWith(DID_KEY_PREFIX)) {
    throw badKey('not a did:key (it must start with "did:key:")');
  }
  return parseMultikeyBody(s.slice(DID_KEY_PREFIX.length), 'did:key', { allowUncompressed: false });
}

/** Parse a Multikey `z…` value (as in a `Multikey` verification method). Throws invalid 'InvalidPublicKey'. */
export function parseMultikey(s: string): PublicKey {
  if (typeof s !== 'string') throw badKey('multikey must be a string');
  return parseMultikeyBody(s, 'multikey', { allowUncompressed: false });
}

/**
 * Parse the deprecated `publicKeyMultibase` of an `EcdsaSecp256k1VerificationKey2019` /
 * `EcdsaSecp256r1VerificationKey2019` verification method: 'z' + base58btc(raw SEC1 point, no
 * multicodec). Both 65-byte uncompressed (what spec:did says) and 33-byte compressed (what the
 * interop fixtures carry) are accepted. Only the 'z' multibase.
 */
export function parseLegacyMultibaseKey(vmType: string, publicKeyMultibase: string): PublicKey {
  const curve = curveForLegacyVmType(vmType);
  if (curve === undefined) {
    throw badKey(
      `unsupported legacy verification method type ${JSON.stringify(String(vmType)).slice(0, 80)}; expected ` +
        `${CURVES.k256.legacyVmType} or ${CURVES.p256.legacyVmType}`,
    );
  }
  const what = `${vmType} publicKeyMultibase`;
  if (typeof publicKeyMultibase !== 'string' || publicKeyMultibase.length === 0) {
    throw badKey(`${what} is missing or empty`);
  }
  if (publicKeyMultibase[0] !== 'z') {
    throw badKey(`${what} must use the base58btc multibase prefix 'z'; got ${describeMultibasePrefix(publicKeyMultibase)}`);
  }
  const tooLong = keyLengthProblem(publicKeyMultibase);
  if (tooLong !== null) throw badKey(`${what} ${tooLong}`);
  const bytes = decodeBase58btcMultibase(publicKeyMultibase);
  if (bytes === null) throw badKey(`${what} is not valid base58btc after the 'z' prefix`);
  if (bytes.length !== 33 && bytes.length !== 65) {
    const codec = readVarint(bytes);
    const looksMultikey =
      bytes.length === 35 &&
      codec !== null &&
      (codec.value === CURVES.k256.pubCodecValue || codec.value === CURVES.p256.pubCodecValue);
    throw badKey(
      `${what} decodes to ${bytes.length} bytes; a legacy key is a raw point of 65 (uncompressed) or 33 (compressed) bytes`,
      looksMultikey ? 'The value carries a multicodec prefix: that is the Multikey form (use type "Multikey").' : undefined,
    );
  }
  return keyFromPoint(curve, bytes, what);
}

/**
 * Parse user-supplied public key text: `did:key:z…` or a multikey `z…`. Surrounding whitespace is
 * trimmed, and a multicodec key carrying a 65-byte uncompressed point is accepted and compressed.
 */
export function parsePublicKey(text: string): PublicKey {
  if (typeof text !== 'string') throw badKey('public key must be a string');
  const t = text.trim();
  if (t.startsWith(DID_KEY_PREFIX)) {
    return parseMultikeyBody(t.slice(DID_KEY_PREFIX.length), 'did:key', { allowUncompressed: true });
  }
  if (t.startsWith('did:')) {
    throw badKey('a public key DID must be a did:key', 'To get an account\'s signing key, resolve its DID document.');
  }
  if (t.startsWith('z')) return parseMultikeyBody(t, 'multikey', { allowUncompressed: true });
  throw badKey(
    `public key must be a did:key:z… or a multikey z…; got ${describeMultibasePrefix(t)}`,
    'atproto public keys look like did:key:zQ3s… (k256) or did:key:zDnae… (p256).',
  );
}

/**
 * Public key of a DID document verification method: `{type: 'Multikey', publicKeyMultibase}` or one
 * of the legacy types (Y2). Anything else throws invalid 'InvalidPublicKey'.
 */
export function publicKeyFromVerificationMethod(vm: unknown): PublicKey {
  if (typeof vm !== 'object' || vm === null || Array.isArray(vm)) {
    throw badKey('verification method must be an object');
  }
  const { type, publicKeyMultibase } = vm as { type?: unknown; publicKeyMultibase?: unknown };
  if (typeof type !== 'string') throw badKey('verification method has no string "type"');
  if (typeof publicKeyMultibase !== 'string') {
    const jwk = (vm as { publicKeyJwk?: unknown }).publicKeyJwk !== undefined;
    throw badKey(
      `verification method has no string "publicKeyMultibase"${jwk ? ' (publicKeyJwk is not supported in atproto)' : ''}`,
    );
  }
  if (type === 'Multikey') return parseMultikeyBody(publicKeyMultibase, 'Multikey publicKeyMultibase', { allowUncompressed: false });
  if (curveForLegacyVmType(type) !== undefined) return parseLegacyMultibaseKey(type, publicKeyMultibase);
  throw badKey(
    `unsupported verification method type ${JSON.stringify(type).slice(0, 80)}; expected Multikey, ` +
      `${CURVES.k256.legacyVmType} or ${CURVES.p256.legacyVmType}`,
  );
}

const foreignKeys = new WeakMap<PublicKey, EcPublicKey>();

function concrete(publicKey: PublicKey): EcPublicKey {
  if (publicKey instanceof EcPublicKey) return publicKey;
  let k = foreignKeys.get(publicKey);
  if (k === undefined) {
    k = keyFromPoint(CURVES[publicKey.type], publicKey.compressed, `${publicKey.type} public key`);
    foreignKeys.set(publicKey, k);
  }
  return k;
}

/** The reason of a well-formed signature that the key did not make. */
export const SIGNATURE_MISMATCH = 'signature does not match the message and public key';

/**
 * Verify an atproto ECDSA signature over SHA-256(message): shape/range/low-S checks, then
 * node:crypto. Never throws for bad signatures; the reason says what was wrong.
 */
export function verifySignature(publicKey: PublicKey, message: Uint8Array, sig: Uint8Array): VerifyResult {
  const reason = checkSignatureBytes(sig, publicKey.type);
  if (reason !== null) return { ok: false, reason };
  let ok: boolean;
  try {
    ok = nodeVerify('sha256', message, { key: concrete(publicKey).keyObject(), dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    ok = false;
  }
  return ok ? VERIFY_OK : { ok: false, reason: SIGNATURE_MISMATCH };
}

/** Internal: wrap an already-validated compressed/uncompressed pair (used by private keys). */
export function publicKeyFromTrustedPoint(type: KeyType, compressed: Uint8Array, uncompressed: Uint8Array): PublicKey {
  return new EcPublicKey(CURVES[type], compressed, uncompressed);
}
