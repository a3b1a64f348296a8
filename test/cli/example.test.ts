import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli, stdoutJson } from './run-cli.js';

const example = JSON.parse(readFileSync(new URL('../../examples/alice.json', import.meta.url), 'utf8')) as { did: string; signingKey: string };
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the shipped example repository (README run command)', () => {
  it('verifies offline with the key and DID from examples/alice.json', async () => {
    const r = await runCli(['repo', 'verify', 'examples/alice.car', '--key', example.signingKey, '--did', example.did, '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(stdoutJson<{ valid: boolean; did: string }>(r)).toMatchObject({ valid: true, did: example.did });
  });

  it('is what the README tells a newcomer to run', () => {
    expect(readme).toContain(`node bin/atcli.js repo verify examples/alice.car --key ${example.signingKey} --did ${example.did}`);
  });
});
