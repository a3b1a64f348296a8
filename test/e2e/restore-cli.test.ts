// `restore` in-process against the real network: an account on a PDS of its own with the user's
// rotation key, backed up with `backup create`, its PDS stopped for good, then a dry run, a run
// without a terminal that needs --yes, and the restore onto PDS "b" with --yes.
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueHandle, xrpc } from '../network/client.js';
import { tempDir } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { coreConfig, devFlags, network, networkInfo, populate } from './helpers.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { PlcDirectoryClient } from '../../src/core/plc/directory.js';

describe.skipIf(!networkInfo)('restore command against the real network', () => {
  it('dry run shows the plan and changes nothing; without --yes it stops before signing; with --yes the account lives on the new host', async () => {
    const net = await network();
    const name = `gone${Math.random().toString(36).slice(2, 7)}`;
    const old = await net.startPds(name);
    const rotation = generatePrivateKey('k256');
    const handle = uniqueHandle('rscli');
    const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
    const s = await xrpc<{ did: string; handle: string; accessJwt: string; refreshJwt: string }>(old.url, 'com.atproto.server.createAccount', {
      body: { handle, email: `${handle}@mail.test`, password, recoveryKey: rotation.publicKey.did() },
    });
    const account = { did: s.did, handle: s.handle, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt, password, email: `${handle}@mail.test`, pdsUrl: old.url };
    await populate(account, { posts: 8, likes: 2, follows: 1, imagePosts: 1 });

    const scratch = tempDir('atcli-restore-cli-');
    const dir = join(scratch, 'backup');
    const env = { ATCLI_CONFIG_DIR: scratch, XDG_STATE_HOME: join(scratch, 'state'), ATCLI_NEW_PASSWORD: 'restored-password-4711', ATCLI_ROTATION_KEY: rotation.multikey() };
    const backup = await runIn(['backup', 'create', account.did, dir, ...devFlags(net)], { env });
    expect(backup.code, backup.stderr).toBe(0);
    await net.stopPds(name);

    const keyFile = join(scratch, 'rotation.key');
    writeFileSync(keyFile, `${rotation.multikey()}\n`, { mode: 0o600 });
    const restore = (...extra: string[]) => runIn(['restore', dir, '--to', net.pds.b.url, '--new-email', `restored-${account.email}`, ...extra, ...devFlags(net)], { env });
    const plc = new PlcDirectoryClient({ http: coreConfig(net).http, plcUrl: net.plcUrl });

    const dry = await restore('--dry-run', '--rotation-key-file', keyFile);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: restore of');
    expect(dry.stdout).toContain('submit-take-over');
    expect(existsSync(join(scratch, 'state', 'atcli'))).toBe(false);

    const unconfirmed = await restore();
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect((await plc.getData(account.did)).services['atproto_pds']?.endpoint).toBe(old.url);

    const done = await runIn(['restore', dir, '--resume', '--yes', '--json', ...devFlags(net)], { env });
    expect(done.code, done.stderr).toBe(0);
    const r = JSON.parse(done.stdout) as { status: string; report: { active: boolean; records: { missing: number }; blobs: { missing: number } } };
    expect(r).toMatchObject({ status: 'completed', report: { active: true, records: { missing: 0 }, blobs: { missing: 0 } } });
    expect((await plc.getData(account.did)).services['atproto_pds']?.endpoint).toBe(net.pds.b.url);
    expect(done.stdout).not.toContain(rotation.multikey());
  }, 300_000);
});
