/**
 * Per-curve constants for the two atproto curves (spec:cryptography): noble handles, the group
 * order n and ⌊n/2⌋ as 32 big-endian bytes (for the BigInt-free range and low-S checks), the SPKI
 * DER prefix used to hand an uncompressed point to node:crypto, and the multicodec varints.
 */
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { ECDSA } from '@noble/curves/abstract/weierstrass.js';

export type KeyType = 'k256' | 'p256';

export const KEY_TYPES: readonly KeyType[] = ['k256', 'p256'];

export function isKeyType(value: unknown): value is KeyType {
  return value === 'k256' || value === 'p256';
}

type NobleEcdsa = ECDSA;

export interface CurveInfo {
  readonly type: KeyType;
  /** Human name for messages, e.g. "secp256k1 (k256)". */
  readonly label: string;
  /** JOSE / JWT `alg` for ECDSA with SHA-256 on this curve. */
  readonly jwtAlg: 'ES256K' | 'ES256';
  readonly noble: NobleEcdsa;
  /** Group order n, 32 bytes big-endian. */
  readonly n: Uint8Array;
  /** ⌊n/2⌋, 32 bytes big-endian: a signature is low-S when s ≤ this. */
  readonly halfN: Uint8Array;
  /** SubjectPublicKeyInfo DER up to (and including) the BIT STRING's unused-bits byte; append the 65-byte point. */
  readonly spkiPrefix: Uint8Array;
  /** The same for a 33-byte compressed point. */
  readonly spkiCompressedPrefix: Uint8Array;
  /** Varint-encoded multicodec of the public key (`secp256k1-pub` 0xe7, `p256-pub` 0x1200). */
  readonly pubCodec: Uint8Array;
  readonly pubCodecValue: number;
  /** Varint-encoded multicodec of the private key (`secp256k1-priv` 0x1301, `p256-priv` 0x1306). */
  readonly privCodec: Uint8Array;
  readonly privCodecValue: number;
  /** `verificationMethod.type` of the deprecated raw-point representation (spec:did "Legacy Representation"). */
  readonly legacyVmType: string;
}

function bigintTo32Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

function makeCurve(
  type: KeyType,
  label: string,
  jwtAlg: 'ES256K' | 'ES256',
  noble: NobleEcdsa,
  spkiPrefixHex: string,
  spkiCompressedPrefixHex: string,
  pubCodec: [number, number],
  pubCodecValue: number,
  privCodec: [number, number],
  privCodecValue: number,
  legacyVmType: string,
): CurveInfo {
  const order = noble.Point.CURVE().n;
  return Object.freeze({
    type,
    label,
    jwtAlg,
    noble,
    n: bigintTo32Bytes(order),
    halfN: bigintTo32Bytes(order >> 1n),
    spkiPrefix: hex(spkiPrefixHex),
    spkiCompressedPrefix: hex(spkiCompressedPrefixHex),
    pubCodec: Uint8Array.from(pubCodec),
    pubCodecValue,
    privCodec: Uint8Array.from(privCodec),
    privCodecValue,
    legacyVmType,
  });
}

export const CURVES: Readonly<Record<KeyType, CurveInfo>> = Object.freeze({
  // SEQUENCE { SEQUENCE { id-ecPublicKey, secp256k1 (1.3.132.0.10) }, BIT STRING (66 bytes) }
  k256: makeCurve(
    'k256',
    'secp256k1 (k256)',
    'ES256K',
    secp256k1,
    '3056301006072a8648ce3d020106052b8104000a034200',
    '3036301006072a8648ce3d020106052b8104000a032200',
    [0xe7, 0x01],
    0xe7,
    [0x81, 0x26],
    0x1301,
    'EcdsaSecp256k1VerificationKey2019',
  ),
  // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 (1.2.840.10045.3.1.7) }, BIT STRING (66 bytes) }
  p256: makeCurve(
    'p256',
    'P-256 (p256)',
    'ES256',
    p256,
    '3059301306072a8648ce3d020106082a8648ce3d030107034200',
    '3039301306072a8648ce3d020106082a8648ce3d030107032200',
    [0x80, 0x24],
    0x1200,
    [0x86, 0x26],
    0x1306,
    'EcdsaSecp256r1VerificationKey2019',
  ),
});

/** `Multikey` or a legacy VM type → curve, for the legacy types only. */
export function curveForLegacyVmType(vmType: string): CurveInfo | undefined {
  if (vmType === CURVES.k256.legacyVmType) return CURVES.k256;
  if (vmType === CURVES.p256.legacyVmType) return CURVES.p256;
  return undefined;
}

/** JOSE `alg` for each key type. */
export const JWT_ALG: Readonly<Record<KeyType, 'ES256K' | 'ES256'>> = Object.freeze({
  k256: 'ES256K',
  p256: 'ES256',
});
