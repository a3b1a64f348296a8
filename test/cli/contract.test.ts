// The CLI contract, for every command in the tree: help with a description and an example,
// "help <cmd>" equal to "<cmd> --help", unknown flags and global flags a command cannot honour
// refused with exit 2, a missing input file exit 2, an unreachable host exit 1, and --json errors
// as exactly one JSON object on stderr. A new command must add its line to CASES.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS, type GlobalSpec } from '../../src/cli/globals.js';
import { loadAll, type TreeNode } from '../../src/cli/tree.js';
import { runIn } from '../support/test-io.js';

/** A closed port on loopback: connecting fails at once. */
const DEAD = 'http://127.0.0.1:1';
const NET = ['--dev', '--plc', DEAD, '--timeout', '5'];
const MISSING = '/nonexistent/atcli-contract/input';
const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const RECORD = `at://${DID}/app.bsky.feed.post/3l2zpbbhuvw2h`;
const PLC_DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const PLC_KEY = 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme';
/** An update in the file plc update writes ({did, operation}), unsigned and signed. */
const PLC_UPDATE = fileURLToPath(new URL('../fixtures/plc/update.json', import.meta.url));
const PLC_SIGNED = fileURLToPath(new URL('../fixtures/plc/update.signed.json', import.meta.url));
/** A DNS server that answers nothing (a closed port on loopback). */
const NO_DNS = ['--dns-server', '127.0.0.1:1'];
/** A Lexicon file that ships with atcli (the tests run from the repository root). */
const LEX_FILE = 'lexicons/app/bsky/feed/post.json';
/** A well-formed blob CID (CIDv1 raw sha2-256 of "hello"). */
const BLOB_CID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq';

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
  'lex lint': { argv: ['lex', 'lint', LEX_FILE], missingFile: ['lex', 'lint', MISSING], unreachable: null },
  'lex rules': { argv: ['lex', 'rules'], missingFile: null, unreachable: null },
  'lex validate': { argv: ['lex', 'validate', 'post.json'], missingFile: ['lex', 'validate', MISSING], unreachable: ['lex', 'validate', `at://${PLC_DID}/app.bsky.feed.post/3k2aaaaaaaaaa`, ...NET] },
  'lex new': { argv: ['lex', 'new', 'record', 'com.example.thing'], missingFile: null, unreachable: null },
  'lex diff': { argv: ['lex', 'diff', LEX_FILE, LEX_FILE], missingFile: ['lex', 'diff', MISSING, LEX_FILE], unreachable: ['lex', 'diff', LEX_FILE, ...NET, ...NO_DNS] },
  'lex breaking': { argv: ['lex', 'breaking', LEX_FILE, LEX_FILE], missingFile: ['lex', 'breaking', LEX_FILE, MISSING], unreachable: ['lex', 'breaking', LEX_FILE, ...NET, ...NO_DNS] },
  'lex resolve': { argv: ['lex', 'resolve', 'app.bsky.feed.post'], missingFile: null, unreachable: ['lex', 'resolve', 'app.bsky.feed.post', ...NET, ...NO_DNS] },
  'lex pull': { argv: ['lex', 'pull', 'app.bsky.feed.post'], missingFile: null, unreachable: ['lex', 'pull', 'app.bsky.feed.post', '--dry-run', ...NET, ...NO_DNS] },
  // Unreachable hosts need a login first (exit 5 without one).
  'lex publish': { argv: ['lex', 'publish'], missingFile: ['lex', 'publish', MISSING], unreachable: null },
  // Schemas it cannot compare are "unresolved" rows (exit 4), whatever the reason.
  'lex status': { argv: ['lex', 'status', LEX_FILE], missingFile: ['lex', 'status', MISSING], unreachable: null },
  'lex check-dns': { argv: ['lex', 'check-dns', LEX_FILE], missingFile: ['lex', 'check-dns', MISSING], unreachable: ['lex', 'check-dns', LEX_FILE, ...NET, ...NO_DNS] },
  'labels tail': { argv: ['labels', 'tail', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['labels', 'tail', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'labels query': { argv: ['labels', 'query', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['labels', 'query', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'pds describe': { argv: ['pds', 'describe', 'https://pds.example.com'], missingFile: null, unreachable: ['pds', 'describe', DEAD, ...NET] },
  'pds health': { argv: ['pds', 'health', 'https://pds.example.com'], missingFile: null, unreachable: ['pds', 'health', DEAD, ...NET] },
  'pds accounts': { argv: ['pds', 'accounts', 'https://pds.example.com'], missingFile: null, unreachable: ['pds', 'accounts', DEAD, ...NET] },
  // pds admin: the admin password comes first (ATCLI_ADMIN_PASSWORD); an unreachable PDS is tested in test/cli/pds.test.ts.
  'pds admin account list': { argv: ['pds', 'admin', 'account', 'list', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account info': { argv: ['pds', 'admin', 'account', 'info', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account create': { argv: ['pds', 'admin', 'account', 'create', '--handle', 'bob.example.com', '--email', 'bob@example.com', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account update-handle': { argv: ['pds', 'admin', 'account', 'update-handle', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'bob.example.com', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account update-email': { argv: ['pds', 'admin', 'account', 'update-email', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'bob@example.com', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account reset-password': { argv: ['pds', 'admin', 'account', 'reset-password', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account takedown': { argv: ['pds', 'admin', 'account', 'takedown', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account untakedown': { argv: ['pds', 'admin', 'account', 'untakedown', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin account delete': { argv: ['pds', 'admin', 'account', 'delete', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin invites create': { argv: ['pds', 'admin', 'invites', 'create', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin invites list': { argv: ['pds', 'admin', 'invites', 'list', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin invites disable': { argv: ['pds', 'admin', 'invites', 'disable', 'code-1', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin blob takedown': { argv: ['pds', 'admin', 'blob', 'takedown', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin blob untakedown': { argv: ['pds', 'admin', 'blob', 'untakedown', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'pds admin blob status': { argv: ['pds', 'admin', 'blob', 'status', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'relay accounts': { argv: ['relay', 'accounts'], missingFile: null, unreachable: ['relay', 'accounts', '--relay', DEAD, ...NET] },
  'relay account status': { argv: ['relay', 'account', 'status', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: ['relay', 'account', 'status', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--relay', DEAD, ...NET] },
  'relay hosts': { argv: ['relay', 'hosts'], missingFile: null, unreachable: ['relay', 'hosts', '--relay', DEAD, ...NET] },
  'relay host status': { argv: ['relay', 'host', 'status', 'pds.example.com'], missingFile: null, unreachable: ['relay', 'host', 'status', 'pds.example.com', '--relay', DEAD, ...NET] },
  'relay request-crawl': { argv: ['relay', 'request-crawl', 'pds.example.com'], missingFile: null, unreachable: ['relay', 'request-crawl', DEAD, '--relay', DEAD, ...NET] },
  'relay diff': { argv: ['relay', 'diff', 'https://relay1.example.com', 'https://relay2.example.com'], missingFile: null, unreachable: ['relay', 'diff', DEAD, DEAD, ...NET] },
  // doctor reports an unreachable service as a check that could not run (exit 1, no error line): test/cli/doctor.test.ts.
  doctor: { argv: ['doctor', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'], missingFile: null, unreachable: null },
  'repo verify': { argv: ['repo', 'verify', 'examples/alice.car'], missingFile: ['repo', 'verify', MISSING], unreachable: ['repo', 'verify', DID, ...NET] },
  'repo export': { argv: ['repo', 'export', DID], missingFile: null, unreachable: ['repo', 'export', DID, '-o', MISSING, ...NET] },
  'repo inspect': { argv: ['repo', 'inspect', 'examples/alice.car'], missingFile: ['repo', 'inspect', MISSING], unreachable: ['repo', 'inspect', DID, ...NET] },
  'repo ls': { argv: ['repo', 'ls', 'examples/alice.car'], missingFile: ['repo', 'ls', MISSING], unreachable: ['repo', 'ls', DID, ...NET] },
  'repo mst': { argv: ['repo', 'mst', 'examples/alice.car'], missingFile: ['repo', 'mst', MISSING], unreachable: ['repo', 'mst', DID, ...NET] },
  'repo unpack': { argv: ['repo', 'unpack', 'examples/alice.car'], missingFile: ['repo', 'unpack', MISSING], unreachable: null },
  'repo diff': { argv: ['repo', 'diff', 'a.car', 'b.car'], missingFile: ['repo', 'diff', MISSING, 'examples/alice.car'], unreachable: ['repo', 'diff', DID, 'examples/alice.car', ...NET] },
  'repo import': { argv: ['repo', 'import', 'examples/alice.car'], missingFile: ['repo', 'import', MISSING], unreachable: null },
  'record get': { argv: ['record', 'get', RECORD], missingFile: null, unreachable: ['record', 'get', RECORD, ...NET] },
  'record ls': { argv: ['record', 'ls', DID], missingFile: null, unreachable: ['record', 'ls', DID, ...NET] },
  'record create': { argv: ['record', 'create', 'app.bsky.feed.post', 'post.json'], missingFile: ['record', 'create', 'app.bsky.feed.post', MISSING], unreachable: null },
  'record put': { argv: ['record', 'put', 'app.bsky.feed.post', 'self', 'post.json'], missingFile: ['record', 'put', 'app.bsky.feed.post', 'self', MISSING], unreachable: null },
  'record delete': { argv: ['record', 'delete', RECORD], missingFile: null, unreachable: null },
  'plc history': { argv: ['plc', 'history', PLC_DID], missingFile: null, unreachable: ['plc', 'history', PLC_DID, ...NET] },
  'plc watch': { argv: ['plc', 'watch', PLC_DID, '--my-keys', PLC_KEY, '--once'], missingFile: null, unreachable: ['plc', 'watch', PLC_DID, '--my-keys', PLC_KEY, '--once', ...NET] },
  'plc recover': { argv: ['plc', 'recover', PLC_DID, '--nullify', 'bafyreib'], missingFile: ['plc', 'recover', PLC_DID, '--nullify', 'bafyreib', '--key-file', MISSING], unreachable: null },
  'plc data': { argv: ['plc', 'data', PLC_DID], missingFile: null, unreachable: ['plc', 'data', PLC_DID, ...NET] },
  'plc verify': { argv: ['plc', 'verify', PLC_DID], missingFile: ['plc', 'verify', MISSING], unreachable: ['plc', 'verify', PLC_DID, ...NET] },
  'plc genesis': {
    argv: ['plc', 'genesis', '--signing-key', PLC_KEY, '--rotation-key', PLC_KEY, '--handle', 'alice.example.com', '--pds', 'https://pds.example.com'],
    missingFile: null,
    unreachable: null,
  },
  'plc update': { argv: ['plc', 'update', PLC_DID, '--handle', 'alice.example.com'], missingFile: null, unreachable: ['plc', 'update', PLC_DID, '--handle', 'alice.example.com', ...NET] },
  'plc sign': { argv: ['plc', 'sign', PLC_UPDATE], missingFile: ['plc', 'sign', MISSING], unreachable: ['plc', 'sign', PLC_UPDATE, ...NET] },
  'plc submit': { argv: ['plc', 'submit', PLC_SIGNED], missingFile: ['plc', 'submit', MISSING], unreachable: ['plc', 'submit', PLC_SIGNED, ...NET] },
  'plc calc-did': { argv: ['plc', 'calc-did', PLC_SIGNED], missingFile: ['plc', 'calc-did', MISSING], unreachable: null },
  'plc dump': { argv: ['plc', 'dump'], missingFile: null, unreachable: ['plc', 'dump', '--limit', '1', ...NET] },
  'account login': { argv: ['account', 'login', '-u', 'alice.example.com', '--pds', 'https://pds.example.com'], missingFile: null, unreachable: ['account', 'login', '-u', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'account logout': { argv: ['account', 'logout'], missingFile: null, unreachable: null },
  'account whoami': { argv: ['account', 'whoami'], missingFile: null, unreachable: null },
  'account status': { argv: ['account', 'status', 'alice.example.com'], missingFile: null, unreachable: ['account', 'status', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'account recovery-key add': { argv: ['account', 'recovery-key', 'add', PLC_KEY], missingFile: null, unreachable: null },
  'account create': {
    argv: ['account', 'create', '--pds', 'https://pds.example.com', '--handle', 'alice.example.com', '--email', 'alice@example.com'],
    missingFile: null,
    unreachable: ['account', 'create', '--pds', DEAD, '--handle', 'alice.example.com', '--email', 'alice@example.com', ...NET],
  },
  'account service-auth': {
    argv: ['account', 'service-auth', '--aud', 'did:web:pds.example.com'],
    missingFile: ['account', 'service-auth', '--aud', 'did:web:pds.example.com', '--key-file', MISSING, '--iss', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'],
    unreachable: null,
  },
  'account activate': { argv: ['account', 'activate'], missingFile: null, unreachable: null },
  'account deactivate': { argv: ['account', 'deactivate'], missingFile: null, unreachable: null },
  'account missing-blobs': { argv: ['account', 'missing-blobs'], missingFile: null, unreachable: null },
  'account migrate': { argv: ['account', 'migrate', '--to', 'https://pds.example.com'], missingFile: null, unreachable: null },
  'account plc recommended': { argv: ['account', 'plc', 'recommended'], missingFile: null, unreachable: null },
  'account plc request-token': { argv: ['account', 'plc', 'request-token'], missingFile: null, unreachable: null },
  'account plc sign': { argv: ['account', 'plc', 'sign', 'op.json'], missingFile: ['account', 'plc', 'sign', MISSING, '--token', 'x'], unreachable: null },
  'account plc submit': { argv: ['account', 'plc', 'submit', 'signed.json'], missingFile: ['account', 'plc', 'submit', MISSING], unreachable: null },
  'blob ls': { argv: ['blob', 'ls', 'alice.example.com'], missingFile: null, unreachable: ['blob', 'ls', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', ...NET] },
  'blob sync': { argv: ['blob', 'sync', 'alice.example.com'], missingFile: null, unreachable: ['blob', 'sync', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '/nonexistent/atcli-contract/blobs', ...NET] },
  'backup create': { argv: ['backup', 'create', 'alice.example.com', 'backup-dir'], missingFile: null, unreachable: ['backup', 'create', DID, `${process.env.TMPDIR ?? '/tmp'}/atcli-contract-backup-${process.pid}`, ...NET] },
  'backup verify': { argv: ['backup', 'verify', 'backup-dir'], missingFile: ['backup', 'verify', MISSING], unreachable: null },
  restore: { argv: ['restore', 'backup-dir', '--to', 'https://pds.example'], missingFile: ['restore', MISSING, '--to', 'https://pds.example'], unreachable: null },
  'blob get': {
    argv: ['blob', 'get', 'alice.example.com', BLOB_CID],
    missingFile: null,
    unreachable: ['blob', 'get', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', BLOB_CID, ...NET],
  },
  'blob upload': { argv: ['blob', 'upload', 'photo.jpg'], missingFile: ['blob', 'upload', MISSING], unreachable: null },
  'blob compute': { argv: ['blob', 'compute', 'photo.jpg'], missingFile: ['blob', 'compute', MISSING], unreachable: null },
  'firehose tail': { argv: ['firehose', 'tail', '--limit', '1'], missingFile: null, unreachable: null },
  'firehose replay': { argv: ['firehose', 'replay', 'sample.fh'], missingFile: ['firehose', 'replay', MISSING], unreachable: null },
  'xrpc query': { argv: ['xrpc', 'query', DEAD, 'com.atproto.server.describeServer'], missingFile: null, unreachable: ['xrpc', 'query', DEAD, 'com.atproto.server.describeServer', ...NET] },
  'xrpc procedure': {
    argv: ['xrpc', 'procedure', DEAD, 'com.atproto.server.createSession'],
    missingFile: ['xrpc', 'procedure', DEAD, 'com.atproto.server.createSession', `@${MISSING}`],
    unreachable: ['xrpc', 'procedure', DEAD, 'com.atproto.server.createSession', 'identifier=alice.example.com', ...NET],
  },
};

const root = await loadAll();
const leaves: TreeNode[] = [];
const groups: TreeNode[] = [];
const legacy: TreeNode[] = [];
const walk = (node: TreeNode): void => {
  if (node.spec?.kind === 'command') leaves.push(node);
  else if ((node.spec?.kind as string | undefined) === 'legacy') legacy.push(node);
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
  const value = flag === '--timeout' || flag === '--transfer-timeout' || flag === '--min-rate' ? '5' : flag === '--connect-to' ? 'a.test:80:127.0.0.1:1' : flag === '--dns-server' ? '127.0.0.1' : flag === '--profile' ? 'x' : 'https://example.com';
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
    expect(legacy.map((l) => l.path.join(' '))).toEqual([]);
  });
});
