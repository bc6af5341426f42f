#!/usr/bin/env bash
# CLI smoke tests: exit codes, formats, selection, stdin, bad input next to good input.
set -u
BIN=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

nb() {  # nb FILE 'json cells array'
  printf '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": %s}\n' "$2" > "$1"
}
code() {  # code SOURCE COUNT
  printf '{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": %s, "source": %s}' "$2" "$1"
}
nb "$T/clean.ipynb" "[$(code '"x = 1"' 1), $(code '"print(x)"' 2)]"
nb "$T/ooo.ipynb" "[$(code '"x = 1"' 2), $(code '"print(x)"' 1)]"
nb "$T/undefined.ipynb" "[$(code '"print(lr)"' 2), $(code '"lr = 0.1"' 1)]"
printf '{"cells": [' > "$T/broken.ipynb"

out=$("$BIN" --version); rc=$?
check "--version exits 0" test $rc -eq 0
check "--version prints the version" grep -q '^lstm-lint [0-9]' <<<"$out"

nrules=$(grep -cv '^\s*\(#\|$\)' "$SRC/rules/registry")
check "rules lists every registered rule" test "$("$BIN" rules | wc -l)" -eq "$nrules"
check "rules --format json is JSON" /usr/bin/python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == int(sys.argv[1])' "$nrules" < <("$BIN" rules --format json)
check "explain by name" grep -q '^# stale-optimizer (LSTM103)' < <("$BIN" explain stale-optimizer)
check "explain by code" grep -q '^## Why is this bad?' < <("$BIN" explain LSTM103)
"$BIN" explain no-such-rule >/dev/null 2>&1; check "explain unknown rule exits 2" test $? -eq 2

"$BIN" "$T/clean.ipynb" > "$T/out" 2>&1; rc=$?
check "clean notebook exits 0" test $rc -eq 0
check "clean notebook says so" grep -q 'All checks passed!' "$T/out"

"$BIN" "$T/ooo.ipynb" > "$T/out" 2>&1; rc=$?
check "finding exits 1" test $rc -eq 1
check "text header format" grep -q "ooo.ipynb:cell 2:1:1: LSTM101 \[out-of-order-execution\]" "$T/out"
check "text has a help line" grep -q '= help: ' "$T/out"
"$BIN" --exit-zero "$T/ooo.ipynb" > /dev/null 2>&1; check "--exit-zero" test $? -eq 0
"$BIN" check "$T/ooo.ipynb" > /dev/null 2>&1; check "explicit check subcommand" test $? -eq 1

"$BIN" --format json "$T/undefined.ipynb" > "$T/out.json"; rc=$?
check "json exit code" test $rc -eq 1
check "json fields" /usr/bin/python3 - "$T/out.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
names = sorted(f["name"] for f in findings)
assert names == ["out-of-order-execution", "undefined-in-top-down-run"], names
f = [f for f in findings if f["name"] == "undefined-in-top-down-run"][0]
assert f["cell"] == 1 and f["execution_count"] == 2, f
assert f["location"] == {"row": 1, "column": 7} and f["end_location"] == {"row": 1, "column": 9}, f
assert f["code"].startswith("LSTM") and f["severity"] == "error" and f["help"] and f["message"]
PY

"$BIN" --select LSTM102 "$T/undefined.ipynb" -q > "$T/out"; rc=$?
check "--select by code" test "$(wc -l < "$T/out")" -eq 1
"$BIN" --ignore undefined-in-top-down-run,LSTM101 "$T/undefined.ipynb" > /dev/null; check "--ignore by name and code" test $? -eq 0
"$BIN" --select LSTM1 -q "$T/undefined.ipynb" > "$T/out"; check "--select by prefix" test "$(wc -l < "$T/out")" -eq 2
"$BIN" --select nonsense "$T/clean.ipynb" > /dev/null 2>&1; check "unknown selector exits 2" test $? -eq 2

"$BIN" "$T/broken.ipynb" "$T/ooo.ipynb" > "$T/out" 2> "$T/err"; rc=$?
check "bad file exits 2" test $rc -eq 2
check "bad file is named with its problem" grep -q "broken.ipynb: invalid JSON" "$T/err"
check "the other file is still linted" grep -q "ooo.ipynb:cell 2" "$T/out"
"$BIN" "$T/missing.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "missing file exits 2" test $rc -eq 2
check "missing file message" grep -q "missing.ipynb: No such file" "$T/err"
mkdir -p "$T/dir.ipynb"
"$BIN" "$T/dir.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "a directory named .ipynb is an error" grep -q "dir.ipynb: is a directory" "$T/err"

"$BIN" - --stdin-filename piped.ipynb < "$T/ooo.ipynb" > "$T/out"; rc=$?
check "stdin" test $rc -eq 1
check "stdin filename" grep -q "^piped.ipynb:cell 2" "$T/out"
"$BIN" - "$T/ooo.ipynb" < "$T" > "$T/out" 2> "$T/err"; rc=$?
check "stdin that is a directory: exit 2" test $rc -eq 2
check "stdin that is a directory: named, not called empty" grep -q "^error: -: cannot read standard input: Is a directory" "$T/err"
check "stdin that is a directory: the other file is still linted" grep -q "ooo.ipynb:cell 2" "$T/out"

mkdir -p "$T/tree/sub" "$T/tree/.ipynb_checkpoints"
cp "$T/ooo.ipynb" "$T/tree/sub/a.ipynb"; cp "$T/ooo.ipynb" "$T/tree/.ipynb_checkpoints/a-checkpoint.ipynb"
"$BIN" -q "$T/tree" > "$T/out"
check "directories are searched, checkpoints skipped" test "$(grep -c LSTM101 "$T/out")" -eq 1

"$BIN" --color always "$T/ooo.ipynb" > "$T/out"
check "--color always colours" grep -q $'\x1b\[' "$T/out"
NO_COLOR=1 "$BIN" --color auto "$T/ooo.ipynb" > "$T/out"
check "NO_COLOR" bash -c "! grep -q $'\x1b\[' '$T/out'"

for i in 1 2 3 4 5 6; do cp "$T/undefined.ipynb" "$T/tree/sub/u$i.ipynb"; cp "$T/clean.ipynb" "$T/tree/sub/c$i.ipynb"; done
"$BIN" --format json -j 1 "$T/tree" > "$T/j1.json"; "$BIN" --format json -j 3 "$T/tree" > "$T/j3.json"
check "--jobs keeps the output order" cmp -s "$T/j1.json" "$T/j3.json"
check "--jobs output is complete" test "$(grep -c '"code"' "$T/j3.json")" -eq 13

# debug values: the value-flow model's view of a notebook, for rule authors (docs/values.md)
VF=$SRC/fixtures/hidden-batch-size-mismatch/fires_state_on_attribute_last_batch.ipynb
"$BIN" debug values "$VF" > "$T/values"; rc=$?
check "debug values exits 0" test $rc -eq 0
check "debug values shows a tensor's shape after its cell" grep -q '^  X = tensor\[500, 12, 4\]$' "$T/values"
check "debug values shows the loader's last batch reaching the layer" grep -q 'input tensor\[52, 12, 4\].*\[last batch\]' "$T/values"
"$BIN" debug values --cell 1 "$VF" > "$T/values1"
check "debug values --cell shows only that cell" bash -c "grep -q '^# cell 1' '$T/values1' && ! grep -q '^# cell 2' '$T/values1'"
"$BIN" debug values "$T/broken.ipynb" > /dev/null 2> "$T/err"; rc=$?
check "debug values on a broken notebook exits 2 naming it" bash -c "test $rc -eq 2 && grep -q broken.ipynb '$T/err'"

echo "cli: $pass passed, $fails failed"
test $fails -eq 0
