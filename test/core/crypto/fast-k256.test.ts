// k256 verification through libsecp256k1 (WebAssembly, `tiny-secp256k1`) once enabled: the same
// verdicts as node:crypto and noble on the interop vectors, on random signatures, on high-S twins
// and on signatures made by another key or over another message. (This file runs in its own
// worker, so enabling the fast path here does not change other test files.)
import { describe, expect, it } from 'vitest';

import { enableFastK256, fastK256Enabled, generatePrivateKey, parseDidKey, publicKeyFromBytes, verifySignature, type KeyType } from '../../../src/core/crypto/index.js';
import { b64, fixture, highSTwin, noble } from './helpers.js';

interface SignatureFixture {
  comment: string;
  messageBase64: string;
  algorithm: 'ES256' | 'ES256K';
  publicKeyDid: string;
  signatureBase64: string;
  validSignature: boolean;
}

describe('fast k256 verification', () => {
  it('is off until enabled, then loads', () => {
    expect(fastK256Enabled()).toBe(false);
    expect(enableFastK256()).toBe(true);
    expect(fastK256Enabled()).toBe(true);
  });

  it('agrees with the interop vectors', () => {
    enableFastK256();
    const vectors = fixture<SignatureFixture[]>('signature-fixtures.json').filter((f) => f.algorithm === 'ES256K');
    expect(vectors.length).toBeGreaterThanOrEqual(3);
    for (const f of vectors) {
      const key = parseDidKey(f.publicKeyDid);
      expect(verifySignature(key, b64(f.messageBase64), b64(f.signatureBase64)).ok, f.comment).toBe(f.validSignature);
    }
  });

  it('agrees with noble on random keys and messages: valid, high-S twin, wrong key, wrong message', () => {
    enableFastK256();
    for (let i = 0; i < 40; i++) {
      const key = generatePrivateKey('k256');
      const other = generatePrivateKey('k256');
      const message = new TextEncoder().encode(`message ${i} ${'x'.repeat(i * 7)}`);
      const sig = key.sign(message);
      const pub = parseDidKey(key.publicKey.did());
      expect(verifySignature(pub, message, sig).ok).toBe(true);
      expect(noble.k256.verify(sig, message, pub.compressed, { prehash: true, lowS: true, format: 'compact' })).toBe(true);
      const high = highSTwin(sig, 'k256');
      const r = verifySignature(pub, message, high);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/high-S/);
      expect(verifySignature(parseDidKey(other.publicKey.did()), message, sig).ok).toBe(false);
      const tampered = message.slice();
      tampered[0] = (tampered[0] as number) ^ 1;
      expect(verifySignature(pub, tampered, sig).ok).toBe(false);
    }
  });

  it('decompresses keys as noble does, and rejects compressed points that are not on the curve (k256 by libsecp256k1, p256 by OpenSSL)', () => {
    enableFastK256();
    for (const type of ['k256', 'p256'] as KeyType[]) {
      let rejected = 0;
      for (let i = 0; i < 30; i++) {
        const pub = generatePrivateKey(type).publicKey;
        const key = publicKeyFromBytes(type, pub.compressed) as unknown as { uncompressed(): Uint8Array };
        expect(Buffer.from(key.uncompressed()).toString('hex')).toBe(Buffer.from(noble[type].Point.fromBytes(pub.compressed).toBytes(false)).toString('hex'));
        const bad = pub.compressed.slice();
        bad[32] = (bad[32] as number) ^ 0x5a;
        let nobleOk = true;
        try {
          noble[type].Point.fromBytes(bad).assertValidity();
        } catch {
          nobleOk = false;
        }
        if (!nobleOk) {
          rejected++;
          expect(() => publicKeyFromBytes(type, bad)).toThrow(/not a valid/);
        } else {
          expect(publicKeyFromBytes(type, bad).compressed).toEqual(bad);
        }
      }
      expect(rejected).toBeGreaterThan(0);
    }
  });
});
