// Runs the built atcli as a subprocess, the way users and scripts do.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/atcli.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  configDir?: string;
  timeoutMs?: number;
  /** Another entry script instead of bin/atcli.js (test/support/atcli-hooked.mjs). */
  entry?: string;
}

export function tempDir(prefix = 'atcli-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A clean environment: no colour, no prompts, an isolated config directory. */
export function cliEnv(opts: CliOptions = {}, scratch: string = opts.configDir ?? tempDir('atcli-home-')): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: scratch,
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
    ATCLI_CONFIG_DIR: opts.configDir ?? join(scratch, 'config'),
    NO_COLOR: '1',
    CI: '1',
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // A throw-away HOME (and config dir inside it) unless the test passes its own config dir.
    const scratch = opts.configDir ?? tempDir('atcli-home-');
    const child = spawn(process.execPath, [opts.entry ?? BIN, ...args], { env: cliEnv(opts, scratch), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`atcli ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 20000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.configDir === undefined) rmSync(scratch, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Parses stdout as one JSON document, failing with the output when it is not. */
export function stdoutJson<T = Record<string, unknown>>(result: { stdout: string; stderr: string }): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The --json error line on stderr. */
export function stderrJsonError<R extends { stderr: string }>(result: R): { code: string; message: string; hint?: string } {
  const lines = result.stderr.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return (JSON.parse(last) as { error: { code: string; message: string; hint?: string } }).error;
  } catch {
    throw new Error(`stderr's last line is not a JSON error:\n${result.stderr}`);
  }
}

/** No stack traces reach users. */
export function expectNoStack<R extends { stderr: string }>(result: R): void {
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(result.stderr) || /\n\s+at .+:\d+:\d+/.test(result.stderr)) {
    throw new Error(`stderr contains a stack trace:\n${result.stderr}`);
  }
}
