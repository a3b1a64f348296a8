import { AtcliError, usage } from '../errors.js';
import type { KeyType } from './curves.js';
import { parseLegacyMultibaseKey, parsePublicKey, type PublicKey } from './public-key.js';

export type PublicKeyForm = 'did:key' | 'multikey' | 'legacy';

/**
 * Parses a public key in any form a user may paste: did:key, multikey, or the legacy raw-point
 * multibase of old DID documents (65-byte uncompressed or 33-byte compressed). A legacy value
 * carries no curve, so it is tried on both; a point lies on at most one of them in practice.
 */
export function parseAnyPublicKey(text: string, opts: { type?: KeyType } = {}): { key: PublicKey; form: PublicKeyForm } {
  const t = text.trim();
  try {
    return { key: parsePublicKey(t), form: t.startsWith('did:key:') ? 'did:key' : 'multikey' };
  } catch (err) {
    if (!t.startsWith('z') || !(err instanceof AtcliError)) throw err;
    const found: PublicKey[] = [];
    const vmTypes = { k256: 'EcdsaSecp256k1VerificationKey2019', p256: 'EcdsaSecp256r1VerificationKey2019' } as const;
    for (const vmType of opts.type ? [vmTypes[opts.type]] : Object.values(vmTypes)) {
      try {
        found.push(parseLegacyMultibaseKey(vmType, t));
      } catch {
        // not a point on this curve
      }
    }
    if (found.length === 1) return { key: found[0] as PublicKey, form: 'legacy' };
    if (found.length === 2) {
      throw usage('AmbiguousKeyType', 'this looks like a legacy raw-point key, and the point is valid on both k256 and p256', {
        hint: "name the curve, k256 or p256 (the DID document's verification method type tells)",
      });
    }
    throw err;
  }
}
