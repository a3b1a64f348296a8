# bash completion for atcli (generated; do not edit)
# Install: atcli completion bash > /etc/bash_completion.d/atcli   (or source it from ~/.bashrc)
_atcli_complete() {
  local IFS=$'\n'
  local words=("${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=( $(atcli __complete -- "${words[@]}" 2>/dev/null) )
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=( $(compgen -f -- "${COMP_WORDS[COMP_CWORD]}") )
  fi
}
complete -o filenames -F _atcli_complete atcli
