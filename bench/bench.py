#!/usr/bin/env python3
"""Benchmarks lstm-lint on the shared corpus and prints figures (no pass/fail).

Usage: /usr/bin/python3 bench/bench.py [BUILD_DIR] [CORPUS_DIR] [RUNS]
Prints, from one run: notebooks/s and MB/s for lstm-lint and for the parse floor (read +
JSON parse + tree-sitter parse of every code cell), their ratio, the start-up time of
`lstm-lint --version`, and peak memory (max RSS) of `--version` and of the corpus run.
"""
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
lint = os.path.join(build, "lstm-lint")
floor = os.path.join(build, "bench", "parse_floor")
files = sorted(glob.glob(os.path.join(corpus, "notebooks", "*.ipynb")))
if not files:
    sys.exit(f"no notebooks under {corpus}/notebooks")
total_bytes = sum(os.path.getsize(f) for f in files)


def rss_of(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_maxrss  # KiB on Linux


cores = os.cpu_count() or 1
lint_times, parallel_times, floor_times = [], [], []
for _ in range(runs):  # interleaved, so machine noise hits all alike
    start = time.perf_counter()
    subprocess.run([lint, "-q", "--exit-zero", "-j", "1", *files], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lint_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    subprocess.run([lint, "-q", "--exit-zero", "-j", str(cores), *files], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parallel_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    subprocess.run([floor, *files], stdout=subprocess.DEVNULL)
    floor_times.append(time.perf_counter() - start)

startup = []
for _ in range(max(30, runs)):
    start = time.perf_counter()
    subprocess.run([lint, "--version"], stdout=subprocess.DEVNULL)
    startup.append(time.perf_counter() - start)

lint_med, floor_med = statistics.median(lint_times), statistics.median(floor_times)
mb = total_bytes / 1e6
print(f"corpus: {len(files)} notebooks, {mb:.1f} MB; {runs} interleaved runs, medians (min-max)")
par_med = statistics.median(parallel_times)
print(f"lstm-lint -j1 : {len(files) / lint_med:8.1f} notebooks/s  {mb / lint_med:6.1f} MB/s  "
      f"{lint_med * 1000:7.1f} ms ({min(lint_times) * 1000:.1f}-{max(lint_times) * 1000:.1f})")
print(f"lstm-lint -j{cores} : {len(files) / par_med:8.1f} notebooks/s  {mb / par_med:6.1f} MB/s  "
      f"{par_med * 1000:7.1f} ms ({min(parallel_times) * 1000:.1f}-{max(parallel_times) * 1000:.1f}); "
      f"speed-up {lint_med / par_med:.2f}x on {cores} cores")
print(f"parse floor   : {len(files) / floor_med:8.1f} notebooks/s  {mb / floor_med:6.1f} MB/s  "
      f"{floor_med * 1000:7.1f} ms ({min(floor_times) * 1000:.1f}-{max(floor_times) * 1000:.1f})")
print(f"ratio (lstm-lint -j1 throughput / floor throughput): {floor_med / lint_med:.2f}x  (goal >= 0.6x)")
print(f"start-up (lstm-lint --version): median {statistics.median(startup) * 1000:.2f} ms "
      f"(min {min(startup) * 1000:.2f}, max {max(startup) * 1000:.2f}) over {len(startup)} runs  (goal <= 10 ms)")
print(f"peak memory: --version {rss_of([lint, '--version']) / 1024:.1f} MiB; "
      f"whole corpus {rss_of([lint, '-q', '--exit-zero', *files]) / 1024:.1f} MiB; "
      f"largest notebook ({max(os.path.getsize(f) for f in files) / 1e6:.1f} MB) "
      f"{rss_of([lint, '-q', '--exit-zero', max(files, key=os.path.getsize)]) / 1024:.1f} MiB")
