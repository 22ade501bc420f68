#!/usr/bin/env bash
# t1901: one CLI. Reads every command's --help (the commands from `duckflow --help`) and
# fails when a short option means different long options in two commands, or is missing
# from README's table of short options; "did you mean" for commands, options, steps and
# params; `duckflow run` without a file runs ./pipeline.yaml; `duckflow completion`.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..24"

# --- one meaning per short option --------------------------------------------------------
"$DUCKFLOW" --help >help.txt
sed -n '/^commands:/,/^$/p' help.txt | awk 'NF >= 2 && $1 != "commands:" {print $1}' >commands.txt
check "duckflow --help lists the commands" test "$(wc -l <commands.txt)" -ge 12
: >shorts.txt
bad_help=""
while read -r cmd; do
    if ! "$DUCKFLOW" "$cmd" --help >"help-$cmd.txt" 2>&1; then
        bad_help="$bad_help $cmd"
    fi
    # "  -s, --store URI   ..." -> "s store cmd"
    sed -nE 's/^  -([A-Za-z]), --([a-z0-9-]+).*/\1 \2/p' "help-$cmd.txt" |
        while read -r letter long; do echo "$letter $long $cmd"; done >>shorts.txt
done <commands.txt
check "every command's --help exits 0${bad_help:+ (not:$bad_help)}" test -z "$bad_help"
check "the helps list short options" test "$(wc -l <shorts.txt)" -ge 30
# A clash: one letter, two long names.
awk '{print $1, $2}' shorts.txt | sort -u | awk '{n[$1]++; l[$1] = l[$1] " --" $2}
    END {for (k in n) if (n[k] > 1) print "-" k ":" l[k]}' >clashes.txt
check "no short option means two things$(sed 's/^/; /' clashes.txt | tr -d '\n')" \
    test ! -s clashes.txt
# Every short option in README's table, with the same long name.
missing=""
while read -r letter long; do
    grep -qE "^\|.*\`-$letter\` \| \`--$long( |\`)" "$DUCKFLOW_TOP/README.md" || missing="$missing -$letter/--$long"
done < <(awk '{print $1, $2}' shorts.txt | sort -u)
check "README's table has every short option${missing:+ (missing:$missing)}" test -z "$missing"
# The check itself can fail: a planted clash is found.
printf 's store query\ns step items\n' | awk '{print $1, $2}' | sort -u |
    awk '{n[$1]++} END {for (k in n) if (n[k] > 1) print k}' >planted.txt
check "a planted clash would be found" grep -qx s planted.txt

# --- did you mean -------------------------------------------------------------------------
expect_code 2 "a mistyped command fails" "$DUCKFLOW" rnu
expect_match "  suggesting the command" "^duckflow: 'rnu' is not a command; did you mean 'run'\?$" "$errout"
expect_code 2 "an unknown word gets no suggestion" "$DUCKFLOW" zzzzzz
check "  and no 'did you mean'" sh -c "! grep -q 'did you mean' '$errout'"
expect_code 2 "a mistyped option fails" "$DUCKFLOW" query --stroe x
expect_match "  suggesting the option" "unknown option '--stroe'; did you mean '--store'\?" "$errout"

cat >pipeline.yaml <<'YAML'
name: dym
params:
  chunks: 2
steps:
  generate:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i
    outputs: [t]
  merge:
    inputs: {t: generate.t}
    sql: CREATE TABLE total AS SELECT count(*) AS n FROM t
    outputs: [total]
YAML
expect_code 2 "a mistyped step fails" "$DUCKFLOW" items pipeline.yaml --run r1 --step mrege
expect_match "  suggesting the step" "has no step 'mrege'; did you mean 'merge'\?" "$errout"
expect_code 2 "a mistyped param fails" "$DUCKFLOW" validate pipeline.yaml --param chunk=3
expect_match "  suggesting the param" "unknown param 'chunk'.*did you mean 'chunks'\?" "$errout"

# --- run without a file -------------------------------------------------------------------
expect_ok "run without PIPELINE runs ./pipeline.yaml" "$DUCKFLOW" run -j 2 --quiet
expect_ok "  and the run is there" "$DUCKFLOW" query -P dym 'SELECT n FROM merge.total'
mkdir empty
expect_code 2 "run without PIPELINE and no ./pipeline.yaml fails" sh -c "cd empty && '$DUCKFLOW' run"
expect_match "  saying so" "missing PIPELINE \(and no ./pipeline.yaml here\)" "$errout"

# --- completion ---------------------------------------------------------------------------
"$DUCKFLOW" completion bash >duckflow.bash
check "completion bash is valid bash" bash -n duckflow.bash
# Ask the completion function itself, as bash would on <TAB>.
complete_words() { # words...: what completes the last word
    bash -c 'source ./duckflow.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _duckflow; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
check "  completes commands" test "$(complete_words duckflow qu)" = query
check "  completes a command's options" sh -c "test \"\$(bash -c 'source ./duckflow.bash; COMP_WORDS=(duckflow query --st); COMP_CWORD=2; _duckflow; echo \"\${COMPREPLY[*]}\"')\" = --store"
"$DUCKFLOW" completion zsh >_duckflow
if command -v zsh >/dev/null; then
    check "completion zsh is valid zsh" zsh -n _duckflow
else
    check "completion zsh names every command (zsh not installed)" \
        sh -c "for c in \$(cat commands.txt); do grep -q \"^    \$c)\" _duckflow || exit 1; done"
fi
