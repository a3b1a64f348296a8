import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { operationCid, signOperation, type UnsignedPlcOperation } from '../../../src/core/plc/index.js';
import type { PlcDirectoryClient } from '../../../src/core/plc/directory.js';
import type { XrpcClient } from '../../../src/core/xrpc/index.js';
import {
  checkPdsSubmission,
  parsePdsSubmission,
  parsePdsUpdateRequest,
  planPdsUpdate,
  submitPdsUpdate,
} from '../../../src/core/account/plc-update.js';
import { LogBuilder, T0, atprotoOp, makeKeys, rotationDids } from '../plc/helpers.js';

/** A DID whose host holds r1 and r2; the user holds r0. */
function scenario() {
  const keys = makeKeys();
  const log = new LogBuilder();
  const head = log.add(atprotoOp(keys, null), keys.r1, T0);
  return { keys, log, head, hostKeys: [keys.r1.publicKey.did(), keys.r2.publicKey.did()] };
}

const newKey = (): string => generatePrivateKey('p256').publicKey.did();

describe('parsePdsUpdateRequest', () => {
  it('takes any of the four fields, the prev it was built on, and operation files with their DID', () => {
    const key = newKey();
    expect(parsePdsUpdateRequest({ rotationKeys: [key], other: 1 })).toEqual({ fields: { rotationKeys: [key] } });
    const { keys, log, head } = scenario();
    const unsigned: UnsignedPlcOperation = { ...atprotoOp(keys, head, 'alice.new.example') };
    expect(parsePdsUpdateRequest(unsigned)).toMatchObject({ prev: head, fields: { alsoKnownAs: ['at://alice.new.example'] } });
    expect(parsePdsUpdateRequest({ did: log.did, operation: unsigned })).toMatchObject({ did: log.did, prev: head, fields: { rotationKeys: rotationDids(keys) } });
  });

  it('refuses what names nothing to sign, is not an object, or is not an update', () => {
    expect(() => parsePdsUpdateRequest({ prev: 'x' })).toThrow(/nothing to sign/);
    expect(() => parsePdsUpdateRequest([1, 2])).toThrow(expect.objectContaining({ code: 'InvalidOperation', kind: 'invalid' }));
    const { log, head } = scenario();
    expect(() => parsePdsUpdateRequest({ did: log.did, operation: { type: 'plc_tombstone', prev: head } })).toThrow(/plc_tombstone operation is not an identity update/);
  });
});

describe('planPdsUpdate: the next operation the host is asked to sign', () => {
  it('lays the requested fields over the verified head; the rest keep their values; the diff names the change', () => {
    const { keys, log, head, hostKeys } = scenario();
    const mine = newKey();
    const plan = planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: [mine, ...rotationDids(keys)].slice(0, 4) } }, hostKeys);
    expect(plan.prev).toBe(head);
    expect(plan.after.rotationKeys[0]).toBe(mine);
    expect(plan.after.services).toEqual(plan.before.services);
    expect(plan.after.verificationMethods).toEqual({ atproto: keys.signing.publicKey.did() });
    expect(plan.changes.map((c) => c.message).join('\n')).toContain('rotation key added at #0');
    expect(plan.warnings).toEqual([]);
  });

  it("warns when the update drops every rotation key of the host (it could not sign again), not when one stays", () => {
    const { keys, log, hostKeys } = scenario();
    const dropped = planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: [keys.r0.publicKey.did()] } }, hostKeys);
    expect(dropped.warnings.join(' ')).toMatch(/drops the host's own rotation keys .* will refuse to submit it/);
    const kept = planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: [keys.r0.publicKey.did(), keys.r2.publicKey.did()] } }, hostKeys);
    expect(kept.warnings).toEqual([]);
    expect(planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: [keys.r0.publicKey.did()] } }).warnings).toEqual([]);
  });

  it('refuses a stale prev, an invalid result, another DID, a non-plc DID, a log that does not verify, a tombstoned DID', () => {
    const { keys, log, hostKeys } = scenario();
    expect(() => planPdsUpdate(log.did, log.entries, { fields: { alsoKnownAs: ['at://x.example.com'] }, prev: 'bafyreiold' })).toThrow(
      expect.objectContaining({ code: 'StalePrev', kind: 'invalid' }),
    );
    const six = Array.from({ length: 6 }, newKey);
    expect(() => planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: six } }, hostKeys)).toThrow(expect.objectContaining({ code: 'InvalidPlcOperation' }));
    expect(() => planPdsUpdate(log.did, log.entries, { fields: { rotationKeys: [keys.r0.publicKey.did()] }, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })).toThrow(
      expect.objectContaining({ code: 'OperationDidMismatch', kind: 'usage' }),
    );
    expect(() => planPdsUpdate('did:web:example.com', log.entries, { fields: { alsoKnownAs: [] } })).toThrow(expect.objectContaining({ code: 'NotPlcDid' }));
    const doctored = log.copy();
    (doctored[0]!.operation as { sig: string }).sig = 'AAAA';
    expect(() => planPdsUpdate(log.did, doctored, { fields: { alsoKnownAs: [] } })).toThrow(expect.objectContaining({ code: 'InvalidAuditLog' }));
    const dead = scenario();
    dead.log.add({ type: 'plc_tombstone', prev: dead.head }, dead.keys.r0, T0 + 1000);
    expect(() => planPdsUpdate(dead.log.did, dead.log.entries, { fields: { alsoKnownAs: [] } })).toThrow(expect.objectContaining({ code: 'Tombstoned' }));
  });
});

describe('submitting a signed update through the host', () => {
  function directory(entries: () => unknown[]): PlcDirectoryClient {
    return {
      getAuditLog: async () => entries(),
      getLastOperation: async () => (entries().at(-1) as { operation: unknown }).operation,
    } as unknown as PlcDirectoryClient;
  }

  function host(onSubmit: (op: unknown) => void): XrpcClient {
    return {
      service: 'https://pds.example.com',
      procedure: async (nsid: string, body: { operation: unknown }) => {
        expect(nsid).toBe('com.atproto.identity.submitPlcOperation');
        onSubmit(body.operation);
        return undefined;
      },
    } as unknown as XrpcClient;
  }

  it('reads bare operations and operation files; submits one that checks out and confirms the head', async () => {
    const { keys, log, head } = scenario();
    const signed = signOperation({ ...atprotoOp(keys, head, 'alice.next.example') }, keys.r1);
    expect(parsePdsSubmission(signed)).toEqual({ operation: signed });
    expect(parsePdsSubmission({ did: log.did, operation: signed })).toEqual({ operation: signed, did: log.did });
    const plc = directory(() => log.entries);
    const check = await checkPdsSubmission(plc, log.did, parsePdsSubmission({ did: log.did, operation: signed }));
    expect(check).toMatchObject({ alreadyApplied: false, prevIsHead: true, signedBy: { keyIndex: 1 } });
    await submitPdsUpdate(host((op) => log.addSigned(op as typeof signed, T0 + 2000)), plc, check);
    expect(log.entries.at(-1)!.cid).toBe(operationCid(signed));
    // Submitted once: the same file again is "already applied".
    expect((await checkPdsSubmission(plc, log.did, { operation: signed })).alreadyApplied).toBe(true);
  });

  it('refuses before sending: a forged signature, a stale prev, a file for another DID; a head that does not change is SubmitNotConfirmed', async () => {
    const { keys, log, head } = scenario();
    const plc = directory(() => log.entries);
    const forged = signOperation({ ...atprotoOp(keys, head, 'alice.evil.example') }, keys.attacker);
    await expect(checkPdsSubmission(plc, log.did, { operation: forged })).rejects.toMatchObject({
      code: 'PlcOperationRefused',
      details: { problems: [expect.stringMatching(/signature does not verify/)] },
    });
    const first = signOperation({ ...atprotoOp(keys, head, 'alice.one.example') }, keys.r1);
    const second = signOperation({ ...atprotoOp(keys, head, 'alice.two.example') }, keys.r1);
    log.addSigned(first, T0 + 1000);
    await expect(checkPdsSubmission(plc, log.did, { operation: second })).rejects.toMatchObject({ code: 'StalePrev', kind: 'invalid' });
    await expect(checkPdsSubmission(plc, log.did, { operation: second, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })).rejects.toMatchObject({ code: 'OperationDidMismatch' });

    const next = signOperation({ ...atprotoOp(keys, operationCid(first), 'alice.three.example') }, keys.r2);
    const check = await checkPdsSubmission(plc, log.did, { operation: next });
    await expect(submitPdsUpdate(host(() => undefined), plc, check)).rejects.toMatchObject({ code: 'SubmitNotConfirmed', details: { did: log.did } });
  });
});
