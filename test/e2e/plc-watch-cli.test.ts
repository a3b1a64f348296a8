// `plc watch` and `plc recover` in-process against the real network: the PDS changes the handle
// with its own rotation key, the one-shot watch reports it once (state file, --exec hook), and the
// user's higher-priority key undoes it after a dry run and a confirmation.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueHandle, updateHandle } from '../network/client.js';
import { tempDir } from '../cli/run-cli.js';
import { ndjsonLines, runIn } from '../support/test-io.js';
import { coreConfig, devFlags, network, networkInfo, newAccount, plcTokenFromMail, sessionClient } from './helpers.js';
import { addRecoveryKey } from '../../src/core/account/recovery-key.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { PlcDirectoryClient } from '../../src/core/plc/directory.js';

describe.skipIf(!networkInfo)('plc watch and plc recover against the real network', () => {
  it('watch --once reports the unwanted operation once and runs --exec; recover undoes it; the next watch is clean', async () => {
    const net = await network();
    const account = await newAccount(net, 'watchcli');
    const { http } = coreConfig(net);
    const plc = new PlcDirectoryClient({ http, plcUrl: net.plcUrl });
    const client = await sessionClient(http, account.pdsUrl, account.did, account.password);
    const userKey = generatePrivateKey('k256');
    const mine = userKey.publicKey.did();
    const started = Date.now();
    await addRecoveryKey({ client, plc, key: mine, askToken: async () => undefined, confirm: async () => true });
    const token = await plcTokenFromMail(net, account.email, started);
    expect((await addRecoveryKey({ client, plc, key: mine, token, askToken: async () => undefined, confirm: async () => true })).status).toBe('added');
    const oldHandle = (await plc.getData(account.did)).alsoKnownAs[0];

    const scratch = tempDir('atcli-watch-');
    const state = join(scratch, 'state.json');
    const keyFile = join(scratch, 'user.key');
    writeFileSync(keyFile, `${userKey.multikey()}\n`, { mode: 0o600 });
    const env = { ATCLI_CONFIG_DIR: scratch };
    const watch = (...extra: string[]) => runIn(['plc', 'watch', account.did, '--my-keys', mine, '--once', '--state', state, ...extra, ...devFlags(net)], { env });

    // The PDS-signed operation that added the key is the first finding; then it is known history.
    const first = await watch('--json');
    expect(first.code, first.stderr).toBe(3);
    expect((JSON.parse(first.stdout) as { status: string; findings: unknown[] }).findings).toHaveLength(1);
    const quiet = await watch();
    expect(quiet.code, quiet.stderr).toBe(0);

    // Watching (no --once): the same finding as NDJSON, the state written each round, exit 130 when stopped.
    const loopState = join(scratch, 'loop-state.json');
    const stop = new AbortController();
    const loop = runIn(['plc', 'watch', account.did, '--my-keys', mine, '--interval', '1', '--state', loopState, '--json', ...devFlags(net)], { env, signal: stop.signal });
    for (let i = 0; i < 100 && !existsSync(loopState); i++) await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    const watched = await loop;
    expect(watched.code).toBe(130);
    expect(ndjsonLines<{ cid: string }>(watched.stdout).map((x) => x.cid)).toEqual([(JSON.parse(first.stdout) as { findings: Array<{ cid: string }> }).findings[0]!.cid]);

    await updateHandle(account.pdsUrl, account.accessJwt, uniqueHandle('hijack'));
    const hook = join(scratch, 'hook.json');
    const alert = await watch('--exec', `cat > "${hook}"; echo "$ATCLI_WATCH_DID $ATCLI_WATCH_REMEDY_POSSIBLE" >> "${hook}.env"`);
    expect(alert.code, alert.stderr).toBe(3);
    expect(alert.stdout).toContain(`ALERT ${account.did}`);
    expect(alert.stdout).toContain('atcli plc recover');
    const finding = JSON.parse(readFileSync(hook, 'utf8')) as { cid: string; remedy: { key: string; possible: boolean } };
    expect(finding.remedy).toMatchObject({ key: mine, possible: true });
    expect(readFileSync(`${hook}.env`, 'utf8').trim()).toBe(`${account.did} 1`);
    expect(alert.stdout).toContain(finding.cid);

    const recover = (...extra: string[]) => runIn(['plc', 'recover', account.did, '--nullify', finding.cid, '--key-file', keyFile, ...extra, ...devFlags(net)], { env });
    const dry = await recover('--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'dry-run', nullifies: [finding.cid], signedBy: { key: mine, keyIndex: 0 } });
    expect((await plc.getData(account.did)).alsoKnownAs[0]).not.toBe(oldHandle);
    const unconfirmed = await recover();
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    const done = await recover('--yes', '--json');
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'recovered', verified: { logValid: true } });
    expect((await plc.getData(account.did)).alsoKnownAs[0]).toBe(oldHandle);

    const clean = await watch();
    expect(clean.code, clean.stderr).toBe(0);
  });
});
