import { describe, expect, it } from 'vitest';
import { expectNoStack, runCli, stderrJsonError, stdoutJson } from './run-cli.js';

describe('atcli syntax', () => {
  it('check: a valid handle exits 0 with a human line on stdout', async () => {
    const r = await runCli(['syntax', 'check', 'handle', 'alice.example.com']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ alice.example.com: valid handle\n');
    expect(r.stderr).toBe('');
  });

  it('check: an invalid value exits 3 and names the reason', async () => {
    const r = await runCli(['syntax', 'check', 'handle', 'alice..example.com']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^✗ alice\.\.example\.com: .+/);
    expectNoStack(r);
  });

  it('check --json: a result per value, valid only when all are', async () => {
    const r = await runCli(['syntax', 'check', 'nsid', 'app.bsky.feed.post', 'com.example.Bad-', '--json']);
    expect(r.code).toBe(3);
    const out = stdoutJson<{ kind: string; valid: boolean; results: Array<{ value: string; valid: boolean; reason?: string }> }>(r);
    expect(out.kind).toBe('nsid');
    expect(out.valid).toBe(false);
    expect(out.results[0]).toEqual({ value: 'app.bsky.feed.post', valid: true });
    expect(out.results[1]?.valid).toBe(false);
    expect(out.results[1]?.reason).toBeTruthy();
    expect(r.stderr).toBe('');
  });

  it.each([
    ['did', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'did:PLC:x'],
    ['at-uri', 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3jzfcijpj2z2a', 'at://'],
    ['at-identifier', 'alice.example.com', 'alice'],
    ['rkey', 'self', '..'],
    ['tid', '3jzfcijpj2z2a', '3JZFCIJPJ2Z2A'],
    ['cid', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', 'not-a-cid'],
    ['datetime', '1985-04-12T23:20:50.123Z', '1985-04-12'],
    ['language', 'en-GB', 'e'],
  ])('check %s: valid and invalid values', async (kind, good, bad) => {
    expect((await runCli(['syntax', 'check', kind, good])).code).toBe(0);
    expect((await runCli(['syntax', 'check', kind, bad])).code).toBe(3);
  });

  it('check: an unknown kind is a usage error listing the kinds', async () => {
    const r = await runCli(['syntax', 'check', 'colour', 'x', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = stderrJsonError(r);
    expect(err.code).toBe('UsageError');
    expect(err.message).toContain('handle, did, nsid');
  });

  it('tid generate: increasing TIDs', async () => {
    const r = await runCli(['syntax', 'tid', 'generate', '--count', '50']);
    expect(r.code).toBe(0);
    const tids = r.stdout.trim().split('\n');
    expect(tids).toHaveLength(50);
    expect([...tids].sort()).toEqual(tids);
    expect(new Set(tids).size).toBe(50);
    const j = stdoutJson<{ tids: string[] }>(await runCli(['syntax', 'tid', 'generate', '--json']));
    expect(j.tids).toHaveLength(1);
  });

  it('tid inspect: timestamp and clock id', async () => {
    const r = await runCli(['syntax', 'tid', 'inspect', '3jzfcijpj2z2a', '--json']);
    expect(r.code).toBe(0);
    const info = stdoutJson<{ tid: string; date: string; clockId: number; timestampMicros: number }>(r);
    expect(info.tid).toBe('3jzfcijpj2z2a');
    expect(info.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(typeof info.clockId).toBe('number');
    const human = await runCli(['syntax', 'tid', 'inspect', '3jzfcijpj2z2a']);
    expect(human.stdout).toContain(info.date);
  });

  it('tid inspect: a malformed TID is a usage error (exit 2)', async () => {
    const r = await runCli(['syntax', 'tid', 'inspect', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expectNoStack(r);
  });
});
