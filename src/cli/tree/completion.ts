import { type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerCompletionCommand(completion: Command, act: Act): void {
  completion
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples(['atcli completion bash > /etc/bash_completion.d/atcli', 'atcli completion zsh > "${fpath[1]}/_atcli"', 'atcli completion fish > ~/.config/fish/completions/atcli.fish']))
    .action(act(async () => (await import('../commands/completion.js')).completionCommand));
}
