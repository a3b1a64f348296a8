import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import {
  generatePrivateKey,
  parseDidKey,
  parsePrivateKey,
  privateKeyFromBytes,
  type KeyType,
  type PrivateKey,
} from '../../../src/core/crypto/index.js';
import { isAtcliError } from '../../../src/core/errors.js';
import { bigintTo32, curveOrder, expectAtcliError, fixture, hexBytes, noble, toHex, unz, z } from './helpers.js';
import { base58btc } from 'multiformats/bases/base58';

interface K256Vector {
  privateKeyBytesHex: string;
  publicDidKey: string;
}
interface P256Vector {
  privateKeyBytesBase58: string;
  publicDidKey: string;
}

const k256Vectors = fixture<K256Vector[]>('w3c_didkey_K256.json');
const p256Vectors = fixture<P256Vector[]>('w3c_didkey_P256.json');
const TYPES: KeyType[] = ['k256', 'p256'];
const INVALID_PRIV = { kind: 'invalid', code: 'InvalidPrivateKey' } as const;

describe('w3c did:key vectors (private key → public did:key)', () => {
  it.each(k256Vectors.map((v) => [v.publicDidKey, v] as const))('K-256 %s', (did, v) => {
    const key = parsePrivateKey(v.privateKeyBytesHex, { type: 'k256' });
    expect(key.type).toBe('k256');
    expect(key.publicKey.did()).toBe(did);
    expect(parseDidKey(did).did()).toBe(did);
    expect(key.hex()).toBe(v.privateKeyBytesHex);
    // The private multikey round-trips to the same key.
    expect(parsePrivateKey(key.multikey()).publicKey.did()).toBe(did);
  });

  it.each(p256Vectors.map((v) => [v.publicDidKey, v] as const))('P-256 %s', (did, v) => {
    const bytes = base58btc.baseDecode(v.privateKeyBytesBase58);
    expect(bytes.length).toBe(32);
    expect(privateKeyFromBytes('p256', bytes).publicKey.did()).toBe(did);
    const key = parsePrivateKey(toHex(bytes), { type: 'p256' });
    expect(key.publicKey.did()).toBe(did);
    expect(parsePrivateKey(key.multikey()).publicKey.did()).toBe(did);
  });
});

describe.each(TYPES)('%s private keys', (type) => {
  const key = generatePrivateKey(type);

  it('private multikey: z + base58btc(varint(secp256k1-priv 0x1301 | p256-priv 0x1306) ‖ 32 bytes)', () => {
    const decoded = unz(key.multikey());
    expect(decoded.length).toBe(34);
    expect([...decoded.subarray(0, 2)]).toEqual(type === 'k256' ? [0x81, 0x26] : [0x86, 0x26]);
    expect(toHex(decoded.subarray(2))).toBe(key.hex());
    const again = parsePrivateKey(key.multikey());
    expect(again.type).toBe(type);
    expect(again.publicKey.did()).toBe(key.publicKey.did());
    expect(parsePrivateKey(key.multikey(), { type }).hex()).toBe(key.hex());
  });

  it('public key matches noble', () => {
    expect(toHex(key.publicKey.compressed)).toBe(toHex(noble[type].getPublicKey(hexBytes(key.hex()), true)));
  });

  it('hex form with type, trimmed, upper case and 0x accepted', () => {
    expect(parsePrivateKey(`  ${key.hex()}\n`, { type }).publicKey.did()).toBe(key.publicKey.did());
    expect(parsePrivateKey(key.hex().toUpperCase(), { type }).publicKey.did()).toBe(key.publicKey.did());
    expect(parsePrivateKey(`0x${key.hex()}`, { type }).publicKey.did()).toBe(key.publicKey.did());
    expect(parsePrivateKey(`${key.multikey()}\r\n`).hex()).toBe(key.hex());
  });

  it('generate → sign → verify, deterministic signatures', () => {
    const m = new TextEncoder().encode('hello atproto');
    const s1 = key.sign(m);
    const s2 = key.sign(m);
    expect(toHex(s1)).toBe(toHex(s2));
    expect(key.publicKey.verify(m, s1)).toBe(true);
    expect(parseDidKey(key.publicKey.did()).verify(m, s1)).toBe(true);
  });

  it('scalar range: 0 and n are rejected, n−1 accepted', () => {
    const n = curveOrder(type);
    expectAtcliError(() => privateKeyFromBytes(type, new Uint8Array(32)), { ...INVALID_PRIV, message: /between 1 and n−1/ });
    expectAtcliError(() => privateKeyFromBytes(type, bigintTo32(n)), INVALID_PRIV);
    expectAtcliError(() => parsePrivateKey('f'.repeat(64), { type }), INVALID_PRIV);
    expect(privateKeyFromBytes(type, bigintTo32(n - 1n)).type).toBe(type);
    expectAtcliError(() => privateKeyFromBytes(type, new Uint8Array(31).fill(1)), { ...INVALID_PRIV, message: /32 bytes, got 31/ });
  });
});

describe('parsePrivateKey errors', () => {
  const k = generatePrivateKey('k256');

  it('hex without a type is ambiguous (usage error with a hint)', () => {
    const err = expectAtcliError(() => parsePrivateKey(k.hex()), {
      kind: 'usage',
      code: 'AmbiguousKeyType',
      message: /does not say its curve/,
    });
    expect(err.exitCode).toBe(2);
    expect(err.hint).toMatch(/k256 or p256/);
    expect(err.hint).toMatch(/multikey/);
    expect(err.message + (err.hint ?? '')).not.toContain(k.hex());
  });

  it('multikey of the other type than requested', () => {
    expectAtcliError(() => parsePrivateKey(k.multikey(), { type: 'p256' }), {
      kind: 'usage',
      code: 'KeyTypeMismatch',
      message: /is k256, but p256 was requested/,
    });
  });

  it('public keys are not private keys', () => {
    expectAtcliError(() => parsePrivateKey(k.publicKey.did()), { ...INVALID_PRIV, message: /did:key \(a public key\)/ });
    expectAtcliError(() => parsePrivateKey(k.publicKey.multikey()), {
      ...INVALID_PRIV,
      message: /public key \(multicodec 0xe7 \(secp256k1-pub\)\)/,
    });
  });

  it.each([
    ['empty', '', /empty/],
    ['whitespace', ' \n', /empty/],
    ['short hex', 'ab'.repeat(31), /64 hex characters, got 62/],
    ['long hex', 'ab'.repeat(33), /64 hex characters, got 66/],
    ['bad base58', 'z0OIl0OIl0OIl', /not valid base58btc/],
    ['unknown codec', z([0x80, 0x26, ...new Uint8Array(32).fill(3)]), /unsupported multicodec 0x1300 \(ed25519-priv\)/],
    ['short multikey', z([0x81, 0x26, ...new Uint8Array(31).fill(3)]), /decodes to 33 bytes; expected 34/],
    ['long multikey', z([0x86, 0x26, ...new Uint8Array(33).fill(3)]), /decodes to 35 bytes; expected 34/],
    ['base64', 'm' + 'A'.repeat(43), /prefix 'm' \(base64\)/],
    ['text', 'not a key at all', /private multikey \(z…\) or 64 hex characters/],
  ])('%s → InvalidPrivateKey', (_name, input, message) => {
    const err = expectAtcliError(() => parsePrivateKey(input, { type: 'k256' }), { ...INVALID_PRIV, message });
    if (input.trim().length > 2) expect(err.message).not.toContain(input.trim().slice(1));
  });
});

describe('the private key never leaks', () => {
  function secretForms(key: PrivateKey): string[] {
    const hex = key.hex();
    const mk = key.multikey();
    return [
      hex,
      hex.toUpperCase(),
      mk,
      mk.slice(1),
      Buffer.from(hex, 'hex').toString('base64'),
      Buffer.from(hex, 'hex').toString('base64url'),
      base58btc.baseEncode(Buffer.from(hex, 'hex')),
      // decimal bytes as util.inspect would print a Uint8Array
      [...Buffer.from(hex, 'hex').subarray(0, 8)].join(', '),
    ];
  }

  it.each(TYPES)('%s: util.inspect, JSON.stringify, String and template literals are redacted', (type) => {
    const key = generatePrivateKey(type);
    const outputs = [
      inspect(key),
      inspect(key, { showHidden: true, depth: 10, getters: true }),
      inspect({ nested: { key } }, { depth: 10 }),
      JSON.stringify(key),
      JSON.stringify({ key }),
      String(key),
      `${key}`,
      Object.keys(key).join(','),
      JSON.stringify(Object.entries(key)),
    ];
    for (const out of outputs) {
      for (const secret of secretForms(key)) expect(out).not.toContain(secret);
    }
    expect(inspect(key)).toContain('[redacted]');
    expect(inspect(key)).toContain(key.publicKey.did());
    expect(JSON.parse(JSON.stringify(key))).toEqual({ type, publicKey: key.publicKey.did(), privateKey: '[redacted]' });
  });

  it('error messages, hints and details never contain the input key', () => {
    const key = generatePrivateKey('p256');
    const attempts: Array<[string, () => unknown]> = [
      ['hex without type', () => parsePrivateKey(key.hex())],
      ['multikey wrong type', () => parsePrivateKey(key.multikey(), { type: 'k256' })],
      ['truncated multikey', () => parsePrivateKey(key.multikey().slice(0, -1))],
      ['extended multikey', () => parsePrivateKey(key.multikey() + '2')],
      ['corrupted multikey', () => parsePrivateKey(key.multikey().slice(0, 10) + '0' + key.multikey().slice(11))],
      ['truncated hex', () => parsePrivateKey(key.hex().slice(0, 63), { type: 'p256' })],
      ['hex + junk', () => parsePrivateKey(key.hex() + 'zz', { type: 'p256' })],
      ['private key in public slot', () => parseDidKey(`did:key:${key.multikey()}`)],
    ];
    for (const [name, fn] of attempts) {
      let thrown: unknown;
      try {
        fn();
      } catch (err) {
        thrown = err;
      }
      expect(isAtcliError(thrown), name).toBe(true);
      const e = thrown as Error & { hint?: string; details?: unknown; cause?: unknown };
      const text = [e.message, e.hint ?? '', JSON.stringify(e.details ?? null), String(e.cause ?? ''), inspect(e)].join('\n');
      for (const secret of secretForms(key)) {
        expect(text, name).not.toContain(secret);
        // also no long fragment of the key
        expect(text, name).not.toContain(secret.slice(0, 16));
      }
    }
  });
});
