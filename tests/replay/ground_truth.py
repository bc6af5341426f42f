#!/usr/bin/python3
"""Ground truth for replay: runs rule fixtures for real and compares with replay's verdicts.

For each fixture of the rules below, the fixture's cells are executed for real in a Jupyter
kernel with Debian's PyTorch (fixtures/generate.py, in the order the fixture states), into a
temporary notebook. Then `lstm-lint --replay` lints that notebook. Each finding's verdict must
agree with what the real run showed:

  CONFIRMED      the real run raised the rule's error (e.g. "Trying to backward through the
                 graph a second time") in the cell of the finding or a later one;
  NOT CONFIRMED  the real run raised no such error.

Silent fixtures must give no finding of the rule and, run for real, must not raise its error
either (the rule's precision, checked against PyTorch itself).

These rules are the ones whose bug PyTorch reports as an error; the rules whose bug is a
measurement (a model that does not train, a leaking state, shuffled timesteps, swapped axes)
are checked by ground_truth_measured.py, with probes that measure in the live notebook.

Usage: ground_truth.py LSTM_LINT LSTM_LINT_REPLAY SOURCE_DIR   (exit 77: skipped)
"""

import concurrent.futures
import faulthandler
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SIGNATURES = {
    "state-not-detached": re.compile(r"Trying to backward through the graph a second time|modified by an inplace operation"),
    "hidden-batch-size-mismatch": re.compile(r"Expected hidden(\[0\])? size"),
    "input-size-mismatch": re.compile(r"input\.size\(-1\) must be equal to input_size"),
}


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def load_generate(source_dir):
    try:
        import nbclient  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        skip(f"needs python3-nbclient, python3-ipykernel and python3-torch ({e})")
    spec = importlib.util.spec_from_file_location("generate", source_dir / "fixtures" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def real_errors(notebook_path):
    """(cell number, "ename: evalue") for every error the real run saved."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    errors = []
    for number, cell in enumerate(nb["cells"], 1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append((number, f"{output.get('ename')}: {output.get('evalue')}"))
    return errors


def run_fixture(generate, source, workdir):
    copy = workdir / f"{source.parent.name}__{source.name}"
    shutil.copyfile(source, copy)
    generate.build(copy)  # executes the cells for real
    return copy.with_suffix(".ipynb")


def lint(lstm_lint, replay, notebook, rule):
    env = dict(os.environ, LSTM_LINT_REPLAY=replay)
    p = subprocess.run([lstm_lint, "--replay", "--format", "json", "--select", rule, str(notebook)],
                       capture_output=True, text=True, env=env, timeout=600)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"lstm-lint exited {p.returncode}: {p.stderr}")
    if "replay did not run" in p.stderr:
        raise RuntimeError(p.stderr.strip())
    return json.loads(p.stdout)


def main():
    # ctest kills this test at its 900 s TIMEOUT without a word; before that, print every
    # thread's stack (which kernel call hangs) and fail.
    faulthandler.dump_traceback_later(840, exit=True)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets the kernels' debugger warnings
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    lstm_lint, replay, source_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve()
    if not os.access(replay, os.X_OK):
        skip(f"{replay} was not built (LibTorch missing)")
    generate = load_generate(source_dir)
    cases = [(rule, src) for rule in SIGNATURES for src in sorted((source_dir / "fixtures" / rule).glob("*.py"))]
    failures, rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            executed = list(pool.map(lambda c: run_fixture(generate, c[1], workdir), cases))
        for (rule, src), notebook in zip(cases, executed):
            errors = real_errors(notebook)
            findings = lint(lstm_lint, replay, notebook, rule)
            name = f"{rule}/{src.stem}"
            if src.stem.startswith("silent_"):
                shown = [e for _, e in errors if SIGNATURES[rule].search(e)]
                rows.append(f"{name:70} silent  real error: {'yes' if shown else 'no'}")
                if findings:
                    failures.append(f"{name}: silent fixture has {len(findings)} finding(s) when run for real")
                if shown:
                    failures.append(f"{name}: silent fixture raised the rule's error for real: {shown[0]}")
                continue
            if not findings:
                failures.append(f"{name}: no finding on the executed notebook")
            for f in findings:
                verdict = f["replay"]["verdict"]
                shown = [e for cell, e in errors if cell >= f["cell"] and SIGNATURES[rule].search(e)]
                rows.append(f"{name:70} {verdict:14} real error: {'yes' if shown else 'no'}")
                if verdict == "CONFIRMED" and not shown:
                    failures.append(f"{name}: replay CONFIRMED but the real run raised no such error")
                elif verdict == "NOT CONFIRMED" and shown:
                    failures.append(f"{name}: replay NOT CONFIRMED but the real run raised: {shown[0]}")
                elif verdict not in ("CONFIRMED", "NOT CONFIRMED"):
                    failures.append(f"{name}: replay gave {verdict}: {f['replay']['summary']}")
    print("\n".join(rows))
    for f in failures:
        print(f"FAIL: {f}")
    print(f"{len(rows)} verdicts compared with real runs, {len(failures)} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
