#!/usr/bin/python3
"""Corpus-scale figures (docs/scale.md), printed, never asserted:
  - the content cache: first run (empty cache) against a second run over the unchanged corpus;
  - lstm-lint -j1 against -j2 (threads in one process);
  - contrib/dask/lint.py on a LocalCluster of 1 and of 2 worker processes (each shard job -j1),
    the cluster's start-up excluded (the driver times submit to gather).

Usage: /usr/bin/python3 bench/scale.py [BUILD_DIR] [CORPUS_DIR] [RUNS]
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build")
corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "shared", "corpus")
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
lint = os.path.abspath(os.path.join(build, "lstm-lint"))
notebooks = os.path.join(corpus, "notebooks")
n = len([f for f in os.listdir(notebooks) if f.endswith(".ipynb")])


def wall(cmd, **kw):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **kw)
    return time.perf_counter() - start


tmp = tempfile.mkdtemp()
try:
    cache = os.path.join(tmp, "cache")
    first, second = [], []
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        first.append(wall([lint, "--cache-dir", cache, "--exit-zero", notebooks]))
        second.append(wall([lint, "--cache-dir", cache, "--exit-zero", notebooks]))
    nocache = statistics.median(wall([lint, "--no-cache", "--exit-zero", notebooks]) for _ in range(runs))
    f, s = statistics.median(first), statistics.median(second)
    print("corpus: %d notebooks, median of %d runs" % (n, runs))
    print("no cache:           %.3f s  (%.0f notebooks/s)" % (nocache, n / nocache))
    print("cache, first run:   %.3f s  (%.0f notebooks/s; hashing and writing every entry)" % (f, n / f))
    print("cache, second run:  %.3f s  (%.0f notebooks/s)" % (s, n / s))
    print("second run over the unchanged corpus is %.1fx faster than the first" % (f / s))

    j = {k: statistics.median(wall([lint, "--no-cache", "--exit-zero", "-j%d" % k, notebooks]) for _ in range(runs)) for k in (1, 2)}
    print("threads: -j1 %.0f notebooks/s, -j2 %.0f notebooks/s (%.2fx; %d cores)" % (n / j[1], n / j[2], j[1] / j[2], os.cpu_count()))

    driver = os.path.join(here, "..", "contrib", "dask", "lint.py")
    rate = {}
    for workers in (1, 2):
        rates = []
        for _ in range(max(1, runs // 2)):
            done = subprocess.run([sys.executable, driver, "--lstm-lint", lint, "--local-workers", str(workers), "--shards", "8",
                                   "--", "--no-cache", "-j1", notebooks], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            m = re.search(rb"\(([0-9]+) notebooks/s\)", done.stderr)
            if m:
                rates.append(int(m.group(1)))
        rate[workers] = statistics.median(rates) if rates else 0
    print("dask LocalCluster, 8 shards, each -j1: 1 worker %.0f notebooks/s, 2 workers %.0f notebooks/s (%.2fx)"
          % (rate[1], rate[2], rate[2] / rate[1] if rate[1] else 0))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
