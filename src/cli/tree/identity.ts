import { type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerResolveCommand(resolve: Command, act: Act): void {
  resolve
    .argument('<id>', 'handle, DID, or at:// URI of an account')
    .option('--did', 'print only the DID')
    .option('--no-cache', 'bypass the identity cache')
    .addHelpText('after', examples(['atcli resolve alice.example.com', 'atcli resolve did:plc:ewvi7nxzyoun6zhxrhs64oiz --json', 'atcli resolve alice.example.com --did']))
    .action(act(async () => (await import('../commands/resolve.js')).resolveCommand));
}
