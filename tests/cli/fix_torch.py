#!/usr/bin/python3
"""The state-not-detached fix, run for real: each firing fixture is executed top to bottom in
a Jupyter kernel with Debian's PyTorch before and after `lstm-lint --fix`. Before, the run
must raise "Trying to backward through the graph a second time" (the control: the test can
fail), or, where the loop keeps the graph with backward(retain_graph=True), the error the
optimizer step then causes: a saved tensor "modified by an inplace operation"; after, no cell may raise anything and the training cell must print its last line.

Usage: fix_torch.py LSTM_LINT SOURCE_DIR   (exit 77: skipped without torch/nbclient/ipykernel)
"""

import faulthandler
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SIGNATURE = re.compile(r"Trying to backward through the graph a second time")
# With retain_graph=True the graph is not freed; optimizer.step() then changes the weights that
# the old graph saved, and the next backward through it fails on their version counter.
RETAINED_SIGNATURE = re.compile(r"has been modified by an inplace operation")


def expected_signature(path):
    """By the code, not the saved outputs: a saved traceback's hint also says retain_graph=True."""
    import nbformat
    code = "\n".join(c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code")
    return RETAINED_SIGNATURE if re.search(r"backward\(\s*retain_graph\s*=\s*True", code) else SIGNATURE


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def execute(generate, path):
    """Runs every code cell top to bottom; returns the executed notebook. The kernel talks over
    private Unix sockets (generate.private_sockets), so kernels of tests running side by side
    cannot race for a TCP port."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    with generate.private_sockets() as config:
        NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=600,
                       resources={"metadata": {"path": str(path.parent)}}, config=config).execute()
    return nb


def errors(nb):
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def printed(nb):
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


def main():
    # ctest kills this test at its 900 s TIMEOUT without a word; before that, print every
    # thread's stack (which kernel call hangs) and fail.
    faulthandler.dump_traceback_later(840, exit=True)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    lstm_lint, source_dir = sys.argv[1], Path(sys.argv[2]).resolve()
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        skip(f"needs python3-torch, python3-nbclient and python3-ipykernel ({e})")
    spec = importlib.util.spec_from_file_location("generate", source_dir / "fixtures" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    fixtures = sorted((source_dir / "fixtures" / "state-not-detached").glob("fires_*.ipynb"))
    failures, passed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in fixtures:
            name = fixture.stem
            nb_path = Path(tmp) / fixture.name
            shutil.copyfile(fixture, nb_path)
            before = execute(generate, nb_path)
            signature = expected_signature(fixture)
            if not any(signature.search(e) for e in errors(before)):
                failures.append(f"{name}: the unfixed notebook did not raise /{signature.pattern}/: {errors(before)}")
                continue
            p = subprocess.run([lstm_lint, "--select", "state-not-detached", "--fix", str(nb_path)],
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 0 or "(1 fixed, 0 remaining)" not in p.stdout:
                failures.append(f"{name}: --fix exited {p.returncode}: {p.stdout}{p.stderr}")
                continue
            after = execute(generate, nb_path)
            if errors(after):
                failures.append(f"{name}: the fixed notebook still raises: {errors(after)}")
                continue
            lines = [l for l in printed(after).splitlines() if l.startswith(("chunk", "epoch"))]
            if len(lines) < 3:
                failures.append(f"{name}: the fixed training loop printed too little: {lines}")
                continue
            passed += 1
            print(f"ok: {name}: before: {errors(before)[0][:60]}...; after --fix: no error, {len(lines)} loss lines")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"fix.torch: {passed} passed, {len(failures)} failed")
    return 1 if failures or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
