import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleChild } from '../../setup/bundle-child.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSessionStore } from '../../../src/core/account/session-store.js';
import { startFakePds, type FakePds } from '../xrpc/fake-pds.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

let tmp: string;
let childJs: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'atcli-xproc-'));
  childJs = join(tmp, 'child.mjs');
  await bundleChild(join(here, 'fixtures', 'refresh-child.ts'), childJs);
}, 60_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('session refresh across processes', () => {
  let pds: FakePds;
  afterAll(async () => {
    await pds?.close();
  });

  it('several processes with an expired session perform exactly one refreshSession', async () => {
    pds = await startFakePds();
    pds.refreshDelayMs = 300;
    const configDir = join(tmp, 'config');
    const t = pds.issue({ accessExpired: true });
    await new FileSessionStore(configDir).write('default', {
      did: pds.did,
      handle: 'alice.test',
      pds: pds.url,
      ...t,
      obtainedAt: new Date().toISOString(),
    });
    const outs = await Promise.all(
      [0, 1, 2, 3].map(() => run(process.execPath, [childJs, configDir, pds.url], { timeout: 30_000 })),
    );
    for (const o of outs) expect(JSON.parse(o.stdout)).toEqual({ ok: true, did: pds.did });
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
    const stored = await new FileSessionStore(configDir).read('default');
    expect(pds.liveRefresh.has(stored!.refreshJwt)).toBe(true);
  }, 60_000);
});
