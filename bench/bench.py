#!/usr/bin/env python3
"""Benchmarks lstm-lint on the shared corpus and prints figures (no pass/fail).

Usage: /usr/bin/python3 bench/bench.py [BUILD_DIR] [CORPUS_DIR] [RUNS]
Prints, from one run: notebooks/s and MB/s for lstm-lint and for the parse floor (read +
JSON parse + tree-sitter parse of every code cell), their ratio, JSON alone (a plain DOM
parse against lstm-lint's streaming loader, which skips output payloads unread), the
start-up time of `lstm-lint --version`, and peak memory (max RSS) of `--version`, of the
corpus run, of its largest notebook and of generated notebooks with one huge output.

Under valgrind (callgrind), lstm-lint -j1 and the floor also get instruction counts, which do
not move with machine noise (LSTM_LINT_BENCH_INSTRUCTIONS=0 skips them; about a minute).
LSTM_LINT_BENCH_BIG_MB sets the size of the generated notebooks (default 500 MiB; 0 skips
them); they are written by tests/malformed/make_cases.py to a temporary directory (or
LSTM_LINT_BENCH_TMP) and deleted afterwards.
"""
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def measure(cmd):
    """Wall seconds and peak RSS (MiB) of one run of cmd (forked here, to read its rusage)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    _, _, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def rss_of(cmd):
    return measure(cmd)[1]


def run(cmd):
    """Wall seconds and CPU seconds (user + system) of one run of cmd. subprocess starts it
    with vfork/posix_spawn, far cheaper than forking this interpreter, so short runs are fair."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(cmd):
    return run(cmd)[0]


def spread(values, scale=1000.0, digits=1):
    return f"{min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f}"


def instructions(cmd):
    """Instructions executed by cmd under valgrind (callgrind): the same count run after run,
    whatever else the machine is doing, where wall and CPU time on a shared VM are not."""
    out = tempfile.NamedTemporaryFile(prefix="lstm-lint-bench-cg-", delete=False)
    out.close()
    try:
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in r.stderr.splitlines():
            if "Collected :" in line:
                return int(line.split(":")[-1])
        return None
    finally:
        os.unlink(out.name)


cores = os.cpu_count() or 1
load_only = os.path.join(build, "bench", "load_only")
lint_times, parallel_times, floor_times, dom_times, stream_times = [], [], [], [], []
lint_cpu, floor_cpu = [], []
for _ in range(runs):  # interleaved, so machine noise hits all alike
    wall, cpu = run([lint, "--no-cache", "-q", "--exit-zero", "-j", "1", *files])
    lint_times.append(wall)
    lint_cpu.append(cpu)
    parallel_times.append(timed([lint, "--no-cache", "-q", "--exit-zero", "-j", str(cores), *files]))
    wall, cpu = run([floor, *files])
    floor_times.append(wall)
    floor_cpu.append(cpu)
    dom_times.append(timed([floor, "--json-only", *files]))
    stream_times.append(timed([load_only, "1", *files]))

demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "sine_forecast.ipynb")
startup, one_notebook, exec_floor = [], [], []
for _ in range(max(30, runs)):
    startup.append(timed([lint, "--version"]))
    one_notebook.append(timed([lint, "--no-cache", "--exit-zero", demo]))
    exec_floor.append(timed(["/bin/true"]))  # what starting any process costs on this machine

lint_med, floor_med = statistics.median(lint_times), statistics.median(floor_times)
mb = total_bytes / 1e6
print(f"corpus: {len(files)} notebooks, {mb:.1f} MB; {runs} interleaved runs, medians (min-max)")
par_med = statistics.median(parallel_times)
print(f"lstm-lint -j1 : {len(files) / lint_med:8.1f} notebooks/s  {mb / lint_med:6.1f} MB/s  "
      f"{lint_med * 1000:7.1f} ms ({spread(lint_times)})")
print(f"lstm-lint -j{cores} : {len(files) / par_med:8.1f} notebooks/s  {mb / par_med:6.1f} MB/s  "
      f"{par_med * 1000:7.1f} ms ({spread(parallel_times)}); "
      f"speed-up {lint_med / par_med:.2f}x on {cores} cores")
print(f"parse floor   : {len(files) / floor_med:8.1f} notebooks/s  {mb / floor_med:6.1f} MB/s  "
      f"{floor_med * 1000:7.1f} ms ({spread(floor_times)})")
paired = [f / l for f, l in zip(floor_times, lint_times)]  # each run's pair ran back to back
paired_cpu = [f / l for f, l in zip(floor_cpu, lint_cpu)]
print(f"ratio (lstm-lint -j1 throughput / floor throughput): {floor_med / lint_med:.2f}x of the medians; "
      f"per run pair {statistics.median(paired):.2f}x ({spread(paired, 1, 2)}); in CPU time "
      f"{statistics.median(paired_cpu):.2f}x ({spread(paired_cpu, 1, 2)}; lstm-lint {statistics.median(lint_cpu) * 1000:.0f} ms, "
      f"floor {statistics.median(floor_cpu) * 1000:.0f} ms)  (goal >= 0.6x)")
if os.environ.get("LSTM_LINT_BENCH_INSTRUCTIONS", "1") != "0" and shutil.which("valgrind"):
    lint_ir = instructions([lint, "--no-cache", "-q", "--exit-zero", "-j", "1", *files])
    floor_ir = instructions([floor, *files])
    if lint_ir and floor_ir:
        print(f"instructions (valgrind, repeatable): lstm-lint -j1 {lint_ir / 1e9:.2f} G, floor {floor_ir / 1e9:.2f} G: "
              f"ratio {floor_ir / lint_ir:.2f}x")
dom_med, stream_med = statistics.median(dom_times), statistics.median(stream_times)
print(f"JSON alone    : DOM parse {mb / dom_med:6.1f} MB/s ({dom_med * 1000:.1f} ms); lstm-lint's streaming loader "
      f"(payloads skipped) {mb / stream_med:6.1f} MB/s ({stream_med * 1000:.1f} ms): {dom_med / stream_med:.2f}x")
print(f"start-up (lstm-lint --version): median {statistics.median(startup) * 1000:.2f} ms "
      f"(min {min(startup) * 1000:.2f}, max {max(startup) * 1000:.2f}) over {len(startup)} runs  (goal <= 10 ms); /bin/true {statistics.median(exec_floor) * 1000:.2f} ms")
print(f"one notebook (examples/sine_forecast.ipynb, {os.path.getsize(demo) / 1e3:.1f} kB, text report): median "
      f"{statistics.median(one_notebook) * 1000:.2f} ms (min {min(one_notebook) * 1000:.2f}, "
      f"max {max(one_notebook) * 1000:.2f}) over {len(one_notebook)} runs")
largest = max(files, key=os.path.getsize)
print(f"peak memory: --version {rss_of([lint, '--version']):.1f} MiB; "
      f"whole corpus -j1 {rss_of([lint, '--no-cache', '-q', '--exit-zero', '-j', '1', *files]):.1f} MiB, "
      f"-j{cores} {rss_of([lint, '--no-cache', '-q', '--exit-zero', '-j', str(cores), *files]):.1f} MiB; "
      f"largest notebook ({os.path.getsize(largest) / 1e6:.1f} MB) "
      f"{rss_of([lint, '--no-cache', '-q', '--exit-zero', largest]):.1f} MiB (DOM floor {rss_of([floor, largest]):.1f} MiB)")

big_mb = int(os.environ.get("LSTM_LINT_BENCH_BIG_MB", "500"))
if big_mb > 0:
    make_cases = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "malformed", "make_cases.py")
    tmp = tempfile.mkdtemp(prefix="lstm-lint-bench-", dir=os.environ.get("LSTM_LINT_BENCH_TMP"))
    try:
        subprocess.run([sys.executable, make_cases, tmp, "--payload-mb", str(big_mb),
                        "--only", "payload_image_png,payload_text_plain"], check=True, stdout=subprocess.DEVNULL)
        for case, what in (("payload_image_png", "one base64 image/png output (dropped)"),
                           ("payload_text_plain", "one text/plain output (kept, cut at 8 MiB)")):
            path = os.path.join(tmp, "cases", case + ".ipynb")
            seconds, rss = measure([lint, "--no-cache", "-q", "--exit-zero", path])
            floor_seconds, floor_rss = measure([floor, "--json-only", path])
            print(f"generated {os.path.getsize(path) / 1e6:.0f} MB notebook, {what}: lstm-lint {seconds:.2f} s, "
                  f"peak {rss:.1f} MiB; DOM parse {floor_seconds:.2f} s, peak {floor_rss:.1f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
