// Shell completion from the live command tree: the scripts are thin and call
// `atcli __complete -- <words…>`, which walks the same tree the parser uses.
import type { Command, Option } from 'commander';

const VALUE_CHOICES: Record<string, string[]> = {
  'syntax check <kind>': ['handle', 'did', 'nsid', 'at-uri', 'at-identifier', 'rkey', 'tid', 'cid', 'datetime', 'language'],
  'completion <shell>': ['bash', 'zsh', 'fish'],
};

function visibleCommands(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function optionNames(opts: readonly Option[]): string[] {
  return opts.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((n): n is string => typeof n === 'string'));
}

/** Candidates for the last word, given the words typed so far (without "atcli"). */
export function completeWords(program: Command, words: string[]): string[] {
  const current = words.length === 0 ? '' : (words[words.length - 1] ?? '');
  const before = words.slice(0, -1);
  let cmd = program;
  const path: string[] = [];
  let positional = 0;
  let expectValueFor: Option | undefined;
  for (const word of before) {
    if (expectValueFor) {
      expectValueFor = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const opt = [...cmd.options, ...program.options].find((o) => o.long === word || o.short === word);
      if (opt && (opt.required || opt.optional)) expectValueFor = opt;
      continue;
    }
    const sub = visibleCommands(cmd).find((c) => c.name() === word || c.aliases().includes(word));
    if (sub && positional === 0) {
      cmd = sub;
      path.push(word);
    } else positional++;
  }
  if (expectValueFor) return (expectValueFor.argChoices ?? []).filter((c) => c.startsWith(current));
  if (current.startsWith('-')) {
    return [...optionNames(cmd.options), ...optionNames(program.options), '--help'].filter((n) => n.startsWith(current));
  }
  const subs = visibleCommands(cmd).map((c) => c.name());
  if (subs.length > 0 && positional === 0) return subs.filter((n) => n.startsWith(current));
  const arg = cmd.registeredArguments[positional] ?? cmd.registeredArguments[cmd.registeredArguments.length - 1];
  if (arg) {
    const key = `${path.join(' ')} <${arg.name()}>`;
    const choices = arg.argChoices ?? VALUE_CHOICES[key] ?? [];
    return choices.filter((c) => c.startsWith(current));
  }
  return [];
}

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# bash completion for atcli (generated; do not edit)
# Install: atcli completion bash > /etc/bash_completion.d/atcli   (or source it from ~/.bashrc)
_atcli_complete() {
  local IFS=$'\\n'
  local words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=( $(atcli __complete -- "\${words[@]}" 2>/dev/null) )
  if [[ \${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=( $(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}") )
  fi
}
complete -o filenames -F _atcli_complete atcli
`;
    case 'zsh':
      return `#compdef atcli
# zsh completion for atcli (generated; do not edit)
# Install: atcli completion zsh > "\${fpath[1]}/_atcli"
_atcli() {
  local -a candidates
  candidates=("\${(@f)$(atcli __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates[@]} > 0 )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -- "\${candidates[@]}"
  else
    _files
  fi
}
compdef _atcli atcli
`;
    case 'fish':
      return `# fish completion for atcli (generated; do not edit)
# Install: atcli completion fish > ~/.config/fish/completions/atcli.fish
function __atcli_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  atcli __complete -- $words 2>/dev/null
end
complete -c atcli -f -a '(__atcli_complete)'
`;
  }
}
