#!/usr/bin/python3
"""lstm-lint against the parse floor and other Python linters on the same notebooks' code
(printed ratios, never asserted).

Usage: /usr/bin/python3 bench/compare.py [BUILD_DIR] [CORPUS_DIR] [RUNS]

- lstm-lint -j1 --no-cache on the .ipynb files; the parse floor (bench/parse_floor) on them;
- pyflakes (Debian python3-pyflakes) on the code cells of the same notebooks, written out as one
  .py file per notebook (IPython `%`/`!` lines turned into comments, so all of it is Python);
- ruff (npm @astral-sh/ruff-wasm-nodejs) on the same .py files, when node can load the module
  (NODE_PATH or a node_modules next to this checkout); otherwise said and skipped.
All single-process; medians of RUNS (default 5) interleaved runs.
"""
import glob
import json
import os
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
lint = os.path.join(build, "lstm-lint")
floor = os.path.join(build, "bench", "parse_floor")
files = sorted(glob.glob(os.path.join(corpus, "notebooks", "*.ipynb")))


def code_of(path):
    nb = json.load(open(path, encoding="utf-8", errors="replace"))
    cells = nb.get("cells") or [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
    out = []
    for c in cells:
        if c.get("cell_type") != "code":
            continue
        src = c.get("source", c.get("input", ""))
        src = "".join(src) if isinstance(src, list) else src
        lines = ["# " + l if l.lstrip().startswith(("%", "!")) else l for l in src.split("\n")]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


tmp = tempfile.mkdtemp()
try:
    pys = []
    for i, f in enumerate(files):
        try:
            code = code_of(f)
        except (ValueError, AttributeError):
            continue
        p = os.path.join(tmp, "nb%03d.py" % i)
        open(p, "w").write(code)
        pys.append(p)
    ruff_js = os.path.join(tmp, "ruff.js")
    open(ruff_js, "w").write(
        "const {Workspace} = require('@astral-sh/ruff-wasm-nodejs');const fs = require('fs');"
        "const w = new Workspace(Workspace.defaultSettings());"
        "for (const f of process.argv.slice(2)) w.check(fs.readFileSync(f, 'utf8'));\n")
    env_node = shutil.which("node")
    ruff_ok = env_node and subprocess.run([env_node, ruff_js], cwd=os.path.join(here, ".."),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    commands = {
        "lstm-lint -j1": [lint, "--no-cache", "-q", "--exit-zero", "-j1", *files],
        "parse floor": [floor, *files],
        "pyflakes": [sys.executable, "-m", "pyflakes", *pys],
    }
    if ruff_ok:
        commands["ruff (wasm)"] = [env_node, ruff_js, *pys]
    times = {k: [] for k in commands}
    for _ in range(runs):
        for k, cmd in commands.items():
            times[k].append(wall(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(files)
    print("%d notebooks (%d with code read by pyflakes/ruff), median of %d runs" % (n, len(pys), runs))
    for k, t in med.items():
        print("%-14s %.3f s  %6.0f notebooks/s  lstm-lint is %.2fx its speed" % (k, t, n / t, t / med["lstm-lint -j1"]))
    if not ruff_ok:
        print("ruff (wasm): skipped (node cannot load @astral-sh/ruff-wasm-nodejs; npm install it to compare)")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
