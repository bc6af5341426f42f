#!/usr/bin/env bash
# --baseline / --write-baseline end to end on a copy of the demo notebook (6 findings with the default rule set): the
# fingerprints survive edits that do not touch a finding, and do not survive ones that do.
set -u
BIN=$1
SRC=$2
EDIT="/usr/bin/python3 $SRC/tests/cli/edit_notebook.py"
DEMO=$SRC/examples/sine_forecast.ipynb
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
# after EDIT...: lints an edited copy of the demo against the baseline; findings in $T/out, summary in $T/summary.
after() {
  cp "$DEMO" "$T/nb.ipynb"
  if [ $# -gt 0 ]; then $EDIT "$T/nb.ipynb" "$@" || echo "FAIL: edit $*"; fi
  "$BIN" -q --baseline "$T/baseline.json" "$T/nb.ipynb" > "$T/out" 2>&1
  rc=$?
  "$BIN" --baseline "$T/baseline.json" "$T/nb.ipynb" 2>&1 | tail -1 > "$T/summary"
}
reported() { test "$(wc -l < "$T/out")" -eq "$1"; }
summary() { grep -qx "$1" "$T/summary"; }

cp "$DEMO" "$T/nb.ipynb"
total=$("$BIN" -q "$T/nb.ipynb" | wc -l)
check "the demo has findings to record" test "$total" -eq 6
"$BIN" --baseline "$T/baseline.json" --write-baseline "$T/nb.ipynb" > "$T/out" 2> "$T/err"; rc=$?
check "--write-baseline exits 0" test $rc -eq 0
check "--write-baseline says how many" grep -qx "Wrote 6 findings to $T/baseline.json." "$T/err"
check "--write-baseline prints no findings" test ! -s "$T/out"
check "no temporary file is left" test "$(ls -A "$T" | grep -c '\.lstm-lint-')" -eq 0
check "baseline format" /usr/bin/python3 - "$T/baseline.json" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == 1, doc
entries = doc["entries"]
assert len(entries) == 6
for e in entries:
    assert list(e) == ["fingerprint", "code", "name", "filename", "cell", "line", "message"], e
    assert re.fullmatch(r"[0-9a-f]{16}", e["fingerprint"]) and e["filename"] == "nb.ipynb", e
assert len({e["fingerprint"] for e in entries}) == 6
PY

after
check "unchanged: exit 0" test $rc -eq 0
check "unchanged: nothing reported" reported 0
check "unchanged: the summary counts the hidden findings" summary "6 findings hidden by the baseline."

after cells-above
check "cells added above: nothing reported" reported 0
check "cells added above: all hidden" summary "6 findings hidden by the baseline."
after outputs
check "outputs changed: nothing reported" reported 0
check "outputs changed: all hidden" summary "6 findings hidden by the baseline."
after counts
check "execution counts changed: nothing reported" reported 0
check "execution counts changed: all hidden" summary "6 findings hidden by the baseline."
after other-cell "import torch"
check "an edit in another cell: nothing reported" reported 0
check "an edit in another cell: all hidden" summary "6 findings hidden by the baseline."

after append-cell $'x = torch.randn(4, 10, 1)\nz = x.view(x.size(1), x.size(0), 1)'
check "a new finding is reported" reported 1
check "a new finding: which" grep -q 'cell 12:2:5: LSTM306' "$T/out"
check "a new finding: exit 1" test $rc -eq 1
check "a new finding: the old ones still hidden" summary "6 findings hidden by the baseline."

after duplicate-cell 10
check "a duplicate of a recorded finding is reported once more" reported 1
check "a duplicate: which" grep -q 'cell 12:6:32: LSTM302' "$T/out"

after replace "batch_size=40" "batch_size=32"
check "a changed flagged line is reported again" reported 1
check "a changed flagged line: which" grep -q 'cell 3:6:45: LSTM201' "$T/out"
check "a changed flagged line: its entry is stale" \
  summary "5 findings hidden by the baseline; 1 baseline entry is stale (fixed or changed; --write-baseline drops them)."

cp "$DEMO" "$T/nb.ipynb"
(cd / && "$BIN" -q --baseline "$T/baseline.json" "$T/nb.ipynb" > "$T/out"); rc=$?
check "paths are relative to the baseline file, not the working directory" test $rc -eq 0
(cd "$T" && "$BIN" -q --baseline baseline.json nb.ipynb > "$T/out"); rc=$?
check "relative paths on the command line" test $rc -eq 0
"$BIN" --baseline "$T/baseline.json" --select LSTM2 "$T/nb.ipynb" | tail -1 > "$T/summary"
check "--select: entries of rules that did not run are not stale" summary "1 finding hidden by the baseline."
"$BIN" --format json --baseline "$T/baseline.json" "$T/nb.ipynb" > "$T/out.json"; rc=$?
check "json: hidden findings are not in the array" /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$T/out.json"
check "json: exit 0" test $rc -eq 0

cp "$DEMO" "$T/dup.ipynb"; $EDIT "$T/dup.ipynb" duplicate-cell 10
"$BIN" --baseline "$T/dups.json" --write-baseline "$T/dup.ipynb" 2> /dev/null
check "a finding recorded twice has two entries" /usr/bin/python3 -c 'import json,sys,collections; c=collections.Counter(e["fingerprint"] for e in json.load(open(sys.argv[1]))["entries"]); assert sorted(c.values())[-1] == 2, c' "$T/dups.json"
"$BIN" -q --baseline "$T/dups.json" "$T/dup.ipynb" > "$T/out"; rc=$?
check "both occurrences are hidden" test $rc -eq 0

"$BIN" --write-baseline "$T/nb.ipynb" > /dev/null 2>&1; rc=$?
check "--write-baseline needs --baseline" test $rc -eq 2
"$BIN" --baseline "$T/missing.json" "$T/nb.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "a missing baseline exits 2" test $rc -eq 2
check "a missing baseline is named" grep -q "missing.json: No such file" "$T/err"
echo '{"version": 7, "entries": []}' > "$T/future.json"
"$BIN" --baseline "$T/future.json" "$T/nb.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "an unknown baseline version exits 2" test $rc -eq 2
printf '{"cells": [' > "$T/broken.ipynb"
cp "$T/baseline.json" "$T/before.json"
"$BIN" --baseline "$T/baseline.json" --write-baseline "$T/nb.ipynb" "$T/broken.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "an unreadable notebook: the baseline is not written" test $rc -eq 2
check "an unreadable notebook: the old baseline is intact" cmp -s "$T/baseline.json" "$T/before.json"

echo "cli.baseline: $pass passed, $fails failed"
test $fails -eq 0
