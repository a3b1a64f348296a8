import { describe, expect, it } from 'vitest';
import { cidForCbor, decodeCbor } from '../../../src/core/codec/index.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { checkDidPlc } from '../../../src/core/syntax/index.js';
import { isAtcliError } from '../../../src/core/errors.js';
import {
  didForGenesis,
  isGenesis,
  operationCid,
  operationData,
  operationRotationKeys,
  parseAnyOperation,
  parseOperation,
  parseUnsignedOperation,
  signOperation,
  signedBytes,
  unsignedBytes,
  verifyOperationSignature,
  type PlcOperation,
} from '../../../src/core/plc/index.js';
import {
  BSKY_RECOVERY_KEY,
  BSKY_SIGNING_KEY,
  DHOLMS_DID,
  DHOLMS_GENESIS,
  DHOLMS_GENESIS_CID,
  DHOLMS_UPDATE,
  JAY_CIDS,
  JAY_DID,
  JAY_OPS,
  ROBOCRACY_GENESIS_SIG,
  ROBOCRACY_GENESIS_UNSIGNED,
  ROBOCRACY_UNSIGNED_CID,
} from './fixtures/vectors.js';
import { atprotoOp, b64url, fromB64url, highS, makeKeys, toDer } from './helpers.js';

function parseError(json: unknown): { code: string; message: string; field: unknown } {
  try {
    parseOperation(json);
  } catch (err) {
    if (!isAtcliError(err)) throw err;
    expect(err.kind).toBe('invalid');
    return { code: err.code, message: err.message, field: err.details?.['field'] };
  }
  throw new Error('expected parseOperation to throw');
}

describe('real operations (go-didplc vectors, plc.directory log)', () => {
  it('legacy genesis: DID, CID and signature by the signing key (#1 of [recovery, signing])', () => {
    const op = parseOperation(DHOLMS_GENESIS);
    expect(op.type).toBe('create');
    expect(isGenesis(op)).toBe(true);
    expect(didForGenesis(op)).toBe(DHOLMS_DID);
    expect(operationCid(op)).toBe(DHOLMS_GENESIS_CID);
    expect(operationRotationKeys(op)).toEqual([BSKY_RECOVERY_KEY, BSKY_SIGNING_KEY]);
    expect(verifyOperationSignature(op, operationRotationKeys(op))).toEqual({ ok: true, keyIndex: 1, key: BSKY_SIGNING_KEY });
  });

  it('the update after the legacy genesis verifies against its normalised keys', () => {
    const genesis = parseOperation(DHOLMS_GENESIS);
    const update = parseOperation(DHOLMS_UPDATE);
    expect(update.prev).toBe(operationCid(genesis));
    expect(verifyOperationSignature(update, operationRotationKeys(genesis))).toMatchObject({ ok: true, keyIndex: 1 });
  });

  it('DID derivation is exactly 24 base32 characters and matches a real genesis', () => {
    for (const [op, did] of [
      [DHOLMS_GENESIS, DHOLMS_DID],
      [JAY_OPS[0], JAY_DID],
    ] as const) {
      const derived = didForGenesis(parseOperation(op));
      expect(derived).toBe(did);
      expect(derived.length).toBe(32);
      expect(derived.slice(8)).toMatch(/^[a-z2-7]{24}$/);
      expect(checkDidPlc(derived)).toBeNull();
    }
  });

  it('every CID matches the prev of the next operation (jay.bsky.team)', () => {
    for (let i = 0; i < 3; i++) {
      const op = parseOperation(JAY_OPS[i]);
      expect(operationCid(op)).toBe(JAY_CIDS[i]);
      expect(parseOperation(JAY_OPS[i + 1]).prev).toBe(JAY_CIDS[i]);
    }
  });

  it('unsigned DAG-CBOR matches go-didplc (CID of the unsigned robocracy genesis) and the sig verifies', () => {
    const unsigned = parseUnsignedOperation(ROBOCRACY_GENESIS_UNSIGNED);
    expect(cidForCbor(unsignedBytes(unsigned)).toString()).toBe(ROBOCRACY_UNSIGNED_CID);
    const signed = parseOperation({ ...ROBOCRACY_GENESIS_UNSIGNED, sig: ROBOCRACY_GENESIS_SIG });
    expect(verifyOperationSignature(signed, signed.type === 'plc_operation' ? signed.rotationKeys : [])).toMatchObject({
      ok: true,
      keyIndex: 0,
    });
    // sig is absent from the signing bytes, present (as a string, prev as a string) in the hashed bytes.
    const decoded = decodeCbor(signedBytes(signed)) as Record<string, unknown>;
    expect(decoded['sig']).toBe(ROBOCRACY_GENESIS_SIG);
    expect(decoded['prev']).toBeNull();
    expect('sig' in (decodeCbor(unsignedBytes(signed)) as Record<string, unknown>)).toBe(false);
  });

  it('G13: a legacy create genesis normalises to rotationKeys [recoveryKey, signingKey]', () => {
    const data = operationData(parseOperation(JAY_OPS[0]));
    expect(data).toEqual({
      rotationKeys: [BSKY_RECOVERY_KEY, BSKY_SIGNING_KEY],
      verificationMethods: { atproto: BSKY_SIGNING_KEY },
      alsoKnownAs: ['at://jay.bsky.social'],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://bsky.social' } },
    });
  });
});

describe('parseOperation strict shape', () => {
  const base = DHOLMS_UPDATE;

  it('accepts a valid operation and returns a copy', () => {
    const op = parseOperation(base) as PlcOperation;
    expect(op).toEqual(base);
    expect(op.rotationKeys).not.toBe(base.rotationKeys);
  });

  it('G4: a genesis without prev (omitted instead of null) is refused', () => {
    const { prev: _prev, ...noPrev } = ROBOCRACY_GENESIS_UNSIGNED;
    const e = parseError({ ...noPrev, sig: ROBOCRACY_GENESIS_SIG });
    expect(e.code).toBe('InvalidPlcOperation');
    expect(e.field).toBe('prev');
    expect(e.message).toMatch(/prev.*null explicitly/);
  });

  it('G10: an extra top-level field is refused, naming it', () => {
    const e = parseError({ ...base, extra: 1 });
    expect(e.field).toBe('extra');
    expect(e.message).toMatch(/unexpected field "extra"/);
    expect(parseError({ ...DHOLMS_GENESIS, alsoKnownAs: [] }).field).toBe('alsoKnownAs');
    expect(parseError({ type: 'plc_tombstone', prev: DHOLMS_GENESIS_CID, sig: base.sig, rotationKeys: [] }).field).toBe(
      'rotationKeys',
    );
  });

  it('an extra field inside a service is refused', () => {
    const e = parseError({
      ...base,
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://x.example', note: 'hi' } },
    });
    expect(e.field).toBe('services.atproto_pds');
  });

  it.each([
    ['type', { ...base, type: 'plc_update' }, 'type'],
    ['rotationKeys not an array', { ...base, rotationKeys: 'did:key:x' }, 'rotationKeys'],
    ['rotationKeys entry', { ...base, rotationKeys: [BSKY_RECOVERY_KEY, 7] }, 'rotationKeys[1]'],
    ['verificationMethods array', { ...base, verificationMethods: [] }, 'verificationMethods'],
    ['verificationMethods value', { ...base, verificationMethods: { atproto: null } }, 'verificationMethods.atproto'],
    ['alsoKnownAs', { ...base, alsoKnownAs: [{}] }, 'alsoKnownAs[0]'],
    ['services value', { ...base, services: { atproto_pds: 'https://x' } }, 'services.atproto_pds'],
    ['service endpoint', { ...base, services: { pds: { type: 'X', endpoint: 1 } } }, 'services.pds.endpoint'],
    ['prev number', { ...base, prev: 5 }, 'prev'],
    ['prev not a CID', { ...base, prev: 'not-a-cid' }, 'prev'],
    ['prev CIDv1 raw codec', { ...base, prev: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }, 'prev'],
    ['sig missing', { ...ROBOCRACY_GENESIS_UNSIGNED }, 'sig'],
    ['sig number', { ...base, sig: 5 }, 'sig'],
    ['tombstone prev null', { type: 'plc_tombstone', prev: null, sig: base.sig }, 'prev'],
    ['legacy create with prev', { ...DHOLMS_GENESIS, prev: DHOLMS_GENESIS_CID }, 'prev'],
    ['missing field', { ...base, alsoKnownAs: undefined }, 'alsoKnownAs'],
  ])('refuses %s', (_name, input, field) => {
    const json = JSON.parse(JSON.stringify(input)) as unknown;
    expect(parseError(json).field).toBe(field);
  });

  it('refuses non-objects', () => {
    expect(parseError(null).code).toBe('InvalidPlcOperation');
    expect(parseError([base]).code).toBe('InvalidPlcOperation');
    expect(parseError('{}').code).toBe('InvalidPlcOperation');
  });

  it('G1/G2/G3 at parse time: padded, non-canonical and DER signatures', () => {
    expect(parseError({ ...base, sig: `${base.sig}==` }).message).toMatch(/padding/);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = base.sig[base.sig.length - 1]!;
    const tweaked = base.sig.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1]!;
    expect(parseError({ ...base, sig: tweaked }).message).toMatch(/padding bits/);
    expect(parseError({ ...base, sig: b64url(toDer(fromB64url(base.sig))) }).message).toMatch(/DER/);
  });

  it('a "__proto__" service name stays an own property', () => {
    const json = JSON.parse(
      `{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"__proto__":{"type":"t","endpoint":"e"}},"prev":null}`,
    ) as unknown;
    const op = parseUnsignedOperation(json);
    expect(op.type === 'plc_operation' && Object.keys(op.services)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(op.type === 'plc_operation' ? op.services : {})).toBe(Object.prototype);
  });

  it('parseUnsignedOperation refuses a signed op; parseAnyOperation takes both', () => {
    expect(() => parseUnsignedOperation(base)).toThrow(/already signed/);
    expect(parseAnyOperation(base).type).toBe('plc_operation');
    expect(parseAnyOperation(ROBOCRACY_GENESIS_UNSIGNED).type).toBe('plc_operation');
  });
});

describe('signing and verification with fresh keys', () => {
  it('signs (64-byte low-S, unpadded base64url) and verifies with the right key index', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, null);
    const signed = signOperation(op, keys.r2);
    expect(signed.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifyOperationSignature(signed, op.rotationKeys)).toEqual({ ok: true, keyIndex: 2, key: op.rotationKeys[2] });
    // re-signing replaces the signature
    const again = signOperation(signed, keys.r0);
    expect(verifyOperationSignature(again, op.rotationKeys)).toMatchObject({ ok: true, keyIndex: 0 });
  });

  it('a key outside the list does not verify', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.attacker);
    const r = verifyOperationSignature(signed, [keys.r0.publicKey.did(), keys.r1.publicKey.did()]);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/does not verify against any of the 2 allowed rotation keys/);
  });

  it('a changed field invalidates the signature', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.r0) as PlcOperation;
    const tampered = { ...signed, alsoKnownAs: ['at://mallory.example.com'] };
    expect(verifyOperationSignature(tampered, signed.rotationKeys).ok).toBe(false);
  });

  it.each(['k256', 'p256'] as const)('G3: a high-S %s signature is refused with the reason', (type) => {
    const key = generatePrivateKey(type);
    const keys = makeKeys();
    const op = { ...atprotoOp(keys, null), rotationKeys: [key.publicKey.did()] };
    const signed = signOperation(op, key);
    const flipped = { ...signed, sig: b64url(highS(fromB64url(signed.sig), type)) };
    // The flipped signature is a valid ECDSA signature, only high-S:
    expect(parseOperation(flipped).type).toBe('plc_operation');
    const r = verifyOperationSignature(flipped, op.rotationKeys);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/high-S/);
  });

  it('G3: a DER signature is refused by verification too', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.r0);
    const der = { ...signed, sig: b64url(toDer(fromB64url(signed.sig))) };
    const r = verifyOperationSignature(der, rotationKeysOf(signed));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/DER/);
  });

  it('no rotation keys (a tombstone as prev) never verifies', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.r0);
    expect(verifyOperationSignature(signed, []).reason).toMatch(/no rotation keys/);
  });

  it('unusable keys in the list are skipped and named', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.r1);
    const r = verifyOperationSignature(signed, ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', keys.r1.publicKey.did()]);
    expect(r).toMatchObject({ ok: true, keyIndex: 1 });
  });

  it('didForGenesis refuses non-genesis operations', () => {
    expect(() => didForGenesis(parseOperation(DHOLMS_UPDATE))).toThrow(/genesis/);
    const keys = makeKeys();
    const tomb = signOperation({ type: 'plc_tombstone', prev: DHOLMS_GENESIS_CID }, keys.r0);
    expect(() => didForGenesis(tomb)).toThrow(/tombstone/);
  });

  it('signOperation refuses a malformed operation', () => {
    const keys = makeKeys();
    expect(() => signOperation({ ...atprotoOp(keys, null), extra: true } as never, keys.r0)).toThrow(/unexpected field/);
  });
});

function rotationKeysOf(op: { type: string; rotationKeys?: string[] }): string[] {
  return op.rotationKeys ?? [];
}
