import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import type { PlcDirectoryClient } from '../../../src/core/plc/directory.js';
import { verifyAuditLog } from '../../../src/core/plc/index.js';
import { planUpdate, prepareGenesis, prepareUpdate, requireBuildable } from '../../../src/core/plc/prepare.js';
import { HOUR_MS, LogBuilder, T0, fetched, thrown, atprotoOp, iso, linearLog, makeKeys, rotationDids } from './helpers.js';



describe('requireBuildable', () => {
  it('returns the warnings of a buildable operation', () => {
    const keys = makeKeys();
    const op = { ...atprotoOp(keys, null), verificationMethods: { atproto: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' } };
    expect(requireBuildable(op, 'to build it')).toEqual([expect.stringMatching(/^verificationMethods\.atproto: is an ed25519 key/)]);
  });

  it('refuses with every error named, and caps a hostile list at 20 with a count of the rest', () => {
    const keys = makeKeys();
    const op = { ...atprotoOp(keys, null), rotationKeys: Array.from({ length: 20_000 }, (_, i) => `did:key:zBad${i}`) };
    const err = thrown(() => requireBuildable(op, 'to sign this operation'));
    expect(err).toMatchObject({ kind: 'invalid', code: 'InvalidPlcOperation' });
    expect(err.message).toMatch(/^refusing to sign this operation \(\d+ problems\):$/);
    const details = err.details as { problems: string[]; problemsOmitted: number };
    expect(details.problems).toHaveLength(20);
    expect(details.problems.length + details.problemsOmitted).toBeGreaterThan(20_000);
  });
});

describe('prepareGenesis', () => {
  const keys = makeKeys();
  const input = { rotationKeys: rotationDids(keys), signingKey: keys.signing.publicKey.did(), handle: 'alice.example.com', pds: 'https://pds.example.com' };

  it('builds and checks a genesis operation and says what it sets up', () => {
    const g = prepareGenesis(input);
    expect(g.operation).toEqual(atprotoOp(keys, null));
    expect(g.changes[0]).toMatchObject({ field: 'status', action: 'added' });
    expect(g.changes.map((c) => c.message)).toContain('alsoKnownAs entry added at #0: at://alice.example.com');
    expect(g.warnings).toEqual([]);
  });

  it('reports every problem at once when there are several, and the one problem as it is', () => {
    const several = thrown(() => prepareGenesis({ ...input, handle: 'not a handle', pds: 'http://pds.example.com' }));
    expect(several.code).toBe('InvalidPlcOperation');
    expect((several.details as { problems: string[] }).problems.join('\n')).toMatch(/handle[\s\S]*https|https[\s\S]*handle/);
    const one = thrown(() => prepareGenesis({ ...input, handle: 'not a handle' }));
    expect(one).toMatchObject({ code: 'InvalidPlcUpdate' });
    expect(one.message).toMatch(/invalid handle/);
  });
});

describe('planUpdate: the base state of an update', () => {
  it('a regular update builds on the head, shows the change against it, and any rotation key may sign', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const plan = planUpdate(log.did, fetched(log), { handle: 'new.example.com' }, iso(T0 + 49 * HOUR_MS));
    expect(plan.operation).toEqual(atprotoOp(keys, cids[2]!, 'new.example.com'));
    expect(plan).toMatchObject({ base: { index: 2, cid: cids[2] }, head: { index: 2, cid: cids[2] }, nullifies: [] });
    expect(plan.changes.map((c) => c.message)).toEqual(['alsoKnownAs entry removed (was #0): at://alice3.example.com', 'alsoKnownAs entry added at #0: at://new.example.com']);
    expect(plan.signers).toEqual(rotationDids(keys).map((key, keyIndex) => ({ keyIndex, key })));
  });

  it('a recovery builds on the fork point, lists what it nullifies, shows the change against the head, and only higher keys may sign', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys); // op1 signed by r2
    const plan = planUpdate(log.did, fetched(log), { handle: 'back.example.com', prev: cids[0]! }, iso(T0 + 49 * HOUR_MS));
    expect(plan.operation.prev).toBe(cids[0]);
    expect(plan.base).toEqual({ index: 0, cid: cids[0] });
    expect(plan.nullifies.map((n) => n.label)).toEqual([`operation #1 (${cids[1]})`, `operation #2 (${cids[2]})`]);
    expect(plan.changes.map((c) => c.message)).toContain('alsoKnownAs entry removed (was #0): at://alice3.example.com');
    expect(plan.signers.map((s) => s.keyIndex)).toEqual([0, 1]);
  });

  it('refuses a deactivated DID, but a recovery may undo the tombstone', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r1, T0);
    log.add({ type: 'plc_tombstone', prev: c0 }, keys.r1, T0 + HOUR_MS);
    const now = iso(T0 + 2 * HOUR_MS);
    expect(thrown(() => planUpdate(log.did, fetched(log), { handle: 'x.example.com' }, now)).code).toBe('PlcDeactivated');
    const recovery = planUpdate(log.did, fetched(log), { handle: 'x.example.com', prev: c0 }, now);
    expect(recovery.signers.map((s) => s.keyIndex)).toEqual([0]);
    expect(recovery.changes.map((c) => c.message)).toContain('alsoKnownAs entry added at #0: at://x.example.com');
  });

  it('refuses a log that does not verify and a prev nothing may extend', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const doctored = log.copy();
    doctored[1]!.nullified = true;
    expect(thrown(() => planUpdate(log.did, { entries: doctored, verification: verifyAuditLog(log.did, doctored) }, { handle: 'x.example.com' }, iso(T0 + 49 * HOUR_MS))).code).toBe('AuditLogInvalid');
    // op2 was signed by r0: nothing outranks it, so op1 cannot be built on
    const stale = thrown(() => planUpdate(log.did, fetched(log), { handle: 'x.example.com', prev: cids[1]! }, iso(T0 + 49 * HOUR_MS)));
    expect(stale.code).toBe('InvalidPrev');
    expect(stale.message).toMatch(/no key has a higher priority/);
  });

  it('warns when none of the current rotation keys remain', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const fresh = generatePrivateKey('k256').publicKey.did();
    const plan = planUpdate(log.did, fetched(log), { addRotationKeys: [fresh], removeRotationKeys: rotationDids(keys) }, iso(T0 + 49 * HOUR_MS));
    expect(plan.warnings.join('\n')).toMatch(/none of the current rotation keys remain/);
  });
});

describe('prepareUpdate', () => {
  const never = { getAuditLog: () => Promise.reject(new Error('no request may be made')) } as unknown as PlcDirectoryClient;

  it('refuses an update that changes nothing, or a malformed prev, before any request', async () => {
    await expect(prepareUpdate(never, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', {})).rejects.toMatchObject({ kind: 'usage', code: 'NothingToChange' });
    await expect(prepareUpdate(never, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', { handle: 'a.example.com', prev: 'nope' })).rejects.toMatchObject({ kind: 'usage', code: 'InvalidCid' });
  });
});
