import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { didForGenesis, operationCid, signOperation, verifyAuditLog, verifyOperationSignature } from '../../../src/core/plc/index.js';
import { checkSigningKey, checkedGenesisDid, signPlcOperation, signingAuthority, type SignRequest } from '../../../src/core/plc/sign.js';
import { HOUR_MS, LogBuilder, T0, fetched, thrown, atprotoOp, iso, linearLog, logDirectory, makeKeys, rotationDids } from './helpers.js';



describe('signingAuthority', () => {
  it('a genesis operation: its own rotation keys', () => {
    const keys = makeKeys();
    const a = signingAuthority(atprotoOp(keys, null), { did: undefined, log: undefined, skipAuthorityCheck: false });
    expect(a).toMatchObject({ allowedKeys: rotationDids(keys), rotationKeys: rotationDids(keys), before: null, warnings: [] });
  });

  it('an update needs its DID to be checked; skipping the check says so', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq');
    expect(thrown(() => signingAuthority(op, { did: undefined, log: undefined, skipAuthorityCheck: false })).code).toBe('MissingDid');
    const skipped = signingAuthority(op, { did: undefined, log: undefined, skipAuthorityCheck: true });
    expect(skipped.allowedKeys).toBeNull();
    expect(skipped.warnings[0]).toMatch(/without checking the key/);
  });

  it('the head: every rotation key of prev; a recovery: only the keys that outrank the first nullified signer', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys); // op1 signed by r2, op2 by r0
    const now = iso(T0 + 49 * HOUR_MS);
    const head = signingAuthority(atprotoOp(keys, cids[2]!, 'x.example.com'), { did: log.did, log: fetched(log), skipAuthorityCheck: false, now });
    expect(head).toMatchObject({ allowedKeys: rotationDids(keys), wouldNullify: [], warnings: [] });
    expect(head.before?.alsoKnownAs).toEqual(['at://alice3.example.com']);
    const recovery = signingAuthority(atprotoOp(keys, cids[0]!, 'x.example.com'), { did: log.did, log: fetched(log), skipAuthorityCheck: false, now });
    expect(recovery).toMatchObject({ allowedKeys: rotationDids(keys).slice(0, 2), wouldNullify: [cids[1], cids[2]] });
    expect(recovery.warnings).toEqual(['this operation is a RECOVERY: it would nullify 2 operations']);
  });

  it('refuses a prev nothing may extend and a log that does not verify, unless the check is skipped', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const now = iso(T0 + 49 * HOUR_MS);
    const op = atprotoOp(keys, cids[1]!, 'x.example.com');
    expect(thrown(() => signingAuthority(op, { did: log.did, log: fetched(log), skipAuthorityCheck: false, now })).code).toBe('InvalidPrev');
    const skipped = signingAuthority(op, { did: log.did, log: fetched(log), skipAuthorityCheck: true, now });
    expect(skipped.allowedKeys).toBeNull();
    expect(skipped.warnings[0]).toMatch(/no key has a higher priority \(signing anyway/);

    const doctored = log.copy();
    doctored[2]!.nullified = true;
    const onHead = atprotoOp(keys, cids[2]!, 'x.example.com');
    expect(thrown(() => signingAuthority(onHead, { did: log.did, log: fetched(log, doctored), skipAuthorityCheck: false, now })).code).toBe('AuditLogInvalid');
    expect(signingAuthority(onHead, { did: log.did, log: fetched(log, doctored), skipAuthorityCheck: true, now }).warnings[0]).toMatch(/does not verify/);
  });
});

describe('checkSigningKey', () => {
  const keys = makeKeys();
  const { log, cids } = linearLog(keys);
  const now = iso(T0 + 49 * HOUR_MS);
  const recovery = signingAuthority(atprotoOp(keys, cids[0]!, 'x.example.com'), { did: log.did, log: fetched(log), skipAuthorityCheck: false, now });

  it('gives the position of an allowed key', () => {
    expect(checkSigningKey(recovery, keys.r1.publicKey.did(), false)).toEqual({ keyIndex: 1 });
  });

  it('refuses a rotation key that does not outrank, and a stranger, naming the allowed keys', () => {
    const low = thrown(() => checkSigningKey(recovery, keys.r2.publicKey.did(), false));
    expect(low.code).toBe('UnauthorizedKey');
    expect(low.message).toMatch(/is rotation key #2, which does not outrank/);
    const stranger = thrown(() => checkSigningKey(recovery, keys.attacker.publicKey.did(), false));
    expect(stranger.message).toContain(`${keys.attacker.publicKey.did()} is not one of the rotation keys of operation #0`);
    expect(stranger.message).toContain(`#0 ${keys.r0.publicKey.did()}`);
  });

  it('with the check skipped, the reason comes back as a warning', () => {
    const r = checkSigningKey(recovery, keys.attacker.publicKey.did(), true);
    expect(r.keyIndex).toBeNull();
    expect(r.warning).toMatch(/not one of .* \(signing anyway; the directory will refuse it\)$/);
  });
});

describe('signPlcOperation', () => {
  let dir: Awaited<ReturnType<typeof logDirectory>>;
  beforeAll(async () => {
    dir = await logDirectory();
  });
  afterAll(async () => {
    await dir.close();
  });

  const request = (over: Partial<SignRequest> & Pick<SignRequest, 'operation'>, key: PrivateKey): SignRequest => ({
    did: undefined,
    skipAuthorityCheck: false,
    directory: async () => dir.client,
    privateKey: async () => key,
    ...over,
  });

  it('signs a genesis operation without asking the directory and names the DID it creates', async () => {
    const keys = makeKeys();
    dir.requests.length = 0;
    const r = await signPlcOperation(request({ operation: atprotoOp(keys, null) }, keys.r1));
    expect(r).toMatchObject({ genesis: true, did: didForGenesis(r.operation), signedBy: { key: keys.r1.publicKey.did(), keyIndex: 1 }, authorized: true, warnings: [] });
    expect(r.cid).toBe(operationCid(r.operation));
    expect(dir.requests).toEqual([]);
    const other = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';
    await expect(signPlcOperation(request({ operation: atprotoOp(keys, null), did: other }, keys.r1))).rejects.toMatchObject({ code: 'DidMismatch' });
  });

  it('asks for the key only after the operation passed the checks that need none', async () => {
    const keys = makeKeys();
    let asked = false;
    const bad = { ...atprotoOp(keys, null), alsoKnownAs: ['at://not a handle'] };
    const req: SignRequest = { ...request({ operation: bad }, keys.r0), privateKey: async () => ((asked = true), keys.r0) };
    await expect(signPlcOperation(req)).rejects.toMatchObject({ code: 'InvalidPlcOperation' });
    expect(asked).toBe(false);
  });

  it('an update: checked against the audit log the directory serves; replaces a signature; warns about losing every held key', async () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r1, Date.now() - HOUR_MS);
    dir.logs.set(log.did, log.entries);
    const fresh = generatePrivateKey('k256').publicKey.did();
    const op = signOperation({ ...atprotoOp(keys, c0), rotationKeys: [keys.r0.publicKey.did(), fresh] }, keys.attacker);
    const r = await signPlcOperation(request({ operation: op, did: log.did }, keys.r2));
    expect(r).toMatchObject({ genesis: false, did: log.did, signedBy: { keyIndex: 2 }, authorized: true });
    expect(verifyOperationSignature(r.operation, rotationDids(keys))).toMatchObject({ ok: true, keyIndex: 2 });
    expect(r.warnings[0]).toMatch(/already signed/);
    expect(r.warnings[1]).toMatch(/hold none of the rotation keys .*unless you also hold one of its new rotation keys/);
    await expect(signPlcOperation(request({ operation: op, did: log.did }, keys.attacker))).rejects.toMatchObject({ code: 'UnauthorizedKey' });
    const forced = await signPlcOperation(request({ operation: op, did: log.did, skipAuthorityCheck: true }, keys.attacker));
    expect(forced.authorized).toBe(false);
    expect(forced.warnings.join('\n')).toMatch(/signing anyway/);
  });
});

describe('checkedGenesisDid', () => {
  it('the DID of a genesis operation signed by one of its own rotation keys', () => {
    const keys = makeKeys();
    const signed = signOperation(atprotoOp(keys, null), keys.r2);
    expect(checkedGenesisDid(signed)).toEqual({ did: didForGenesis(signed), cid: operationCid(signed), signedBy: { keyIndex: 2, key: keys.r2.publicKey.did() } });
  });

  it('refuses an update and a genesis signed by another key', () => {
    const keys = makeKeys();
    expect(thrown(() => checkedGenesisDid(signOperation(atprotoOp(keys, 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq'), keys.r0))).code).toBe('NotGenesisOperation');
    expect(thrown(() => checkedGenesisDid(signOperation(atprotoOp(keys, null), keys.attacker))).code).toBe('InvalidSignature');
  });
});
