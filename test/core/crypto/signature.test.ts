import { createPublicKey, verify as nodeVerify } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  checkSignatureBytes,
  generatePrivateKey,
  isLowS,
  parseDidKey,
  parseLegacyMultibaseKey,
  publicKeyFromVerificationMethod,
  sha256,
  verifySignature,
  type KeyType,
} from '../../../src/core/crypto/index.js';
import { b64, bigintTo32, curveOrder, fixture, highSTwin, noble, toHex, z } from './helpers.js';

interface SignatureFixture {
  comment: string;
  messageBase64: string;
  algorithm: 'ES256' | 'ES256K';
  didDocSuite: string;
  publicKeyDid: string;
  publicKeyMultibase: string;
  signatureBase64: string;
  validSignature: boolean;
  tags: string[];
}

const signatureFixtures = fixture<SignatureFixture[]>('signature-fixtures.json');
const TYPES: KeyType[] = ['k256', 'p256'];

function typeOf(f: SignatureFixture): KeyType {
  return f.algorithm === 'ES256K' ? 'k256' : 'p256';
}

describe('interop signature-fixtures.json', () => {
  it('has the expected vectors', () => {
    expect(signatureFixtures.length).toBeGreaterThanOrEqual(6);
  });

  it.each(signatureFixtures.map((f) => [f.comment, f] as const))('%s', (_comment, f) => {
    const message = b64(f.messageBase64);
    const sig = b64(f.signatureBase64);
    const type = typeOf(f);

    const fromDid = parseDidKey(f.publicKeyDid);
    expect(fromDid.type).toBe(type);
    // The fixture's legacy publicKeyMultibase (compressed, no multicodec) is the same key.
    const fromLegacy = parseLegacyMultibaseKey(f.didDocSuite, f.publicKeyMultibase);
    expect(fromLegacy.did()).toBe(f.publicKeyDid);
    const fromVm = publicKeyFromVerificationMethod({
      id: '#atproto',
      type: f.didDocSuite,
      controller: 'did:plc:x',
      publicKeyMultibase: f.publicKeyMultibase,
    });
    expect(fromVm.did()).toBe(f.publicKeyDid);

    const result = verifySignature(fromDid, message, sig);
    expect(fromDid.verify(message, sig)).toBe(f.validSignature);
    expect(fromLegacy.verify(message, sig)).toBe(f.validSignature);
    expect(result.ok).toBe(f.validSignature);

    // Cross-check with noble (strict: compact + lowS).
    let nobleOk: boolean;
    try {
      nobleOk = noble[type].verify(sig, message, fromDid.compressed, { prehash: true, lowS: true, format: 'compact' });
    } catch {
      nobleOk = false;
    }
    expect(nobleOk).toBe(f.validSignature);

    if (!result.ok) {
      if (f.tags.includes('high-s')) {
        expect(result.reason).toMatch(/high-S/);
        expect(checkSignatureBytes(sig, type)).toMatch(/high-S/);
      } else if (f.tags.includes('der-encoded')) {
        expect(result.reason).toMatch(/64-byte compact/);
        expect(result.reason).toMatch(/DER/);
      } else {
        throw new Error(`unexpected invalid fixture without a known tag: ${f.comment}`);
      }
    }
  });

  it('node:crypto alone accepts the high-S fixtures (why the manual low-S check exists)', () => {
    const highS = signatureFixtures.filter((f) => f.tags.includes('high-s'));
    expect(highS.length).toBe(2);
    for (const f of highS) {
      const key = parseDidKey(f.publicKeyDid);
      const raw = createPublicKey({
        key: { kty: 'EC', crv: typeOf(f) === 'k256' ? 'secp256k1' : 'P-256', ...jwkXY(key.compressed, typeOf(f)) },
        format: 'jwk',
      });
      const ok = nodeVerify('sha256', b64(f.messageBase64), { key: raw, dsaEncoding: 'ieee-p1363' }, b64(f.signatureBase64));
      expect(ok).toBe(true);
      expect(key.verify(b64(f.messageBase64), b64(f.signatureBase64))).toBe(false);
    }
  });
});

function jwkXY(compressed: Uint8Array, type: KeyType): { x: string; y: string } {
  const u = noble[type].Point.fromBytes(compressed).toBytes(false);
  return {
    x: Buffer.from(u.subarray(1, 33)).toString('base64url'),
    y: Buffer.from(u.subarray(33)).toString('base64url'),
  };
}

describe.each(TYPES)('signatures on %s', (type) => {
  const key = generatePrivateKey(type);
  const pub = key.publicKey;
  const message = new TextEncoder().encode(`atproto commit bytes for ${type}`);
  const sig = key.sign(message);

  it('sign produces 64-byte low-S compact signatures that verify (ours and noble)', () => {
    for (let i = 0; i < 40; i++) {
      const m = new TextEncoder().encode(`message ${i} ${type}`);
      const s = key.sign(m);
      expect(s.length).toBe(64);
      expect(isLowS(s, type)).toBe(true);
      expect(checkSignatureBytes(s, type)).toBeNull();
      expect(pub.verify(m, s)).toBe(true);
      expect(noble[type].verify(s, m, pub.compressed, { prehash: true, lowS: true })).toBe(true);
    }
  });

  it('verifies signatures made by noble directly', () => {
    const { secretKey, publicKey } = noble[type].keygen();
    const m = new TextEncoder().encode('signed by noble');
    const s = noble[type].sign(m, secretKey, { prehash: true, lowS: true });
    const k = parseDidKey(`did:key:${zMultikey(type, publicKey)}`);
    expect(verifySignature(k, m, s)).toEqual({ ok: true });
  });

  it('rejects a signature over another message, or from another key', () => {
    const r = verifySignature(pub, new TextEncoder().encode('other'), sig);
    expect(r).toEqual({ ok: false, reason: 'signature does not match the message and public key' });
    const other = generatePrivateKey(type).publicKey;
    expect(other.verify(message, sig)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[10]! ^= 1;
    expect(pub.verify(message, flipped)).toBe(false);
  });

  it('rejects the high-S twin (s′ = n − s), which node:crypto and noble(lowS:false) accept', () => {
    const twin = highSTwin(sig, type);
    expect(toHex(twin)).not.toBe(toHex(sig));
    expect(isLowS(twin, type)).toBe(false);
    const r = verifySignature(pub, message, twin);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/high-S signature \(malleable form\) is not allowed/);
    expect(pub.verify(message, twin)).toBe(false);
    // The twin is mathematically valid:
    expect(noble[type].verify(twin, message, pub.compressed, { lowS: false })).toBe(true);
    expect(noble[type].verify(twin, message, pub.compressed, { lowS: true })).toBe(false);
  });

  it('rejects the DER encoding of a valid signature', () => {
    const der = noble[type].Signature.fromBytes(sig, 'compact').toBytes('der');
    expect(der[0]).toBe(0x30);
    const r = verifySignature(pub, message, der);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(
      `signature is ${der.length} bytes; atproto requires 64-byte compact r||s (looks DER-encoded)`,
    );
  });

  it('rejects wrong lengths (63, 65, 0) with a reason', () => {
    expect(checkSignatureBytes(sig.subarray(0, 63), type)).toBe(
      'signature is 63 bytes; atproto requires 64-byte compact r||s',
    );
    const recovered = new Uint8Array(65);
    recovered.set(sig, 1);
    expect(checkSignatureBytes(recovered, type)).toMatch(/65 bytes.*recovery byte/);
    expect(checkSignatureBytes(new Uint8Array(0), type)).toMatch(/^signature is 0 bytes/);
    expect(pub.verify(message, new Uint8Array(0))).toBe(false);
  });

  it('range checks: r or s zero, r ≥ n, s ≥ n', () => {
    const n = curveOrder(type);
    const withR = (r: Uint8Array) => Uint8Array.from([...r, ...sig.subarray(32)]);
    const withS = (s: Uint8Array) => Uint8Array.from([...sig.subarray(0, 32), ...s]);
    expect(checkSignatureBytes(withR(new Uint8Array(32)), type)).toBe('signature r is zero');
    expect(checkSignatureBytes(withS(new Uint8Array(32)), type)).toBe('signature s is zero');
    expect(checkSignatureBytes(withR(bigintTo32(n)), type)).toMatch(/^signature r is not below the .* group order n$/);
    expect(checkSignatureBytes(withR(new Uint8Array(32).fill(0xff)), type)).toMatch(/r is not below/);
    expect(checkSignatureBytes(withR(bigintTo32(n - 1n)), type)).toBeNull();
    expect(checkSignatureBytes(withS(bigintTo32(n)), type)).toMatch(/^signature s is not below the .* group order n$/);
    expect(checkSignatureBytes(withS(new Uint8Array(32).fill(0xff)), type)).toMatch(/s is not below/);
    // Boundary of the low-S half: s = ⌊n/2⌋ is low, ⌊n/2⌋ + 1 is high.
    expect(checkSignatureBytes(withS(bigintTo32(n >> 1n)), type)).toBeNull();
    expect(checkSignatureBytes(withS(bigintTo32((n >> 1n) + 1n)), type)).toMatch(/high-S/);
    expect(checkSignatureBytes(withS(bigintTo32(1n)), type)).toBeNull();
    expect(pub.verify(message, withR(bigintTo32(n)))).toBe(false);
  });

  it('works with a PublicKey implemented elsewhere (structural interface)', () => {
    const foreign = {
      type,
      compressed: pub.compressed,
      did: () => pub.did(),
      multikey: () => pub.multikey(),
      verify: () => false,
    };
    expect(verifySignature(foreign, message, sig)).toEqual({ ok: true });
    expect(verifySignature(foreign, message, highSTwin(sig, type)).ok).toBe(false);
  });

  it('the node:crypto KeyObject (assembled SPKI) holds the same point as noble', () => {
    const ko = (pub as unknown as { keyObject(): import('node:crypto').KeyObject }).keyObject();
    const jwk = ko.export({ format: 'jwk' });
    expect(jwk.crv).toBe(type === 'k256' ? 'secp256k1' : 'P-256');
    expect({ x: jwk.x, y: jwk.y }).toEqual(jwkXY(pub.compressed, type));
  });

  it('does not mutate its inputs', () => {
    const m = Uint8Array.from(message);
    const s = Uint8Array.from(sig);
    pub.verify(m, s);
    expect(toHex(m)).toBe(toHex(message));
    expect(toHex(s)).toBe(toHex(sig));
  });
});

function zMultikey(type: KeyType, compressed: Uint8Array): string {
  return z([...(type === 'k256' ? [0xe7, 0x01] : [0x80, 0x24]), ...compressed]);
}

describe('sha256', () => {
  it('matches the known digest of "abc"', () => {
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
