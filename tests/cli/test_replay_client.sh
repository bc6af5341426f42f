#!/usr/bin/env bash
# The replay client against a stand-in executable (tests/replay/fake_replay.py): the spec it
# sends, verdicts in text and JSON, --fail-on confirmed, and every way the executable can fail
# (missing, crash, signal, hang, garbage, partial answer) leaving the static findings intact.
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
py() { /usr/bin/python3 -c "$@"; }

HIDDEN=$SRC/fixtures/hidden-batch-size-mismatch/fires_last_batch_smaller.ipynb
CLEAN=$SRC/fixtures/hidden-batch-size-mismatch/silent_state_sized_from_batch.ipynb
# Two notebooks with one finding each (h and c of one state are one finding): one request for both.
cp "$HIDDEN" "$T/a.ipynb"
cp "$HIDDEN" "$T/b.ipynb"
PAIR=("$T/a.ipynb" "$T/b.ipynb")
OOO_ONLY=$SRC/fixtures/unexecuted-cell/fires_two_cells_never_run.ipynb

run() {  # run MODE ARGS... -> $T/out, $T/err, $rc
  FAKE_REPLAY_MODE=$1 FAKE_REPLAY_LOG=$T/log LSTM_LINT_REPLAY=$FAKE "$BIN" "${@:2}" >"$T/out" 2>"$T/err"
  rc=$?
}

# ---- the spec sent, and the verdicts shown --------------------------------------------------
rm -f "$T/log"
run confirm --replay --format json --select hidden-batch-size-mismatch "${PAIR[@]}"
check "confirmed findings exit 1" test $rc -eq 1
check "the executable was started with a memory limit" py 'import json,sys; a=json.load(open(sys.argv[1]))["args"]; assert a[:2]==["--memory-mb","2048"], a' "$T/log"
check "one request for both findings" py 'import json,sys; r=json.load(open(sys.argv[1]))["request"]; assert r["version"]==1 and len(r["experiments"])==2, r' "$T/log"
check "the spec holds what the notebook states" py '
import json,sys
e=json.load(open(sys.argv[1]))["request"]["experiments"][0]
s=e["spec"]
assert e["rule"]=="hidden-batch-size-mismatch", e
want={"hidden_batch":64,"batch_size":64,"dataset_length":400,"state_layout":"layers_batch_hidden","cell":"lstm","input_size":3,"hidden_size":32,"num_layers":2,"batch_first":True,"shuffle":True,"optimizer":"adam","lr":0.01,"loss":"mse"}
bad={k:(s.get(k),v) for k,v in want.items() if s.get(k)!=v}
assert not bad, bad' "$T/log"
check "JSON carries the verdict, metrics and spec origins" py '
import json,sys
fs=json.load(open(sys.argv[1]))
r=fs[0]["replay"]
assert r["verdict"]=="CONFIRMED", r
assert r["metrics"]==[{"name":"fake_metric","value":0.25,"threshold":0.5,"unit":"ratio"}], r["metrics"]
spec={s["key"]:s for s in r["spec"]}
assert spec["hidden_batch"]["origin"]=={"cell":3,"row":3,"column":36}, spec["hidden_batch"]
assert spec["batch_size"]["origin"]["cell"]==1 and spec["batch_size"]["source"]=="notebook", spec["batch_size"]
# the sequence length reaches the spec from the shape of what reaches the layer: `torch.randn(500, 20, 3)`
assert spec["seq_len"]["origin"]=={"cell":1,"row":7,"column":22} and spec["seq_len"]["source"]=="notebook", spec["seq_len"]' "$T/out"

run confirm --replay --select hidden-batch-size-mismatch "$HIDDEN"
check "text shows the verdict under the finding" grep -q '^  replay: CONFIRMED: fake:' "$T/out"
check "text shows the metric with its threshold" grep -q '^    fake_metric = 0.25 ratio (threshold 0.5)$' "$T/out"
check "text shows where each value comes from" grep -q 'hidden_batch=64 (cell 3:3).*seq_len=20 (cell 1:7)' "$T/out"

run confirm --fail-on confirmed --select hidden-batch-size-mismatch "$HIDDEN"
check "--fail-on confirmed implies --replay and fails on CONFIRMED" test $rc -eq 1
run refute --fail-on confirmed --select hidden-batch-size-mismatch "$HIDDEN"
check "--fail-on confirmed passes when nothing is confirmed" test $rc -eq 0
check "... and still reports the findings" grep -q 'LSTM304' "$T/out"
run refute --replay --select hidden-batch-size-mismatch "$HIDDEN"
check "without --fail-on, any finding still fails" test $rc -eq 1
run refute --fail-on confirmed --exit-zero --select hidden-batch-size-mismatch "$HIDDEN"
check "--exit-zero wins" test $rc -eq 0

rm -f "$T/log"
run confirm --replay "$CLEAN"
check "no finding: the executable is not started" test ! -e "$T/log"
check "no finding: exit 0" test $rc -eq 0
rm -f "$T/log"
run confirm --replay --select unexecuted-cell "$OOO_ONLY"
check "rules without an experiment: not started" test ! -e "$T/log"
check "rules without an experiment say NO REPLAY" grep -q '^  replay: NO REPLAY' "$T/out"

# ---- failures of the executable: a warning, and every static finding still reported --------
failing() {  # failing NAME MODE PATTERN
  run "$2" --replay --select hidden-batch-size-mismatch "${PAIR[@]}"
  check "$1: findings kept" test "$(grep -c '^.*LSTM304 \[hidden-batch-size-mismatch\]' "$T/out")" -eq 2
  check "$1: verdict NOT RUN" grep -q '^  replay: NOT RUN' "$T/out"
  check "$1: warning names the problem" grep -q "warning: replay did not run: .*$3" "$T/err"
  check "$1: exit 1 for the findings" test $rc -eq 1
}
failing crash crash 'exited with code 3: .*fake failure'
failing signal signal 'killed by signal 11'
failing garbage garbage 'not a replay response'
start=$(date +%s)
LSTM_LINT_REPLAY_TIMEOUT=2 failing hang hang 'did not finish within 2 s'
check "hang: stopped at the deadline" test $(($(date +%s) - start)) -lt 15
FAKE_REPLAY_MODE=confirm "$BIN" --replay --replay-executable /nonexistent/lstm-lint-replay --select hidden-batch-size-mismatch "$HIDDEN" >"$T/out" 2>"$T/err"
rc=$?
check "missing executable: findings kept" grep -q 'LSTM304' "$T/out"
check "missing executable: named" grep -q 'replay did not run: cannot start /nonexistent/lstm-lint-replay: No such file' "$T/err"
check "missing executable: exit 1" test $rc -eq 1
FAKE_REPLAY_MODE=confirm "$BIN" --fail-on confirmed --replay-executable /nonexistent/x --select hidden-batch-size-mismatch "$HIDDEN" >/dev/null 2>&1
check "a confirmed-only gate cannot pass when replay did not run: exit 2" test $? -eq 2

run partial --replay --format json --select hidden-batch-size-mismatch "${PAIR[@]}"
check "partial answer: the missing result is NOT RUN" py '
import json,sys
v=[f["replay"]["verdict"] for f in json.load(open(sys.argv[1]))]
assert v==["CONFIRMED","NOT RUN"], v' "$T/out"

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
