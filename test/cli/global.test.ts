import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, cliEnv, expectNoStack, runCli, stderrJsonError, stdoutJson } from './run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('global behaviour', () => {
  it('--version prints the version only', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('--help teaches: description, commands, examples, exit codes, on stdout', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: atcli');
    expect(r.stdout).toContain('resolve');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stderr).toBe('');
  });

  it('sub-command help shows its examples and the global options', async () => {
    const r = await runCli(['syntax', 'check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('atcli syntax check handle alice.example.com');
    expect(r.stdout).toContain('--json');
  });

  it('an unknown option is a usage error: exit 2, error and hint lines, nothing on stdout', async () => {
    const r = await runCli(['resolve', 'alice.example.com', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: unknown option '--bogus'/m);
    expect(r.stderr).toMatch(/^hint: run "atcli resolve .*--help"/m);
    expectNoStack(r);
  });

  it('an unknown command suggests the closest one', async () => {
    const r = await runCli(['reslove', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'reslove'");
    expect(r.stderr).toContain('resolve');
  });

  it('a missing argument is a usage error', async () => {
    const r = await runCli(['syntax', 'check', 'handle']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: missing required argument/m);
  });

  it('a command group without a sub-command prints its help on stdout and exits 0', async () => {
    const r = await runCli(['key']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('generate');
  });

  it('with --json, a usage error is one JSON line on stderr', async () => {
    const r = await runCli(['--json', 'resolve', 'x', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = stderrJsonError(r);
    expect(err.code).toBe('UsageError');
    expect(err.message).toContain('--bogus');
    expect(err.hint).toBeTruthy();
  });

  it('global flags work after positional arguments', async () => {
    const r = await runCli(['syntax', 'check', 'handle', 'alice.example.com', '--json']);
    expect(r.code).toBe(0);
    expect(stdoutJson(r).valid).toBe(true);
  });

  it('rejects a bad --timeout and a bad --plc URL with exit 2', async () => {
    const a = await runCli(['--timeout', 'soon', 'resolve', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--timeout');
    const b = await runCli(['--plc', 'not a url', 'resolve', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--plc');
  });

  it('prints no colour when stderr is not a terminal, even without NO_COLOR', async () => {
    const r = await runCli(['syntax', 'check', 'handle', 'bad..handle'], { env: { NO_COLOR: undefined } });
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).not.toContain('\u001b[');
  });

  it('FORCE_COLOR turns colour on for a pipe', async () => {
    const r = await runCli(['syntax', 'check', 'handle', 'bad..handle'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\u001b[');
  });

  it('ends quietly with exit 0 when stdout is closed early (EPIPE)', async () => {
    const out = execFileSync('bash', ['-c', `set -o pipefail; node ${BIN} syntax tid generate --count 20000 | head -1; echo "status=$?"`], {
      env: cliEnv(),
      encoding: 'utf8',
    });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^[234567abcdefghij][a-z2-7]{12}$/);
    expect(lines[lines.length - 1]).toBe('status=0');
  });

  it('Ctrl-C (SIGINT) exits 130 with a message', async () => {
    // `xrpc query` against a server that never answers keeps the command busy until interrupted.
    const { createServer } = await import('node:net');
    let connected!: () => void;
    const busy = new Promise<void>((resolve) => (connected = resolve));
    const server = createServer(() => connected());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [BIN, 'xrpc', 'query', `http://127.0.0.1:${port}`, 'com.atproto.server.describeServer'], { env: cliEnv() });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await busy; // the request is in flight: the command is waiting on the network
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    server.close();
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
