import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import {
  buildGenesis,
  buildTombstone,
  buildUpdate,
  checkOperationForBuild,
  diffOperationData,
  operationCid,
  operationData,
  signOperation,
  verifyAuditLog,
  type OperationData,
} from '../../../src/core/plc/index.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, makeKeys, rotationDids } from './helpers.js';

const PREV = 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq';
const ED25519 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

function richState(): { keys: ReturnType<typeof makeKeys>; data: OperationData } {
  const keys = makeKeys();
  return {
    keys,
    data: {
      rotationKeys: rotationDids(keys),
      verificationMethods: { atproto: keys.signing.publicKey.did(), labeler: ED25519 },
      alsoKnownAs: ['at://alice.example.com', 'https://alice.example.com', 'at://alias.example.net'],
      services: {
        atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' },
        atproto_labeler: { type: 'AtprotoLabeler', endpoint: 'https://labeler.example.com' },
      },
    },
  };
}

describe('buildGenesis', () => {
  it('builds a valid unsigned genesis operation', () => {
    const keys = makeKeys();
    const op = buildGenesis({
      rotationKeys: rotationDids(keys),
      signingKey: keys.signing.publicKey.did(),
      handle: 'Alice.Example.com',
      pds: 'https://pds.example.com',
    });
    expect(op).toEqual({ ...atprotoOp(keys, null), alsoKnownAs: ['at://alice.example.com'] });
    expect(checkOperationForBuild(op)).toEqual([]);
  });

  it('refuses a bad handle, endpoint or key', () => {
    const keys = makeKeys();
    const base = { rotationKeys: rotationDids(keys), signingKey: keys.signing.publicKey.did(), handle: 'a.example.com', pds: 'https://p.example.com' };
    expect(() => buildGenesis({ ...base, handle: 'bad_handle' })).toThrow(/invalid handle/);
    expect(() => buildGenesis({ ...base, pds: 'http://169.254.169.254' })).toThrow(/PDS endpoint/);
    expect(() => buildGenesis({ ...base, signingKey: ED25519 })).toThrow(/signing key is not a p256\/k256 did:key/);
    expect(() => buildGenesis({ ...base, rotationKeys: [ED25519] })).toThrow(/rotation key #0/);
  });
});

describe('buildUpdate', () => {
  it('J4: keeps every unrelated service, verification method and alsoKnownAs entry', () => {
    const { data } = richState();
    const newSigning = generatePrivateKey('p256').publicKey.did();
    const op = buildUpdate(data, { prev: PREV, handle: 'bob.example.org', pds: 'https://new-pds.example.com', signingKey: newSigning });
    expect(op).toEqual({
      type: 'plc_operation',
      rotationKeys: data.rotationKeys,
      verificationMethods: { atproto: newSigning, labeler: ED25519 },
      alsoKnownAs: ['at://bob.example.org', 'https://alice.example.com', 'at://alias.example.net'],
      services: {
        atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://new-pds.example.com' },
        atproto_labeler: { type: 'AtprotoLabeler', endpoint: 'https://labeler.example.com' },
      },
      prev: PREV,
    });
    // the input is not modified
    expect(data.alsoKnownAs[0]).toBe('at://alice.example.com');
  });

  it('no edits = a copy with the new prev', () => {
    const { data } = richState();
    expect(operationData(buildUpdate(data, { prev: PREV }))).toEqual(data);
  });

  it('a handle already present elsewhere moves to the front without duplication', () => {
    const { data } = richState();
    const op = buildUpdate(data, { prev: PREV, handle: 'at://alias.example.net' });
    expect(op.alsoKnownAs).toEqual(['at://alias.example.net', 'https://alice.example.com']);
  });

  it('adds (last or first) and removes rotation keys', () => {
    const { keys, data } = richState();
    const extra = generatePrivateKey('k256').publicKey.did();
    expect(buildUpdate(data, { prev: PREV, addRotationKeys: [extra] }).rotationKeys).toEqual([...data.rotationKeys, extra]);
    expect(buildUpdate(data, { prev: PREV, addRotationKeys: [extra], addRotationKeysAt: 'first' }).rotationKeys).toEqual([
      extra,
      ...data.rotationKeys,
    ]);
    expect(buildUpdate(data, { prev: PREV, removeRotationKeys: [keys.r1.publicKey.did()] }).rotationKeys).toEqual([
      keys.r0.publicKey.did(),
      keys.r2.publicKey.did(),
    ]);
  });

  it('refuses malformed edits', () => {
    const { keys, data } = richState();
    expect(() => buildUpdate(data, { prev: 'nope' })).toThrow(/invalid prev/);
    expect(() => buildUpdate(data, { prev: undefined as unknown as string })).toThrow(/prev/);
    expect(() => buildUpdate(data, { prev: PREV, addRotationKeys: [keys.r0.publicKey.did()] })).toThrow(/already present/);
    expect(() => buildUpdate(data, { prev: PREV, addRotationKeys: [ED25519] })).toThrow(/not a p256\/k256/);
    expect(() => buildUpdate(data, { prev: PREV, removeRotationKeys: [keys.attacker.publicKey.did()] })).toThrow(/not one of the current/);
    expect(() => buildUpdate(data, { prev: PREV, handle: 'x' })).toThrow(/invalid handle/);
    expect(() => buildUpdate(data, { prev: PREV, pds: 'http://pds.example.com' })).toThrow(/https/);
  });

  it('an update built from a verified head signs, verifies and extends the log', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    log.add(atprotoOp(keys, null), keys.r0, T0);
    const before = verifyAuditLog(log.did, log.entries);
    const head = before.head!;
    const op = buildUpdate(head.data!, { prev: head.cid, handle: 'renamed.example.com' });
    expect(checkOperationForBuild(op)).toEqual([]);
    const signed = signOperation(op, keys.r1);
    log.addSigned(signed, T0 + HOUR_MS);
    const after = verifyAuditLog(log.did, log.entries);
    expect(after.problems).toEqual([]);
    expect(after.head!.cid).toBe(operationCid(signed));
    expect(after.head!.data!.alsoKnownAs).toEqual(['at://renamed.example.com']);
  });

  it('buildTombstone', () => {
    expect(buildTombstone(PREV)).toEqual({ type: 'plc_tombstone', prev: PREV });
    expect(() => buildTombstone('x')).toThrow(/invalid prev/);
  });
});

describe('diffOperationData', () => {
  it('names every change, field by field', () => {
    const { keys, data } = richState();
    const extra = generatePrivateKey('k256').publicKey.did();
    const newSigning = generatePrivateKey('k256').publicKey.did();
    const after = operationData(
      buildUpdate(data, {
        prev: PREV,
        handle: 'bob.example.org',
        pds: 'https://new-pds.example.com',
        signingKey: newSigning,
        addRotationKeys: [extra],
        addRotationKeysAt: 'first',
        removeRotationKeys: [keys.r2.publicKey.did()],
      }),
    )!;
    const changes = diffOperationData(data, after);
    expect(changes.map((c) => [c.field, c.action, c.name ?? c.toIndex ?? c.fromIndex])).toEqual([
      ['rotationKeys', 'removed', 2],
      ['rotationKeys', 'added', 0],
      ['verificationMethods', 'changed', 'atproto'],
      ['alsoKnownAs', 'removed', 0],
      ['alsoKnownAs', 'added', 0],
      ['services', 'changed', 'atproto_pds'],
    ]);
    expect(changes[1]!.message).toBe(`rotation key added at #0 (highest priority): ${extra}`);
    expect(changes[5]!.message).toBe('service "atproto_pds" changed: endpoint https://pds.example.com → https://new-pds.example.com');
    // shifting positions because of an addition is not a move
    expect(changes.some((c) => c.action === 'moved')).toBe(false);
  });

  it('reports a reordering of rotation keys as moves', () => {
    const { data } = richState();
    const after = { ...data, rotationKeys: [data.rotationKeys[1]!, data.rotationKeys[0]!, data.rotationKeys[2]!] };
    const changes = diffOperationData(data, after);
    expect(changes.map((c) => [c.action, c.fromIndex, c.toIndex])).toEqual([
      ['moved', 1, 0],
      ['moved', 0, 1],
    ]);
  });

  it('services and verification methods added/removed; nothing for identical data', () => {
    const { data } = richState();
    expect(diffOperationData(data, data)).toEqual([]);
    const after: OperationData = {
      ...data,
      verificationMethods: { atproto: data.verificationMethods['atproto']!, extra: ED25519 },
      services: { atproto_pds: data.services['atproto_pds']!, feed: { type: 'BskyFeedGenerator', endpoint: 'https://feed.example.com' } },
    };
    expect(diffOperationData(data, after).map((c) => `${c.field} ${c.action} ${c.name}`)).toEqual([
      'verificationMethods removed labeler',
      'verificationMethods added extra',
      'services removed atproto_labeler',
      'services added feed',
    ]);
  });

  it('genesis and tombstone', () => {
    const { data } = richState();
    const created = diffOperationData(null, data);
    expect(created[0]).toMatchObject({ field: 'status', action: 'added' });
    expect(created.filter((c) => c.action === 'added')).toHaveLength(1 + 3 + 2 + 3 + 2);
    expect(diffOperationData(data, null)).toEqual([expect.objectContaining({ field: 'status', message: expect.stringMatching(/deactivates/) })]);
  });
});
