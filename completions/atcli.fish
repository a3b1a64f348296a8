# fish completion for atcli (generated; do not edit)
# Install: atcli completion fish > ~/.config/fish/completions/atcli.fish
function __atcli_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  atcli __complete -- $words 2>/dev/null
end
complete -c atcli -f -a '(__atcli_complete)'
