// Regenerates examples/alice.car and examples/alice.json from the reference PDS:
//   ATCLI_MAKE_EXAMPLE=1 npx vitest run test/e2e/make-example.test.ts
// The example is committed so the README's run command verifies a real repository offline.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { runCli, stdoutJson } from '../cli/run-cli.js';
import { devFlags, network, networkInfo, newAccount, populate, routeTo } from './helpers.js';

describe.skipIf(!networkInfo || !process.env.ATCLI_MAKE_EXAMPLE)('example repository', () => {
  it('exports a small real repository with its identity', async () => {
    const net = await network();
    const account = await newAccount(net, 'alice');
    await populate(account, { posts: 12, likes: 6, follows: 4, imagePosts: 2 });
    const flags = [...devFlags(net), ...routeTo(account.handle, net.pds.a.port)];
    const car = new URL('../../examples/alice.car', import.meta.url).pathname;
    const exported = await runCli([...flags, 'repo', 'export', account.did, '-o', car, '--force', '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const identity = stdoutJson<{ did: string; handle: string; signingKey: string; pds: string; didDoc: unknown }>(await runCli([...flags, 'resolve', account.did, '--json']));
    writeFileSync(
      new URL('../../examples/alice.json', import.meta.url),
      `${JSON.stringify({ note: 'Exported from the reference PDS (@atproto/dev-env) by test/e2e/make-example.test.ts', did: identity.did, handle: identity.handle, signingKey: identity.signingKey, didDoc: identity.didDoc }, null, 2)}\n`,
    );
  });
});
