// The shell-side half of completion (see completion.ts): one walker per shell.
//
// The walker, the same in each language: go through the words before the cursor, following
// command names while no positional argument has been seen, skipping option values; then offer
// the value of a pending option, options (when the word starts with "-"), child commands, or the
// positional argument at that index. Global options are offered where the command accepts them.

export const BASH_WALKER = `_atcli_accepts() { # $1 path, $2 scope
  local i
  [[ -z "$2" ]] && return 0
  for ((i = 0; i < \${#_atcli_kind[@]}; i++)); do
    if [[ \${_atcli_kind[i]} == u && "\${_atcli_path[i]}" == "$1" ]]; then [[ " \${_atcli_name[i]} " == *" $2 "* ]]; return; fi
  done
  return 1
}
_atcli_option() { # $1 path, $2 flag: prints the row index
  local i
  for ((i = 0; i < \${#_atcli_kind[@]}; i++)); do
    [[ \${_atcli_kind[i]} == o && ( "\${_atcli_path[i]}" == "$1" || "\${_atcli_path[i]}" == '*' ) && " \${_atcli_name[i]} " == *" $2 "* ]] && { echo "$i"; return; }
  done
}
_atcli() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" pos=0 pending="" dashdash=0 i j w found
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ -n "$pending" ]]; then pending=""; continue; fi
    if [[ $dashdash == 0 && "$w" == -- ]]; then dashdash=1; continue; fi
    if [[ $dashdash == 0 && "$w" == -* ]]; then
      j=$(_atcli_option "$path" "\${w%%=*}")
      [[ -n "$j" && \${_atcli_takes[j]} == 1 && "$w" != *=* ]] && pending=$j
      continue
    fi
    found=0
    if (( pos == 0 )); then
      for ((j = 0; j < \${#_atcli_kind[@]}; j++)); do
        [[ \${_atcli_kind[j]} == c && "\${_atcli_path[j]}" == "$path" && "\${_atcli_name[j]}" == "$w" ]] && { found=1; break; }
      done
    fi
    if (( found )); then path="\${path:+$path }$w"; else pos=$((pos + 1)); fi
  done
  COMPREPLY=()
  local -a words=() files=none
  if [[ -n "$pending" ]]; then
    read -ra words <<< "\${_atcli_choices[pending]}"; files=\${_atcli_files[pending]}
  elif [[ $dashdash == 0 && "$cur" == -* ]]; then
    for ((j = 0; j < \${#_atcli_kind[@]}; j++)); do
      [[ \${_atcli_kind[j]} == o ]] || continue
      if [[ "\${_atcli_path[j]}" == "$path" ]] || { [[ "\${_atcli_path[j]}" == '*' ]] && _atcli_accepts "$path" "\${_atcli_scope[j]}"; }; then words+=(\${_atcli_name[j]}); fi
    done
    words+=(--help)
  else
    local last=-1
    for ((j = 0; j < \${#_atcli_kind[@]}; j++)); do
      [[ "\${_atcli_path[j]}" == "$path" ]] || continue
      [[ \${_atcli_kind[j]} == c && $pos == 0 ]] && words+=("\${_atcli_name[j]}")
      if [[ \${_atcli_kind[j]} == a ]]; then
        if [[ \${_atcli_name[j]} == "$pos" ]] || { [[ \${_atcli_takes[j]} == 1 ]] && (( pos >= \${_atcli_name[j]} )); }; then last=$j; fi
      fi
    done
    if (( last >= 0 )); then read -ra words <<< "\${_atcli_choices[last]}"; files=\${_atcli_files[last]}; fi
  fi
  [[ $files == none || \${#words[@]} -gt 0 ]] || { compopt -o filenames 2>/dev/null; [[ $files == dir ]] && COMPREPLY=($(compgen -d -- "$cur")) || COMPREPLY=($(compgen -f -- "$cur")); return; }
  COMPREPLY=($(compgen -W "\${words[*]}" -- "$cur"))
}
complete -F _atcli atcli
`;

export const ZSH_WALKER = `_atcli_accepts() {
  local i
  [[ -z "$2" ]] && return 0
  for ((i = 1; i <= \${#_atcli_kind}; i++)); do
    if [[ \${_atcli_kind[i]} == u && "\${_atcli_path[i]}" == "$1" ]]; then [[ " \${_atcli_name[i]} " == *" $2 "* ]]; return; fi
  done
  return 1
}
_atcli_option() {
  local i
  for ((i = 1; i <= \${#_atcli_kind}; i++)); do
    [[ \${_atcli_kind[i]} == o && ( "\${_atcli_path[i]}" == "$1" || "\${_atcli_path[i]}" == '*' ) && " \${_atcli_name[i]} " == *" $2 "* ]] && { echo $i; return; }
  done
}
_atcli() {
  local cur="\${words[CURRENT]}" path="" pos=0 pending="" dashdash=0 i j w found files=none n
  local -a cands
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if [[ -n "$pending" ]]; then pending=""; continue; fi
    if [[ $dashdash == 0 && "$w" == -- ]]; then dashdash=1; continue; fi
    if [[ $dashdash == 0 && "$w" == -* ]]; then
      j=$(_atcli_option "$path" "\${w%%=*}")
      [[ -n "$j" && \${_atcli_takes[j]} == 1 && "$w" != *=* ]] && pending=$j
      continue
    fi
    found=0
    if (( pos == 0 )); then
      for ((j = 1; j <= \${#_atcli_kind}; j++)); do
        [[ \${_atcli_kind[j]} == c && "\${_atcli_path[j]}" == "$path" && "\${_atcli_name[j]}" == "$w" ]] && { found=1; break; }
      done
    fi
    if (( found )); then path="\${path:+$path }$w"; else pos=$((pos + 1)); fi
  done
  if [[ -n "$pending" ]]; then
    cands=(\${=_atcli_choices[pending]}); files=\${_atcli_files[pending]}
  elif [[ $dashdash == 0 && "$cur" == -* ]]; then
    for ((j = 1; j <= \${#_atcli_kind}; j++)); do
      [[ \${_atcli_kind[j]} == o ]] || continue
      if [[ "\${_atcli_path[j]}" == "$path" ]] || { [[ "\${_atcli_path[j]}" == '*' ]] && _atcli_accepts "$path" "\${_atcli_scope[j]}"; }; then
        for n in \${=_atcli_name[j]}; do cands+=("\${n}:\${_atcli_description[j]//:/\\\\:}"); done
      fi
    done
    cands+=('--help:show this help')
    _describe -t options 'option' cands
    return
  else
    local last=0
    for ((j = 1; j <= \${#_atcli_kind}; j++)); do
      [[ "\${_atcli_path[j]}" == "$path" ]] || continue
      [[ \${_atcli_kind[j]} == c && $pos == 0 ]] && cands+=("\${_atcli_name[j]}:\${_atcli_description[j]//:/\\\\:}")
      if [[ \${_atcli_kind[j]} == a ]]; then
        if [[ \${_atcli_name[j]} == "$pos" ]] || { [[ \${_atcli_takes[j]} == 1 ]] && (( pos >= \${_atcli_name[j]} )); }; then last=$j; fi
      fi
    done
    if (( \${#cands} > 0 )); then _describe -t commands 'command' cands; return; fi
    if (( last > 0 )); then cands=(\${=_atcli_choices[last]}); files=\${_atcli_files[last]}; fi
  fi
  if (( \${#cands} > 0 )); then compadd -- "\${cands[@]}"; return; fi
  [[ $files == dir ]] && { _files -/; return; }
  [[ $files == file ]] && _files
}
compdef _atcli atcli
`;

export const FISH_WALKER = `function __atcli_accepts --argument-names path scope
  test -z "$scope"; and return 0
  for i in (seq (count $_atcli_kind))
    if test "$_atcli_kind[$i]" = u; and test "$_atcli_path[$i]" = "$path"
      contains -- $scope (string split ' ' -- $_atcli_name[$i]); and return 0; or return 1
    end
  end
  return 1
end
function __atcli_option --argument-names path flag
  for i in (seq (count $_atcli_kind))
    if test "$_atcli_kind[$i]" = o; and begin; test "$_atcli_path[$i]" = "$path"; or test "$_atcli_path[$i]" = '*'; end
      contains -- $flag (string split ' ' -- $_atcli_name[$i]); and echo $i; and return
    end
  end
end
function __atcli_complete
  set -l words (commandline -opc)[2..-1]
  set -l cur (commandline -ct)
  set -l path ''; set -l pos 0; set -l pending ''; set -l dashdash 0
  for w in $words
    if test -n "$pending"; set pending ''; continue; end
    if test $dashdash = 0; and test "$w" = --; set dashdash 1; continue; end
    if test $dashdash = 0; and string match -q -- '-*' $w
      set -l j (__atcli_option "$path" (string split -m1 = -- $w)[1])
      if test -n "$j"; and test "$_atcli_takes[$j]" = 1; and not string match -q -- '*=*' $w; set pending $j; end
      continue
    end
    set -l found 0
    if test $pos = 0
      for j in (seq (count $_atcli_kind))
        if test "$_atcli_kind[$j]" = c; and test "$_atcli_path[$j]" = "$path"; and test "$_atcli_name[$j]" = "$w"; set found 1; break; end
      end
    end
    if test $found = 1; set path (string trim -- "$path $w"); else; set pos (math $pos + 1); end
  end
  set -l files none
  if test -n "$pending"
    set files $_atcli_files[$pending]
    for v in (string split ' ' -- $_atcli_choices[$pending]); test -n "$v"; and echo $v; end
    test -n "$_atcli_choices[$pending]"; and return
  else if test $dashdash = 0; and string match -q -- '-*' $cur
    for j in (seq (count $_atcli_kind))
      test "$_atcli_kind[$j]" = o; or continue
      if test "$_atcli_path[$j]" = "$path"; or begin; test "$_atcli_path[$j]" = '*'; and __atcli_accepts "$path" "$_atcli_scope[$j]"; end
        for n in (string split ' ' -- $_atcli_name[$j]); printf '%s\\t%s\\n' $n $_atcli_description[$j]; end
      end
    end
    printf '%s\\t%s\\n' --help 'show this help'
    return
  else
    set -l last 0; set -l any 0
    for j in (seq (count $_atcli_kind))
      test "$_atcli_path[$j]" = "$path"; or continue
      if test "$_atcli_kind[$j]" = c; and test $pos = 0; printf '%s\\t%s\\n' $_atcli_name[$j] $_atcli_description[$j]; set any 1; end
      if test "$_atcli_kind[$j]" = a
        if test "$_atcli_name[$j]" = "$pos"; or begin; test "$_atcli_takes[$j]" = 1; and test $pos -ge $_atcli_name[$j]; end; set last $j; end
      end
    end
    test $any = 1; and return
    if test $last -gt 0
      set files $_atcli_files[$last]
      for v in (string split ' ' -- $_atcli_choices[$last]); test -n "$v"; and echo $v; end
      test -n "$_atcli_choices[$last]"; and return
    end
  end
  test $files = dir; and __fish_complete_directories $cur; and return
  test $files = file; and __fish_complete_path $cur
end
complete -c atcli -f -a '(__atcli_complete)'
`;
