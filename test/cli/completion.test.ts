// Completion scripts, exercised in real bash, zsh and fish with neither node nor atcli on PATH.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { completionScript, SHELLS, type Shell } from '../../src/cli/completion.js';
import { loadAll } from '../../src/cli/tree.js';
import { runIn } from '../support/test-io.js';
import { tempDir } from './run-cli.js';

const dir = tempDir('atcli-completion-');
const files = join(dir, 'files');
const scripts = {} as Record<Shell, string>;
const SHELL_PATH = '/usr/bin:/bin';

beforeAll(async () => {
  const root = await loadAll();
  for (const shell of SHELLS) {
    scripts[shell] = join(dir, `atcli.${shell}`);
    writeFileSync(scripts[shell], completionScript(shell, root));
  }
  mkdirSync(files);
  writeFileSync(join(files, 'rotation.key'), 'x');
});

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', cwd: files, env: { PATH: SHELL_PATH, HOME: dir, TERM: 'dumb' } });
}

/** Candidates, and descriptions where the shell shows them, for the words typed ("" = after a space). */
function complete(shell: Shell, words: string[]): { names: string[]; described: Map<string, string> } {
  let out: string;
  if (shell === 'bash') {
    const w = words.map((x) => `'${x}'`).join(' ');
    out = sh('bash', ['--norc', '-c', `source '${scripts.bash}'; COMP_WORDS=(atcli ${w}); COMP_CWORD=${words.length}; _atcli; printf '%s\\n' "\${COMPREPLY[@]}"`]);
  } else if (shell === 'zsh') {
    // The completion system's builtins only work inside a completion widget: stand-ins print what
    // _atcli would have offered ("name:description" for _describe).
    // They match against the word being completed, as the completion system does.
    const stubs = [
      'compdef() {}',
      '_describe() { local e; for e in "${(@P)${@[-1]}}"; do [[ $e == "${words[CURRENT]}"* ]] && print -r -- "$e"; done; }',
      'compadd() { [[ $1 == -- ]] && shift; local e; for e in "$@"; do [[ $e == "${words[CURRENT]}"* ]] && print -r -- "$e"; done; }',
      '_files() { print -rl -- ${words[CURRENT]}*(N); }',
    ].join('; ');
    const w = words.map((x) => `'${x}'`).join(' ');
    out = sh('zsh', ['-f', '-c', `${stubs}; source '${scripts.zsh}'; words=(atcli ${w}); CURRENT=${words.length + 1}; _atcli; true`]);
  } else {
    const line = ['atcli', ...words].join(' ');
    out = sh('fish', ['--no-config', '-c', `source '${scripts.fish}'; complete -C '${line}'`]);
  }
  const described = new Map<string, string>();
  const names = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = shell === 'fish' ? /^([^\t]+)\t?(.*)$/.exec(l) : shell === 'zsh' ? /^((?:[^:\\]|\\.)+):?(.*)$/.exec(l) : [l, l, ''];
      const name = (m?.[1] ?? l).replace(/\\:/g, ':');
      if (m?.[2]) described.set(name, m[2]);
      return name;
    });
  return { names, described };
}

describe.each(SHELLS)('completion in a real %s', (shell) => {
  it('commands, sub-commands and their descriptions', () => {
    expect(complete(shell, ['re']).names.sort()).toEqual(['record', 'relay', 'repo', 'resolve', 'restore']);
    const sub = complete(shell, ['key', '']);
    expect(sub.names).toEqual(expect.arrayContaining(['generate', 'inspect']));
    if (shell !== 'bash') expect(sub.described.get('generate')).toMatch(/key pair/);
  });

  it('options, each once, only those the command accepts', () => {
    expect(complete(shell, ['key', 'generate', '--ty']).names).toEqual(['--type']);
    expect(complete(shell, ['resolve', '--js']).names).toEqual(['--json']);
    expect(complete(shell, ['resolve', '--pl']).names).toEqual(['--plc']);
    expect(complete(shell, ['syntax', 'check', '--pl']).names).not.toContain('--plc');
    const opts = complete(shell, ['resolve', '--']).names;
    expect(new Set(opts).size).toBe(opts.length);
    if (shell !== 'bash') expect(complete(shell, ['resolve', '--no-c']).described.get('--no-cache')).toMatch(/cache/);
  });

  it('option values and argument choices', () => {
    expect(complete(shell, ['key', 'generate', '--type', '']).names.sort()).toEqual(['k256', 'p256']);
    expect(complete(shell, ['syntax', 'check', 'ha']).names).toEqual(['handle']);
    expect(complete(shell, ['completion', '']).names.sort()).toEqual(['bash', 'fish', 'zsh']);
  });

  it('file names where a file is expected, and nothing where it is not', () => {
    expect(complete(shell, ['key', 'inspect', '--key-file', 'rot']).names).toEqual(['rotation.key']);
    expect(complete(shell, ['syntax', 'tid', 'inspect', '']).names).toEqual([]);
  });
});

describe('atcli completion', () => {
  it('prints the script for each shell, and refuses an unknown one with exit 2', async () => {
    for (const shell of SHELLS) {
      const r = await runIn(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('_atcli');
      expect(r.stdout).not.toContain('__complete');
    }
    const bad = await runIn(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bash, zsh, fish');
  });
});
