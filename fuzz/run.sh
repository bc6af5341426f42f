#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...]
#
# Builds the clang fuzz build (build-fuzz/, configured on first use), seeds each target from
# fixtures/**/*.ipynb and ../shared/corpus/notebooks/*.ipynb, replays fuzz/regressions/<target>/,
# then fuzzes each target for SECONDS (default 60). Work files (corpus, seeds, logs,
# artifacts) live in $LSTM_LINT_FUZZ_WORK (default /tmp/lstm-lint-fuzz/<target>), never in the
# repository. A new crash, timeout, leak or OOM is minimised and saved to
# fuzz/regressions/<target>/ unless a saved input already fails the same way.
# Exits 1 if a regression input fails or a new failure was found, 2 on a usage/setup error.
#
# Environment:
#   LSTM_LINT_FUZZ_BUILD       build directory (default: <repo>/build-fuzz)
#   LSTM_LINT_FUZZ_WORK        work directory (default: /tmp/lstm-lint-fuzz)
#   LSTM_LINT_CORPUS           shared corpus (default: <repo>/../shared/corpus; optional)
#   LSTM_LINT_FUZZ_KEEP_GOING  1: libFuzzer fork mode, keep fuzzing after a failure
#   LSTM_LINT_FUZZ_MINIMIZE    seconds to minimise a new crash input (default 60; 0: off)
#   LSTM_LINT_FUZZ_TIMEOUT     seconds one input may take before it counts as a hang (default 10;
#                              raise it on a loaded machine, where wall time is not CPU time)
#   LSTM_LINT_FUZZ_CPU_SECONDS stop a target once it has used this much CPU time (user + system,
#                              fork-mode jobs included), whatever SECONDS says; 0: off (default)
set -euo pipefail

all_targets=(fuzz_notebook_loader fuzz_magic_masking fuzz_static_analysis fuzz_lsp_reader)
usage() {
  echo "usage: fuzz/run.sh [SECONDS] [TARGET...]   targets: ${all_targets[*]}" >&2
  exit 2
}

seconds=60
if [ $# -gt 0 ]; then
  [[ "$1" =~ ^[0-9]+$ ]] || usage
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || usage
done

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$root/fuzz
build=${LSTM_LINT_FUZZ_BUILD:-$root/build-fuzz}
work=${LSTM_LINT_FUZZ_WORK:-/tmp/lstm-lint-fuzz}
shared=${LSTM_LINT_CORPUS:-$root/../shared/corpus}
keep_going=${LSTM_LINT_FUZZ_KEEP_GOING:-0}
minimize=${LSTM_LINT_FUZZ_MINIMIZE:-60}
timeout=${LSTM_LINT_FUZZ_TIMEOUT:-10}
cpu_limit=${LSTM_LINT_FUZZ_CPU_SECONDS:-0}
[[ "$timeout" =~ ^[0-9]+$ && "$cpu_limit" =~ ^[0-9]+$ ]] || usage
mkdir -p "$work"

max_len() {
  case $1 in
    fuzz_notebook_loader) echo $((1024 * 1024)) ;;
    *) echo $((64 * 1024)) ;;
  esac
}
dict() {
  case $1 in
    fuzz_notebook_loader) echo "$fuzz_dir/dicts/notebook.dict" ;;
    fuzz_lsp_reader) echo "$fuzz_dir/dicts/lsp.dict" ;;
    *) echo "$fuzz_dir/dicts/python.dict" ;;
  esac
}

# ---- build -------------------------------------------------------------------------------
if ! grep -q 'add_subdirectory(fuzz)' "$root/CMakeLists.txt"; then
  echo "fuzz/run.sh: the top-level CMakeLists.txt has no LSTM_LINT_FUZZ option / add_subdirectory(fuzz);" >&2
  echo "see fuzz/README.md" >&2
  exit 2
fi
(
  flock 9  # several run.sh at once share one build
  if [ ! -f "$build/CMakeCache.txt" ]; then
    probe=$(mktemp -d)
    echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
    if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err"; then
      cat "$probe/err" >&2
      echo "fuzz/run.sh: clang++ cannot link libFuzzer; install it with: apt-get install -y clang libclang-rt-14-dev" >&2
      exit 2
    fi
    rm -rf "$probe"
    echo "== configuring $build (clang, LSTM_LINT_FUZZ=ON)"
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DLSTM_LINT_FUZZ=ON -DLSTM_LINT_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  echo "== building ${targets[*]}"
  if ! cmake --build "$build" -j"$(nproc)" --target fuzz_seed "${targets[@]}" >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log" >&2
    echo "fuzz/run.sh: build failed (log: $work/build.log)" >&2
    exit 2
  fi
) 9>"$work/.build.lock"

# Appended last so they win: undefined behaviour must stop the target even where it was
# compiled recoverable (no -fno-sanitize-recover), or libFuzzer never sees it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
common=(-rss_limit_mb=2048 -timeout="$timeout")

# ---- seeds -------------------------------------------------------------------------------
# fuzz_lsp_reader's seeds: a first byte (the chunk size) then framed LSP messages.
lsp_frame() { printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1"; }
lsp_seed() {
  local init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}'
  local open='{"jsonrpc":"2.0","method":"notebookDocument/didOpen","params":{"notebookDocument":{"uri":"file:///t.ipynb","notebookType":"jupyter-notebook","version":1,"cells":[{"kind":2,"document":"c1","executionSummary":{"executionOrder":2}},{"kind":2,"document":"c2","executionSummary":{"executionOrder":1}}]},"cellTextDocuments":[{"uri":"c1","languageId":"python","version":1,"text":"import torch\nlstm = torch.nn.LSTM(1, 4)"},{"uri":"c2","languageId":"python","version":1,"text":"h = None\nfor x in range(3):\n    out, h = lstm(x, h)"}]}}'
  local change='{"jsonrpc":"2.0","method":"notebookDocument/didChange","params":{"notebookDocument":{"uri":"file:///t.ipynb","version":2},"change":{"cells":{"structure":{"array":{"start":1,"deleteCount":1,"cells":[{"kind":2,"document":"c3"}]},"didOpen":[{"uri":"c3","languageId":"python","version":1,"text":"x = 1"}],"didClose":[{"uri":"c2"}]},"textContent":[{"document":{"uri":"c1","version":2},"changes":[{"range":{"start":{"line":1,"character":4},"end":{"line":1,"character":9}},"text":"rnn"}]}]}}}}'
  local text='{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///t.py","languageId":"python","version":1,"text":"# %%\nimport torch\n# %% [markdown]\n# hi\n"}}}'
  local action='{"jsonrpc":"2.0","id":2,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"c1"},"range":{"start":{"line":0,"character":0},"end":{"line":9,"character":0}},"context":{"diagnostics":[]}}}'
  { printf '\x07'; lsp_frame "$init"; lsp_frame '{"jsonrpc":"2.0","method":"initialized","params":{}}'; lsp_frame "$open"; lsp_frame "$change"
    lsp_frame "$text"; lsp_frame "$action"; lsp_frame '{"jsonrpc":"2.0","id":3,"method":"shutdown"}'; } >"$1/session"
  { printf '\x01'; lsp_frame "$init"; printf 'Content-Length: 5\r\n\r\n{"a":'; printf 'X-Bad\r\n\r\n'; lsp_frame '[1]'; } >"$1/broken"
  head -c 300 "$1/session" >"$1/truncated"
}
notebooks=()
while IFS= read -r -d '' f; do notebooks+=("$f"); done < <(find "$root/fixtures" -name '*.ipynb' -print0 | sort -z)
if [ -d "$shared/notebooks" ]; then
  while IFS= read -r -d '' f; do notebooks+=("$f"); done < <(find "$shared/notebooks" -maxdepth 1 -name '*.ipynb' -print0 | sort -z)
fi
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  rm -rf "$work/$t/seeds"
  mkdir -p "$work/$t/seeds"
done
tmp_seeds=$(mktemp -d "$work/.seeds.XXXXXX")
mkdir -p "$tmp_seeds/mask" "$tmp_seeds/analysis"
"$build/fuzz/fuzz_seed" "$tmp_seeds/mask" "$tmp_seeds/analysis" "${notebooks[@]}"
for t in "${targets[@]}"; do
  case $t in
    fuzz_notebook_loader)
      i=0
      for nb in "${notebooks[@]}"; do cp "$nb" "$work/$t/seeds/$((i++)).ipynb"; done ;;
    fuzz_magic_masking) cp "$tmp_seeds/mask/." "$work/$t/seeds/" -r ;;
    fuzz_static_analysis) cp "$tmp_seeds/analysis/." "$work/$t/seeds/" -r ;;
    fuzz_lsp_reader)  # a session as a client sends it, whole and cut short
      lsp_seed "$work/$t/seeds" ;;
  esac
  echo "== $t: $(ls "$work/$t/seeds" | wc -l) seeds, $(ls "$work/$t/corpus" | wc -l) corpus inputs in $work/$t"
done
rm -rf "$tmp_seeds"

# ---- CPU time ----------------------------------------------------------------------------
# CPU seconds (user + system) of a process and all its descendants, live and reaped, from
# /proc (fork mode runs each job as a grandchild, under sh).
tree_ticks() {
  local ticks=0 f c
  f=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  f=${f##*) }  # the fields after the command name, which may hold spaces
  read -r -a v <<<"$f"
  ticks=$((v[11] + v[12] + v[13] + v[14]))  # utime stime cutime cstime
  for c in $(pgrep -P "$1" 2>/dev/null); do ticks=$((ticks + $(tree_ticks "$c"))); done
  echo "$ticks"
}
tree_cpu() { echo $(( $(tree_ticks "$1") / $(getconf CLK_TCK) )); }
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
# CPU seconds used by this shell's finished children so far: bash's `times` (second line),
# written to a file because a command substitution would run it in a fresh subshell.
children_cpu() {
  times >"$work/.times"
  tail -1 "$work/.times" | awk '{ s = 0
    for (i = 1; i <= NF; i++) { split($i, b, "m"); sub("s", "", b[2]); s += b[1] * 60 + b[2] }
    printf "%d\n", s }'
}

# ---- failure signatures ------------------------------------------------------------------
# One line naming a failure, to tell a new bug from one already saved: the sanitizer's
# SUMMARY, the broken invariant, or the first frame in lstm-lint's code.
signature() {
  local log=$1 s
  s=$(grep -m1 -o 'INVARIANT FAILED: .*' "$log" | sed 's/ -- .*//') && { echo "$s"; return; }
  s=$(grep -m1 '^SUMMARY: ' "$log" | sed -E 's/0x[0-9a-f]+//g; s/\(.*\+//; s/[()]//g') && [ -n "$s" ] && { echo "$s"; return; }
  grep -q 'ERROR: libFuzzer: timeout' "$log" && { echo "timeout"; return; }
  grep -q 'out-of-memory' "$log" && { echo "out-of-memory"; return; }
  s=$(grep -m1 -E '^ +#[0-9]+ .* in (lstmlint|fuzzing)::' "$log" | sed -E 's/.* in //; s/ \/.*//') && [ -n "$s" ] && { echo "crash in $s"; return; }
  echo "unknown failure"
}

status=0
summary=()

for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  w=$work/$t
  regress=$fuzz_dir/regressions/$t
  mkdir -p "$regress"

  # ---- replay saved regression inputs --------------------------------------------------
  known=()
  replay_failed=0
  for f in "$regress"/*; do
    [ -f "$f" ] || continue
    case $(basename "$f") in README* | *.md) continue ;; esac
    input=$f
    if [[ $f == *.gz ]]; then  # inputs too big to keep as they are (over the loader's 8 MiB string cap)
      input=$w/replay.input
      gzip -dc "$f" >"$input"
    fi
    # A saved input is about correctness: a loaded machine must not turn it into a timeout.
    if "$bin" -rss_limit_mb=2048 -timeout=300 "$input" >"$w/replay.log" 2>&1; then
      echo "== $t: regression $(basename "$f") passes"
    else
      sig=$(signature "$w/replay.log")
      known+=("$sig")
      replay_failed=$((replay_failed + 1))
      echo "== $t: REGRESSION FAILS: $(basename "$f"): $sig"
      grep -E 'INVARIANT FAILED|^SUMMARY|ERROR: (Address|libFuzzer|UndefinedBehavior)|runtime error' "$w/replay.log" | head -3 | sed 's/^/     /'
      status=1
    fi
  done

  # ---- fuzz ----------------------------------------------------------------------------
  ls "$w/artifacts" >"$w/artifacts.before" 2>/dev/null || true
  opts=("${common[@]}" -max_len="$(max_len "$t")" -max_total_time="$seconds" -print_final_stats=1
        -dict="$(dict "$t")" -artifact_prefix="$w/artifacts/")
  [ "$keep_going" = 1 ] && opts+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  if [ "$cpu_limit" -gt 0 ]; then
    echo "== $t: fuzzing until ${cpu_limit} CPU seconds or ${seconds}s (log: $w/fuzz.log)"
  else
    echo "== $t: fuzzing for ${seconds}s (log: $w/fuzz.log)"
  fi
  children_cpu >"$work/.cpu_before"
  wall_before=$SECONDS
  set +e
  "$bin" "${opts[@]}" "$w/corpus" "$w/seeds" >"$w/fuzz.log" 2>&1 &
  fuzz_pid=$!
  interrupted=0
  if [ "$cpu_limit" -gt 0 ]; then
    while kill -0 "$fuzz_pid" 2>/dev/null; do
      sleep 5
      if [ "$(tree_cpu "$fuzz_pid")" -ge "$cpu_limit" ]; then
        interrupted=1
        # SIGINT: a background job of a script ignores it, and fork mode does not pass it on.
        kill -TERM $(descendants "$fuzz_pid") "$fuzz_pid" 2>/dev/null
        break
      fi
    done
  fi
  wait "$fuzz_pid"
  rc=$?
  set -e
  # libFuzzer exits 72 when interrupted; that is the CPU limit doing its job.
  if [ $interrupted = 1 ] && [ $rc -eq 72 ]; then rc=0; fi
  children_cpu >"$work/.cpu_after"
  cpu_used=$(( $(cat "$work/.cpu_after") - $(cat "$work/.cpu_before") ))
  wall_used=$(( SECONDS - wall_before ))

  # Fork mode's jobs print their own final stats; its own "#N:" lines count them all.
  execs=
  [ "$keep_going" = 1 ] || execs=$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$w/fuzz.log" | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$w/fuzz.log" | tail -1 | tr -d '#')
  covft=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$w/fuzz.log" | tail -1 || true)

  # ---- new failures --------------------------------------------------------------------
  # Files new in artifacts/ (fork mode writes them from its jobs) and any named in the log
  # (a failure that reproduces an input already there).
  new=()
  while IFS= read -r a; do
    [ -n "$a" ] && [ -f "$w/artifacts/$a" ] && new+=("$a")
  done < <({ comm -13 <(sort "$w/artifacts.before") <(ls "$w/artifacts" | sort)
             grep -o 'Test unit written to .*' "$w/fuzz.log" | sed 's/.*\///'; } |
           grep -E '^(crash|timeout|leak|oom)-' | sort -u || true)
  saved=0
  for a in "${new[@]}"; do
    input=$w/artifacts/$a
    "$bin" "${common[@]}" "$input" >"$w/crash.log" 2>&1 && { echo "== $t: $a does not reproduce; kept in $w/artifacts"; continue; }
    sig=$(signature "$w/crash.log")
    dup=0
    for k in "${known[@]+"${known[@]}"}"; do [ "$k" = "$sig" ] && dup=1; done
    if [ $dup = 1 ]; then
      echo "== $t: $a: $sig (already saved)"
      continue
    fi
    known+=("$sig")
    status=1
    if [ "$minimize" -gt 0 ] && [[ $a == crash-* || $a == leak-* ]] && [ "$(stat -c %s "$input")" -gt 256 ]; then
      "$bin" "${common[@]}" -minimize_crash=1 -max_total_time="$minimize" \
        -exact_artifact_path="$input.min" "$input" >"$w/minimize.log" 2>&1 || true
      if [ -s "$input.min" ] && ! "$bin" "${common[@]}" "$input.min" >/dev/null 2>&1; then input=$input.min; fi
    fi
    dest=$regress/${a%%-*}-$(sha1sum "$input" | cut -c1-16)
    cp "$input" "$dest"
    saved=$((saved + 1))
    echo "== $t: NEW FAILURE: $sig"
    echo "     saved $(stat -c %s "$dest") bytes to ${dest#"$root"/}; log: $w/crash.log"
    grep -E 'INVARIANT FAILED|^SUMMARY|ERROR: (Address|libFuzzer|UndefinedBehavior)|runtime error| in lstmlint::' "$w/crash.log" | head -8 | sed 's/^/     /'
  done
  if [ $rc -ne 0 ] && [ ${#new[@]} -eq 0 ]; then
    echo "== $t: libFuzzer exited with $rc and left no artifact; see $w/fuzz.log" >&2
    tail -20 "$w/fuzz.log" >&2
    status=1
  fi
  summary+=("$(printf '%-22s cpu %6ss wall %6ss execs %-10s %-24s corpus %-6s new failures %d, failing regressions %d' \
    "$t" "$cpu_used" "$wall_used" "${execs:-?}" "${covft:-cov: ? ft: ?}" "$(ls "$w/corpus" | wc -l)" "$saved" "$replay_failed")")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
