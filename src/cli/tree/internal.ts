import { type Command } from 'commander';
import type { Act } from '../program.js';

export function registerInternalCommands(program: Command, act: Act): void {
  program
    .command('__complete', { hidden: true })
    .description('internal: print completion candidates for the words given')
    .argument('[words...]')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(act(async () => (await import('../commands/completion.js')).completeWordsCommand));
}
