import { describe, expect, it } from 'vitest';
import {
  authorityForPrev,
  buildUpdate,
  checkNextOperation,
  lockoutProblem,
  operationData,
  signOperation,
  verifyAuditLog,
} from '../../../src/core/plc/index.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, iso, linearLog, makeKeys, rotationDids } from './helpers.js';

describe('authorityForPrev', () => {
  it('the head: every rotation key may sign', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const a = authorityForPrev(log.did, log.entries, cids[2]!, iso(T0 + 49 * HOUR_MS));
    expect(a).toMatchObject({ isHead: true, index: 2, allowedKeys: rotationDids(keys), wouldNullify: [] });
    expect(a.problem).toBeUndefined();
  });

  it('a stale prev is a fork: only keys above the first nullified op’s signer, inside 72 h', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys); // op1 (prev = op0) is signed by r2
    const inside = authorityForPrev(log.did, log.entries, cids[0]!, iso(T0 + 24 * HOUR_MS + 72 * HOUR_MS));
    expect(inside).toMatchObject({ isHead: false, wouldNullify: [cids[1], cids[2]], allowedKeys: rotationDids(keys).slice(0, 2) });
    expect(inside.problem).toBeUndefined();
    const late = authorityForPrev(log.did, log.entries, cids[0]!, iso(T0 + 24 * HOUR_MS + 72 * HOUR_MS + 1000));
    expect(late.allowedKeys).toEqual([]);
    expect(late.problem).toMatch(/recovery window is 72h/);
    // op2 (prev = op1) is signed by r0: nothing outranks it
    const none = authorityForPrev(log.did, log.entries, cids[1]!, iso(T0 + 49 * HOUR_MS));
    expect(none.problem).toMatch(/no key has a higher priority/);
  });

  it('unknown, nullified and tombstone prevs', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
    const c1 = log.add(atprotoOp(keys, c0, 'x.example.com'), keys.r2, T0 + HOUR_MS, true);
    const c2 = log.add({ type: 'plc_tombstone', prev: c0 }, keys.r1, T0 + 2 * HOUR_MS);
    const now = iso(T0 + 3 * HOUR_MS);
    expect(authorityForPrev(log.did, log.entries, c1, now).problem).toMatch(/nullified/);
    expect(authorityForPrev(log.did, log.entries, c2, now).problem).toMatch(/tombstone/);
    expect(authorityForPrev(log.did, log.entries, 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq', now).problem).toMatch(
      /not an accepted operation/,
    );
    // r0 can still undo the tombstone inside the window
    expect(authorityForPrev(log.did, log.entries, c0, now)).toMatchObject({ allowedKeys: [keys.r0.publicKey.did()], wouldNullify: [c2] });
  });
});

describe('checkNextOperation', () => {
  it('accepts an authorised update of the head and refuses an unauthorised one', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const head = verifyAuditLog(log.did, log.entries).head!;
    const op = buildUpdate(head.data!, { prev: cids[2]!, pds: 'https://elsewhere.example.com' });
    const good = checkNextOperation(log.did, log.entries, signOperation(op, keys.r2), iso(T0 + 50 * HOUR_MS));
    expect(good.report).toMatchObject({ valid: true, signedBy: { keyIndex: 2 } });
    expect(good.log.valid).toBe(true);
    const bad = checkNextOperation(log.did, log.entries, signOperation(op, keys.attacker), iso(T0 + 50 * HOUR_MS));
    expect(bad.report.valid).toBe(false);
    expect(bad.report.problems[0]).toMatch(/not signed by a rotation key of operation #2/);
  });

  it('a stale prev signed by a low-priority key is refused; by a higher one it is a recovery', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const data = operationData(atprotoOp(keys, null))!;
    const op = buildUpdate(data, { prev: cids[0]!, handle: 'stale.example.com' });
    const now = iso(T0 + 50 * HOUR_MS);
    expect(checkNextOperation(log.did, log.entries, signOperation(op, keys.r2), now).report.problems[0]).toMatch(/strictly higher-priority/);
    const recovery = checkNextOperation(log.did, log.entries, signOperation(op, keys.r1), now);
    expect(recovery.report).toMatchObject({ valid: true, nullifies: [cids[1], cids[2]] });
  });

  it('reports a malformed operation', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const r = checkNextOperation(log.did, log.entries, { type: 'plc_operation' }, iso(T0 + 50 * HOUR_MS));
    expect(r.report.valid).toBe(false);
    expect(r.report.problems[0]).toMatch(/invalid PLC operation/);
  });
});

describe('lockoutProblem', () => {
  it('refuses dropping every rotation key the operator holds', () => {
    const keys = makeKeys();
    const before = operationData(atprotoOp(keys, null))!;
    const held = [keys.r2.publicKey.did()];
    const after = operationData(buildUpdate(before, { prev: 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq', removeRotationKeys: held }))!;
    expect(lockoutProblem(before, after, held)).toMatch(/hold none of the rotation keys \(you now hold #2\)/);
    expect(lockoutProblem(before, before, held)).toBeNull();
    // not held before: nothing to lose
    expect(lockoutProblem(before, after, [keys.attacker.publicKey.did()])).toBeNull();
    expect(lockoutProblem(before, null, held)).toBeNull();
  });
});
