// `backup create` and `backup verify` in-process against the real local network: a backup with
// blobs, an update that reuses them, the offline verdict, and a damaged blob named with exit 3.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount, populate } from './helpers.js';

describe.skipIf(!networkInfo)('backup commands against the real network', () => {
  it('backs up, updates, verifies offline, and names a damaged blob (exit 3)', async () => {
    const net = await network();
    const account = await newAccount(net, 'bkcli');
    const { blobs } = await populate(account, { posts: 12, likes: 3, follows: 2, imagePosts: 2 });
    // the posts, likes and follows, and the profile populate writes
    const records = 12 + 3 + 2 + 1;
    const dir = join(tempDir('atcli-backup-cli-'), 'b');
    const env = { ATCLI_CONFIG_DIR: tempDir('atcli-config-') };

    const first = await runIn(['backup', 'create', account.did, dir, '--json', ...devFlags(net)], { env });
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout) as { status: string; did: string; repo: { records: number }; blobs: { downloaded: number; reused: number } };
    expect(r1).toMatchObject({ status: 'complete', did: account.did, blobs: { downloaded: blobs.length, reused: 0 } });
    expect(r1.repo.records).toBe(records);

    const second = await runIn(['backup', 'create', account.did, dir, '--keep', '1', ...devFlags(net)], { env, tty: { stdout: true } });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/complete in /);
    expect(second.stdout).toContain(`${blobs.length} reused`);

    const ok = await runIn(['backup', 'verify', dir], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`is valid: ${records} records, ${blobs.length} blobs`);

    const blobDir = join(dir, 'blobs');
    const blob = readdirSync(blobDir).find((n) => !n.endsWith('.json'))!;
    const bytes = readFileSync(join(blobDir, blob));
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(join(blobDir, blob), bytes);
    const bad = await runIn(['backup', 'verify', dir, '--json'], { env });
    expect(bad.code).toBe(3);
    const report = JSON.parse(bad.stdout) as { status: string; damaged: Array<{ file: string }> };
    expect(report.status).toBe('invalid');
    expect(report.damaged.map((d) => d.file).join(' ')).toContain(blob);
    const human = await runIn(['backup', 'verify', dir], { env });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(`damaged: `);
    expect(human.stdout).toContain(blob);
    expect(human.stderr).toContain('atcli backup create');
  });
});
