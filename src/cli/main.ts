// Entry point: parses argv with the static tree, runs one command, maps every outcome to the
// documented exit code, and handles Ctrl-C and closed pipes.
import { CommanderError, type Command } from 'commander';
import { createContext, type GlobalOptions } from './context.js';
import { printError } from './output.js';
import { buildProgram, focusOf, GLOBAL_VALUE_OPTIONS, type ActionRunner } from './program.js';
import { AtcliError, isAtcliError, usage } from '../core/errors.js';

const INTERRUPTED_EXIT = 130;
const CLEANUP_GRACE_MS = 5000;

export async function run(argv: string[]): Promise<void> {

  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (`atcli … | head -1`): stop quietly, as the result was consumed.
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(INTERRUPTED_EXIT);
    interrupted = true;
    process.stderr.write(`\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}; cleaning up (press Ctrl-C again to exit at once)\n`);
    controller.abort(new AtcliError('interrupted', 'Interrupted', 'interrupted by signal'));
    setTimeout(() => process.exit(INTERRUPTED_EXIT), CLEANUP_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let globals: GlobalOptions = {};
  const runner: ActionRunner = async (load, command, args) => {
    globals = command.optsWithGlobals() as GlobalOptions;
    const ctx = createContext(globals, controller.signal);
    try {
      const handler = await load();
      const code = await handler({ ctx, args, opts: command.opts(), globals, command });
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } finally {
      await ctx.close();
    }
  };

  const program = await buildProgram(runner, focusOf(argv));
  configureCommanderErrors(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = commanderExit(err, globals, program);
    } else if (interrupted || controller.signal.aborted) {
      process.exitCode = INTERRUPTED_EXIT;
      if (!isAtcliError(err) || err.kind !== 'interrupted') printError(errorContext(globals), err);
    } else {
      printError(errorContext(globals), err);
      process.exitCode = isAtcliError(err) ? err.exitCode : 1;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function errorContext(globals: GlobalOptions) {
  const ctxLike = {
    json: globals.json === true || process.argv.includes('--json'),
    stderrColor: false,
    verbosity: (globals.verbose ?? 0) + (process.env.ATCLI_DEBUG ? 2 : 0),
  };
  try {
    ctxLike.stderrColor = createContext(globals, new AbortController().signal).stderrColor;
  } catch {
    // Invalid global flags: fall back to plain output.
  }
  return ctxLike;
}

/** Commander prints nothing itself; usage errors become our `error:`/`hint:` lines and exit 2. */
function configureCommanderErrors(program: Command): void {
  const apply = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: () => {},
    });
    for (const sub of cmd.commands) apply(sub);
  };
  apply(program);
}

function commanderExit(err: CommanderError, globals: GlobalOptions, program: Command): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
  // A command group called without a sub-command: commander already printed its help.
  if (err.code === 'commander.help') return 2;
  const message = err.message.replace(/^error:\s*/, '').replace(/\n\(Did you mean (.+)\?\)/, ' (did you mean "$1"?)');
  const path = knownCommandPath(program, process.argv.slice(2));
  printError(errorContext(globals), usage('UsageError', message, { hint: `run "atcli ${path.length > 0 ? `${path.join(' ')} ` : ''}--help" to see the usage` }));
  return 2;
}

/** The longest prefix of the words that names real (sub)commands. */
function knownCommandPath(program: Command, words: string[]): string[] {
  const path: string[] = [];
  let cmd = program;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (GLOBAL_VALUE_OPTIONS.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === word);
    if (!sub) break;
    path.push(word);
    cmd = sub;
  }
  return path;
}

/** For scripts/gen-docs.mjs: the generated man pages and completion scripts. */
export async function generatedDocs(): Promise<Map<string, string>> {
  return await (await import('./docs.js')).generatedFiles();
}
