#!/usr/bin/env bash
# --fix / --unsafe-fixes / --diff end to end: every fix in every JSON layout changes only the
# edited source characters (tests/cli/fix_check.py), --diff writes nothing, suppressed and
# baselined findings stay, a file changed on disk or not writable is left alone (exit 2), and
# a second --fix changes nothing.
set -u
BIN=$1
SRC=$2
PY=/usr/bin/python3
CHECK="$PY $SRC/tests/cli/fix_check.py"
T=$(mktemp -d)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
LAYOUTS="jupyter indent2 compact plain ascii crlf v3"

# fix_case NAME FIXTURE RULE SAFETY KIND A B: KIND replaced (A -> B) or inserted (line B before A).
fix_case() {
  local name=$1 fixture=$SRC/fixtures/$2 rule=$3 safety=$4 kind=$5 a=$6 b=$7
  local unsafe=""
  [ "$safety" = unsafe ] && unsafe=--unsafe-fixes
  mkdir -p "$T/$name"
  $CHECK layouts "$fixture" "$T/$name"
  for layout in $LAYOUTS; do
    local nb=$T/$name/$layout.ipynb what="$name/$layout"
    cp "$nb" "$nb.orig"
    local before; before=$(sum "$nb")
    "$BIN" --select "$rule" $unsafe --diff "$nb" > "$T/diff" 2> "$T/err"; rc=$?
    check "$what: --diff exits 1" test $rc -eq 1
    check "$what: --diff writes nothing" test "$(sum "$nb")" = "$before"
    check "$what: --diff shows the cell" grep -q "^+++ $nb:cell [0-9]*$" "$T/diff"
    check "$what: --diff shows the new text" grep -qF -- "${b#"${b%%[! ]*}"}" <(grep '^+[^+]' "$T/diff")
    check "$what: --diff counts" grep -q "^Would fix 1 finding.$" "$T/err"
    if [ "$safety" = unsafe ]; then
      "$BIN" --select "$rule" --fix "$nb" > "$T/out" 2>&1; rc=$?
      check "$what: an unsafe fix needs --unsafe-fixes" test "$(sum "$nb")" = "$before"
      check "$what: ... and the finding remains (exit 1)" test $rc -eq 1
      check "$what: ... which is said" grep -q "1 more fixable with --fix --unsafe-fixes" "$T/out"
    fi
    "$BIN" --select "$rule" $unsafe --fix "$nb" > "$T/out" 2>&1; rc=$?
    check "$what: --fix exits 0 when nothing remains" test $rc -eq 0
    check "$what: --fix summary" grep -q "^Found 1 finding (1 fixed, 0 remaining).$" "$T/out"
    check "$what: only the source changed, as expected" $CHECK "$kind" "$nb.orig" "$nb" "$a" "$b"
    "$BIN" --select "$rule" "$nb" > "$T/out" 2>&1; rc=$?
    check "$what: re-lint has no $rule finding" test $rc -eq 0
    local fixed; fixed=$(sum "$nb")
    "$BIN" --select "$rule" $unsafe --fix "$nb" > /dev/null 2>&1
    check "$what: a second --fix is a no-op" test "$(sum "$nb")" = "$fixed"
    check "$what: no temporary file is left" test "$(ls -a "$T/$name" | grep -c '\.lstm-lint-')" -eq 0
  done
}

fix_case shuffle shuffled-timesteps/fires_steps_viewed_as_one_sequence.ipynb shuffled-timesteps safe \
  replaced "shuffle=True" "shuffle=False"
fix_case detach_tuple state-not-detached/fires_tuple_state_reset_per_epoch_only.ipynb state-not-detached safe \
  inserted "out, (h, c) = lstm(" "        h, c = h.detach(), c.detach()"
fix_case detach_gru_none state-not-detached/fires_gru_hx_keyword.ipynb state-not-detached safe \
  inserted "out, h = gru(x, hx=h)" "    h = h.detach() if h is not None else None"
fix_case detach_model_lstm state-not-detached/fires_model_hidden_fed_back.ipynb state-not-detached safe \
  inserted "logits, hidden = model(x, hidden)" "    hidden = tuple(s.detach() for s in hidden)"
fix_case batch_first_added batch-first-mismatch/fires_loader_batches_into_time_major_lstm.ipynb batch-first-mismatch safe \
  replaced "nn.LSTM(input_size=2, hidden_size=32)" "nn.LSTM(input_size=2, hidden_size=32, batch_first=True)"
fix_case batch_first_false batch-first-mismatch/fires_explicit_false_gru.ipynb batch-first-mismatch unsafe \
  replaced "batch_first=False" "batch_first=True"
fix_case zero_grad missing-zero-grad/fires_no_zero_grad.ipynb missing-zero-grad unsafe \
  inserted "loss.backward()" "        opt.zero_grad()"
fix_case keras_shuffle_added keras-stateful-shuffle/fires_fit_default_shuffle.ipynb keras-stateful-shuffle safe \
  replaced "verbose=0)" "verbose=0, shuffle=False)"
fix_case keras_shuffle_flipped keras-stateful-shuffle/fires_shuffle_true_positional_batch.ipynb keras-stateful-shuffle safe \
  replaced "shuffle=True" "shuffle=False"

# The text report marks fixable findings and counts them.
SHUF=$SRC/fixtures/shuffled-timesteps/fires_steps_viewed_as_one_sequence.ipynb
"$BIN" --select shuffled-timesteps "$SHUF" > "$T/out" 2>&1
check "[*] marks a safe fix" grep -q "LSTM[0-9]* \[shuffled-timesteps\] \[\*\] " "$T/out"
check "the footer counts it" grep -qx "\[\*\] 1 fixable with --fix." "$T/out"
"$BIN" --select missing-zero-grad "$SRC/fixtures/missing-zero-grad/fires_no_zero_grad.ipynb" > "$T/out" 2>&1
check "an unsafe fix is not marked" test "$(grep -c '\[\*\] `' "$T/out")" -eq 0
check "... but counted as hidden" grep -qx "(1 more fixable with --fix --unsafe-fixes.)" "$T/out"
"$BIN" --diff "$SRC/fixtures/shuffled-timesteps/silent_steps_in_order.ipynb" > /dev/null 2>&1; rc=$?
check "--diff exits 0 when there is nothing to fix" test $rc -eq 0

# Suppressed and baselined findings are not fixed.
mkdir -p "$T/misc"
NB=$T/misc/nb.ipynb
$PY - "$SHUF" "$T/misc/noqa.ipynb" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for c in doc["cells"]:
    c["source"] = [l.replace("shuffle=True)\n", "shuffle=True)  # noqa: shuffled-timesteps\n") for l in c["source"]]
json.dump(doc, open(sys.argv[2], "w"), indent=1, ensure_ascii=False)
PY
before=$(sum "$T/misc/noqa.ipynb")
"$BIN" --select shuffled-timesteps --fix "$T/misc/noqa.ipynb" > "$T/out" 2>&1; rc=$?
check "a suppressed finding is not fixed" test "$(sum "$T/misc/noqa.ipynb")" = "$before"
check "... and the run is clean" test $rc -eq 0
cp "$SHUF" "$NB"
"$BIN" --select shuffled-timesteps --baseline "$T/misc/base.json" --write-baseline "$NB" > /dev/null 2>&1
"$BIN" --select shuffled-timesteps --baseline "$T/misc/base.json" --fix "$NB" > /dev/null 2>&1; rc=$?
check "a baselined finding is not fixed" cmp -s "$NB" "$SHUF"
check "... and the run is clean" test $rc -eq 0

# The file changed between reading and writing: left alone, exit 2.
cp "$SHUF" "$NB"
LSTM_LINT_TEST_BEFORE_REPLACE="printf ' ' >> '$NB'" "$BIN" --select shuffled-timesteps --fix "$NB" > "$T/out" 2> "$T/err"; rc=$?
check "race: exit 2" test $rc -eq 2
check "race: said" grep -qx "error: $NB: changed on disk since it was read; not fixed" "$T/err"
check "race: the other writer's bytes stay" cmp -s "$NB" <(cat "$SHUF"; printf ' ')
check "race: no temporary file is left" test "$(ls -a "$T/misc" | grep -c '\.lstm-lint-')" -eq 0

# A read-only file; the file's mode is kept; other files are still fixed.
cp "$SHUF" "$NB"
chmod 444 "$NB"
"$BIN" --select shuffled-timesteps --fix "$NB" > /dev/null 2> "$T/err"; rc=$?
check "read-only file: exit 2" test $rc -eq 2
check "read-only file: said" grep -qx "error: $NB: the file is read-only; not fixed" "$T/err"
check "read-only file: unchanged" cmp -s "$NB" "$SHUF"
chmod 640 "$NB"
printf '{"cells": [' > "$T/misc/broken.ipynb"
"$BIN" --select shuffled-timesteps --fix "$T/misc/broken.ipynb" "$NB" > /dev/null 2> "$T/err"; rc=$?
check "a broken notebook: exit 2" test $rc -eq 2
check "a broken notebook: named" grep -q "error: $T/misc/broken.ipynb: invalid JSON" "$T/err"
check "the other notebook is fixed anyway" grep -q "shuffle=False" "$NB"
check "the fixed file keeps its mode" test "$(stat -c %a "$NB")" = 640

# Through a symlink: the link stays, its target is fixed; the owner is kept.
cp "$SHUF" "$T/misc/target.ipynb"
chown 65534:65534 "$T/misc/target.ipynb" 2> /dev/null
owner=$(stat -c %u:%g "$T/misc/target.ipynb")
ln -s target.ipynb "$T/misc/link.ipynb"
"$BIN" --select shuffled-timesteps --fix "$T/misc/link.ipynb" > /dev/null 2>&1; rc=$?
check "symlink: exit 0" test $rc -eq 0
check "symlink: still a symlink" test -L "$T/misc/link.ipynb"
check "symlink: the target is fixed" grep -q "shuffle=False" "$T/misc/target.ipynb"
check "symlink: the owner is kept" test "$(stat -c %u:%g "$T/misc/target.ipynb")" = "$owner"

# A read-only directory (as an unprivileged user when root, who may write anywhere).
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
  mkdir -p "$T/ro"
  cp "$SHUF" "$T/ro/nb.ipynb"
  chmod 666 "$T/ro/nb.ipynb"
  chmod 555 "$T/ro"
  chmod 755 "$T"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --select shuffled-timesteps --fix "$T/ro/nb.ipynb" \
    > /dev/null 2> "$T/err"; rc=$?
  check "read-only directory: exit 2" test $rc -eq 2
  check "read-only directory: said" grep -q "error: $T/ro/nb.ipynb: cannot create a temporary file in $T/ro: Permission denied" "$T/err"
  check "read-only directory: unchanged" cmp -s "$T/ro/nb.ipynb" "$SHUF"
else
  echo "note: the read-only directory case needs root and setpriv; skipped"
fi

# stdin: the fixed notebook goes to stdout, the report to stderr.
cp "$SHUF" "$NB"
"$BIN" --select shuffled-timesteps --fix "$NB" > /dev/null 2>&1
"$BIN" --select shuffled-timesteps --fix - < "$SHUF" > "$T/stdout.ipynb" 2> "$T/err"; rc=$?
check "stdin: exit 0" test $rc -eq 0
check "stdin: the fixed notebook on stdout, as --fix writes it" cmp -s "$T/stdout.ipynb" "$NB"
check "stdin: the report on stderr" grep -q "(1 fixed, 0 remaining)" "$T/err"
"$BIN" --fix --diff "$NB" > /dev/null 2>&1; rc=$?
check "--fix and --diff together are a usage error" test $rc -eq 2

# The report after --fix is the fixed notebook's: the line inserted in cell 8 of the demo moves
# the findings below it down by one.
cp "$SRC/examples/sine_forecast.ipynb" "$T/misc/demo.ipynb"
"$BIN" -q --extend-select LSTM311 "$T/misc/demo.ipynb" > "$T/out" 2>&1
check "demo before: grad clipping finding at line 10" grep -q "cell 8:10:9: LSTM311" "$T/out"
"$BIN" --fix --extend-select LSTM311 "$T/misc/demo.ipynb" > "$T/out" 2>&1; rc=$?
check "demo: findings remain (exit 1)" test $rc -eq 1
# 6 unfixable findings remain (LSTM107 is opt-in), and state-never-reset now sees the detached state carried on.
check "demo: two fixed" grep -q "^Found 9 findings (2 fixed, 7 remaining).$" "$T/out"
check "demo after: grad clipping finding at line 11" grep -q "cell 8:11:9: LSTM311" "$T/out"
check "demo after: no shuffled-timesteps, no state-not-detached" test "$(grep -c 'LSTM201\|LSTM301' "$T/out")" -eq 0

echo "cli.fix: $pass passed, $fails failed"
test $fails -eq 0
