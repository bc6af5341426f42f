#!/usr/bin/env bash
# Jupytext percent scripts on the command line (tests/percent/): cells and coordinates, the
# file's own lines in json, sarif and github, markdown cells, noqa, --fix and --diff on the
# .py, directory walks (scripts with a `# %%` marker only), --skip-plain-py, stdin, and rules
# that need execution counts staying silent.
set -u
BIN=$1
SRC=$2
P=$SRC/tests/percent
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
FIRES=$P/fires_state_not_detached.py
SILENT=$P/silent_state_detached.py
# The flagged call: cell 4 (header skipped; markdown, imports, model, training), line 4.
line=$(grep -n '    logits, hidden = model(x, hidden)' "$FIRES" | cut -d: -f1)

"$BIN" "$FIRES" > "$T/out" 2>&1; rc=$?
check "a firing script exits 1" test $rc -eq 1
check "findings as file:cell N:line:col" grep -q "fires_state_not_detached.py:cell 4:4:31: LSTM301 \[state-not-detached\]" "$T/out"
check "the code frame shows the script's line" grep -q "^4 |     logits, hidden = model(x, hidden)" "$T/out"
"$BIN" "$SILENT" > "$T/out" 2>&1; rc=$?
check "the correct twin is silent" test $rc -eq 0
check "the correct twin says so" grep -q 'All checks passed!' "$T/out"

"$BIN" --format json "$FIRES" > "$T/out.json"
check "json: cell coordinates and the file's own line" /usr/bin/python3 - "$T/out.json" "$line" <<'PY'
import json, sys
[f] = json.load(open(sys.argv[1]))
line = int(sys.argv[2])
assert f["code"] == "LSTM301" and f["cell"] == 4 and f["execution_count"] is None, f
assert f["location"] == {"row": 4, "column": 31} and f["end_location"] == {"row": 4, "column": 37}, f
assert f["file_location"] == {"row": line, "column": 31} and f["file_end_location"] == {"row": line, "column": 37}, f
PY
"$BIN" --format sarif "$FIRES" > "$T/out.sarif"
check "sarif: the region is the script's line and columns; the fix inserts a line there" /usr/bin/python3 - "$T/out.sarif" "$line" "$FIRES" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
line = int(sys.argv[2])
[r] = run["results"]
region = r["locations"][0]["physicalLocation"]["region"]
assert region == {"startLine": line, "endLine": line, "startColumn": 31, "endColumn": 37}, region
[rep] = r["fixes"][0]["artifactChanges"][0]["replacements"]
assert rep["deletedRegion"]["startLine"] == line and rep["deletedRegion"]["byteLength"] == 0, rep
data = open(sys.argv[3], "rb").read()
assert data[rep["deletedRegion"]["byteOffset"]:].startswith(b"    logits, hidden = model(x, hidden)"), rep
assert rep["insertedContent"]["text"] == "    hidden = tuple(s.detach() for s in hidden)\n", rep
PY
"$BIN" --format github "$FIRES" > "$T/out.gh"
check "github: line and column of the script" grep -q "^::error file=.*fires_state_not_detached.py,line=$line,endLine=$line,col=31,endColumn=37,title=LSTM301 state-not-detached::cell 4:4:31: " "$T/out.gh"

# Markdown cells: `# ` lines are text, not code (a markdown cell quoting the bug stays silent).
cat > "$T/markdown.py" <<'EOF2'
# %% [markdown]
# Do not write this:
# loader = DataLoader(steps, batch_size=30, shuffle=True)
# %%
x = 1
EOF2
"$BIN" --format json --exit-zero "$T/markdown.py" > "$T/md.json"
check "a markdown cell is not linted as code" /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$T/md.json"
"$BIN" --debug-tree "$T/markdown.py" > "$T/tree" 2>&1
check "the code cell is cell 2" grep -q "markdown.py: cell 2" "$T/tree"
check "the markdown cell has no tree" test "$(grep -c ': cell 1' "$T/tree")" -eq 0

# noqa in a script.
sed 's/^    logits, hidden = model(x, hidden)$/    logits, hidden = model(x, hidden)  # noqa: LSTM301/' "$FIRES" > "$T/noqa.py"
"$BIN" "$T/noqa.py" > "$T/out" 2>&1; rc=$?
check "noqa silences the finding in a script" test $rc -eq 0
sed 's/^    logits, hidden = model(x, hidden)$/    logits, hidden = model(x, hidden)  # noqa: LSTM201/' "$FIRES" > "$T/noqa_other.py"
"$BIN" --format json --exit-zero "$T/noqa_other.py" > "$T/noqa.json"
check "a noqa for another rule does not, and is reported unused" /usr/bin/python3 -c '
import json, sys
codes = sorted(f["code"] for f in json.load(open(sys.argv[1])))
assert codes == ["LSTM108", "LSTM301"], codes' "$T/noqa.json"

# --diff and --fix write the .py text: one line inserted, every other byte kept.
cp "$FIRES" "$T/fix.py"
"$BIN" --diff "$T/fix.py" > "$T/diff" 2>&1; rc=$?
check "--diff exits 1 with something to fix" test $rc -eq 1
check "--diff shows the inserted line" grep -q '^+    hidden = tuple(s.detach() for s in hidden)$' "$T/diff"
check "--diff leaves the file alone" cmp -s "$FIRES" "$T/fix.py"
"$BIN" --fix "$T/fix.py" > "$T/out" 2>&1; rc=$?
check "--fix exits 0 when nothing remains" test $rc -eq 0
awk -v n="$line" 'NR == n { print "    hidden = tuple(s.detach() for s in hidden)" } { print }' "$FIRES" > "$T/expected.py"
check "--fix inserted exactly the detach line" cmp -s "$T/expected.py" "$T/fix.py"
"$BIN" "$T/fix.py" > /dev/null 2>&1
check "the fixed script is silent" test $? -eq 0
printf '# %%%%\r\nimport torch\r\nfrom torch.utils.data import DataLoader\r\nloader = DataLoader(range(9), batch_size=3)\r\nfor epoch in range(2):\r\n    for x in loader:\r\n        pass\r\n' > "$T/crlf.py"
"$BIN" --format json --exit-zero "$T/crlf.py" > "$T/crlf.json" 2>&1
check "CRLF scripts are read" /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/crlf.json"

# Directories: scripts with a marker are linted, other .py files are not; a named plain .py is one cell.
mkdir -p "$T/dir/pkg"
cp "$FIRES" "$T/dir/train.py"
printf 'import torch\nx = torch.zeros(3)\n' > "$T/dir/pkg/util.py"
printf '# %%%% not a marker when indented\nclass A:\n    # %%%%\n    pass\n' > "$T/dir/pkg/indented.py"
"$BIN" --format json --exit-zero "$T/dir" > "$T/dir.json"
check "a directory walk lints only scripts with a marker line" /usr/bin/python3 -c '
import json, sys
files = sorted({f["filename"].rsplit("/", 1)[1] for f in json.load(open(sys.argv[1]))})
assert files == ["train.py"], files' "$T/dir.json"
printf 'from torch.utils.data import DataLoader\nimport torch\nsteps = torch.randn(100, 1)\nloader = DataLoader(steps, batch_size=10, shuffle=True)\nseqs = [x.view(1, -1, 1) for x in loader]\n' > "$T/plain.py"
"$BIN" --format json --exit-zero "$T/plain.py" > "$T/plain.json"; rc=$?
check "a named .py without markers is linted as one cell" /usr/bin/python3 -c '
import json, sys
cells = {f["cell"] for f in json.load(open(sys.argv[1]))}
assert cells <= {1}, cells' "$T/plain.json"
check "a named .py without markers exits 0 or 1, not 2" test $rc -ne 2
"$BIN" --skip-plain-py "$T/dir/pkg/util.py" "$FIRES" > "$T/out" 2>&1; rc=$?
check "--skip-plain-py skips the plain module and lints the script" test $rc -eq 1
check "--skip-plain-py reports only the script" test "$(grep -c 'util.py' "$T/out")" -eq 0

# Stdin with a .py name is a script.
"$BIN" --stdin-filename train.py - < "$FIRES" > "$T/out" 2>&1; rc=$?
check "stdin named .py is read as a script" grep -q "^train.py:cell 4:4:31: LSTM301" "$T/out"

# Scripts have no execution counts: the notebook-state rules never fire on them.
cat > "$T/state.py" <<'EOF2'
# %%
import torch
model = torch.nn.LSTM(1, 4)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
# %%
model = torch.nn.LSTM(1, 4)
# %%
x = torch.randn(5, 3, 1)
for step in range(3):
    opt.zero_grad()
    out, _ = model(x)
    out.sum().backward()
    opt.step()
EOF2
"$BIN" --format json --exit-zero --select LSTM101,LSTM103,LSTM104,LSTM105,LSTM106,LSTM107 "$T/state.py" > "$T/state.json"
check "no execution-count finding in a script" /usr/bin/python3 -c 'import json,sys; f = json.load(open(sys.argv[1])); assert f == [], f' "$T/state.json"

printf '# %%%%\nx = "\xff"\n' > "$T/bad.py"
"$BIN" "$T/bad.py" > "$T/out" 2>&1; rc=$?
check "invalid UTF-8 is a named error (exit 2)" test $rc -eq 2
check "the error names the line" grep -q "bad.py: invalid UTF-8 on line 2" "$T/out"

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
