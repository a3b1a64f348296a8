// An IO for running commands in-process: stdout and stderr collected in memory, each stream a
// terminal or not, a scripted prompter, a fixed or real clock.
import { Readable, Writable } from 'node:stream';
import type { IO, Prompter } from '../../src/cli/io.js';
import { run, type RunOptions } from '../../src/cli/main.js';

class Collector extends Writable {
  text = '';
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(bytes);
    this.text += bytes.toString('utf8');
    done();
  }
}

export interface TestIOOptions {
  stdin?: string | Buffer;
  /** Which streams are terminals (default none). */
  tty?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
  columns?: number;
  env?: Record<string, string | undefined>;
  /** Answers for prompts, in order; a prompt with no answer left fails the test. */
  answers?: Array<string | boolean>;
  now?: () => number;
}

export interface TestIO extends IO {
  stdoutText(): string;
  /** stdout as written, byte for byte (binary output). */
  stdoutBytes(): Buffer;
  stderrText(): string;
  /** Messages of the prompts asked so far. */
  asked: string[];
}

export function testIO(opts: TestIOOptions = {}): TestIO {
  const stdout = new Collector();
  const stderr = new Collector();
  const answers = [...(opts.answers ?? [])];
  const asked: string[] = [];
  const next = async <T extends string | boolean>(message: string): Promise<T> => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`unexpected prompt: ${message}`);
    return answers.shift() as T;
  };
  const prompter: Prompter = { secret: (m) => next<string>(m), text: (m) => next<string>(m), confirm: (m) => next<boolean>(m) };
  return {
    stdin: Readable.from(opts.stdin === undefined ? [] : [typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin]),
    stdout,
    stderr,
    stdinIsTTY: opts.tty?.stdin === true,
    stdoutIsTTY: opts.tty?.stdout === true,
    stderrIsTTY: opts.tty?.stderr === true,
    stdoutColumns: opts.tty?.stdout ? (opts.columns ?? 100) : undefined,
    stderrColumns: opts.tty?.stderr ? (opts.columns ?? 100) : undefined,
    env: { NO_COLOR: '1', ATCLI_CONFIG_DIR: '/nonexistent/atcli-test-config', ...opts.env },
    prompter,
    clock: { now: opts.now ?? (() => Date.now()) },
    stdoutText: () => stdout.text,
    stdoutBytes: () => Buffer.concat(stdout.chunks),
    stderrText: () => stderr.text,
    asked,
  };
}

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  io: TestIO;
}

/** Runs one command line in this process, the way the binary would, with test IO. */
export async function runIn(argv: string[], opts: TestIOOptions & Pick<RunOptions, 'factory' | 'signal'> = {}): Promise<InProcessResult> {
  const io = testIO(opts);
  const code = await run(argv, { io, ...(opts.factory ? { factory: opts.factory } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}

/** The objects of an NDJSON output, one a line. */
export function ndjsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
