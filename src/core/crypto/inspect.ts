import type { KeyType } from './curves.js';
import { parseAnyPublicKey, type PublicKeyForm } from './detect.js';
import { parsePrivateKeyText } from './key-text.js';
import { parsePrivateKey } from './private-key.js';

export interface KeyInspection {
  type: KeyType;
  /** did:key of the public key. */
  publicKey: string;
  multikey: string;
  private: boolean;
  /** How the input was encoded: did:key, multikey, legacy raw point, or a private key. */
  form: PublicKeyForm | 'private-multikey';
}

function isPrivateKeyText(text: string): boolean {
  if (text.startsWith('{') || /^[0-9a-fA-F]{64}$/.test(text)) return true;
  try {
    parsePrivateKey(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Any key text: a public key in every form atproto uses, or a private key in every form atcli
 * reads (multikey, hex with its curve, the JSON of a generated key pair).
 */
export function inspectKeyText(text: string, opts: { type?: KeyType } = {}): KeyInspection {
  const trimmed = text.trim();
  if (isPrivateKeyText(trimmed)) {
    const key = parsePrivateKeyText(trimmed, { ...opts, source: 'the key' });
    return { type: key.type, publicKey: key.publicKey.did(), multikey: key.publicKey.multikey(), private: true, form: 'private-multikey' };
  }
  const { key, form } = parseAnyPublicKey(trimmed, opts);
  return { type: key.type, publicKey: key.did(), multikey: key.multikey(), private: false, form };
}
