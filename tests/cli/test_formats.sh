#!/usr/bin/env bash
# Output formats end to end: github (exact lines), junit (parsed as XML), json-lines, concise,
# --output-file (atomic, stdout empty), --statistics and --fail-on.
set -u
BIN=$1
SRC=$2
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# Notebooks laid out one JSON value per line, so the raw line of each source line is known:
# the source element of cell N sits on raw line 3 + 2 * (N - 1) + 1 (see the layout below).
nb() {  # nb FILE 'cell,cell,...' where cell is COUNT:SOURCE
  {
    echo '{"nbformat": 4, "nbformat_minor": 5, "metadata": {},'
    echo '"cells": ['
    local first=1 cell
    IFS=',' read -ra cells <<<"$2"
    for cell in "${cells[@]}"; do
      [ $first = 1 ] || echo ','
      first=0
      echo "{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"execution_count\": ${cell%%:*},"
      printf '"source": ["%s"]}' "${cell#*:}"
    done
    echo ']}'
  } > "$1"
}
mkdir -p "$T/nbs"
cd "$T/nbs" || exit 1
# warning only (LSTM101 on cell 2, whose source is on raw line 6)
nb "ooo.ipynb" '2:x = 1,1:print(x)'
# error + warning (LSTM102 on cell 1, raw line 4)
nb "undefined.ipynb" '2:print(lr),1:lr = 0.1'
# info only (LSTM107 on cell 2)
nb "unexecuted.ipynb" '1:x = 1,null:y = x'
nb "clean.ipynb" '1:x = 1,2:print(x)'
printf '{"cells": [' > broken.ipynb
cp ooo.ipynb 'we,ird:na%me.ipynb'

# --- github: the whole line, with the raw .ipynb line, the title, escaping and the fix
"$BIN" --format github 'we,ird:na%me.ipynb' > "$T/gh" 2> "$T/err"; rc=$?
check "github: findings exit 1" test $rc -eq 1
check "github: stderr empty" test ! -s "$T/err"
"$BIN" --format json 'we,ird:na%me.ipynb' > "$T/gh.json"
check "github: exact line" $PY - "$T/gh" "$T/gh.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
f = json.load(open(sys.argv[2]))[0]
def data(s): return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
expected = ("::warning file=we%2Cird%3Ana%25me.ipynb,line=6,endLine=6,title=LSTM101 out-of-order-execution::"
            "cell 2:1:1: " + data(f["message"]) + "%0Ahelp: " + data(f["help"]))
assert lines == [expected], (lines, expected)
PY
"$BIN" --format github undefined.ipynb broken.ipynb > "$T/gh" 2> "$T/err"; rc=$?
check "github: a load error exits 2" test $rc -eq 2
check "github: error severity, raw line 4" grep -q '^::error file=undefined.ipynb,line=4,endLine=4,title=LSTM102 undefined-in-top-down-run::cell 1:1:7: ' "$T/gh"
check "github: load error line" grep -qx '::error file=broken.ipynb,title=lstm-lint could not read this notebook::invalid JSON.*' "$T/gh"
"$BIN" --format github --extend-select LSTM107 unexecuted.ipynb > "$T/gh"
check "github: info is a notice" grep -q '^::notice file=unexecuted.ipynb,line=[0-9]*,endLine=[0-9]*,title=LSTM107 unexecuted-cell::cell 2:' "$T/gh"

# --- junit: parsed as XML; counts; one failure per finding; control characters dropped
$PY - "$T/nbs/ctl.ipynb" <<'PY'
import json, sys
nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1,
      "source": ["x = f()\n"], "outputs": [{"output_type": "error", "ename": "RuntimeError",
      "evalue": "bad <&> \"q\" \u0001\u0002\u000b \ufffe end", "traceback": ["tb"]}]}]}
json.dump(nb, open(sys.argv[1], "w"))
PY
"$BIN" --format junit ooo.ipynb undefined.ipynb clean.ipynb ctl.ipynb broken.ipynb > "$T/junit.xml" 2>/dev/null; rc=$?
"$BIN" --format json ooo.ipynb undefined.ipynb clean.ipynb ctl.ipynb > "$T/junit.json"
check "junit: exit 2 with a load error" test $rc -eq 2
check "junit: XML with the right counts" $PY - "$T/junit.xml" "$T/junit.json" <<'PY'
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
findings = json.load(open(sys.argv[2]))
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1, suites
suite = suites[0]
for node in (root, suite):
    assert node.get("tests") == "5" and node.get("failures") == "3" and node.get("errors") == "1", node.attrib
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["ooo.ipynb", "undefined.ipynb", "clean.ipynb", "ctl.ipynb", "broken.ipynb"]
failures = suite.findall("testcase/failure")
assert len(failures) == len(findings) == 4, (len(failures), len(findings))
for failure, f in zip(failures, findings):
    assert failure.get("type") == f["code"]
    where = "%s:cell %d:%d:%d" % (f["filename"], f["cell"], f["location"]["row"], f["location"]["column"])
    assert failure.text.startswith(where + ": " + f["code"]), failure.text
clean = [c for c in cases if c.get("name") == "clean.ipynb"][0]
assert list(clean) == [], list(clean)
errors = suite.findall("testcase/error")
assert len(errors) == 1 and errors[0].get("message").startswith("invalid JSON"), errors
ctl = [c for c in cases if c.get("name") == "ctl.ipynb"][0].find("failure")
# Attribute values keep < & > " as text; characters XML 1.0 cannot carry are gone.
# (one space before the control characters, one before U+FFFE, one after it)
assert ctl.get("message").endswith('saved error `RuntimeError: bad <&> "q"   end`'), repr(ctl.get("message"))
raw = open(sys.argv[1], encoding="utf-8").read()
assert "\x01" not in raw and "\x0b" not in raw and "\ufffe" not in raw
PY

# --- json-lines: one object per line, the json format's fields plus a type; errors typed apart
"$BIN" --format json-lines ooo.ipynb undefined.ipynb broken.ipynb > "$T/jl" 2>/dev/null; rc=$?
"$BIN" --format json ooo.ipynb undefined.ipynb > "$T/jl.json"
check "json-lines: exit 2 with a load error" test $rc -eq 2
check "json-lines: every line an object" $PY - "$T/jl" "$T/jl.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objects = [json.loads(line) for line in lines]
findings = [o for o in objects if o["type"] == "finding"]
errors = [o for o in objects if o["type"] == "error"]
summary = objects[-1]
assert summary["type"] == "summary" and summary["files"] == 3 and summary["errors"] == 1, summary
assert summary["findings"] == len(findings) and sum(summary["by_rule"].values()) == len(findings), summary
assert len(objects) == len(findings) + len(errors) + 1, objects
expected = json.load(open(sys.argv[2]))
assert [{k: v for k, v in o.items() if k != "type"} for o in findings] == expected
assert errors == [{"type": "error", "filename": "broken.ipynb", "message": errors[0]["message"]}], errors
assert errors[0]["message"].startswith("invalid JSON")
PY

# --- concise: exact lines, summary last, none with -q
"$BIN" --format concise ooo.ipynb undefined.ipynb > "$T/concise"
"$BIN" --format json ooo.ipynb undefined.ipynb > "$T/concise.json"
check "concise: exact" $PY - "$T/concise" "$T/concise.json" <<'PY'
import json, sys
got = open(sys.argv[1]).read()
lines = ["%s:cell %d:%d:%d: %s [%s] %s" % (f["filename"], f["cell"], f["location"]["row"], f["location"]["column"],
                                          f["code"], f["name"], f["message"]) for f in json.load(open(sys.argv[2]))]
expected = "\n".join(lines) + "\nFound 3 findings (1 error, 2 warnings) in 2 notebooks.\n"
assert got == expected, (got, expected)
PY
"$BIN" --format concise -q ooo.ipynb > "$T/concise"
check "concise -q: findings only" test "$(wc -l < "$T/concise")" -eq 1
check "concise -q: no summary" bash -c "! grep -q '^Found' '$T/concise'"

# --- --output-file: the report goes to the file, atomically; stdout stays empty
mkdir -p "$T/out"
"$BIN" --format sarif ooo.ipynb > "$T/expected.sarif"
echo "old report" > "$T/out/report.sarif"
chmod 640 "$T/out/report.sarif"
inode_before=$(stat -c %i "$T/out/report.sarif")
exec 3< "$T/out/report.sarif"  # a reader that opened the old report keeps reading it whole
"$BIN" --format sarif --output-file "$T/out/report.sarif" ooo.ipynb > "$T/stdout" 2> "$T/stderr"; rc=$?
check "--output-file: exit status unchanged" test $rc -eq 1
check "--output-file: stdout empty" test ! -s "$T/stdout"
check "--output-file: stderr empty" test ! -s "$T/stderr"
check "--output-file: the report" cmp -s "$T/out/report.sarif" "$T/expected.sarif"
check "--output-file: replaced by rename (new inode)" test "$(stat -c %i "$T/out/report.sarif")" != "$inode_before"
check "--output-file: the old reader still sees the old file" test "$(cat <&3)" = "old report"
exec 3<&-
check "--output-file: keeps the file's mode" test "$(stat -c %a "$T/out/report.sarif")" = 640
check "--output-file: no temporary file left" test "$(ls -A "$T/out")" = report.sarif
"$BIN" --output-file "$T/out/text.txt" ooo.ipynb broken.ipynb > "$T/stdout" 2> "$T/stderr"; rc=$?
check "--output-file: load errors still on stderr" grep -q "broken.ipynb: invalid JSON" "$T/stderr"
check "--output-file: stdout still empty" test ! -s "$T/stdout"
check "--output-file: no colour in a file" bash -c "! grep -q $'\x1b' '$T/out/text.txt'"
check "--output-file: text report" grep -q "^ooo.ipynb:cell 2:1:1: LSTM101" "$T/out/text.txt"
"$BIN" --output-file "$T/missing-dir/r.txt" ooo.ipynb > "$T/stdout" 2> "$T/stderr"; rc=$?
check "--output-file: unwritable path exits 2" test $rc -eq 2
check "--output-file: unwritable path is named" grep -q "missing-dir/r.txt" "$T/stderr"
check "--output-file: and stdout stays empty" test ! -s "$T/stdout"
# A symlinked report stays a symlink; the file it points to gets the report.
mkdir -p "$T/links" && echo old > "$T/links/target.txt" && ln -s target.txt "$T/links/link.txt"
"$BIN" --output-file "$T/links/link.txt" ooo.ipynb > /dev/null 2>&1
check "--output-file: a symlink stays a symlink" test -L "$T/links/link.txt"
check "--output-file: its target gets the report" grep -q "^ooo.ipynb:cell 2:1:1: LSTM101" "$T/links/target.txt"

# --- --statistics: counts per rule, most first; summary unless -q; json; other formats refused
for i in 1 2 3; do cp undefined.ipynb "u$i.ipynb"; done
"$BIN" --statistics ooo.ipynb u1.ipynb u2.ipynb u3.ipynb > "$T/stats"; rc=$?
check "--statistics: exit 1 with findings" test $rc -eq 1
check "--statistics: table" diff <(printf '%s\n' "4  LSTM101  out-of-order-execution     warning" \
                                                 "3  LSTM102  undefined-in-top-down-run  error" \
                                                 "Found 7 findings (3 errors, 4 warnings) in 4 notebooks.") "$T/stats"
"$BIN" --statistics -q ooo.ipynb u1.ipynb > "$T/stats"
check "--statistics -q: no summary" test "$(wc -l < "$T/stats")" -eq 2
"$BIN" --statistics --format json ooo.ipynb u1.ipynb u2.ipynb > "$T/stats.json"
check "--statistics --format json" $PY -c 'import json,sys; s = json.load(open(sys.argv[1])); assert [(x["code"], x["count"]) for x in s] == [("LSTM101", 3), ("LSTM102", 2)], s' "$T/stats.json"
"$BIN" --statistics --format sarif ooo.ipynb > /dev/null 2> "$T/stderr"; rc=$?
check "--statistics with sarif is a usage error" test $rc -eq 2
"$BIN" --statistics clean.ipynb > "$T/stats"; rc=$?
check "--statistics: clean" test $rc -eq 0 -a "$(cat "$T/stats")" = "All checks passed!"

# --- --fail-on: exit 1 only for a finding at or above the threshold
status() { "$BIN" "$@" > /dev/null 2>&1; echo $?; }
check "default: a warning fails" test "$(status ooo.ipynb)" -eq 1
check "default: an opt-in rule's info does not run" test "$(status unexecuted.ipynb)" -eq 0
check "default: an info fails" test "$(status --extend-select LSTM107 unexecuted.ipynb)" -eq 1
check "--fail-on error: a warning passes" test "$(status --fail-on error ooo.ipynb)" -eq 0
check "--fail-on error: an error fails" test "$(status --fail-on error undefined.ipynb)" -eq 1
check "--fail-on warning: a warning fails" test "$(status --fail-on warning ooo.ipynb)" -eq 1
check "--fail-on warning: an info passes" test "$(status --fail-on warning --extend-select LSTM107 unexecuted.ipynb)" -eq 0
check "--fail-on info: an info fails" test "$(status --fail-on info --extend-select LSTM107 unexecuted.ipynb)" -eq 1
check "--fail-on error: still reports the warning" grep -q LSTM101 < <("$BIN" --fail-on error ooo.ipynb)
check "--fail-on: a load error still exits 2" test "$(status --fail-on error broken.ipynb ooo.ipynb)" -eq 2
check "--fail-on: unknown value is a usage error" test "$(status --fail-on severe ooo.ipynb)" -eq 2
check "--exit-zero wins" test "$(status --exit-zero --fail-on info undefined.ipynb)" -eq 0

echo "formats: $pass passed, $fails failed"
test $fails -eq 0
