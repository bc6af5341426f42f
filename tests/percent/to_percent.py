#!/usr/bin/env python3
"""Converts .ipynb notebooks to jupytext percent scripts (code verbatim, markdown as `# `
comments), and writes each notebook again without execution counts and outputs, which is
what a script holds (no notebook metadata either): `to_percent.py OUT_DIR NOTEBOOK...` writes OUT_DIR/<n>.py and
OUT_DIR/<n>.ipynb for the n-th notebook."""
import json
import sys


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def to_percent(nb):
    out = ["# ---", "# jupyter:", "#   kernelspec:", "#     name: python3", "# ---", ""]
    for cell in nb["cells"]:
        text = source(cell)
        if cell["cell_type"] == "markdown":
            out.append("# %% [markdown]")
            out.extend(("# " + line).rstrip() for line in text.split("\n"))
        elif cell["cell_type"] == "raw":
            out.append("# %% [raw]")
            out.extend(text.split("\n"))
        else:
            out.append("# %%")
            out.extend(text.split("\n"))
        out.append("")
    return "\n".join(out) + "\n"


def stripped(nb):
    # Scripts carry no notebook metadata, so no notebook-wide `lstm-lint` settings either.
    nb.get("metadata", {}).pop("lstm-lint", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        # A script's cells end at their last non-blank line.
        cell["source"] = source(cell).rstrip("\n ")
    return nb


def main():
    out_dir = sys.argv[1]
    for n, path in enumerate(sys.argv[2:], 1):
        nb = json.load(open(path, encoding="utf-8"))
        with open(f"{out_dir}/{n}.py", "w", encoding="utf-8") as f:
            f.write(to_percent(nb))
        with open(f"{out_dir}/{n}.ipynb", "w", encoding="utf-8") as f:
            json.dump(stripped(nb), f)


if __name__ == "__main__":
    main()
