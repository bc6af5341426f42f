#!/usr/bin/env bash
# Every rule fixture converted to a jupytext percent script gives exactly the findings (code,
# cell, start and end) of the same notebook without execution counts, outputs and metadata.
# Usage: equivalence.sh LSTM_LINT SOURCE_DIR
set -u
BIN=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
notebooks=("$SRC"/fixtures/*/*.ipynb)
/usr/bin/python3 "$SRC/tests/percent/to_percent.py" "$T" "${notebooks[@]}" || exit 1
summary() {
  "$BIN" --format json --exit-zero "$1" | /usr/bin/python3 -c 'import json, sys
print(sorted((f["code"], f["cell"], f["location"]["row"], f["location"]["column"], f["end_location"]["row"], f["end_location"]["column"]) for f in json.load(sys.stdin)))'
}
fails=0 total=0 findings=0
for ((n = 1; n <= ${#notebooks[@]}; n++)); do
  a=$(summary "$T/$n.ipynb") b=$(summary "$T/$n.py")
  total=$((total + 1))
  [ "$a" != "[]" ] && findings=$((findings + 1))
  if [ "$a" != "$b" ]; then
    echo "FAIL: ${notebooks[n-1]}: notebook $a, script $b"
    fails=$((fails + 1))
  fi
done
echo "$total fixtures converted, $findings with findings"
[ "$findings" -gt 30 ] || { echo "FAIL: too few fixtures with findings ($findings)"; fails=$((fails + 1)); }
echo "$((total - fails)) passed, $fails failed"
[ $fails -eq 0 ]
