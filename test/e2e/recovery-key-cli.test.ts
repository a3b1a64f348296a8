// account recovery-key add in-process against the real PDS and directory: a dry run, the stop for
// the e-mailed code without a terminal (exit 2 naming --plc-token), then the key added on top.
import { describe, expect, it } from 'vitest';
import { tempDir } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { coreConfig, devFlags, network, networkInfo, newAccount, plcTokenFromMail } from './helpers.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { PlcDirectoryClient } from '../../src/core/plc/directory.js';

describe.skipIf(!networkInfo)('account recovery-key add against the real network', () => {
  it('dry run changes nothing; without a terminal it stops for the code (exit 2); with --plc-token --yes the key is #0', async () => {
    const net = await network();
    const account = await newAccount(net, 'rkcli');
    const plc = new PlcDirectoryClient({ http: coreConfig(net).http, plcUrl: net.plcUrl });
    const before = (await plc.getData(account.did)).rotationKeys;
    const mine = generatePrivateKey('p256').publicKey.did();
    const env = { ATCLI_CONFIG_DIR: tempDir('atcli-config-'), ATCLI_IDENTIFIER: account.did, ATCLI_PASSWORD: account.password, ATCLI_PDS_URL: account.pdsUrl };
    const add = (...extra: string[]) => runIn(['account', 'recovery-key', 'add', mine, ...extra, ...devFlags(net)], { env });

    const dry = await add('--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'dry-run', rotationKeys: { before, after: [mine, ...before] } });

    const started = Date.now();
    const waiting = await add('--json');
    expect(waiting.code).toBe(2);
    expect(JSON.parse(waiting.stdout)).toMatchObject({ status: 'waiting-for-token' });
    expect(waiting.stderr).toContain('--plc-token');
    expect((await plc.getData(account.did)).rotationKeys).toEqual(before);

    const token = await plcTokenFromMail(net, account.email, started);
    const added = await add('--plc-token', token, '--yes');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`${mine} is now rotation key #0`);
    expect((await plc.getData(account.did)).rotationKeys).toEqual([mine, ...before]);
    expect(added.stderr).toContain(`atcli plc watch ${account.did} --my-keys ${mine}`);
  });
});
