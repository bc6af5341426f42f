#!/usr/bin/python3
"""cli.scale.dask: contrib/dask/lint.py on a LocalCluster of 2 worker processes over the
shared corpus; the union of the shards' findings equals a single-process run, finding for
finding, every notebook counted once. Exit 77 without the corpus.

Usage: test_dask.py LSTM_LINT SOURCE_DIR CORPUS_DIR"""
import collections
import json
import os
import subprocess
import sys
import tempfile

binary, source, corpus = sys.argv[1], sys.argv[2], os.path.join(sys.argv[3], "notebooks")
if not os.path.isdir(corpus):
    print("corpus not found at %s: skipped" % corpus)
    sys.exit(77)
driver = os.path.join(source, "contrib", "dask", "lint.py")
failures = []


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        failures.append(name)


def records(data):
    return [json.loads(line) for line in data.decode().splitlines()]


with tempfile.TemporaryDirectory() as tmp:
    # Every rule (opt-in ones too), so that there are many findings to compare.
    single = subprocess.run([binary, "--no-cache", "--select", "ALL", "-j1", "--format", "json-lines", corpus],
                            stdout=subprocess.PIPE, cwd=tmp)
    check("single run exits 1 (findings)", single.returncode == 1)
    dask = subprocess.run([sys.executable, driver, "--lstm-lint", binary, "--local-workers", "2", "--shards", "6",
                           "--", "--no-cache", "--select", "ALL", "-j1", corpus], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=tmp, timeout=50)
    sys.stderr.write(dask.stderr.decode(errors="replace")[-2000:])
    check("dask run exits 1 (findings)", dask.returncode == 1)
    whole, parts = records(single.stdout), records(dask.stdout)
    key = lambda r: json.dumps(r, sort_keys=True)
    findings = lambda rs: [key(r) for r in rs if r["type"] != "summary"]
    summaries = [r for r in parts if r["type"] == "summary"]
    check("one summary per shard", len(summaries) == 6)
    check("shards count every notebook once", sum(s["files"] for s in summaries) == whole[-1]["files"] == len(os.listdir(corpus)))
    check("the corpus has findings to compare", len(findings(whole)) > 50)
    check("union of shards equals the single run, finding for finding",
          collections.Counter(findings(parts)) == collections.Counter(findings(whole)))
    by_rule = collections.Counter()
    for s in summaries:
        by_rule.update(s["by_rule"])
    check("per-rule counts add up", dict(by_rule) == whole[-1]["by_rule"])
    # Files with findings appear in one shard only.
    seen = collections.defaultdict(set)
    shard = 0
    for r in parts:
        if r["type"] == "summary":
            shard += 1
        else:
            seen[r["filename"]].add(shard)
    check("no file in two shards", all(len(s) == 1 for s in seen.values()))
    check("throughput reported", b"notebooks/s" in dask.stderr)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
