import { describe, expect, it } from 'vitest';

import {
  generatePrivateKey,
  parseDidKey,
  parseLegacyMultibaseKey,
  parseMultikey,
  parsePublicKey,
  publicKeyFromBytes,
  publicKeyFromVerificationMethod,
  type KeyType,
} from '../../../src/core/crypto/index.js';
import { expectAtcliError, noble, toHex, unz, z } from './helpers.js';

const TYPES: KeyType[] = ['k256', 'p256'];
const CODEC: Record<KeyType, number[]> = { k256: [0xe7, 0x01], p256: [0x80, 0x24] };
const LEGACY: Record<KeyType, string> = {
  k256: 'EcdsaSecp256k1VerificationKey2019',
  p256: 'EcdsaSecp256r1VerificationKey2019',
};

// spec:cryptography "Encoded Examples"
const SPEC_P256 = 'did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo';
const SPEC_K256 = 'did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc';

const INVALID_PUB = { kind: 'invalid', code: 'InvalidPublicKey' } as const;

function uncompressedOf(type: KeyType, compressed: Uint8Array): Uint8Array {
  return noble[type].Point.fromBytes(compressed).toBytes(false);
}

/** A compressed encoding whose x has no point on the curve. */
function offCurveCompressed(type: KeyType): Uint8Array {
  for (let x = 0; x < 1000; x++) {
    const b = new Uint8Array(33);
    b[0] = 0x02;
    b[32] = x;
    try {
      noble[type].Point.fromBytes(b);
    } catch {
      return b;
    }
  }
  throw new Error('no off-curve x found');
}

describe('spec examples', () => {
  it.each([
    ['p256', SPEC_P256],
    ['k256', SPEC_K256],
  ] as const)('%s did:key parses and re-encodes identically', (type, did) => {
    const key = parseDidKey(did);
    expect(key.type).toBe(type);
    expect(key.did()).toBe(did);
    expect(key.multikey()).toBe(did.slice('did:key:'.length));
    expect(key.compressed.length).toBe(33);
    expect(String(key)).toBe(did);
    expect(JSON.stringify({ key })).toBe(JSON.stringify({ key: did }));
  });

  it('p256 keys start with zDnae and k256 keys with zQ3s', () => {
    expect(generatePrivateKey('p256').publicKey.multikey().startsWith('zDnae')).toBe(true);
    expect(generatePrivateKey('k256').publicKey.multikey().startsWith('zQ3s')).toBe(true);
  });
});

describe.each(TYPES)('round trips on %s', (type) => {
  const pub = generatePrivateKey(type).publicKey;
  const compressed = pub.compressed;
  const uncompressed = uncompressedOf(type, compressed);

  it('did:key ↔ multikey ↔ compressed bytes', () => {
    expect(parseDidKey(pub.did()).did()).toBe(pub.did());
    expect(parseMultikey(pub.multikey()).did()).toBe(pub.did());
    expect(pub.did()).toBe(`did:key:${pub.multikey()}`);
    expect(toHex(unz(pub.multikey()))).toBe(toHex(Uint8Array.from([...CODEC[type], ...compressed])));
    expect(publicKeyFromBytes(type, compressed).did()).toBe(pub.did());
    expect(publicKeyFromBytes(type, uncompressed).did()).toBe(pub.did());
    expect(parsePublicKey(pub.did()).did()).toBe(pub.did());
    expect(parsePublicKey(`  ${pub.multikey()}\n`).did()).toBe(pub.did());
  });

  it('compressed is a defensive copy', () => {
    const c = pub.compressed;
    c[5]! ^= 0xff;
    expect(toHex(pub.compressed)).toBe(toHex(compressed));
  });

  it('legacy 65-byte uncompressed publicKeyMultibase', () => {
    expect(uncompressed.length).toBe(65);
    const k = parseLegacyMultibaseKey(LEGACY[type], z(uncompressed));
    expect(k.type).toBe(type);
    expect(k.did()).toBe(pub.did());
  });

  it('legacy 33-byte compressed publicKeyMultibase', () => {
    const k = parseLegacyMultibaseKey(LEGACY[type], z(compressed));
    expect(k.did()).toBe(pub.did());
  });

  it('legacy key with the other curve type is rejected (point not on that curve) or differs', () => {
    // A 65-byte point of one curve is (overwhelmingly) not on the other.
    const other: KeyType = type === 'k256' ? 'p256' : 'k256';
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY[other], z(uncompressed)), {
      ...INVALID_PUB,
      message: /not a valid .* point/,
    });
  });

  it('verification methods: Multikey and legacy types', () => {
    const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
    const base = { id: `${did}#atproto`, controller: did };
    expect(publicKeyFromVerificationMethod({ ...base, type: 'Multikey', publicKeyMultibase: pub.multikey() }).did()).toBe(
      pub.did(),
    );
    expect(
      publicKeyFromVerificationMethod({ ...base, type: LEGACY[type], publicKeyMultibase: z(uncompressed) }).did(),
    ).toBe(pub.did());
    expect(
      publicKeyFromVerificationMethod({ ...base, type: LEGACY[type], publicKeyMultibase: z(compressed) }).did(),
    ).toBe(pub.did());
  });

  it('a multicodec key carrying a 65-byte uncompressed point: parsePublicKey compresses, strict parsers reject', () => {
    const mk = z([...CODEC[type], ...uncompressed]);
    expect(parsePublicKey(mk).did()).toBe(pub.did());
    expect(parsePublicKey(`did:key:${mk}`).did()).toBe(pub.did());
    expectAtcliError(() => parseMultikey(mk), { ...INVALID_PUB, message: /decodes to 67 bytes; expected 35/ });
    const err = expectAtcliError(() => parseDidKey(`did:key:${mk}`), { ...INVALID_PUB, message: /67 bytes/ });
    expect(err.hint).toMatch(/uncompressed/);
    expectAtcliError(
      () => publicKeyFromVerificationMethod({ type: 'Multikey', publicKeyMultibase: mk }),
      INVALID_PUB,
    );
  });

  it('equals()', () => {
    const again = parseDidKey(pub.did()) as unknown as { equals(o: unknown): boolean };
    expect(again.equals(pub)).toBe(true);
    expect(again.equals(generatePrivateKey(type).publicKey)).toBe(false);
  });
});

describe('bad public keys: clear InvalidPublicKey errors, never a crash', () => {
  const k256 = generatePrivateKey('k256').publicKey.compressed;
  const p256 = generatePrivateKey('p256').publicKey.compressed;

  it('not a did:key', () => {
    expectAtcliError(() => parseDidKey('did:web:example.com'), { ...INVALID_PUB, message: /must start with "did:key:"/ });
    expectAtcliError(() => parseDidKey(''), INVALID_PUB);
    expectAtcliError(() => parseDidKey(undefined as unknown as string), INVALID_PUB);
    expectAtcliError(() => parseDidKey('did:key:'), { ...INVALID_PUB, message: /did:key is empty/ });
  });

  it('ed25519 did:key → unsupported multicodec 0xed', () => {
    const ed = z([0xed, 0x01, ...new Uint8Array(32).fill(7)]);
    expectAtcliError(() => parseDidKey(`did:key:${ed}`), {
      ...INVALID_PUB,
      message: /^did:key uses unsupported multicodec 0xed \(ed25519\)/,
    });
    expectAtcliError(() => parseMultikey(ed), { ...INVALID_PUB, message: /multikey uses unsupported multicodec 0xed/ });
    expectAtcliError(() => parsePublicKey(ed), INVALID_PUB);
  });

  it('other multicodecs (p384, unknown) and a truncated varint', () => {
    expectAtcliError(() => parseMultikey(z([0x81, 0x24, ...new Uint8Array(49).fill(2)])), {
      ...INVALID_PUB,
      message: /0x1201 \(p384-pub\)/,
    });
    expectAtcliError(() => parseMultikey(z([0x01, ...k256])), { ...INVALID_PUB, message: /unsupported multicodec 0x1;/ });
    expectAtcliError(() => parseMultikey(z([0x80])), { ...INVALID_PUB, message: /multicodec varint/ });
  });

  it('a private multicodec in a public slot', () => {
    const priv = generatePrivateKey('k256').multikey();
    const err = expectAtcliError(() => parseMultikey(priv), {
      ...INVALID_PUB,
      message: /0x1301 \(secp256k1-priv\): that is a private key/,
    });
    expect(err.message).not.toContain(priv.slice(1));
    expect(JSON.stringify(err.details ?? {})).not.toContain(priv.slice(1));
  });

  it.each([
    [34, 'k256'],
    [36, 'k256'],
    [34, 'p256'],
    [36, 'p256'],
  ] as const)('%i decoded bytes (%s) → length error', (total, type) => {
    const point = type === 'k256' ? k256 : p256;
    const bytes = total === 34 ? [...CODEC[type], ...point.subarray(0, 32)] : [...CODEC[type], ...point, 0x00];
    expectAtcliError(() => parseDidKey(`did:key:${z(bytes)}`), {
      ...INVALID_PUB,
      message: new RegExp(`^did:key decodes to ${total} bytes; expected 35 \\(2-byte multicodec \\+ 33-byte compressed point\\)`),
    });
    expectAtcliError(() => parsePublicKey(z(bytes)), { ...INVALID_PUB, message: new RegExp(`decodes to ${total} bytes`) });
  });

  it.each(['m', 'u', 'f', 'b', 'Z', 'F'])("multibase prefix '%s' is rejected", (prefix) => {
    const body = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh';
    expectAtcliError(() => parseDidKey(`did:key:${prefix}${body}`), {
      ...INVALID_PUB,
      message: new RegExp(`base58btc multibase prefix 'z'; got prefix '${prefix}'`),
    });
    expectAtcliError(() => parseMultikey(`${prefix}${body}`), INVALID_PUB);
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY.p256, `${prefix}${body}`), {
      ...INVALID_PUB,
      message: /prefix 'z'/,
    });
  });

  it('garbage base58', () => {
    for (const bad of ['z0OIl', 'zQ3sh!!!', 'z', 'zzz zzz', 'z\u00e9\u00e9']) {
      expectAtcliError(() => parseMultikey(bad), { ...INVALID_PUB, message: /base58btc|multicodec|empty|decodes/ });
      expectAtcliError(() => parseDidKey(`did:key:${bad}`), INVALID_PUB);
      expectAtcliError(() => parsePublicKey(bad), INVALID_PUB);
      expectAtcliError(() => parseLegacyMultibaseKey(LEGACY.k256, bad), INVALID_PUB);
    }
    expectAtcliError(() => parseMultikey('z0OIl'), {
      ...INVALID_PUB,
      message: /^multikey is not valid base58btc after the 'z' prefix$/,
    });
  });

  it.each(TYPES)('%s point not on the curve (compressed and uncompressed)', (type) => {
    const off = offCurveCompressed(type);
    expectAtcliError(() => parseDidKey(`did:key:${z([...CODEC[type], ...off])}`), {
      ...INVALID_PUB,
      message: /^did:key is not a valid .* point \(not on the curve/,
    });
    const badUncompressed = new Uint8Array(65);
    badUncompressed[0] = 0x04;
    badUncompressed[32] = 1;
    badUncompressed[64] = 1;
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY[type], z(badUncompressed)), {
      ...INVALID_PUB,
      message: /not a valid .* point/,
    });
    expectAtcliError(() => publicKeyFromBytes(type, off), INVALID_PUB);
    // x ≥ p
    const big = new Uint8Array(33).fill(0xff);
    big[0] = 0x03;
    expectAtcliError(() => publicKeyFromBytes(type, big), { ...INVALID_PUB, message: /not a valid/ });
  });

  it.each(TYPES)('%s identity / all-zero point', (type) => {
    expectAtcliError(() => parseDidKey(`did:key:${z([...CODEC[type], ...new Uint8Array(33)])}`), {
      ...INVALID_PUB,
      message: /all-zero point \(identity/,
    });
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY[type], z(new Uint8Array(65))), {
      ...INVALID_PUB,
      message: /all-zero point/,
    });
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY[type], z(new Uint8Array(33))), INVALID_PUB);
    // x = 0 with prefix 0x02 is not the identity: off the curve on k256 (0³ + 7 is not a square),
    // a real point on p256 (b is a square mod p).
    const x0 = new Uint8Array(33);
    x0[0] = 0x02;
    if (type === 'k256') expectAtcliError(() => publicKeyFromBytes(type, x0), { ...INVALID_PUB, message: /not a valid/ });
    else expect(publicKeyFromBytes(type, x0).type).toBe('p256');
    // SEC1 single-byte infinity encoding
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY[type], z([0x00])), { ...INVALID_PUB, message: /1 bytes/ });
  });

  it('wrong SEC1 prefixes', () => {
    const c = Uint8Array.from(k256);
    c[0] = 0x04;
    expectAtcliError(() => publicKeyFromBytes('k256', c), { ...INVALID_PUB, message: /must start with 0x02 or 0x03 \(got 0x04\)/ });
    const u = uncompressedOf('k256', k256);
    u[0] = 0x06; // hybrid form
    expectAtcliError(() => parseLegacyMultibaseKey(LEGACY.k256, z(u)), { ...INVALID_PUB, message: /must start with 0x04 \(got 0x06\)/ });
  });

  it('legacy value carrying a multicodec prefix gets a hint', () => {
    const err = expectAtcliError(() => parseLegacyMultibaseKey(LEGACY.k256, z([...CODEC.k256, ...k256])), {
      ...INVALID_PUB,
      message: /decodes to 35 bytes/,
    });
    expect(err.hint).toMatch(/Multikey/);
  });

  it('unsupported verification methods', () => {
    const mb = z([...CODEC.k256, ...k256]);
    expectAtcliError(() => publicKeyFromVerificationMethod(null), { ...INVALID_PUB, message: /must be an object/ });
    expectAtcliError(() => publicKeyFromVerificationMethod('x'), INVALID_PUB);
    expectAtcliError(() => publicKeyFromVerificationMethod([]), INVALID_PUB);
    expectAtcliError(() => publicKeyFromVerificationMethod({ publicKeyMultibase: mb }), { ...INVALID_PUB, message: /"type"/ });
    expectAtcliError(() => publicKeyFromVerificationMethod({ type: 'Multikey' }), { ...INVALID_PUB, message: /publicKeyMultibase/ });
    expectAtcliError(() => publicKeyFromVerificationMethod({ type: 'JsonWebKey2020', publicKeyJwk: { kty: 'EC' } }), {
      ...INVALID_PUB,
      message: /publicKeyJwk is not supported/,
    });
    expectAtcliError(() => publicKeyFromVerificationMethod({ type: 'Ed25519VerificationKey2020', publicKeyMultibase: mb }), {
      ...INVALID_PUB,
      message: /unsupported verification method type "Ed25519VerificationKey2020"/,
    });
    expectAtcliError(() => parseLegacyMultibaseKey('Multikey', mb), { ...INVALID_PUB, message: /unsupported legacy/ });
  });

  it('parsePublicKey rejects other DIDs and plain text with a hint', () => {
    const e1 = expectAtcliError(() => parsePublicKey('did:plc:ewvi7nxzyoun6zhxrhs64oiz'), {
      ...INVALID_PUB,
      message: /must be a did:key/,
    });
    expect(e1.hint).toMatch(/DID document/);
    const e2 = expectAtcliError(() => parsePublicKey('hello'), { ...INVALID_PUB, message: /did:key:z… or a multikey z…/ });
    expect(e2.hint).toMatch(/did:key:zQ3s/);
    expectAtcliError(() => parsePublicKey(''), INVALID_PUB);
    expectAtcliError(() => parsePublicKey('\u0000'), { ...INVALID_PUB, message: /U\+0000/ });
  });

  it('randomised garbage never crashes with a non-AtcliError', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const len = rand() % 70;
      const bytes = Uint8Array.from({ length: len }, () => rand() & 0xff);
      if (i % 3 === 0 && len >= 2) bytes.set(CODEC[i % 2 ? 'k256' : 'p256']);
      const mk = z(bytes);
      for (const f of [() => parseMultikey(mk), () => parsePublicKey(mk), () => parseLegacyMultibaseKey(LEGACY.p256, mk)]) {
        try {
          f();
        } catch (err) {
          expect((err as { code?: string }).code).toBe('InvalidPublicKey');
        }
      }
    }
  });
});
