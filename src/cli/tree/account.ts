import { type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerAccountCommands(account: Command, act: Act): void {
  account
    .command('login')
    .description('log in to a PDS; stores tokens (never the password) in a 0600 file under $ATCLI_CONFIG_DIR')
    .option('-u, --identifier <id>', 'handle, DID or e-mail (env ATCLI_IDENTIFIER; prompted when missing)')
    .option('--pds <url>', 'PDS URL (default: resolved from the identifier)')
    .addHelpText(
      'after',
      `${examples(['atcli account login -u alice.example.com', 'ATCLI_PASSWORD=… atcli account login -u alice.example.com --no-input', 'atcli --profile work account login -u alice.work.example'])}
The password comes from ATCLI_PASSWORD or a hidden prompt; never from a flag. An e-mail 2FA code comes from ATCLI_AUTH_FACTOR_TOKEN or a prompt.
Scripts can skip login entirely: ATCLI_IDENTIFIER + ATCLI_PASSWORD give a session that is never written to disk.`,
    )
    .action(act(async () => (await import('../commands/account.js')).loginCommand));
  account
    .command('logout')
    .description('revoke and delete the stored session of the profile')
    .action(act(async () => (await import('../commands/account.js')).logoutCommand));
  account
    .command('whoami')
    .description('show the logged-in account (checks the session with the PDS)')
    .action(act(async () => (await import('../commands/account.js')).whoamiCommand));
}
