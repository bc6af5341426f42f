#!/usr/bin/env python3
"""lstm-lint server while typing: after one cell edit in a 200-cell notebook, the time until
the edited cell's diagnostics arrive (median and 90th percentile over EDITS edits), and the
server's resident memory after a warm-up, 500 and 1,000 edits.

    /usr/bin/python3 bench/server_bench.py build [EDITS]

The notebook is generated: 50 groups of imports/data, a model class, its optimizer and a
training loop that carries its state without detaching (so each group has findings). Each edit
is an incremental change of one training cell's comment line (a different cell each time),
sent as VS Code sends it; the clock runs from writing the change to reading the
publishDiagnostics of that cell."""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "server"))
from lsp import Client  # noqa: E402


def group(k):
    return [
        (1, f"## Experiment {k}\nA small LSTM on a sine wave, hidden size {16 + k}."),
        (2, f"import torch\nfrom torch import nn\ntorch.manual_seed({k})\nseries_{k} = torch.sin(torch.linspace(0, 50, 1000)).unsqueeze(-1)\n"
            f"windows_{k} = series_{k}.unfold(0, 20, 1).unsqueeze(-1)"),
        (2, f"class Net{k}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            f"        self.lstm = nn.LSTM(1, {16 + k}, batch_first=True)\n        self.head = nn.Linear({16 + k}, 1)\n\n"
            f"    def forward(self, x, state=None):\n        out, state = self.lstm(x, state)\n        return self.head(out[:, -1]), state\n\n"
            f"model_{k} = Net{k}()\nopt_{k} = torch.optim.Adam(model_{k}.parameters(), lr=1e-3)"),
        (2, f"# training {k}\nstate = None\nfor epoch in range(3):\n    for start in range(0, 900, 32):\n"
            f"        x = windows_{k}[start:start + 32, :-1]\n        y = windows_{k}[start:start + 32, -1]\n"
            f"        pred, state = model_{k}(x, state)\n        loss = nn.functional.mse_loss(pred, y)\n"
            f"        opt_{k}.zero_grad()\n        loss.backward()\n        opt_{k}.step()"),
    ]


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    edits = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    binary = os.path.abspath(os.path.join(build, "lstm-lint"))
    cells = [c for k in range(50) for c in group(k)]
    assert len(cells) == 200
    c = Client(binary, cwd="/tmp")
    c.initialize()
    uri = "file:///tmp/lstm-lint-bench/typing.ipynb"
    uris = [f"{uri}#cell{i}" for i in range(len(cells))]
    c.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1,
                             "cells": [{"kind": kind, "document": uris[i]} for i, (kind, _) in enumerate(cells)]},
        "cellTextDocuments": [{"uri": uris[i], "languageId": "python" if kind == 2 else "markdown", "version": 1, "text": text}
                              for i, (kind, text) in enumerate(cells)]})
    first = c.diagnostics(uris[3], 60)
    codes = sorted({d["code"] for d in first})
    c.sync()
    training = [i for i in range(len(cells)) if cells[i][1].startswith("# training")]
    versions = {u: 1 for u in uris}
    version = 1

    def edit(n):
        nonlocal version
        i = training[n % len(training)]
        u = uris[i]
        versions[u] += 1
        version += 1
        # Type one character at the end of the cell's first line (a comment).
        col = len(cells[i][1].split("\n")[0]) + versions[u] - 2
        start = time.perf_counter()
        c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": uri, "version": version}, "change": {"cells": {
            "textContent": [{"document": {"uri": u, "version": versions[u]},
                             "changes": [{"range": {"start": {"line": 0, "character": col}, "end": {"line": 0, "character": col}},
                                          "text": "x"}]}]}}})
        d = c.diagnostics(u, 60)
        elapsed = time.perf_counter() - start
        assert d is not None, "no diagnostics after an edit"
        return elapsed, d

    times = []
    for n in range(edits):
        t, d = edit(n)
        times.append(t * 1000)
    assert any(x["code"] == "LSTM301" for x in d), d
    rss_warm = rss_kib(c.proc.pid)
    for n in range(edits, 500):
        edit(n)
    rss_mid = rss_kib(c.proc.pid)
    for n in range(500, 1000):
        edit(n)
    rss_end = rss_kib(c.proc.pid)
    c.close()
    times.sort()
    print(f"notebook: 200 cells ({len(training)} training cells edited in turn); findings in a training cell: {', '.join(codes)}")
    print(f"edit -> diagnostics of the edited cell, {edits} edits: median {statistics.median(times):.1f} ms, "
          f"p90 {times[int(len(times) * 0.9) - 1]:.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms")
    # The parse cache (512 trees at most) fills with stale versions of edited cells during the
    # first few hundred edits, then stays bounded: compare 500 with 1,000.
    print(f"server RSS: {rss_warm / 1024:.1f} MiB after {edits} edits, {rss_mid / 1024:.1f} MiB after 500, "
          f"{rss_end / 1024:.1f} MiB after 1000 ({(rss_end - rss_mid) / 1024:+.1f} MiB over the last 500)")


if __name__ == "__main__":
    main()
