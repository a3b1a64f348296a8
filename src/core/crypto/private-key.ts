/**
 * Private keys: generation, parsing (private multikey or hex), signing (RFC 6979, low-S, compact).
 * The secret bytes live in a private field and never appear in messages, toString, JSON or
 * util.inspect output.
 */
import { invalid, usage, type AtcliError } from '../errors.js';
import { CURVES, isKeyType, type CurveInfo, type KeyType } from './curves.js';
import {
  concatBytes,
  decodeBase58btcMultibase,
  keyLengthProblem,
  describeCodec,
  describeMultibasePrefix,
  encodeBase58btcMultibase,
  readVarint,
} from './encoding.js';
import { publicKeyFromTrustedPoint, type PublicKey } from './public-key.js';

export interface PrivateKey {
  readonly type: KeyType;
  readonly publicKey: PublicKey;
  /** 64-byte compact r‖s, low-S, over SHA-256(message) (deterministic, RFC 6979). */
  sign(message: Uint8Array): Uint8Array;
  /** Private multikey: 'z' + base58btc(varint(0x1301 secp256k1-priv | 0x1306 p256-priv) ‖ 32 bytes). */
  multikey(): string;
  /** The 32-byte scalar as 64 lowercase hex characters (for tools that want raw hex). */
  hex(): string;
}

export interface ParsePrivateKeyOptions {
  /** Curve of a hex key (required for hex); for a multikey it must match the encoded type. */
  readonly type?: KeyType;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const REDACTED = '[redacted]';

function badPrivateKey(message: string, hint?: string): AtcliError {
  return invalid('InvalidPrivateKey', message, hint === undefined ? undefined : { hint });
}

class EcPrivateKey implements PrivateKey {
  readonly type: KeyType;
  readonly publicKey: PublicKey;
  readonly #curve: CurveInfo;
  readonly #secret: Uint8Array;

  /** `secret` must already be a valid scalar (1 ≤ d < n); it is copied. */
  constructor(curve: CurveInfo, secret: Uint8Array) {
    this.type = curve.type;
    this.#curve = curve;
    this.#secret = Uint8Array.from(secret);
    const point = curve.noble.Point.BASE.multiply(curve.noble.Point.Fn.fromBytes(this.#secret));
    this.publicKey = publicKeyFromTrustedPoint(curve.type, point.toBytes(true), point.toBytes(false));
  }

  sign(message: Uint8Array): Uint8Array {
    return this.#curve.noble.sign(message, this.#secret, { prehash: true, lowS: true, format: 'compact' });
  }

  multikey(): string {
    return encodeBase58btcMultibase(concatBytes(this.#curve.privCodec, this.#secret));
  }

  hex(): string {
    return Buffer.from(this.#secret).toString('hex');
  }

  toString(): string {
    return `PrivateKey(${this.type}, public ${this.publicKey.did()}, private ${REDACTED})`;
  }

  toJSON(): { type: KeyType; publicKey: string; privateKey: string } {
    return { type: this.type, publicKey: this.publicKey.did(), privateKey: REDACTED };
  }

  [INSPECT](): string {
    return this.toString();
  }
}

function fromScalar(curve: CurveInfo, secret: Uint8Array): PrivateKey {
  if (secret.length !== 32) {
    throw badPrivateKey(`${curve.label} private key must be 32 bytes, got ${secret.length}`);
  }
  if (!curve.noble.utils.isValidSecretKey(secret)) {
    throw badPrivateKey(`not a valid ${curve.label} private key (the scalar must be between 1 and n−1)`);
  }
  return new EcPrivateKey(curve, secret);
}

/** Generate a fresh key pair from the system CSPRNG. */
export function generatePrivateKey(type: KeyType): PrivateKey {
  if (!isKeyType(type)) throw usage('UnknownKeyType', 'key type must be k256 or p256');
  const curve = CURVES[type];
  return new EcPrivateKey(curve, curve.noble.utils.randomSecretKey());
}

/** A private key from its raw 32-byte scalar. Throws invalid 'InvalidPrivateKey'. */
export function privateKeyFromBytes(type: KeyType, bytes: Uint8Array): PrivateKey {
  if (!isKeyType(type)) throw usage('UnknownKeyType', 'key type must be k256 or p256');
  return fromScalar(CURVES[type], bytes);
}

const HEX_KEY = /^(?:0x)?[0-9a-fA-F]{64}$/;

/**
 * Parse a private key: the private multikey form 'z…' (secp256k1-priv 0x1301 / p256-priv 0x1306),
 * or 64 hex characters (optionally 0x-prefixed) with `options.type` saying the curve. Surrounding
 * whitespace is trimmed. Errors never echo the input.
 */
export function parsePrivateKey(text: string, options: ParsePrivateKeyOptions = {}): PrivateKey {
  if (typeof text !== 'string') throw badPrivateKey('private key must be a string');
  const wanted = options.type;
  if (wanted !== undefined && !isKeyType(wanted)) throw usage('UnknownKeyType', 'key type must be k256 or p256');
  const t = text.trim();
  if (t.length === 0) throw badPrivateKey('private key is empty');

  if (HEX_KEY.test(t)) {
    if (wanted === undefined) {
      throw usage('AmbiguousKeyType', 'a hex private key does not say its curve (k256 or p256)', {
        hint: 'Give the key type (k256 or p256) with the key, or use the private multikey form (z…), which carries it.',
      });
    }
    const hex = t.startsWith('0x') ? t.slice(2) : t;
    return fromScalar(CURVES[wanted], Uint8Array.from(Buffer.from(hex, 'hex')));
  }

  if (t.startsWith('did:key:')) {
    throw badPrivateKey('this is a did:key (a public key), not a private key');
  }
  if (t[0] !== 'z') {
    if (/^(?:0x)?[0-9a-fA-F]+$/.test(t)) {
      const digits = t.startsWith('0x') ? t.length - 2 : t.length;
      throw badPrivateKey(`hex private key must be 64 hex characters, got ${digits}`);
    }
    throw badPrivateKey(
      `private key must be a private multikey (z…) or 64 hex characters; got ${describeMultibasePrefix(t)}`,
    );
  }
  const tooLong = keyLengthProblem(t);
  if (tooLong !== null) throw badPrivateKey(`private key ${tooLong}`);
  const bytes = decodeBase58btcMultibase(t);
  if (bytes === null) throw badPrivateKey("private key is not valid base58btc after the 'z' prefix");
  const codec = readVarint(bytes);
  if (codec === null) throw badPrivateKey('private multikey does not start with a valid multicodec varint');
  let curve: CurveInfo | undefined;
  if (codec.value === CURVES.k256.privCodecValue) curve = CURVES.k256;
  else if (codec.value === CURVES.p256.privCodecValue) curve = CURVES.p256;
  if (curve === undefined) {
    if (codec.value === CURVES.k256.pubCodecValue || codec.value === CURVES.p256.pubCodecValue) {
      throw badPrivateKey(`this is a public key (multicodec ${describeCodec(codec.value)}), not a private key`);
    }
    throw badPrivateKey(
      `private multikey uses unsupported multicodec ${describeCodec(codec.value)}; expected secp256k1-priv (0x1301) or p256-priv (0x1306)`,
    );
  }
  const scalar = bytes.subarray(codec.length);
  if (scalar.length !== 32) {
    throw badPrivateKey(
      `private multikey decodes to ${bytes.length} bytes; expected ${codec.length + 32} (${codec.length}-byte multicodec + 32-byte scalar)`,
    );
  }
  if (wanted !== undefined && wanted !== curve.type) {
    throw usage('KeyTypeMismatch', `the private key is ${curve.type}, but ${wanted} was requested`);
  }
  return fromScalar(curve, scalar);
}
