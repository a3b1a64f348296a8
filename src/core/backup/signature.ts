/**
 * The signing keys a saved repository is judged by, from the backup itself (offline): "now" for a
 * snapshot is when it was taken, so the key in force then — by the saved audit log, or the saved
 * DID document for a did:web — counts as current, and every other key of the log as historical
 * (docs/key-history.md). The verdict itself is the shared one (identity/signing-keys.ts).
 */
import type { SigningKeySource } from '../identity/signing-keys.js';
import { keyWindowAt, type SigningKeyHistory } from '../plc/key-history.js';

export type { SignatureStatus, SignatureVerdict } from '../identity/signing-keys.js';

export function savedKeySource(history: SigningKeyHistory | null, documentKey: string | null, takenAt: string): SigningKeySource {
  const inForce = history !== null ? (keyWindowAt(history, takenAt)?.key ?? null) : documentKey;
  return {
    currentKey: async () => inForce,
    keyHistory: async () => history,
    forget: () => undefined,
  };
}
