import { defineCommand } from '../spec.js';
import { arg } from '../flags.js';
import { SHELLS, completionScript } from '../completion.js';
import { loadAll } from '../tree.js';

export default defineCommand({
  args: { shell: arg.choice('shell', 'the shell', SHELLS) },
  examples: [
    'atcli completion bash > ~/.local/share/bash-completion/completions/atcli',
    'atcli completion zsh > "${fpath[1]}/_atcli"',
    'atcli completion fish > ~/.config/fish/completions/atcli.fish',
  ],
  notes: 'The script carries the command tree itself: completion works without atcli on PATH and starts no process per key press. Regenerate it after upgrading atcli.',
  async run({ args, out }) {
    await out.text(completionScript(args.shell, await loadAll()));
  },
});
