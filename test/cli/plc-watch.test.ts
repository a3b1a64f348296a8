// plc watch / plc recover in-process: argument errors and what is refused before any network.
// The flows against the real directory are in test/e2e/plc-watch-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn } from '../support/test-io.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const KEY = 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme';
const DEAD = ['--dev', '--plc', 'http://127.0.0.1:1', '--timeout', '5'];

describe('plc watch', () => {
  it('needs --my-keys, takes only did:key values and did:plc-shaped DIDs (exit 2)', async () => {
    const none = await runIn(['plc', 'watch', DID, '--once']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--my-keys');
    expect((await runIn(['plc', 'watch', DID, '--my-keys', 'zQ3shnotadidkey', '--once'])).code).toBe(2);
    expect((await runIn(['plc', 'watch', 'nope', '--my-keys', KEY, '--once'])).code).toBe(2);
    expect((await runIn(['plc', 'watch', DID, '--my-keys', KEY, '--interval', '0'])).code).toBe(2);
    expect((await runIn(['plc', 'watch', DID, '--my-keys', KEY, '--since', 'yesterday'])).code).toBe(2);
  });

  it('a damaged state file is refused before any check (exit 3)', async () => {
    const state = join(tempDir('atcli-watch-'), 'state.json');
    writeFileSync(state, '{"kind":"other"}');
    const r = await runIn(['plc', 'watch', DID, '--my-keys', KEY, '--once', '--state', state, ...DEAD]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--state');
  });

  it('an unreachable directory is "could not check" (exit 1, JSON status unchecked), and the state keeps no baseline for it', async () => {
    const state = join(tempDir('atcli-watch-'), 'state.json');
    const r = await runIn(['plc', 'watch', DID, '--my-keys', KEY, '--once', '--state', state, '--json', ...DEAD]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'unchecked', dids: [{ did: DID, status: 'unchecked' }] });
  });
});

describe('plc recover', () => {
  it('needs --nullify and a key; a key on the command line is refused (exit 2)', async () => {
    expect((await runIn(['plc', 'recover', DID, '--key-file', '/nonexistent/k'])).code).toBe(2);
    const noKey = await runIn(['plc', 'recover', DID, '--nullify', 'bafyreib', ...DEAD]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--key-file|ATCLI_PLC_SIGNING_KEY/);
  });
});
