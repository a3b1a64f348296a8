// Runs a handler of a group not yet moved onto the new command layer with its old context.
import type { Command } from 'commander';
import { createContext, type GlobalOptions } from './context.js';
import type { CommandHandler } from './program.js';

export async function runLegacy(load: () => Promise<CommandHandler>, command: Command, args: unknown[], signal: AbortSignal): Promise<number> {
  const raw = command.optsWithGlobals();
  // --relay is repeatable (doctor checks several); the old commands take the last one.
  const relay: unknown = Array.isArray(raw.relay) ? raw.relay[raw.relay.length - 1] : raw.relay;
  const globals = { ...raw, relay, verbose: Array.isArray(raw.verbose) ? raw.verbose.length : 0 } as GlobalOptions;
  const ctx = createContext(globals, signal);
  try {
    const handler = await load();
    const code = await handler({ ctx, args, opts: command.opts(), globals, command });
    return typeof code === 'number' ? code : 0;
  } finally {
    await ctx.close();
  }
}
