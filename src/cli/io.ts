// Everything a command touches of the outside world: streams, whether each is a terminal, its
// width, the environment, prompts and the clock. Handlers receive an IO and never read
// `process.*`, so tests run them in-process with buffers and switchable terminals.
import type { Readable, Writable } from 'node:stream';

export interface Prompter {
  /** Hidden input (passwords, keys). */
  secret(message: string, signal: AbortSignal): Promise<string>;
  text(message: string, signal: AbortSignal): Promise<string>;
  confirm(message: string, signal: AbortSignal): Promise<boolean>;
}

export interface Clock {
  now(): number;
}

export interface IO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width of stdout / stderr when they are terminals. */
  stdoutColumns: number | undefined;
  stderrColumns: number | undefined;
  env: Readonly<Record<string, string | undefined>>;
  prompter: Prompter;
  clock: Clock;
}

const systemClock: Clock = { now: () => Date.now() };

/** The IO of the running process. Prompts load @inquirer/prompts only when one is drawn. */
export function processIO(): IO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutColumns: process.stdout.columns,
    stderrColumns: process.stderr.columns,
    env: process.env,
    prompter: inquirerPrompter(process.stdin, process.stderr),
    clock: systemClock,
  };
}

function inquirerPrompter(input: Readable, output: Writable): Prompter {
  const context = (signal: AbortSignal) => ({ input, output, signal });
  return {
    async secret(message, signal) {
      const { password } = await import('@inquirer/prompts');
      return password({ message, mask: false, validate: (v) => (v.length > 0 ? true : 'required') }, context(signal));
    },
    async text(message, signal) {
      const { input: ask } = await import('@inquirer/prompts');
      return (await ask({ message, validate: (v) => (v.trim().length > 0 ? true : 'required') }, context(signal))).trim();
    },
    async confirm(message, signal) {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: false }, context(signal));
    },
  };
}

const ENV_FALSE = new Set(['', '0', 'false', 'no', 'off']);

/** An environment switch such as ATCLI_DEV=1: set and not "0"/"false"/"no"/"off". */
export function envFlag(env: IO['env'], name: string): boolean {
  const v = env[name];
  return v !== undefined && !ENV_FALSE.has(v.toLowerCase());
}

/** Colour for one stream: --no-color and NO_COLOR win, FORCE_COLOR forces, else only on a terminal. */
export function colorFor(isTTY: boolean, env: IO['env'], flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** Writes and resolves once the stream accepts more (back-pressure for long outputs). */
export function write(stream: Writable, text: string): Promise<void> {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}
