#!/usr/bin/env python3
"""Lint a corpus on a Dask cluster: N shard jobs, each running the lstm-lint binary.

Every job runs `lstm-lint --shard K/N --format json-lines ARGS...` on a worker (which must see
the same paths, e.g. a shared file system, and have lstm-lint), the driver gathers the
json-lines outputs in shard order and writes them as one json-lines stream, which
`lstm-lint stats merge` (or --statistics here) turns into the whole run's statistics.

  python3 contrib/dask/lint.py --local-workers 2 -- /data/notebooks          # a LocalCluster
  python3 contrib/dask/lint.py --scheduler tcp://head:8786 --shards 64 -- /data/notebooks

Exit status as lstm-lint's: 2 if a shard failed or a file could not be linted, 1 with
findings, else 0. Throughput goes to stderr. Debian: python3-distributed. docs/scale.md.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def lint_shard(binary, k, n, args):
    """Runs on a worker: one shard, its json-lines output, stderr and exit status."""
    cmd = [binary, "--shard", "%d/%d" % (k, n), "--format", "json-lines", *args]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return k, done.returncode, done.stdout, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lstm-lint", default=shutil.which("lstm-lint") or "lstm-lint",
                        help="the lstm-lint binary, as the workers see it (default: lstm-lint on PATH)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--local-workers", type=int, default=2, help="start a LocalCluster with this many worker processes")
    parser.add_argument("--shards", type=int, help="number of shard jobs (default: 4 per worker)")
    parser.add_argument("-o", "--output", help="write the merged json-lines here (default: stdout)")
    parser.add_argument("--statistics", action="store_true", help="print the merged statistics instead of json-lines")
    parser.add_argument("args", nargs="*", help="lstm-lint's own options and paths (after --)")
    opts = parser.parse_args()

    from dask.distributed import Client, LocalCluster  # Debian: python3-distributed

    binary = os.path.abspath(opts.lstm_lint) if os.path.exists(opts.lstm_lint) else opts.lstm_lint
    cluster = None
    if opts.scheduler:
        client = Client(opts.scheduler)
    else:
        # One thread per worker process: each job is a process of its own anyway.
        cluster = LocalCluster(n_workers=opts.local_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        workers = max(1, len(client.scheduler_info()["workers"]))
        n = opts.shards or 4 * workers
        start = time.perf_counter()
        futures = [client.submit(lint_shard, binary, k, n, opts.args, pure=False) for k in range(1, n + 1)]
        outputs = sorted(client.gather(futures))
        elapsed = time.perf_counter() - start
    finally:
        client.close()
        if cluster:
            cluster.close()

    status = 0
    files = 0
    for k, rc, out, err in outputs:
        sys.stderr.write(err.decode(errors="replace"))
        if rc not in (0, 1):
            status = 2
        elif rc == 1 and status == 0:
            status = 1
        last = out.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        if b'"type":"summary"' in last:
            files += json.loads(last)["files"]
    merged = b"".join(out for _, _, out, _ in outputs)
    sys.stderr.write("dask: %d shards on %d workers: %d notebooks in %.2f s (%.0f notebooks/s)\n"
                     % (n, workers, files, elapsed, files / elapsed if elapsed else 0))
    if opts.statistics:
        done = subprocess.run([binary, "stats", "merge", "/dev/stdin"], input=merged, stdout=subprocess.PIPE)
        sys.stdout.buffer.write(done.stdout)
        return status if done.returncode == 0 else 2
    if opts.output:
        with open(opts.output, "wb") as f:
            f.write(merged)
    else:
        sys.stdout.buffer.write(merged)
    return status


if __name__ == "__main__":
    sys.exit(main())
