// A rotation key of the user's own at the top (recovery-key add, through the real PDS and its
// e-mailed code), an unwanted operation made by the PDS's own key found by the watch, and undone
// with the user's higher-priority key.
import { describe, expect, it } from 'vitest';
import { uniqueHandle, updateHandle } from '../network/client.js';
import { coreConfig, network, networkInfo, newAccount, plcTokenFromMail, sessionClient } from './helpers.js';
import { addRecoveryKey, type RecoveryKeyPlan } from '../../src/core/account/recovery-key.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { PlcDirectoryClient } from '../../src/core/plc/directory.js';
import { verifyAuditLog } from '../../src/core/plc/index.js';
import { recoverPlc } from '../../src/core/plc/recover.js';
import { checkPlcIdentities, nextBaseline, watchPlcIdentities, type WatchFinding } from '../../src/core/plc/watch.js';

const HOUR = 3_600_000;

describe.skipIf(!networkInfo)('recovery key, watch and recover against the real network', () => {
  it('adds a user-held key at the top; the PDS changing the handle is reported once with its window and remedy; the user key nullifies it', async () => {
    const net = await network();
    const account = await newAccount(net, 'recover');
    const { http } = coreConfig(net);
    const plc = new PlcDirectoryClient({ http, plcUrl: net.plcUrl });
    const client = await sessionClient(http, account.pdsUrl, account.did, account.password);
    const userKey = generatePrivateKey('k256');
    const mine = userKey.publicKey.did();
    const before = await plc.getData(account.did);

    // Dry run: nothing requested, nothing signed.
    const mailsBefore = (await net.mail(account.email)).length;
    const dry = await addRecoveryKey({ client, plc, key: mine, dryRun: true, askToken: async () => undefined, confirm: async () => true });
    expect(dry).toMatchObject({ status: 'dry-run', rotationKeys: { before: before.rotationKeys, after: [mine, ...before.rotationKeys] } });
    expect(dry.changes.join('\n')).toContain(`rotation key added at #0 (highest priority): ${mine}`);
    expect((await net.mail(account.email)).length).toBe(mailsBefore);

    // No code at hand: the host e-mails one and the run stops, nothing signed.
    const started = Date.now();
    const waiting = await addRecoveryKey({ client, plc, key: mine, askToken: async () => undefined, confirm: async () => true });
    expect(waiting.status).toBe('waiting-for-token');
    expect((await plc.getData(account.did)).rotationKeys).toEqual(before.rotationKeys);
    const token = await plcTokenFromMail(net, account.email, started);
    let shown: RecoveryKeyPlan | undefined;
    const added = await addRecoveryKey({ client, plc, key: mine, token, askToken: async () => undefined, confirm: async (p) => ((shown = p), true) });
    expect(added).toMatchObject({ status: 'added', rotationKeys: { after: [mine, ...before.rotationKeys] } });
    expect(shown?.planned.rotationKeys[0]).toBe(mine);
    expect((await plc.getData(account.did)).rotationKeys).toEqual([mine, ...before.rotationKeys]);
    expect((await addRecoveryKey({ client, plc, key: mine, askToken: async () => undefined, confirm: async () => true })).status).toBe('already-first');

    // The first look reports the PDS-signed recovery-key operation; from then on only what is new.
    const first = await checkPlcIdentities({ plc, dids: [account.did], myKeys: [mine] });
    expect(first.findings.map((f) => f.cid)).toEqual([added.operation!.cid]);
    let baseline = nextBaseline({}, first);
    expect((await checkPlcIdentities({ plc, dids: [account.did], myKeys: [mine], baseline })).status).toBe('clean');

    // The PDS changes the handle with its own rotation key: unwanted.
    const oldHandle = before.alsoKnownAs[0];
    const loop = new AbortController();
    const events = watchPlcIdentities({ plc, dids: [account.did], myKeys: [mine], baseline, intervalMs: 1000, signal: loop.signal });
    const newHandle = uniqueHandle('hijack');
    await updateHandle(account.pdsUrl, account.accessJwt, newHandle);
    const report = await checkPlcIdentities({ plc, dids: [account.did], myKeys: [mine], baseline });
    expect(report.status).toBe('alert');
    expect(report.findings).toHaveLength(1);
    const finding: WatchFinding = report.findings[0]!;
    expect(finding.signedBy?.keyIndex).toBe(before.rotationKeys.length); // the PDS's key, now below the user's
    expect(finding.changes.join('\n')).toContain(`at://${newHandle}`);
    expect(finding.window.open).toBe(true);
    expect(finding.window.remainingMs).toBeGreaterThan(71 * HOUR);
    expect(finding.window.remainingMs).toBeLessThanOrEqual(72 * HOUR);
    expect(finding.remedy).toMatchObject({ prev: added.operation!.cid, nullifies: [finding.cid], key: mine, keyIndex: 0, possible: true });
    expect(finding.remedy.operation?.alsoKnownAs[0]).toBe(oldHandle);
    // The loop sees it too, once.
    const seen: string[] = [];
    for await (const e of events) {
      if (e.kind === 'finding') seen.push(e.finding.cid);
      if (e.kind === 'checked' && seen.length > 0) loop.abort();
    }
    expect(seen).toEqual([finding.cid]);
    baseline = nextBaseline(baseline, report);
    expect((await checkPlcIdentities({ plc, dids: [account.did], myKeys: [mine], baseline })).findings).toEqual([]);

    // A key that is not a rotation key cannot undo it; the user's key can.
    const stranger = generatePrivateKey('k256');
    await expect(recoverPlc({ plc, did: account.did, nullify: finding.cid, key: stranger })).rejects.toMatchObject({ code: 'KeyNotAuthorized', kind: 'invalid' });
    const dryRecover = await recoverPlc({ plc, did: account.did, nullify: finding.cid, key: userKey, dryRun: true });
    expect(dryRecover).toMatchObject({ status: 'dry-run', nullifies: [finding.cid], signedBy: { keyIndex: 0, key: mine } });
    expect((await plc.getData(account.did)).alsoKnownAs[0]).toBe(`at://${newHandle}`);
    const recovered = await recoverPlc({ plc, did: account.did, nullify: finding.cid, key: userKey });
    expect(recovered.status).toBe('recovered');
    expect(recovered.verified?.nullified).toEqual([finding.cid]);
    expect(recovered.warnings.join(' ')).toMatch(/stays a rotation key/);
    expect((await plc.getData(account.did)).alsoKnownAs[0]).toBe(oldHandle);
    // The replay (what plc verify shows) accepts the log and marks the handle change nullified.
    const log = verifyAuditLog(account.did, await plc.getAuditLog(account.did));
    expect(log.valid).toBe(true);
    expect(log.operations.find((o) => o.cid === finding.cid)).toMatchObject({ nullified: true, valid: true });
    expect(log.head?.cid).toBe(recovered.cid);
    expect((await recoverPlc({ plc, did: account.did, nullify: finding.cid, key: userKey })).status).toBe('already-nullified');
    // The user's own operation is no finding.
    expect((await checkPlcIdentities({ plc, dids: [account.did], myKeys: [mine], baseline })).findings).toEqual([]);
    // Nothing secret in what came back.
    expect(JSON.stringify([dry, added, report, recovered])).not.toContain(userKey.multikey());
  }, 180_000);
});
