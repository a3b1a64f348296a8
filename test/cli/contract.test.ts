// The CLI contract, for every command in the tree: help with a description and an example,
// "help <cmd>" equal to "<cmd> --help", unknown flags and global flags a command cannot honour
// refused with exit 2, a missing input file exit 2, an unreachable host exit 1, and --json errors
// as exactly one JSON object on stderr. A new command must add its line to CASES.
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS, type GlobalSpec } from '../../src/cli/globals.js';
import { loadAll, type TreeNode } from '../../src/cli/tree.js';
import { runIn } from '../support/test-io.js';

/** A closed port on loopback: connecting fails at once. */
const DEAD = 'http://127.0.0.1:1';
const NET = ['--dev', '--plc', DEAD, '--timeout', '5'];
const MISSING = '/nonexistent/atcli-contract/input';

interface Case {
  /** A command line that parses (arguments well-formed), used to test the flag refusals. */
  argv: string[];
  /** A command line naming a missing input file (exit 2); null when the command reads no file. */
  missingFile: string[] | null;
  /** A command line that must reach an unreachable host (exit 1); null for offline commands. */
  unreachable: string[] | null;
}

const CASES: Record<string, Case> = {
  resolve: { argv: ['resolve', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['resolve', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'key generate': { argv: ['key', 'generate'], missingFile: null, unreachable: null },
  'key inspect': { argv: ['key', 'inspect', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'], missingFile: ['key', 'inspect', '--key-file', MISSING], unreachable: null },
  'syntax check': { argv: ['syntax', 'check', 'handle', 'alice.example.com'], missingFile: null, unreachable: null },
  'syntax tid generate': { argv: ['syntax', 'tid', 'generate'], missingFile: null, unreachable: null },
  'syntax tid inspect': { argv: ['syntax', 'tid', 'inspect', '3jzfcijpj2z2a'], missingFile: null, unreachable: null },
  completion: { argv: ['completion', 'bash'], missingFile: null, unreachable: null },
  help: { argv: ['help', 'resolve'], missingFile: null, unreachable: null },
  version: { argv: ['version'], missingFile: null, unreachable: null },
  'labels tail': { argv: ['labels', 'tail', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['labels', 'tail', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'labels query': { argv: ['labels', 'query', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['labels', 'query', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
};

const root = await loadAll();
const leaves: TreeNode[] = [];
const groups: TreeNode[] = [];
const legacy: TreeNode[] = [];
const walk = (node: TreeNode): void => {
  if (node.spec?.kind === 'command') leaves.push(node);
  else if (node.spec?.kind === 'legacy') legacy.push(node);
  else groups.push(node);
  node.children.forEach(walk);
};
walk(root);

/** Exactly one JSON error object on stderr, on its last line (notes may come before it). */
function expectOneJsonError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  const json = lines.filter((l) => l.startsWith('{'));
  expect(json, stderr).toHaveLength(1);
  expect(JSON.parse(lines[lines.length - 1] as string)).toHaveProperty('error.code');
}

/** A value for a global flag that takes one. */
function withValue(flags: string): string[] {
  const flag = /--[\w-]+/.exec(flags)?.[0] as string;
  if (!/<.+>/.test(flags)) return [flag];
  const value = flag === '--timeout' ? '5' : flag === '--connect-to' ? 'a.test:80:127.0.0.1:1' : flag === '--dns-server' ? '127.0.0.1' : flag === '--profile' ? 'x' : 'https://example.com';
  return [flag, value];
}

describe(`the CLI contract (${leaves.length} commands, ${groups.length} groups)`, () => {
  it('every command has a case', () => {
    const names = leaves.map((l) => l.path.join(' '));
    expect(names.filter((n) => !(n in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((n) => !names.includes(n))).toEqual([]);
  });

  it.each(groups.map((g) => [g.path.join(' ') || '(root)', g] as const))('group %s: help with commands and an example, exit 0', async (_name, group) => {
    const r = await runIn([...group.path, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Commands:');
    expect(r.stdout).toMatch(/Examples:\n {2}atcli /);
    expect(group.summary.length).toBeGreaterThan(10);
  });

  describe.each(leaves.map((l) => [l.path.join(' '), l] as const))('%s', (name, leaf) => {
    const c = CASES[name] as Case;

    it('--help: description and examples, exit 0; "help <cmd>" prints the same', async () => {
      const r = await runIn([...leaf.path, '--help']);
      expect(r.code).toBe(0);
      expect(leaf.summary.length).toBeGreaterThan(10);
      expect(r.stdout).toContain(leaf.summary.slice(0, 30));
      expect(r.stdout).toMatch(/Examples:\n {2}atcli /);
      expect((await runIn(['help', ...leaf.path])).stdout).toBe(r.stdout);
    });

    it('an unknown flag is exit 2, one JSON error with --json', async () => {
      const r = await runIn([...c.argv, '--no-such-flag', '--json']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ error: { code: 'UsageError' } });
    });

    it('global flags it cannot honour are refused with exit 2', async () => {
      const spec = leaf.spec;
      if (spec?.kind !== 'command') throw new Error('not a command');
      for (const g of Object.values(GLOBAL_OPTIONS) as GlobalSpec[]) {
        if (g.scope === undefined || spec.uses.includes(g.scope)) continue;
        const r = await runIn([...c.argv, ...withValue(g.option.flags), '--json']);
        expect(r.code, `${name} ${g.option.flags}`).toBe(2);
        expect(JSON.parse(r.stderr.trim())).toMatchObject({ error: { code: 'UnsupportedGlobalFlag' } });
      }
    });

    it.runIf(c.missingFile)('a missing input file is exit 2', async () => {
      const r = await runIn([...(c.missingFile as string[]), '--json']);
      expect(r.code, r.stderr).toBe(2);
      expectOneJsonError(r.stderr);
    });

    it.runIf(c.unreachable)('an unreachable host is exit 1', async () => {
      const r = await runIn([...(c.unreachable as string[]), '--json']);
      expect(r.code, r.stderr).toBe(1);
      expectOneJsonError(r.stderr);
    });
  });

  it('no group runs through the old command layer any more', () => {
    expect(legacy.map((l) => l.path.join(' '))).toEqual(['repo', 'record', 'plc', 'lex', 'firehose', 'account', 'blob', 'xrpc']);
  });
});
