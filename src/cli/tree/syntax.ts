import { type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerSyntaxCommands(syntax: Command, act: Act): void {
  syntax
    .command('check')
    .description('check values against the atproto syntax rules (exit 0 valid, 3 invalid with the reason)')
    .argument('<kind>', 'handle, did, nsid, at-uri, at-identifier, rkey, tid, cid, datetime, language')
    .argument('<values...>', 'values to check')
    .addHelpText('after', examples(['atcli syntax check handle alice.example.com', 'atcli syntax check nsid app.bsky.feed.post com.example.Bad-', 'atcli syntax check datetime 2024-01-01T00:00:00Z --json']))
    .action(act(async () => (await import('../commands/syntax.js')).syntaxCheckCommand));
  const tid = syntax.command('tid').description('generate or inspect timestamp identifiers (TIDs)');
  tid
    .command('generate')
    .description('print a new TID for the current time')
    .option('--count <n>', 'how many (each strictly greater than the last)', '1')
    .action(act(async () => (await import('../commands/syntax.js')).tidGenerateCommand));
  tid
    .command('inspect')
    .description('decode a TID into its timestamp and clock id')
    .argument('<tid>', 'a TID, e.g. 3jzfcijpj2z2a')
    .action(act(async () => (await import('../commands/syntax.js')).tidInspectCommand));
}
