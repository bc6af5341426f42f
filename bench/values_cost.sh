#!/usr/bin/env bash
# What the value-flow model costs: the corpus linted with and without it, interleaved runs in
# one go, medians printed. Usage: bench/values_cost.sh [BINARY] [CORPUS] [RUNS]
set -euo pipefail
bin=${1:-build/lstm-lint}
corpus=${2:-../shared/corpus/notebooks}
runs=${3:-7}
python3 - "$bin" "$corpus" "$runs" <<'P'
import os, statistics, subprocess, sys, time
binary, corpus, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def once(env):
    start = time.perf_counter()
    subprocess.run([binary, "--isolated", "--no-cache", "--exit-zero", "-j1", corpus], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start
with_model, without = [], []
for _ in range(runs):
    without.append(once(dict(os.environ, LSTM_LINT_NO_VALUES="1")))
    with_model.append(once(dict(os.environ)))
a, b = statistics.median(without), statistics.median(with_model)
print(f"corpus, one job, {runs} interleaved runs: without the value-flow model {a:.3f} s, with it {b:.3f} s "
      f"(median), ratio {b / a:.2f}")
P
