/**
 * Optional faster secp256k1 (k256) verification through libsecp256k1 compiled to WebAssembly (the
 * `tiny-secp256k1` package). OpenSSL has no optimised path for this curve, so node:crypto verifies
 * a k256 signature about 1.5× slower; bulk verifiers (the firehose) turn this on once with
 * {@link enableFastK256}. Loading compiles about 1.2 MB of WebAssembly (tens of milliseconds), so
 * it is never loaded implicitly: a single verification stays on node:crypto.
 *
 * The package is loaded with `createRequire` and a computed name, so bundlers leave it alone and
 * Node finds it (and its .wasm file) in node_modules at run time. When it cannot be loaded,
 * verification simply stays on node:crypto.
 *
 * The strict byte checks (64 bytes, r and s in range, low-S) run before either path
 * (`checkSignatureBytes`); libsecp256k1's own `strict` mode rejects high-S as well.
 */
import { createRequire } from 'node:module';
import * as nodeCrypto from 'node:crypto';

interface TinySecp256k1 {
  verify(hash: Uint8Array, point: Uint8Array, signature: Uint8Array, strict?: boolean): boolean;
  pointCompress(point: Uint8Array, compressed: boolean): Uint8Array;
}

let lib: TinySecp256k1 | null | undefined;
const PACKAGE = ['tiny', 'secp256k1'].join('-');

type HashFn = (algorithm: string, data: Uint8Array, encoding: 'latin1') => string;
const oneShotHash: HashFn | undefined =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function' ? (nodeCrypto as unknown as { hash: HashFn }).hash : undefined;
const digest = new Uint8Array(32);

/**
 * Load libsecp256k1 (WebAssembly) for k256 verification. `resolveFrom` is a file URL or path to
 * resolve the package from (default: this module's location). Returns whether it is in use.
 */
export function enableFastK256(resolveFrom?: string | URL): boolean {
  if (lib !== undefined) return lib !== null;
  try {
    const loaded = createRequire(resolveFrom ?? import.meta.url)(PACKAGE) as Partial<TinySecp256k1>;
    lib = typeof loaded.verify === 'function' && typeof loaded.pointCompress === 'function' ? (loaded as TinySecp256k1) : null;
  } catch {
    lib = null;
  }
  return lib !== null;
}

/** Whether k256 signatures are verified by libsecp256k1. */
export function fastK256Enabled(): boolean {
  return lib !== undefined && lib !== null;
}

/**
 * Verify a 64-byte compact signature over SHA-256(`message`) with the 65-byte uncompressed
 * point, or undefined when the fast path is not loaded. The caller has run the byte checks.
 */
export function verifyK256Fast(point: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | undefined {
  if (lib === undefined || lib === null) return undefined;
  if (oneShotHash) {
    const s = oneShotHash('sha256', message, 'latin1');
    for (let i = 0; i < 32; i++) digest[i] = s.charCodeAt(i);
  } else {
    digest.set(nodeCrypto.createHash('sha256').update(message).digest());
  }
  try {
    return lib.verify(digest, point, signature, true);
  } catch {
    return false;
  }
}

/**
 * The 65-byte uncompressed form of a 33-byte compressed k256 point (which libsecp256k1 checks is
 * on the curve): null when it is not a valid point, undefined when the fast path is not loaded.
 */
export function decompressK256Fast(point: Uint8Array): Uint8Array | null | undefined {
  if (lib === undefined || lib === null) return undefined;
  try {
    const out = lib.pointCompress(point, false);
    return out.length === 65 ? out : null;
  } catch {
    return null;
  }
}
