#!/usr/bin/env bash
# Lints every real notebook of ../shared/corpus: no crash, no hang, bad JSON named with exit 2.
set -u
BIN=$1
CORPUS=$2
[ -d "$CORPUS/notebooks" ] || { echo "corpus not found at $CORPUS: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

timeout 120 "$BIN" --format json "$CORPUS/notebooks" > "$T/out.json" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then echo "FAIL: corpus run exited $rc"; cat "$T/err"; fails=$((fails + 1)); fi
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), "findings on the corpus")' "$T/out.json" || fails=$((fails + 1))

n_invalid=$(ls "$CORPUS"/invalid/*.ipynb | wc -l)
timeout 60 "$BIN" "$CORPUS/invalid" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: invalid notebooks exited $rc, expected 2"; fails=$((fails + 1)); }
named=$(grep -c '^error: .*\.ipynb: invalid JSON: ' "$T/err")
[ "$named" -eq "$n_invalid" ] || { echo "FAIL: $named of $n_invalid invalid notebooks reported"; fails=$((fails + 1)); }

echo "corpus: $((3 - fails)) passed, $fails failed"
test $fails -eq 0
