import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cliEnv, runCli, tempDir } from './run-cli.js';

const complete = async (...words: string[]) => (await runCli(['__complete', '--', ...words])).stdout.trim().split('\n').filter(Boolean);

describe('atcli completion', () => {
  it.each(['bash', 'zsh', 'fish'])('prints a %s script that calls __complete', async (shell) => {
    const r = await runCli(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('atcli __complete --');
  });

  it('rejects an unknown shell with exit 2', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bash, zsh, fish');
  });

  it('completes commands, sub-commands, options and argument values from the tree', async () => {
    expect(await complete('re')).toContain('resolve');
    expect(await complete('key', '')).toEqual(expect.arrayContaining(['generate', 'inspect']));
    expect(await complete('key', 'generate', '--ty')).toContain('--type');
    expect(await complete('key', 'generate', '--type', '')).toEqual(['k256', 'p256']);
    expect(await complete('syntax', 'check', 'ha')).toEqual(['handle']);
    expect(await complete('resolve', '--js')).toContain('--json');
    expect(await complete('__comp')).toEqual([]);
  });

  it('the bash script completes through a real bash', () => {
    const dir = tempDir();
    const binDir = join(dir, 'bin');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'atcli'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const script = execFileSync(process.execPath, [BIN, 'completion', 'bash'], { env: cliEnv(), encoding: 'utf8' });
    writeFileSync(join(dir, 'c.bash'), script);
    const out = execFileSync(
      'bash',
      ['-c', `source ${join(dir, 'c.bash')}; COMP_WORDS=(atcli syntax che); COMP_CWORD=2; _atcli_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { env: { ...cliEnv(), PATH: `${binDir}:${process.env.PATH}` }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('check');
  });
});
