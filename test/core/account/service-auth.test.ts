import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { decodeJwt, signServiceAuth, verifyServiceAuth } from '../../../src/core/account/service-auth.js';

const ISS = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const AUD = 'did:web:pds.example.com';
const LXM = 'com.atproto.server.createAccount';

describe('service-auth tokens signed offline', () => {
  it.each([
    ['k256', 'ES256K'],
    ['p256', 'ES256'],
  ] as const)('%s keys sign %s JWTs that verify with the public key', (type, alg) => {
    const key = generatePrivateKey(type);
    const now = Date.parse('2025-06-01T00:00:00Z');
    const t = signServiceAuth(key, { iss: ISS, aud: AUD, lxm: LXM, expSeconds: 120 }, now);
    const jwt = decodeJwt(t.token);
    expect(jwt.header).toEqual({ typ: 'JWT', alg });
    expect(jwt.payload).toMatchObject({ iss: ISS, aud: AUD, lxm: LXM, iat: now / 1000, exp: now / 1000 + 120 });
    expect(typeof jwt.payload['jti']).toBe('string');
    expect(jwt.signature).toHaveLength(64);
    expect(t.exp).toBe(now / 1000 + 120);
    const claims = verifyServiceAuth(t.token, key.publicKey.did(), { aud: AUD, lxm: LXM, now: now + 1000 });
    expect(claims['iss']).toBe(ISS);
  });

  it('is rejected when expired, for another audience or method, tampered, or checked with another key', () => {
    const key = generatePrivateKey('k256');
    const now = Date.now();
    const t = signServiceAuth(key, { iss: ISS, aud: AUD, lxm: LXM }, now);
    expect(() => verifyServiceAuth(t.token, key.publicKey, { now: now + 61_000 })).toThrow(/expired/);
    expect(() => verifyServiceAuth(t.token, key.publicKey, { aud: 'did:web:other.example' })).toThrow(/aud/);
    expect(() => verifyServiceAuth(t.token, key.publicKey, { lxm: 'com.example.other' })).toThrow(/lxm/);
    expect(() => verifyServiceAuth(t.token, generatePrivateKey('k256').publicKey)).toThrow(/does not verify/);
    expect(() => verifyServiceAuth(t.token, generatePrivateKey('p256').publicKey)).toThrow(/alg/);
    const [h, p, s] = t.token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, aud: 'did:web:evil.example' })).toString('base64url')}.${s}`;
    expect(() => verifyServiceAuth(forged, key.publicKey)).toThrow(/does not verify/);
    expect(() => decodeJwt('a.b')).toThrow(/three/);
    expect(() => decodeJwt('!!.e30.x')).toThrow(/header/);
  });

  it('checks its inputs: audience and issuer DIDs, NSID, lifetime limits', () => {
    const key = generatePrivateKey('k256');
    expect(() => signServiceAuth(key, { iss: ISS, aud: 'not-a-did' })).toThrow(/audience \(aud\) must be a DID/);
    expect(() => signServiceAuth(key, { iss: 'alice', aud: AUD })).toThrow(/issuer \(iss\) must be a DID/);
    expect(() => signServiceAuth(key, { iss: ISS, aud: AUD, lxm: 'not an nsid' })).toThrow(/method \(lxm\) must be an NSID/);
    expect(() => signServiceAuth(key, { iss: ISS, aud: AUD, expSeconds: 3601, lxm: LXM })).toThrow(/lifetime must be a whole number of seconds from 1 to 3600/);
    expect(() => signServiceAuth(key, { iss: ISS, aud: AUD, expSeconds: 0 })).toThrow(/lifetime must be a whole number of seconds from 1 to 3600/);
    expect(() => signServiceAuth(key, { iss: ISS, aud: AUD, expSeconds: 120 })).toThrow(/at most 60 seconds/);
    expect(signServiceAuth(key, { iss: ISS, aud: `${AUD}#atproto_pds` }).aud).toBe(`${AUD}#atproto_pds`);
  });
});
