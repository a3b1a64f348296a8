// The command layer's contract, run in-process with test IO: help in every form, exit codes of
// usage errors, global flags a command cannot honour, quiet mode, version, wrapping.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runIn } from '../support/test-io.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function maxLineLength(text: string): number {
  return Math.max(...text.split('\n').map((l) => l.length));
}

describe('help', () => {
  it('bare "atcli" prints the top-level help on stdout and exits 0', async () => {
    const r = await runIn([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: atcli <command>');
    expect(r.stdout).toContain('Commands:');
    expect(r.stderr).toBe('');
  });

  it.each(['syntax', 'syntax check', 'resolve', 'key inspect', 'syntax tid generate'])('"help %s" equals "--help", exit 0', async (command) => {
    const words = command.split(' ');
    const viaHelp = await runIn(['help', ...words]);
    const viaFlag = await runIn([...words, '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaFlag.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: atcli /);
  });

  it('"help nosuch" says the command is unknown (exit 2) and lists what exists', async () => {
    const r = await runIn(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "nosuch"');
    expect(r.stderr).toContain('resolve');
    expect(r.stdout).toBe('');
  });

  it('a group prints its help (commands first, no global options) and exits 0', async () => {
    const r = await runIn(['syntax']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const commands = lines.indexOf('Commands:');
    expect(commands).toBeGreaterThan(0);
    expect(commands).toBeLessThan(6);
    expect(r.stdout).not.toContain('--handle-resolver');
  });

  it('a command lists the global flags in one compact line, not in full', async () => {
    const r = await runIn(['resolve', '--help']);
    expect(r.stdout).toMatch(/^Global options: --json -q -v .*--plc/m);
    expect(r.stdout).not.toContain('XRPC service for com.atproto.identity.resolveHandle');
    const offline = await runIn(['syntax', 'check', '--help']);
    expect(offline.stdout).not.toContain('--plc');
  });

  it('"help globals" lists every global flag', async () => {
    const r = await runIn(['help', 'globals']);
    expect(r.code).toBe(0);
    for (const flag of ['--json', '--quiet', '--dry-run', '--plc', '--relay', '--profile', '--connect-to', '--no-input']) expect(r.stdout).toContain(flag);
  });

  it('wraps to 80 columns when piped and to the terminal width on a terminal', async () => {
    const piped = await runIn(['--help']);
    expect(maxLineLength(piped.stdout.replace(/^ {2}atcli .*$/gm, ''))).toBeLessThanOrEqual(80);
    const wide = await runIn(['--help'], { tty: { stdout: true }, columns: 110 });
    expect(maxLineLength(wide.stdout)).toBeGreaterThan(80);
    expect(maxLineLength(wide.stdout.replace(/^ {2}atcli .*$/gm, ''))).toBeLessThanOrEqual(110);
    const narrow = await runIn(['resolve', '--help'], { tty: { stdout: true }, columns: 60 });
    expect(maxLineLength(narrow.stdout.replace(/^ {2}atcli .*$/gm, ''))).toBeLessThanOrEqual(60);
  });
});

describe('version', () => {
  it('"atcli version", "--version" and their JSON forms', async () => {
    expect((await runIn(['version'])).stdout).toBe(`${pkg.version}\n`);
    expect((await runIn(['--version'])).stdout).toBe(`${pkg.version}\n`);
    for (const argv of [['--json', '--version'], ['version', '--json']]) {
      const r = await runIn(argv);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ version: pkg.version, node: process.version });
    }
  });
});

describe('usage errors', () => {
  it('a global flag the command cannot honour is refused with exit 2, not ignored', async () => {
    for (const argv of [['key', 'generate', '-n'], ['key', 'generate', '--yes'], ['syntax', 'check', 'did', 'did:plc:x', '--plc', 'https://plc.example'], ['resolve', 'alice.test', '--dry-run'], ['syntax', 'tid', 'generate', '--profile', 'x']]) {
      const r = await runIn(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: --[\w-]+ has no effect on "atcli /m);
      expect(r.stdout).toBe('');
    }
  });

  it('a value that starts with "-" gets a hint to put it after "--"', async () => {
    const r = await runIn(['syntax', 'check', 'handle', '-bad.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hint: if "-bad.com" is a value rather than an option, put it after "--": atcli syntax check handle -- -bad.com');
    const fixed = await runIn(['syntax', 'check', 'handle', '--', '-bad.com']);
    expect(fixed.code).toBe(3);
  });

  it('an unknown sub-command suggests the closest one', async () => {
    const r = await runIn(['syntax', 'chek']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'chek'");
    expect(r.stderr).toContain('check');
  });

  it('a missing input file is a usage error (2)', async () => {
    const r = await runIn(['key', 'inspect', '--key-file', '/nonexistent/key.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
  });

  it('bad numbers and durations name the flag', async () => {
    const r = await runIn(['syntax', 'tid', 'generate', '--count', 'ten']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--count must be a whole number from 1 to 100000, got "ten"');
    const t = await runIn(['resolve', 'alice.test', '--timeout', `${2 ** 31}`]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout is too long');
  });

  it('-q and ATCLI_QUIET leave out hints; errors still print', async () => {
    for (const opts of [{ argv: ['-q', 'help', 'nosuch'] }, { argv: ['help', 'nosuch'], env: { ATCLI_QUIET: '1' } }]) {
      const r = await runIn(opts.argv, opts.env ? { env: opts.env } : {});
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error:');
      expect(r.stderr).not.toContain('hint:');
    }
  });

  it('--json errors are exactly one JSON object on stderr', async () => {
    const r = await runIn(['--json', 'help', 'nosuch']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ error: { code: 'UnknownCommand' } });
  });
});
