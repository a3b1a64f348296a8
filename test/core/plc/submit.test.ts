import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { signOperation } from '../../../src/core/plc/index.js';
import { checkSubmission } from '../../../src/core/plc/submit.js';
import { HOUR_MS, LogBuilder, atprotoOp, logDirectory, makeKeys, rotationDids } from './helpers.js';

describe('checkSubmission: the checks before anything is sent, and what each allow option lets through', () => {
  let dir: Awaited<ReturnType<typeof logDirectory>>;
  beforeAll(async () => {
    dir = await logDirectory();
  });
  afterAll(async () => {
    await dir.close();
  });

  function registered(): { keys: ReturnType<typeof makeKeys>; log: LogBuilder; head: string } {
    const keys = makeKeys();
    const log = new LogBuilder();
    const head = log.add(atprotoOp(keys, null), keys.r1, Date.now() - HOUR_MS);
    dir.logs.set(log.did, log.entries);
    return { keys, log, head };
  }

  it('an update without its DID is a usage error', async () => {
    const { keys, head } = registered();
    await expect(checkSubmission(dir.client, signOperation(atprotoOp(keys, head, 'x.example.com'), keys.r0))).rejects.toMatchObject({ kind: 'usage', code: 'MissingDid' });
  });

  it('a valid update: the signer, the change against the current state, nothing overridden', async () => {
    const { keys, log, head } = registered();
    const check = await checkSubmission(dir.client, signOperation(atprotoOp(keys, head, 'x.example.com'), keys.r2), { did: log.did });
    expect(check).toMatchObject({ did: log.did, signer: { keyIndex: 2 }, nullifies: [], nullifiesOmitted: 0, overridden: [], changesOmitted: 0 });
    expect(check.changes.map((c) => c.message)).toContain('alsoKnownAs entry added at #0: at://x.example.com');
  });

  it('a tombstone only with allowTombstone', async () => {
    const { keys, log, head } = registered();
    const tombstone = signOperation({ type: 'plc_tombstone', prev: head }, keys.r0);
    await expect(checkSubmission(dir.client, tombstone, { did: log.did })).rejects.toMatchObject({ code: 'Tombstone' });
    await expect(checkSubmission(dir.client, tombstone, { did: log.did, allowLosingKeys: true, allowInvalidLog: true })).rejects.toMatchObject({ code: 'Tombstone' });
    const allowed = await checkSubmission(dir.client, tombstone, { did: log.did, allowTombstone: true });
    expect(allowed.overridden).toEqual([expect.stringMatching(/TOMBSTONE: it deactivates .* \(submitting it, as allowed\)$/)]);
  });

  it('losing every held rotation key only with allowLosingKeys, or when another held key stays', async () => {
    const { keys, log, head } = registered();
    const fresh = generatePrivateKey('k256');
    const op = signOperation({ ...atprotoOp(keys, head), rotationKeys: [fresh.publicKey.did()] }, keys.r0);
    await expect(checkSubmission(dir.client, op, { did: log.did, allowTombstone: true })).rejects.toMatchObject({ code: 'Lockout' });
    expect((await checkSubmission(dir.client, op, { did: log.did, heldKeys: [fresh.publicKey.did()] })).overridden).toEqual([]);
    expect((await checkSubmission(dir.client, op, { did: log.did, allowLosingKeys: true })).overridden[0]).toMatch(/hold none of the rotation keys/);
  });

  it('a log that does not verify only with allowInvalidLog', async () => {
    const { keys, log, head } = registered();
    const doctored = log.copy();
    doctored[0]!.nullified = true;
    dir.logs.set(log.did, doctored);
    const op = signOperation(atprotoOp(keys, head, 'x.example.com'), keys.r0);
    await expect(checkSubmission(dir.client, op, { did: log.did, allowLosingKeys: true, allowTombstone: true })).rejects.toMatchObject({ code: 'AuditLogInvalid' });
    const allowed = await checkSubmission(dir.client, op, { did: log.did, allowInvalidLog: true });
    expect(allowed.overridden[0]).toMatch(/does not verify \(1 problem\); continuing without a verified log/);
    expect(rotationDids(keys)).toContain(allowed.signer.key);
  });
});
