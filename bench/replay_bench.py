#!/usr/bin/env python3
"""Replay costs: the one-time LibTorch load of lstm-lint-replay (median of several starts on an
empty experiment list: wall time, the executable's own load_seconds, peak RSS) and the median
CPU seconds of each experiment at default sizes, on the spec that confirms it.

Usage: /usr/bin/python3 bench/replay_bench.py [BUILD_DIR] [RUNS]"""
import json
import os
import statistics
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
EXE = os.path.join(BUILD, "lstm-lint-replay")

# The confirming spec of each experiment (defaults otherwise); see tests/replay/test_replay.py.
CONFIRMING = {
    "state-not-detached": {},
    "state-never-reset": {},
    "weights-reinit-as-reset": {"reinit": "per_batch"},
    "hidden-batch-size-mismatch": {"dataset_length": 1000},
    "batch-first-mismatch": {"data_layout": "batch_time_feature"},
    "view-swaps-axes": {},
    "input-size-mismatch": {"data_features": 24},
    "stale-optimizer": {},
    "shuffled-timesteps": {"shuffle": True},
    "keras-stateful-shuffle": {"shuffle": True},
    "keras-stateful-no-reset": {},
    "out-of-order-execution": {"saved_first_loss": 0.001},
    "training-resumed-on-stale-model": {"saved_first_loss": 0.001},
}


def start(doc):
    """Runs the executable once; returns (wall seconds, parsed output)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([EXE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(json.dumps(doc).encode())
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"lstm-lint-replay failed ({p.returncode}): {err.decode()[-500:]}")
    return wall, json.loads(out)


def peak_rss_mib(doc):
    pid = os.fork()
    if pid == 0:
        r, w = os.pipe()
        os.write(w, json.dumps(doc).encode())
        os.close(w)
        os.dup2(r, 0)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(EXE, [EXE])
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss / 1024


def main():
    if not os.path.exists(EXE):
        sys.exit(f"{EXE} is not built (needs LibTorch: apt-get install libtorch-dev)")
    empty = {"version": 1, "experiments": []}
    full = {"version": 1, "budget_seconds": 60,
            "experiments": [{"id": r, "rule": r, "spec": s} for r, s in CONFIRMING.items()]}
    start(empty)  # warm the page cache
    walls, loads, cpu, secs, verdicts = [], [], {}, {}, {}
    for _ in range(RUNS):  # interleaved: an empty start, then one run of every experiment
        wall, out = start(empty)
        walls.append(wall)
        loads.append(out["load_seconds"])
        _, out = start(full)
        for r in out["results"]:
            cpu.setdefault(r["rule"], []).append(r["cpu_seconds"])
            secs.setdefault(r["rule"], []).append(r["seconds"])
            verdicts.setdefault(r["rule"], set()).add(r["verdict"])
    rss = statistics.median(peak_rss_mib(empty) for _ in range(3))
    rss_full = peak_rss_mib(full)
    print(f"lstm-lint-replay, LibTorch {out['torch']}, {RUNS} runs, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"load (empty request): wall {statistics.median(walls):.3f} s median "
          f"(min {min(walls):.3f}), load_seconds {statistics.median(loads):.3f} s, peak RSS {rss:.0f} MiB")
    print(f"{'experiment (default sizes, confirming spec)':46} {'cpu s':>7} {'wall s':>7}  verdict")
    for rule in CONFIRMING:
        print(f"{rule:46} {statistics.median(cpu[rule]):7.3f} {statistics.median(secs[rule]):7.3f}  "
              f"{'/'.join(sorted(verdicts[rule]))}")
    medians = [statistics.median(v) for v in cpu.values()]
    print(f"median over experiments {statistics.median(medians):.3f} s CPU, max {max(medians):.3f} s, "
          f"all {len(medians)} together {sum(medians):.2f} s; peak RSS running all {rss_full:.0f} MiB")


if __name__ == "__main__":
    main()
