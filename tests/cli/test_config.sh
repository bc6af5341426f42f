#!/usr/bin/env bash
# Configuration files end to end (docs/configuration.md): discovery from nested directories,
# .lstm-lint.toml before pyproject.toml, pyproject without [tool.lstm-lint] skipped, --config,
# --isolated, the command line overriding, per-file-ignores, exclude, severities and fail-on,
# replay settings reaching the replay executable, and every error form (exit 2).
set -u
BIN=$1
SRC=$2
FAKE=$SRC/tests/replay/fake_replay.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
run() {  # run ARGS... -> $T/out, $T/err, $rc (in the current directory)
  "$BIN" "$@" >"$T/out" 2>"$T/err"
  rc=$?
}
# The findings of a concise -q report as "path CODE", sorted.
found() { sed -n 's/^\(.*\):cell [0-9]*:[0-9]*:[0-9]*: \(LSTM[0-9]*\) .*/\1 \2/p' "$T/out" | sort -u; }
expect() {  # expect NAME "path CODE" lines (sorted)
  local name=$1; shift
  local want
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
  if [ "$(found)" = "$want" ]; then pass=$((pass + 1)); else
    echo "FAIL: $name"; echo "  want: $(echo $want)"; echo "  got:  $(found | tr '\n' ' ')"; cat "$T/err"; fails=$((fails + 1)); fi
}

ST=$SRC/fixtures/shuffled-timesteps/fires_batch_as_unbatched_sequence.ipynb  # LSTM201 (error)
OOO=$SRC/fixtures/out-of-order-execution/fires_data_cell_rerun.ipynb          # LSTM101 (warning)
UNX=$SRC/fixtures/unexecuted-cell/fires_skipped_inspection_cell.ipynb          # LSTM107 (info)
HIDDEN=$SRC/fixtures/hidden-batch-size-mismatch/fires_last_batch_smaller.ipynb # LSTM304 (replay)

# ---- a project with nested configurations --------------------------------------------------
P=$T/proj
mkdir -p "$P/sub/deep/dir" "$P/other" "$P/scratch"
cat >"$P/pyproject.toml" <<'EOF'
[project]
name = "demo"

[tool.lstm-lint]
ignore = ["unexecuted-cell"]
exclude = ["scratch", "draft_*.ipynb"]
EOF
cat >"$P/sub/.lstm-lint.toml" <<'EOF'
select = ["LSTM101"]

[per-file-ignores]
"deep/**/ooo2.ipynb" = ["out-of-order-execution"]
EOF
cat >"$P/sub/pyproject.toml" <<'EOF'
[tool.lstm-lint]
select = ["LSTM201"]
EOF
printf '[tool.black]\nline-length = 100\n' >"$P/other/pyproject.toml"
cp "$UNX" "$P/top.ipynb"
cp "$ST" "$P/st.ipynb"
cp "$ST" "$P/draft_1.ipynb"
cp "$ST" "$P/scratch/x.ipynb"
cp "$OOO" "$P/sub/ooo.ipynb"
cp "$ST" "$P/sub/st.ipynb"
cp "$ST" "$P/sub/deep/st2.ipynb"
cp "$OOO" "$P/sub/deep/dir/ooo2.ipynb"
cp "$UNX" "$P/other/unx.ipynb"
cd "$T" || exit 1

run --format concise -q proj
check "discovery: findings exit 1" test $rc -eq 1
# top.ipynb and other/unx.ipynb: LSTM107 ignored by proj/pyproject.toml (other/pyproject.toml has
# no table); sub/: .lstm-lint.toml (select LSTM101) wins over sub/pyproject.toml (LSTM201), also
# in sub/deep/ (nested); ooo2 matches a per-file-ignores glob; scratch/ and draft_* are excluded.
expect "discovery: each notebook gets its closest configuration" \
  "proj/st.ipynb LSTM201" "proj/sub/ooo.ipynb LSTM101"
check "exclude: an excluded directory is not walked" test "$(grep -c 'scratch' "$T/out")" -eq 0
check "exclude: an excluded file name is not walked" test "$(grep -c 'draft_1' "$T/out")" -eq 0

run --format concise -q proj/draft_1.ipynb proj/scratch/x.ipynb
expect "exclude: notebooks given by name are linted" "proj/draft_1.ipynb LSTM201" "proj/scratch/x.ipynb LSTM201"

run --format concise -q --isolated proj
expect "--isolated: no configuration at all (the default set: LSTM107 is opt-in)" \
  "proj/draft_1.ipynb LSTM201" "proj/scratch/x.ipynb LSTM201" "proj/st.ipynb LSTM201" \
  "proj/sub/deep/dir/ooo2.ipynb LSTM101" "proj/sub/deep/st2.ipynb LSTM201" "proj/sub/ooo.ipynb LSTM101" \
  "proj/sub/st.ipynb LSTM201"
run --format concise -q --isolated --extend-select LSTM107 proj
expect "--isolated --extend-select LSTM107: the opt-in rule too" \
  "proj/draft_1.ipynb LSTM201" "proj/other/unx.ipynb LSTM107" "proj/scratch/x.ipynb LSTM201" "proj/st.ipynb LSTM201" \
  "proj/sub/deep/dir/ooo2.ipynb LSTM101" "proj/sub/deep/st2.ipynb LSTM201" "proj/sub/ooo.ipynb LSTM101" \
  "proj/sub/st.ipynb LSTM201" "proj/top.ipynb LSTM107"

run --format concise -q --config proj/sub/pyproject.toml proj
expect "--config: one file for every notebook, no exclude from the others" \
  "proj/draft_1.ipynb LSTM201" "proj/scratch/x.ipynb LSTM201" "proj/st.ipynb LSTM201" \
  "proj/sub/deep/st2.ipynb LSTM201" "proj/sub/st.ipynb LSTM201"

run --format concise -q --select LSTM201 proj/sub
expect "CLI --select replaces the configuration's select" "proj/sub/deep/st2.ipynb LSTM201" "proj/sub/st.ipynb LSTM201"
run --format concise -q --ignore LSTM201 --extend-select LSTM107 proj/top.ipynb proj/st.ipynb
expect "CLI --ignore replaces the configuration's ignore" "proj/top.ipynb LSTM107"

# ---- extend-select: adds to the default set or to select; a CLI --select drops it ----------
E=$T/ext
mkdir -p "$E"
printf 'extend-select = ["unexecuted-cell"]\n' >"$E/.lstm-lint.toml"
cp "$UNX" "$E/unx.ipynb"
cp "$ST" "$E/st.ipynb"
run --format concise -q ext
expect "extend-select in a file adds the opt-in rule to the default set" "ext/st.ipynb LSTM201" "ext/unx.ipynb LSTM107"
run --format concise -q --select LSTM201 ext
expect "a CLI --select drops the file's extend-select" "ext/st.ipynb LSTM201"
run --format concise -q --select LSTM201 --extend-select LSTM107 ext
expect "--extend-select adds to a CLI --select" "ext/st.ipynb LSTM201" "ext/unx.ipynb LSTM107"
printf 'select = ["LSTM2"]\nextend-select = ["LSTM107"]\n' >"$E/.lstm-lint.toml"
run --format concise -q ext
expect "extend-select adds to the file's select" "ext/st.ipynb LSTM201" "ext/unx.ipynb LSTM107"
printf 'extend-select = ["LSTM9"]\n' >"$E/.lstm-lint.toml"
run --format concise -q ext
check "an unknown extend-select selector is a configuration error" grep -q "'extend-select': unknown rule selector \"LSTM9\"" "$T/err"
run --format concise -q --select ALL proj/sub/deep/dir/ooo2.ipynb
expect "per-file-ignores still apply under a CLI --select" ""

run --config proj/sub/pyproject.toml --isolated proj
check "--config with --isolated is a usage error (exit 2)" test $rc -eq 2

(cd proj/sub && "$BIN" --format concise -q - <"$OOO" >"$T/out" 2>"$T/err")
check "stdin: the current directory's configuration (exit 1)" test $? -eq 1
expect "stdin: reported under its name" "- LSTM101"
(cd proj/sub && "$BIN" --format concise -q - <"$ST" >"$T/out" 2>"$T/err")
check "stdin: rules the configuration does not select stay silent" test $? -eq 0
(cd proj/sub && "$BIN" --format concise -q --stdin-filename deep/dir/ooo2.ipynb - <"$OOO" >"$T/out" 2>"$T/err")
check "stdin: per-file-ignores match --stdin-filename" test $? -eq 0

# ---- severities and fail-on -----------------------------------------------------------------
S=$T/sev
mkdir -p "$S/raised" "$S/gated" "$S/plain"
cp "$OOO" "$S/raised/ooo.ipynb"
cp "$OOO" "$S/plain/ooo.ipynb"
cp "$OOO" "$S/gated/ooo.ipynb"
printf '[severity]\nout-of-order-execution = "error"\n' >"$S/raised/.lstm-lint.toml"
printf 'fail-on = "error"\n' >"$S/gated/.lstm-lint.toml"

run --fail-on error --isolated sev/raised
check "without the configuration a warning passes --fail-on error" test $rc -eq 0
run --fail-on error sev/raised
check "severity raised to error fails --fail-on error (exit 1)" test $rc -eq 1
run --format json sev/raised
check "the raised severity is in the report" /usr/bin/python3 -c '
import json,sys; f=json.load(open(sys.argv[1])); assert [x["severity"] for x in f]==["error"], f' "$T/out"
run sev/raised
check "text output names the raised severity in the summary" grep -q '1 error' "$T/out"
run sev/gated
check "fail-on from the configuration: a warning passes (exit 0)" test $rc -eq 0
check "... and is still reported" grep -q 'LSTM101' "$T/out"
run --fail-on warning sev/gated
check "CLI --fail-on replaces the configuration's" test $rc -eq 1
run sev/gated sev/plain
check "files of one run keep their own fail-on (the unconfigured warning fails)" test $rc -eq 1

# ---- replay settings reach the replay executable --------------------------------------------
R=$T/rep
mkdir -p "$R"
cp "$HIDDEN" "$R/h.ipynb"
cat >"$R/.lstm-lint.toml" <<'EOF'
select = ["hidden-batch-size-mismatch"]
[replay]
enabled = true
budget = 2.5
memory = 1024
EOF
py() { /usr/bin/python3 -c "$@"; }
rm -f "$T/log"
FAKE_REPLAY_LOG=$T/log LSTM_LINT_REPLAY=$FAKE "$BIN" rep >"$T/out" 2>"$T/err"; rc=$?
check "replay.enabled starts replay without --replay" test -e "$T/log"
check "replay.memory reaches the executable" py 'import json,sys; a=json.load(open(sys.argv[1]))["args"]; assert a[:2]==["--memory-mb","1024"], a' "$T/log"
check "replay.budget reaches the request" py 'import json,sys; r=json.load(open(sys.argv[1]))["request"]; assert r["budget_seconds"]==2.5, r["budget_seconds"]' "$T/log"
check "replay verdicts are shown" grep -q '^  replay: CONFIRMED' "$T/out"
rm -f "$T/log"
FAKE_REPLAY_LOG=$T/log LSTM_LINT_REPLAY=$FAKE "$BIN" --replay-budget 4 --replay-memory 512 rep >"$T/out" 2>"$T/err"
check "CLI --replay-budget/--replay-memory replace the configuration's" py '
import json,sys; d=json.load(open(sys.argv[1])); assert d["args"][:2]==["--memory-mb","512"] and d["request"]["budget_seconds"]==4, d["args"]' "$T/log"
rm -f "$T/log"
FAKE_REPLAY_LOG=$T/log LSTM_LINT_REPLAY=$FAKE "$BIN" --isolated --select hidden-batch-size-mismatch rep >"$T/out" 2>"$T/err"
check "--isolated: replay stays off" test ! -e "$T/log"
rm -f "$T/log"
printf '[replay]\nbudget = 3\n' >"$T/plain.toml"
FAKE_REPLAY_LOG=$T/log LSTM_LINT_REPLAY=$FAKE "$BIN" --config plain.toml --select LSTM304 --replay rep >"$T/out" 2>"$T/err"
check "--replay with a configured budget and the default memory" py '
import json,sys; d=json.load(open(sys.argv[1])); assert d["args"][:2]==["--memory-mb","2048"] and d["request"]["budget_seconds"]==3, d' "$T/log"

# ---- errors: file:line:column, exit 2, printed before linting -------------------------------
E=$T/err_cases
mkdir -p "$E"
error_case() {  # error_case NAME CONFIG_FILE_NAME CONTENT EXPECTED_MESSAGE
  local dir=$E/$1
  mkdir -p "$dir"
  printf '%s' "$3" >"$dir/$2"
  cp "$OOO" "$dir/nb.ipynb"
  (cd "$dir" && "$BIN" nb.ipynb >"$T/out" 2>"$T/err")
  local code=$?
  check "$1: exit 2" test $code -eq 2
  if grep -qxF "error: $4" "$T/err"; then pass=$((pass + 1)); else
    echo "FAIL: $1: message"; echo "  want: error: $4"; echo "  got:  $(cat "$T/err")"; fails=$((fails + 1)); fi
  check "$1: the configuration error comes first" test "$(head -1 "$T/err")" = "error: $4"
  check "$1: the notebook is not linted" grep -qxF "error: nb.ipynb: not linted: its configuration $2 is invalid" "$T/err"
  check "$1: no findings reported" test "$(grep -c LSTM101 "$T/out")" -eq 0
}
error_case unknown_key pyproject.toml $'[project]\nname = "x"\n\n[tool.lstm-lint]\nselect = ["LSTM1"]\nselct = ["LSTM2"]\n' \
  "pyproject.toml:6:1: unknown key 'selct' in [tool.lstm-lint]"
error_case unknown_replay_key .lstm-lint.toml $'[replay]\nbudgt = 3\n' \
  ".lstm-lint.toml:2:1: unknown key 'budgt' in [replay]"
error_case bad_severity .lstm-lint.toml $'select = ["ALL"]\n\n[severity]\nshuffled-timesteps = "fatal"\n' \
  ".lstm-lint.toml:4:22: 'severity.shuffled-timesteps': expected one of error, warning, info, got \"fatal\""
error_case unknown_severity_rule .lstm-lint.toml $'[severity]\nshuffled-steps = "error"\n' \
  ".lstm-lint.toml:2:1: 'severity.shuffled-steps': unknown rule (a code or a name, see \`lstm-lint rules\`)"
error_case unknown_selector .lstm-lint.toml $'select = ["LSTM1", "LSTM9"]\n' \
  ".lstm-lint.toml:1:20: 'select': unknown rule selector \"LSTM9\" (see \`lstm-lint rules\`)"
error_case unknown_ignore pyproject.toml $'[tool.lstm-lint]\nignore = ["stale-optimiser"]\n' \
  "pyproject.toml:2:11: 'ignore': unknown rule selector \"stale-optimiser\" (see \`lstm-lint rules\`)"
error_case bad_per_file_ignore .lstm-lint.toml $'[per-file-ignores]\n"*.ipynb" = ["LSTM999"]\n' \
  ".lstm-lint.toml:2:14: 'per-file-ignores.\"*.ipynb\"': unknown rule selector \"LSTM999\" (see \`lstm-lint rules\`)"
error_case bad_fail_on .lstm-lint.toml $'fail-on = "never"\n' \
  ".lstm-lint.toml:1:11: 'fail-on': expected one of error, warning, info, confirmed, got \"never\""
error_case bad_budget .lstm-lint.toml $'[replay]\nbudget = 1000\n' \
  ".lstm-lint.toml:2:10: 'replay.budget': expected a number of seconds from 0.1 to 600, got 1000"
error_case wrong_type .lstm-lint.toml $'exclude = "data"\n' \
  ".lstm-lint.toml:1:11: 'exclude': expected an array of strings, got \"data\""
error_case executable .lstm-lint.toml $'[replay]\nexecutable = "/bin/sh"\n' \
  ".lstm-lint.toml:2:1: 'replay.executable' cannot be configured in a file (it would let a repository choose what runs); use --replay-executable or \$LSTM_LINT_REPLAY"
error_case executable_top pyproject.toml $'[tool.lstm-lint]\nreplay-executable = "./evil"\n' \
  "pyproject.toml:2:1: 'replay-executable' cannot be configured in a file (it would let a repository choose what runs); use --replay-executable or \$LSTM_LINT_REPLAY"
# TOML syntax: toml++'s own description after the position.
mkdir -p "$E/syntax" && printf 'select = ["LSTM1"\nignore = []\n' >"$E/syntax/.lstm-lint.toml" && cp "$OOO" "$E/syntax/nb.ipynb"
(cd "$E/syntax" && "$BIN" nb.ipynb >"$T/out" 2>"$T/err"); rc=$?
check "syntax error: exit 2" test $rc -eq 2
check "syntax error: file:line:column and invalid TOML" grep -q '^error: \.lstm-lint\.toml:2:1: invalid TOML: ' "$T/err"
# A broken pyproject.toml cannot be skipped: it might hold [tool.lstm-lint].
mkdir -p "$E/pysyntax" && printf '[project\n' >"$E/pysyntax/pyproject.toml" && cp "$OOO" "$E/pysyntax/nb.ipynb"
(cd "$E/pysyntax" && "$BIN" nb.ipynb >"$T/out" 2>"$T/err"); rc=$?
check "broken pyproject.toml: exit 2 with its position" test $rc -eq 2 -a "$(grep -c '^error: pyproject\.toml:1:[0-9]*: invalid TOML: ' "$T/err")" -eq 1

# --config errors.
run --config nope.toml proj/st.ipynb
check "--config missing: exit 2" test $rc -eq 2
check "--config missing: named" grep -qxF "error: nope.toml: cannot read the configuration: No such file or directory" "$T/err"
run --config proj/other/pyproject.toml proj/st.ipynb
check "--config without [tool.lstm-lint]: exit 2" test $rc -eq 2
check "--config without [tool.lstm-lint]: named" grep -qxF "error: proj/other/pyproject.toml: no [tool.lstm-lint] table" "$T/err"
run --config nope.toml
check "--config missing with nothing to lint: still exit 2" test $rc -eq 2

# A broken configuration blocks only its own notebooks: the others are linted.
cp -r "$E/bad_severity" mixed_bad
mkdir -p mixed_good && cp "$ST" mixed_good/st.ipynb
run --format concise -q mixed_bad mixed_good
check "mixed: exit 2" test $rc -eq 2
expect "mixed: the good directory is linted" "mixed_good/st.ipynb LSTM201"
check "mixed: the bad directory's notebook is reported not linted" \
  grep -qxF "error: mixed_bad/nb.ipynb: not linted: its configuration mixed_bad/.lstm-lint.toml is invalid" "$T/err"
check "mixed: the configuration error is printed once, before the rest" \
  test "$(head -1 "$T/err")" = "error: mixed_bad/.lstm-lint.toml:4:22: 'severity.shuffled-timesteps': expected one of error, warning, info, got \"fatal\""

# --fix and --diff follow each notebook's configuration: an ignored rule is not fixed.
SHUF=$SRC/fixtures/shuffled-timesteps/fires_steps_viewed_as_one_sequence.ipynb
mkdir -p fixcfg/ignored fixcfg/perfile fixcfg/plain
printf 'ignore = ["shuffled-timesteps"]\n' >fixcfg/ignored/.lstm-lint.toml
printf '[per-file-ignores]\n"keep_*.ipynb" = ["LSTM201"]\n' >fixcfg/perfile/.lstm-lint.toml
cp "$SHUF" fixcfg/ignored/nb.ipynb
cp "$SHUF" fixcfg/perfile/keep_nb.ipynb
cp "$SHUF" fixcfg/perfile/fix_nb.ipynb
cp "$SHUF" fixcfg/plain/nb.ipynb
run --diff fixcfg/ignored fixcfg/perfile/keep_nb.ipynb
check "--diff: nothing to fix where the configuration ignores the rule (exit 0)" test $rc -eq 0
check "--diff: says so" grep -qxF "No fixes available." "$T/err"
run --fix fixcfg
check "--fix: ignored by the configuration: bytes unchanged" cmp -s "$SHUF" fixcfg/ignored/nb.ipynb
check "--fix: ignored by per-file-ignores: bytes unchanged" cmp -s "$SHUF" fixcfg/perfile/keep_nb.ipynb
check "--fix: the same notebook under another name is fixed" grep -q 'shuffle=False' fixcfg/perfile/fix_nb.ipynb
check "--fix: without a configuration it is fixed" grep -q 'shuffle=False' fixcfg/plain/nb.ipynb
run --fix --isolated fixcfg/ignored
check "--fix --isolated: the configuration's ignore no longer applies" grep -q 'shuffle=False' fixcfg/ignored/nb.ipynb
mkdir -p fixcfg/broken && cp "$SHUF" fixcfg/broken/nb.ipynb && printf 'selct = []\n' >fixcfg/broken/.lstm-lint.toml
run --fix fixcfg/broken
check "--fix under a broken configuration: exit 2" test $rc -eq 2
check "--fix under a broken configuration: not fixed" cmp -s "$SHUF" fixcfg/broken/nb.ipynb
check "--fix under a broken configuration: named" grep -qF "error: fixcfg/broken/nb.ipynb: not linted: its configuration" "$T/err"

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
