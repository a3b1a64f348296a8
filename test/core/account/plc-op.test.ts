import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { operationData, signOperation, type OperationData, type UnsignedPlcOperation } from '../../../src/core/plc/index.js';
import { checkSignedMigrationOp, checkSignedUpdate, planMigrationOperation, sameOperationData } from '../../../src/core/account/plc-op.js';
import type { DidCredentials } from '../../../src/core/account/admin.js';
import { LogBuilder, T0, HOUR_MS } from '../plc/helpers.js';

const key = (): string => generatePrivateKey('k256').publicKey.did();

function setup() {
  const oldRecovery = generatePrivateKey('k256');
  const oldRotation = generatePrivateKey('k256');
  const user = generatePrivateKey('p256');
  const signing = generatePrivateKey('k256');
  const current: OperationData = {
    rotationKeys: [user.publicKey.did(), oldRecovery.publicKey.did(), oldRotation.publicKey.did()],
    verificationMethods: { atproto: signing.publicKey.did(), other: key() },
    alsoKnownAs: ['at://alice.old.example', 'https://alice.example/profile'],
    services: {
      atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://old.example' },
      example_svc: { type: 'ExampleService', endpoint: 'https://svc.example.com' },
    },
  };
  const recommended: DidCredentials = {
    rotationKeys: [key(), key()],
    verificationMethods: { atproto: key() },
    alsoKnownAs: ['at://alice.new.example'],
    services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://new.example' } },
  };
  return { oldRecovery, oldRotation, user, signing, current, recommended, oldHostKeys: [oldRecovery.publicKey.did(), oldRotation.publicKey.did()] };
}

describe('planMigrationOperation', () => {
  it("replaces the old host's keys in place and keeps the user's keys, services, methods and other handles", () => {
    const s = setup();
    const log = new LogBuilder();
    const prev = log.add({ type: 'plc_operation', ...s.current, prev: null }, s.oldRotation, T0);
    const plan = planMigrationOperation({ current: s.current, prev, oldHostKeys: s.oldHostKeys, recommended: s.recommended });
    expect(plan.planned.rotationKeys).toEqual([s.user.publicKey.did(), ...s.recommended.rotationKeys]);
    expect(plan.planned.verificationMethods).toEqual({ atproto: s.recommended.verificationMethods['atproto'], other: s.current.verificationMethods['other'] });
    expect(plan.planned.alsoKnownAs).toEqual(['at://alice.new.example', 'https://alice.example/profile']);
    expect(plan.planned.services).toEqual({ atproto_pds: s.recommended.services['atproto_pds'], example_svc: s.current.services['example_svc'] });
    expect(plan.keptRotationKeys).toEqual([s.user.publicKey.did()]);
    expect(plan.removedRotationKeys).toEqual(s.oldHostKeys);
    expect(plan.addedRotationKeys).toEqual(s.recommended.rotationKeys);
    expect(plan.keptServices).toEqual(['example_svc']);
    expect(plan.keptVerificationMethods).toEqual(['other']);
    expect(plan.keptAlsoKnownAs).toEqual(['https://alice.example/profile']);
    expect(plan.warnings).toEqual([]);
    expect(plan.changes.map((c) => c.message).join('\n')).toContain('service "atproto_pds" changed');
  });

  it('keeps a user key ranked below the host keys where it was, and warns that it ranks low', () => {
    const s = setup();
    const current = { ...s.current, rotationKeys: [...s.oldHostKeys, s.user.publicKey.did()] };
    const log = new LogBuilder();
    const prev = log.add({ type: 'plc_operation', ...current, prev: null }, s.oldRotation, T0);
    const plan = planMigrationOperation({ current, prev, oldHostKeys: s.oldHostKeys, recommended: s.recommended });
    expect(plan.planned.rotationKeys).toEqual([...s.recommended.rotationKeys, s.user.publicKey.did()]);
    expect(plan.warnings.join(' ')).toMatch(/rank below/);
  });

  it('puts --recovery-key first, and warns when nobody but the new host would hold a key', () => {
    const s = setup();
    const current = { ...s.current, rotationKeys: s.oldHostKeys };
    const log = new LogBuilder();
    const prev = log.add({ type: 'plc_operation', ...current, prev: null }, s.oldRotation, T0);
    const bare = planMigrationOperation({ current, prev, oldHostKeys: s.oldHostKeys, recommended: s.recommended });
    expect(bare.planned.rotationKeys).toEqual(s.recommended.rotationKeys);
    expect(bare.warnings.join(' ')).toMatch(/only the new host holds a rotation key/);
    const recovery = key();
    const withKey = planMigrationOperation({ current, prev, oldHostKeys: s.oldHostKeys, recommended: s.recommended, recoveryKey: recovery });
    expect(withKey.planned.rotationKeys).toEqual([recovery, ...s.recommended.rotationKeys]);
    expect(withKey.warnings).toEqual([]);
  });

  it('refuses a plan the directory would refuse (too many rotation keys) and unusable recommendations', () => {
    const s = setup();
    const current = { ...s.current, rotationKeys: [key(), key(), key(), ...s.oldHostKeys] };
    const log = new LogBuilder();
    const prev = log.add({ type: 'plc_operation', ...current, prev: null }, s.oldRotation, T0);
    expect(() => planMigrationOperation({ current, prev, oldHostKeys: s.oldHostKeys, recommended: { ...s.recommended, rotationKeys: [key(), key(), key()] } })).toThrow(/at most 5|rotation keys/);
    expect(() => planMigrationOperation({ current: s.current, prev, oldHostKeys: s.oldHostKeys, recommended: { ...s.recommended, rotationKeys: [] } })).toThrow(/no rotation key/);
    expect(() => planMigrationOperation({ current: s.current, prev, oldHostKeys: s.oldHostKeys, recommended: { ...s.recommended, verificationMethods: {} } })).toThrow(/signing key/);
    expect(() => planMigrationOperation({ current: s.current, prev, oldHostKeys: s.oldHostKeys, recommended: { ...s.recommended, services: {} } })).toThrow(/atproto_pds/);
    expect(() => planMigrationOperation({ current: s.current, prev, oldHostKeys: s.oldHostKeys, recommended: s.recommended, recoveryKey: 'did:key:nope' })).toThrow(/did:key/);
  });
});

describe('checkSignedUpdate / checkSignedMigrationOp', () => {
  function signedScenario() {
    const s = setup();
    const log = new LogBuilder();
    const genesis: UnsignedPlcOperation = { type: 'plc_operation', ...s.current, prev: null };
    const head = log.add(genesis, s.oldRotation, T0);
    const plan = planMigrationOperation({ current: s.current, prev: head, oldHostKeys: s.oldHostKeys, recommended: s.recommended });
    const op = signOperation({ type: 'plc_operation', ...plan.planned, prev: head }, s.oldRotation);
    return { s, log, head, plan, op };
  }
  const now = new Date(T0 + HOUR_MS);

  it('accepts the planned operation signed by an authorised key on the head', () => {
    const { log, plan, op } = signedScenario();
    const check = checkSignedMigrationOp(log.did, log.entries, op, { planned: plan.planned, keptRotationKeys: plan.keptRotationKeys, keptServices: plan.keptServices }, now);
    expect(check.problems).toEqual([]);
    expect(check.prevIsHead).toBe(true);
    expect(check.signedBy?.keyIndex).toBe(2);
    expect(check.alreadyApplied).toBe(false);
  });

  it('refuses a signature by a key that is not a rotation key of the head', () => {
    const { log, plan, head } = signedScenario();
    const forged = signOperation({ type: 'plc_operation', ...plan.planned, prev: head }, generatePrivateKey('k256'));
    const check = checkSignedUpdate(log.did, log.entries, forged, now);
    expect(check.problems.join(' ')).toMatch(/signature does not verify/);
  });

  it('refuses an operation that differs from the plan (a dropped key or service)', () => {
    const { s, log, plan, head } = signedScenario();
    const dropped = { ...plan.planned, rotationKeys: plan.planned.rotationKeys.slice(1), services: { atproto_pds: plan.planned.services['atproto_pds']! } };
    const op = signOperation({ type: 'plc_operation', ...dropped, prev: head }, s.oldRotation);
    const check = checkSignedMigrationOp(log.did, log.entries, op, { planned: plan.planned, keptRotationKeys: plan.keptRotationKeys, keptServices: plan.keptServices }, now);
    const text = check.problems.join(' ');
    expect(text).toMatch(/other than what was planned/);
    expect(text).toMatch(/rotation key .* would be dropped/);
    expect(text).toMatch(/service "example_svc" would be dropped/);
  });

  it('reports a stale prev (another operation landed first), and recognises an operation already applied', () => {
    const { s, log, plan, op, head } = signedScenario();
    // Another update lands first.
    log.add({ type: 'plc_operation', ...s.current, alsoKnownAs: ['at://alice.other.example'], prev: head }, s.oldRotation, T0 + 1000);
    const stale = checkSignedUpdate(log.did, log.entries, op, now);
    expect(stale.stale).toBe(true);
    expect(stale.problems.join(' ')).toMatch(/not the current head/);

    const fresh = signedScenario();
    fresh.log.addSigned(fresh.op, T0 + 1000);
    const applied = checkSignedMigrationOp(fresh.log.did, fresh.log.entries, fresh.op, { planned: fresh.plan.planned, keptRotationKeys: [], keptServices: [] }, now);
    expect(applied.alreadyApplied).toBe(true);
    expect(applied.problems).toEqual([]);
    expect(sameOperationData(operationData(applied.operation)!, fresh.plan.planned)).toBe(true);
    void plan;
  });

  it('rejects what is not a signed plc_operation', () => {
    const { log } = signedScenario();
    expect(() => checkSignedUpdate(log.did, log.entries, { type: 'plc_tombstone', prev: log.entries[0]!.cid, sig: 'x' })).toThrow();
    expect(() => checkSignedUpdate(log.did, log.entries, { nonsense: true })).toThrow(/not a valid plc_operation/);
  });
});
