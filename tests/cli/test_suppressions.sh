#!/usr/bin/env bash
# Suppressions end to end: each form removed from a notebook that uses it brings its finding
# back; unused-suppression judges only rules that ran; explain works.
set -u
BIN=$1
SRC=$2
EDIT="/usr/bin/python3 $SRC/tests/cli/edit_notebook.py"
SILENT=$SRC/fixtures/unused-suppression/silent_suppressions_in_use.ipynb
FIRES=$SRC/fixtures/unused-suppression/fires_stale_and_unknown.ipynb
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
# lint_without NAME EDIT...: lints a copy of the silent notebook with one edit, quiet output in $T/out.
lint_without() {
  local name=$1; shift
  cp "$SILENT" "$T/nb.ipynb"
  $EDIT "$T/nb.ipynb" "$@" || { echo "FAIL: $name (edit failed)"; fails=$((fails + 1)); return; }
  "$BIN" -q --extend-select LSTM107,LSTM311 "$T/nb.ipynb" > "$T/out" 2>&1
}
only() {  # only PATTERN: the output is exactly one finding, matching PATTERN
  test "$(wc -l < "$T/out")" -eq 1 && grep -q "$1" "$T/out"
}

"$BIN" --extend-select LSTM107,LSTM311 "$SILENT" > "$T/out" 2>&1; rc=$?
check "every form in use, opt-in rules on: exit 0" test $rc -eq 0
# The default set: the suppressions of the opt-in rules suppress nothing, and are not judged
# (they apply whenever the rules are selected).
"$BIN" "$SILENT" > "$T/out" 2>&1; rc=$?
check "every form in use: exit 0" test $rc -eq 0
check "every form in use: all checks passed" grep -q 'All checks passed!' "$T/out"

lint_without "line noqa by code" replace "  # noqa: LSTM201 (an ablation)" ""
check "without the line noqa its finding is back" only 'cell 1:8:57: LSTM201'
lint_without "ignore[...] by name" replace "  # lstm-lint: ignore[shuffled-timesteps]" ""
check "without ignore[...] its finding is back" only 'cell 1:11:23: LSTM201'
lint_without "ignore-cell" replace "# lstm-lint: ignore-cell[LSTM107]" "# (no directive)"
check "without ignore-cell the cell-head finding is back" only 'cell 4:1:1: LSTM107'
lint_without "notebook metadata" drop-metadata
check "without the metadata its finding is back" only 'LSTM311 \[rnn-without-grad-clipping\]'

lint_without "bare noqa" replace "# noqa: LSTM201 (an ablation)" "# noqa"
check "a bare noqa suppresses the line's finding" test ! -s "$T/out"
lint_without "noqa by name" replace "# noqa: LSTM201 (an ablation)" "# noqa: shuffled-timesteps"
check "a noqa with the rule's name suppresses it" test ! -s "$T/out"
lint_without "noqa in a string" replace "  # noqa: LSTM201 (an ablation)" "; note = '# noqa: LSTM201'"
check "a noqa inside a string suppresses nothing" only 'cell 1:8:57: LSTM201'
lint_without "noqa for another code" replace "# noqa: LSTM201 (an ablation)" "# noqa: LSTM305"
check "a noqa for another code: the finding and the unused code" test "$(grep -c 'LSTM201\|LSTM108' "$T/out")" -eq 2

"$BIN" -q --extend-select LSTM107,LSTM311 "$FIRES" > "$T/out"; rc=$?
check "unused suppressions: exit 1" test $rc -eq 1
check "unused suppressions: five findings" test "$(grep -c ' LSTM108 \[unused-suppression\]' "$T/out")" -eq 5
check "unused suppressions: the stale noqa" grep -q 'cell 1:11:72: LSTM108 .*`# noqa: LSTM201` suppresses no `LSTM201` finding on this line' "$T/out"
check "unused suppressions: unknown name and unused code in one message" \
  grep -q "names \`shufled-timesteps\`, which is not an lstm-lint rule code or name; suppresses no \`batch-first-mismatch\`" "$T/out"
check "unused suppressions: the metadata entry" grep -q 'cell 1:1:1: LSTM108 .*notebook metadata' "$T/out"
check "unused suppressions: the misplaced ignore-cell" grep -q 'is misplaced' "$T/out"
check "a noqa inside a string is not judged" bash -c "! grep -q LSTM305 '$T/out'"

"$BIN" -q --select LSTM108 "$FIRES" > "$T/out"
check "only codes of rules that ran are judged (unknown names and misplaced directives always)" test "$(wc -l < "$T/out")" -eq 2
"$BIN" -q --select LSTM2,LSTM108 "$FIRES" > "$T/out"
check "--select LSTM2 judges the LSTM201 noqa" test "$(grep -c 'LSTM201' "$T/out")" -eq 1
"$BIN" -q --ignore unused-suppression "$FIRES" > "$T/out"; rc=$?
check "--ignore unused-suppression: nothing" test $rc -eq 0

"$BIN" --format json --extend-select LSTM107,LSTM311 "$FIRES" > "$T/out.json"
check "json carries LSTM108" /usr/bin/python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert {x["code"] for x in f} == {"LSTM108"} and len(f) == 5 and all(x["severity"] == "info" for x in f)' "$T/out.json"

check "explain unused-suppression" grep -q '^# unused-suppression (LSTM108)' < <("$BIN" explain unused-suppression)
check "explain LSTM108" grep -q '^## Use instead' < <("$BIN" explain LSTM108)
check "rules lists LSTM108" grep -q '^LSTM108  unused-suppression' < <("$BIN" rules)

echo "cli.suppressions: $pass passed, $fails failed"
test $fails -eq 0
