// Entry point. `run` parses one command line against the command tree (loading only the invoked
// command), runs it with the given IO and returns the exit code; `main` is the process around it:
// signals, closed pipes, the exit code.
import { CommanderError, type Command } from 'commander';
import { AtcliError, isAtcliError, usage } from '../core/errors.js';
import { Prompts, VERSION } from './context.js';
import { printError } from './errors.js';
import { createFactory, type Factory } from './factory.js';
import { GLOBAL_OPTIONS, GLOBAL_VALUE_FLAGS, fallbackGlobals, readGlobals, refuseUnusableGlobals, type GlobalName, type Globals } from './globals.js';
import { helpWidth, renderHelp } from './help.js';
import { colorFor, processIO, type IO } from './io.js';
import { Output } from './render/output.js';
import { StderrWriter } from './render/stderr.js';
import { attributeOf, buildProgram, type Router } from './router.js';
import type { CommandSpec } from './spec.js';
import { loadPath, type TreeNode } from './tree.js';

export interface RunOptions {
  io?: IO;
  /** Aborts the command (Ctrl-C). */
  signal?: AbortSignal;
  /** Replaces pieces of the client factory (tests: fault injection, observers). */
  factory?: (base: Factory) => Factory;
}

export const INTERRUPTED_EXIT = 130;

/** The command words of an argv: the words before the first one that is not a command name. */
export function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') break;
    if (GLOBAL_VALUE_FLAGS.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    words.push(word);
  }
  return words;
}

function writers(io: IO, g: Pick<Globals, 'json' | 'quiet' | 'verbosity' | 'color'>): { err: StderrWriter; out: Output } {
  const err = new StderrWriter(io, colorFor(io.stderrIsTTY, io.env, g.color), g.quiet, g.verbosity);
  return { err, out: new Output(io, g.json, colorFor(io.stdoutIsTTY, io.env, g.color), err) };
}

/** Global flags typed on the command line (not from the environment or defaults). */
function globalsOnCommandLine(program: Command): GlobalName[] {
  return (Object.keys(GLOBAL_OPTIONS) as GlobalName[]).filter((name) => program.getOptionValueSource(attributeOf(GLOBAL_OPTIONS[name].option)) === 'cli');
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

function convertValues(spec: CommandSpec, cmd: Command): { args: Record<string, unknown>; opts: Record<string, unknown> } {
  const args: Record<string, unknown> = {};
  Object.entries(spec.args).forEach(([key, a], i) => {
    args[key] = a.convert(cmd.processedArgs[i], a.name);
  });
  const raw = cmd.opts();
  const opts: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(spec.options)) {
    opts[key] = o.convert(raw[attributeOf(o)], /--[\w-]+/.exec(o.flags)?.[0] ?? o.flags);
  }
  return { args, opts };
}

export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIO();
  const signal = options.signal ?? new AbortController().signal;
  let exitCode = 0;
  let path = '';
  let g: Globals | undefined;
  const words = commandWords(argv);
  const { root } = await loadPath(words);
  const width = helpWidth(io.stdoutIsTTY, io.stdoutColumns);

  const router: Router = {
    write: (stream, text) => void (stream === 'out' ? io.stdout : io.stderr).write(text),
    helpText: (node) => renderHelp(node, width),
    async showGroup(node: TreeNode, cmd: Command) {
      const globals = readGlobals(rootOf(cmd).opts(), io.env);
      if (node.path.length === 0 && globals.version) {
        const { out } = writers(io, globals);
        await out.result({ version: VERSION, node: process.version, platform: `${process.platform}-${process.arch}` }, (v) => v.version);
        return;
      }
      await writers(io, globals).out.text(renderHelp(node, width));
    },
    async runLeaf(node: TreeNode, spec: CommandSpec, cmd: Command) {
      path = node.path.join(' ');
      const program = rootOf(cmd);
      refuseUnusableGlobals(globalsOnCommandLine(program), spec.uses, path);
      g = readGlobals(program.opts(), io.env);
      if (g.version) throw usage('UnsupportedGlobalFlag', `--version is not an option of "atcli ${path}"`, { hint: 'run "atcli version"' });
      const { args, opts } = convertValues(spec, cmd);
      const { out, err } = writers(io, g);
      const base = createFactory(g, io, err, signal);
      const f = options.factory ? options.factory(base) : base;
      try {
        const code = await spec.run({ args, opts, g, io, out, err, prompt: new Prompts(io, g, signal), f, signal, path });
        exitCode = code ?? 0;
      } finally {
        await f.close();
      }
    },
  };

  const program = buildProgram(root, router);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    exitCode = reportFailure(error, io, g, argv, path, signal, program);
  }
  return exitCode;
}

function commandPathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function reportFailure(error: unknown, io: IO, g: Globals | undefined, argv: readonly string[], path: string, signal: AbortSignal, program: Command): number {
  const shown = g ?? fallbackGlobals(argv, io.env);
  const { err } = writers(io, shown);
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    printError(err, shown.json, commanderUsageError(error, argv, program), path);
    return 2;
  }
  if (signal.aborted) {
    if (!isAtcliError(error) || error.kind !== 'interrupted') printError(err, shown.json, error, path);
    return INTERRUPTED_EXIT;
  }
  printError(err, shown.json, error, path);
  return isAtcliError(error) ? error.exitCode : 1;
}

/** Commander's parse errors as our usage errors, with the hint that helps. */
function commanderUsageError(error: CommanderError, argv: readonly string[], program: Command): AtcliError {
  const message = error.message.replace(/^error:\s*/, '').replace(/\n\(Did you mean (.+)\?\)/, ' (did you mean "$1"?)');
  const words = commandWords(argv);
  let cmd = program;
  const known: string[] = [];
  for (const w of words) {
    const next = cmd.commands.find((c) => c.name() === w);
    if (!next) break;
    known.push(w);
    cmd = next;
  }
  const at = known.length > 0 ? `atcli ${known.join(' ')}` : 'atcli';
  let hint = `run "${at} --help" to see the usage`;
  const dashed = /unknown option '(-[^']*)'/.exec(error.message)?.[1];
  if (dashed && !dashed.startsWith('--') && dashed.length > 2 && cmd.registeredArguments.length > 0) {
    const fixed = argv.map((a) => (a === dashed ? `-- ${a}` : a)).join(' ');
    hint = `if "${dashed}" is a value rather than an option, put it after "--": atcli ${fixed}`;
  }
  return usage('UsageError', message, { hint });
}

/** The process: Ctrl-C aborts (a second one exits at once), a closed stdout ends quietly. */
export async function main(argv: readonly string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) process.exit(INTERRUPTED_EXIT);
    interrupted = true;
    process.stderr.write(`\n${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; cleaning up (press Ctrl-C again to exit at once)\n`);
    controller.abort(new AtcliError('interrupted', 'Interrupted', 'interrupted by signal'));
    setTimeout(() => process.exit(INTERRUPTED_EXIT), 5000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.exitCode = await run(argv, { signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** For scripts/gen-docs.mjs: the generated man pages and completion scripts. */
export async function generatedDocs(): Promise<Map<string, string>> {
  return (await import('./docs.js')).generatedFiles();
}
