#!/usr/bin/env bash
# Malformed and hostile notebooks (tests/malformed/make_cases.py, cases listed in
# tests/malformed/README.md). Each case is linted next to a good notebook with one known
# finding: `BIN --format json CASE good.ipynb`. A bad case must exit 2 with
# `error: CASE: MESSAGE` on stderr, MESSAGE naming the problem; a hostile but valid one must be
# linted. Either way the good notebook's finding must still be on stdout, and nothing may
# crash, hang (per-case timeout) or blow up memory (peak RSS per case, measured).
#
#   tests/cli/test_malformed.sh BIN [OUTDIR]
#
# OUTDIR: where the cases are generated (emptied first). Given, it is kept when a case fails so
# the printed commands can be re-run, and its payload files are deleted when all pass. Without
# it, a temporary directory is used and always removed.
#
# Environment:
#   LSTM_LINT_PAYLOAD_MB  size of the big payload cases in MiB (default 500; 50 when CI is set)
#   LSTM_LINT_CASES       comma-separated case names to run (default: all)
set -u
BIN=$1
OUTDIR=${2:-}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac

if [ -n "${LSTM_LINT_PAYLOAD_MB:-}" ]; then
  payload_mb=$LSTM_LINT_PAYLOAD_MB
elif [ -n "${CI:-}" ]; then
  payload_mb=50
else
  payload_mb=500
fi

if [ -n "$OUTDIR" ]; then
  chmod -R u+rwX "$OUTDIR" 2>/dev/null
  rm -rf "$OUTDIR"
  mkdir -p "$OUTDIR" || exit 1
  T=$(cd "$OUTDIR" && pwd)
else
  T=$(mktemp -d "${TMPDIR:-/tmp}/lstm-lint-malformed.XXXXXX")
  trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
fi

"$PY" "$SRC/tests/malformed/make_cases.py" "$T" --payload-mb "$payload_mb" --only "${LSTM_LINT_CASES:-}" >/dev/null ||
  { echo "FAIL make_cases.py"; echo "malformed: 0 passed, 1 failed"; exit 1; }

# A sanitizer build maps shadow memory and quarantines freed blocks: its RSS says nothing about
# the linter's and it cannot run under an address-space limit, so memory checks are off there.
sanitized=0
if grep -q -a -m1 __asan_init "$BIN" 2>/dev/null; then sanitized=1; fi

cd "$T" || exit 1
# Runs one case and checks it. Prints one line "PASS|FAIL|SKIP detail" and, after a FAIL, the
# reasons, one per line. Peak RSS is the linter's own: os.wait4 returns the rusage of that one
# child (GNU time is not needed).
cat > case.py <<'PY'
import json, os, resource, subprocess, sys, time
case, good, binary, sanitized = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
path = case["path"]
if case.get("vm_limit_mb") and sanitized:
    print("SKIP sanitizer build: cannot run under an address-space limit")
    sys.exit(0)

def limit():
    if case.get("vm_limit_mb"):
        size = case["vm_limit_mb"] << 20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

cmd = [binary, "--format", "json", path, good]
start = time.monotonic()
with open("out.json", "wb") as out, open("err.txt", "wb") as err:
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=limit)
    deadline = start + case["timeout"]
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            timed_out = True
            break
        time.sleep(0.01)
    proc.returncode = 0  # reaped here, not by Popen
seconds = time.monotonic() - start
rss_mib = usage.ru_maxrss // 1024
if timed_out:
    rc = 124
elif os.WIFSIGNALED(status):
    rc = 128 + os.WTERMSIG(status)
else:
    rc = os.WEXITSTATUS(status)

problems = []
if timed_out:
    problems.append("timed out after %ss" % case["timeout"])
elif rc >= 128:
    problems.append("crashed: killed by signal %d" % (rc - 128))
stderr = open("err.txt", encoding="utf-8", errors="replace").read()
lines = stderr.splitlines()
prefix = "error: %s: " % path
mine = [l for l in lines if l.startswith(prefix)]
others = [l for l in lines if not l.startswith(prefix)]
if rc < 124:
    message = mine[0][len(prefix):] if mine else None
    if case["expect"] == "error":
        if rc != 2:
            problems.append("exit %d, expected 2" % rc)
        if message is None:
            problems.append("no `%s...` line on stderr" % prefix)
        elif case["message"].lower() not in message.lower():
            problems.append("the message %r does not contain %r" % (message[:300], case["message"]))
    else:
        accepted = case.get("accept_error")
        if message is not None:
            if not (accepted and accepted.lower() in message.lower()):
                problems.append("refused: %r" % message[:300] + (" (a refusal must mention %r)" % accepted if accepted else ""))
            elif rc != 2:
                problems.append("exit %d after an error, expected 2" % rc)
        elif rc != 1:
            problems.append("exit %d, expected 1 (the good notebook's finding)" % rc)
    if message is not None and len(message) > case["max_message_chars"]:
        problems.append("the message is %d characters long (limit %d): %r..." % (len(message), case["max_message_chars"], message[:200]))
    if others:
        problems.append("unexpected stderr: %r" % "\n".join(others)[:400])
if not timed_out:
    try:
        findings = json.load(open("out.json", encoding="utf-8"))
        if not any(f.get("filename") == good and f.get("name") == "out-of-order-execution" for f in findings):
            problems.append("the good notebook's out-of-order-execution finding is missing from stdout")
    except ValueError as e:
        problems.append("stdout is not JSON: %s" % e)
if case.get("max_rss_mb") and not sanitized and rss_mib > case["max_rss_mb"]:
    problems.append("peak RSS %d MiB, limit %d MiB" % (rss_mib, case["max_rss_mb"]))

detail = "exit %d, %.2fs" % (rc, seconds)
if case.get("payload_mb"):
    detail += ", payload %d MiB, peak RSS %d MiB" % (case["payload_mb"], rss_mib)
if case.get("vm_limit_mb"):
    detail += ", ulimit -v %d MiB" % case["vm_limit_mb"]
print(("FAIL " if problems else "PASS ") + detail)
for p in problems:
    print("    " + p)
if problems:
    run = "%s --format json %s %s" % (binary, path, good)
    if case.get("vm_limit_mb"):
        run = "(ulimit -v %d; %s)" % (case["vm_limit_mb"] << 10, run)
    print("    command: cd %s && %s" % (os.getcwd(), run))
    for l in lines[:3]:
        print("    stderr: " + l[:300])
PY

pass=0
fail=0
skip=0
while IFS=$'\x1f' read -r name skip_reason case_json; do
  if [ -n "$skip_reason" ]; then
    echo "SKIP $name ($skip_reason)"
    skip=$((skip + 1))
    continue
  fi
  result=$("$PY" case.py "$case_json" good.ipynb "$BIN" "$sanitized" 2>&1)
  verdict=${result%% *}
  first=${result%%$'\n'*}
  echo "$verdict $name (${first#* })"
  [ "$first" = "$result" ] || printf '%s\n' "${result#*$'\n'}"
  case $verdict in
    PASS) pass=$((pass + 1)) ;;
    SKIP) skip=$((skip + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
done < <("$PY" - manifest.json <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    print("\x1f".join([c["name"], c["skip"] or "", json.dumps(c)]))
PY
)

[ "$sanitized" = 0 ] || echo "note: sanitizer build: memory limits not checked"
if [ -n "$OUTDIR" ]; then
  if [ "$fail" -eq 0 ]; then rm -f "$T"/cases/payload_*.ipynb; else echo "cases kept in $T"; fi
fi
echo "malformed: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
