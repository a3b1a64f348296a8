/**
 * atproto cryptography: p256 and k256 keys, did:key / Multikey / legacy encodings, and strict
 * ECDSA-SHA256 signatures (64-byte compact, low-S). See spec:cryptography, spec:did
 * "Legacy Representation".
 */
export { KEY_TYPES, JWT_ALG, isKeyType, type KeyType } from './curves.js';
export { checkSignatureBytes, isLowS, sha256 } from './signature.js';
export {
  parseDidKey,
  parseLegacyMultibaseKey,
  parseMultikey,
  parsePublicKey,
  publicKeyFromBytes,
  publicKeyFromVerificationMethod,
  verifySignature,
  SIGNATURE_MISMATCH,
  type PublicKey,
  type VerifyResult,
} from './public-key.js';
export {
  generatePrivateKey,
  parsePrivateKey,
  privateKeyFromBytes,
  type ParsePrivateKeyOptions,
  type PrivateKey,
} from './private-key.js';
export { parseAnyPublicKey, type PublicKeyForm } from './detect.js';
export { describeKeyText, parseKeyText, parsePrivateKeyText, type KeyDescription, type KeyLayout, type KeyTextOptions, type ParsedKeyText } from './key-text.js';
export { KEY_FILE_MAX_BYTES, readPrivateKeyFile, writePrivateKeyFile, type WrittenKeyFile } from './key-file.js';
export { MAX_KEY_BYTES, MAX_KEY_MULTIBASE_CHARS } from './encoding.js';
export { enableFastK256, fastK256Enabled } from './fast-k256.js';
