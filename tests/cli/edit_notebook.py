#!/usr/bin/python3
"""Edits a copy of a fixture notebook for the suppression and baseline CLI tests.

Usage: edit_notebook.py NOTEBOOK EDIT [ARGS...], in place. Edits:
  replace OLD NEW   replace text in every cell's source (fails when OLD is nowhere)
  drop-metadata     remove the notebook metadata's "lstm-lint" entry
  cells-above       insert a markdown cell and a comment-only code cell at the top
  outputs           change every stream output's text and add an image output to each code cell
  counts            add 20 to every execution count (a re-run in the same order)
  other-cell SUBSTR append a line to the code cell containing SUBSTR
  append-cell SRC   append a never-run code cell with this source
  duplicate-cell N  append an unexecuted copy of the code cell whose execution count is N
"""
import copy
import json
import sys


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def main(path, edit, *args):
    nb = json.load(open(path, encoding="utf-8"))
    cells = nb["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    if edit == "replace":
        old, new = args
        hits = [c for c in cells if old in source(c)]
        if not hits:
            sys.exit(f"edit_notebook.py: {old!r} is in no cell")
        for c in hits:
            c["source"] = source(c).replace(old, new)
    elif edit == "drop-metadata":
        del nb["metadata"]["lstm-lint"]
    elif edit == "cells-above":
        cells[0:0] = [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# Notes\nadded later"},
            {"cell_type": "code", "id": "setup", "metadata": {}, "outputs": [], "execution_count": None,
             "source": "# %pip install torch  (on a fresh machine only)"},
        ]
    elif edit == "outputs":
        for c in code:
            for o in c["outputs"]:
                if o["output_type"] == "stream":
                    o["text"] = source({"source": o["text"]}).replace("0.", "9.") + "re-run on another machine\n"
            c["outputs"].append({"output_type": "display_data", "metadata": {},
                                 "data": {"text/plain": ["<Figure>"], "image/png": "iVBORw0KGgo="}})
    elif edit == "counts":
        for c in code:
            if c["execution_count"] is not None:
                c["execution_count"] += 20
    elif edit == "other-cell":
        (needle,) = args
        target = next(c for c in code if needle in source(c))
        target["source"] = source(target) + "\nimport math"
    elif edit == "append-cell":
        (text,) = args
        cells.append({"cell_type": "code", "id": "appended", "metadata": {}, "outputs": [],
                      "execution_count": None, "source": text})
    elif edit == "duplicate-cell":
        (count,) = args
        copied = copy.deepcopy(next(c for c in code if c["execution_count"] == int(count)))
        copied["id"], copied["execution_count"], copied["outputs"] = "copy", None, []
        cells.append(copied)
    else:
        sys.exit(f"edit_notebook.py: unknown edit {edit!r}")
    json.dump(nb, open(path, "w", encoding="utf-8"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
