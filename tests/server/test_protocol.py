#!/usr/bin/env python3
"""lstm-lint server, protocol level: lifecycle, notebook sync, text documents, code actions,
replay without the executable, configuration reload, and hostile input (malformed headers,
invalid JSON, unknown methods, out-of-range positions, oversized messages, cancellation).
Usage: test_protocol.py LSTM_LINT SOURCE_DIR"""
import json
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp import Client  # noqa: E402

BIN, SRC = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
FIRES = (SRC / "tests/percent/fires_state_not_detached.py").read_text()
failures = []
passed = 0


def check(name, condition):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(name)
        print("FAIL:", name)


def cells_of(script):
    """The percent script's cells as (kind, text): 1 markup, 2 code (header dropped)."""
    cells, kind, lines, started = [], 2, [], False
    for line in script.split("\n"):
        if line.startswith("# %%"):
            if started:
                cells.append((kind, "\n".join(lines).strip("\n")))
            started, lines = True, []
            kind = 1 if "[markdown]" in line else 2
            continue
        if started:
            lines.append(line[2:] if kind == 1 and line.startswith("# ") else line)
    cells.append((kind, "\n".join(lines).strip("\n")))
    return cells


def open_notebook(c, uri, cells, orders=None):
    cell_docs, items = [], []
    for i, (kind, text) in enumerate(cells):
        cell_uri = f"{uri}#cell{i}"
        cell = {"kind": kind, "document": cell_uri}
        if orders and orders[i] is not None:
            cell["executionSummary"] = {"executionOrder": orders[i], "success": True}
        cell_docs.append(cell)
        items.append({"uri": cell_uri, "languageId": "python" if kind == 2 else "markdown", "version": 1, "text": text})
    c.notify("notebookDocument/didOpen", {"notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1,
                                                                "cells": cell_docs}, "cellTextDocuments": items})
    return [d["document"] for d in cell_docs]


tmp = pathlib.Path(tempfile.mkdtemp())
env = {"LSTM_LINT_REPLAY": str(tmp / "no-such-replay"), "LSTM_LINT_SERVER_MAX_MESSAGE": "200000"}

# ---- lifecycle and capabilities ----
c = Client(BIN, env=env, cwd=tmp)
rid = c.request("textDocument/codeAction", {})
r = c.response(rid)
check("a request before initialize gets -32002", r and r["error"]["code"] == -32002)
init = c.initialize({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})
caps = init["result"]["capabilities"]
check("incremental text sync", caps["textDocumentSync"]["change"] == 2 and caps["textDocumentSync"]["openClose"])
sel = caps["notebookDocumentSync"]["notebookSelector"][0]
check("notebook sync for jupyter-notebook with python cells",
      sel["notebook"]["notebookType"] == "jupyter-notebook" and sel["cells"] == [{"language": "python"}])
check("code actions and the replay command", "codeActionProvider" in caps and caps["executeCommandProvider"]["commands"] == ["lstm-lint.replay"])
reg = c.wait_for(lambda m: m.get("method") == "client/registerCapability", 10)
check("configuration files are watched", reg and reg["params"]["registrations"][0]["method"] == "workspace/didChangeWatchedFiles")
c.send({"jsonrpc": "2.0", "id": reg["id"], "result": None})  # our answer to its request is ignored
rid = c.request("initialize", {"capabilities": {}})
check("a second initialize is refused", c.response(rid)["error"]["code"] == -32600)

# ---- a notebook document ----
nb_uri = (tmp / "train.ipynb").as_uri()
cells = cells_of(FIRES)
uris = open_notebook(c, nb_uri, cells)
diags = c.diagnostics(uris[3])
check("the training cell gets LSTM301", diags and [d["code"] for d in diags] == ["LSTM301"])
d = diags[0]
check("range in the cell: line 3 (0-based), characters 30-36", d["range"] == {"start": {"line": 3, "character": 30}, "end": {"line": 3, "character": 36}})
check("severity error, source, doc link", d["severity"] == 1 and d["source"] == "lstm-lint" and d["codeDescription"]["href"].endswith("/state-not-detached/doc.md"))
related_cells = {x["location"]["uri"] for x in d.get("relatedInformation", [])}
check("related locations point into another cell (the model's definition)", uris[2] in related_cells)
for u in (uris[0], uris[1], uris[2]):
    check(f"cell {u[-1]} gets an empty diagnostics list", c.diagnostics(u) == [])

# Code actions on the finding: the safe fix, noqa, replay.
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": uris[3]}, "range": d["range"], "context": {"diagnostics": [d]}})
actions = c.response(rid)["result"]
titles = [a["title"] for a in actions]
fix = [a for a in actions if a.get("isPreferred")]
check("a preferred quick fix", len(fix) == 1 and fix[0]["kind"] == "quickfix")
edit = fix[0]["edit"]["changes"][uris[3]][0]
check("the fix inserts the detach line before the call", edit["range"]["start"] == {"line": 3, "character": 0}
      and edit["newText"] == "    hidden = tuple(s.detach() for s in hidden)\n")
noqa = [a for a in actions if "noqa" in a["title"]]
check("a noqa action", len(noqa) == 1 and noqa[0]["edit"]["changes"][uris[3]][0]["newText"] == "  # noqa: LSTM301")
replay = [a for a in actions if a.get("command")]
check("a replay action", len(replay) == 1 and replay[0]["command"]["command"] == "lstm-lint.replay")

c.sync()
# Apply the noqa edit as the editor would: the finding disappears.
ne = noqa[0]["edit"]["changes"][uris[3]][0]
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": nb_uri, "version": 2}, "change": {"cells": {"textContent": [
    {"document": {"uri": uris[3], "version": 2}, "changes": [{"range": ne["range"], "text": ne["newText"]}]}]}}})
check("after the noqa edit the cell is clean", c.diagnostics(uris[3]) == [])
c.sync()
# Undo it (delete the inserted text): the finding is back.
start = ne["range"]["start"]
end = {"line": start["line"], "character": start["character"] + len(ne["newText"])}
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": nb_uri, "version": 3}, "change": {"cells": {"textContent": [
    {"document": {"uri": uris[3], "version": 3}, "changes": [{"range": {"start": start, "end": end}, "text": ""}]}]}}})
check("undoing it brings the finding back", [x["code"] for x in c.diagnostics(uris[3])] == ["LSTM301"])

# Replay without lstm-lint-replay: a clear message, no crash.
rid = c.request("workspace/executeCommand", replay[0]["command"])
msg = c.wait_for(lambda m: m.get("method") == "window/showMessage", 60)
resp = c.response(rid, 60)
check("replay without its executable says so", msg and msg["params"]["type"] == 1 and "replay did not run" in msg["params"]["message"])
check("the command answers ok: false", resp and resp["result"]["ok"] is False)
rid = c.request("workspace/executeCommand", {"command": "lstm-lint.replay", "arguments": ["file:///nowhere", 99]})
check("replay of an unknown finding answers", c.response(rid)["result"]["ok"] is False)
rid = c.request("workspace/executeCommand", {"command": "no.such.command"})
check("an unknown command is invalid params", c.response(rid)["error"]["code"] == -32602)

# Execution summaries give execution counts: cells run out of order -> LSTM101, fixed by new data.
ooo_uri = (tmp / "ooo.ipynb").as_uri()
ooo = open_notebook(c, ooo_uri, [(2, "x = 1"), (2, "print(x)")], orders=[2, 1])
check("executionSummary orders out of order give LSTM101", [x["code"] for x in c.diagnostics(ooo[1])] == ["LSTM101"])
c.sync()
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": ooo_uri, "version": 2}, "change": {"cells": {"data": [
    {"kind": 2, "document": ooo[0], "executionSummary": {"executionOrder": 1}},
    {"kind": 2, "document": ooo[1], "executionSummary": {"executionOrder": 2}}]}}})
check("new execution summaries clear it", c.diagnostics(ooo[1]) == [])

# ---- hostile input on the same connection ----
c.send_raw(b"Content-Length: 9\r\n\r\n{not json")
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("invalid JSON gets -32700", r and r["error"]["code"] == -32700)
c.send_raw(b"Content-Type: application/json\r\n\r\n")
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("a header without Content-Length gets an error", r and "Content-Length" in r["error"]["message"])
c.send_raw(b"Content-Length: 12abc\r\n\r\n")
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("a malformed Content-Length gets an error", r and "malformed" in r["error"]["message"])
c.send_raw(b"garbage line without colon\r\n\r\n")
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("a header line without a colon gets an error", r is not None)
big = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
    "uri": "file:///big.py", "languageId": "python", "version": 1, "text": "# %%\n" + "x = 1\n" * 60000}}}).encode()
c.send_raw(b"Content-Length: %d\r\n\r\n" % len(big) + big)
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("an oversized message is refused", r and "exceeds the limit" in r["error"]["message"])
c.send({"jsonrpc": "2.0", "id": 500, "method": "no/such/request"})
check("an unknown request gets -32601", c.response(500)["error"]["code"] == -32601)
c.send({"jsonrpc": "2.0", "method": "no/such/notification"})
c.send([1, 2, 3])
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("a non-object message is an invalid request", r and r["error"]["code"] == -32600)
c.send({"jsonrpc": "2.0", "id": {"bad": 1}, "method": "shutdown"})
r = c.wait_for(lambda m: "error" in m and m.get("id") is None, 10)
check("an object id is an invalid request", r and r["error"]["code"] == -32600)
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": nb_uri, "version": 9}, "change": {"cells": {"textContent": [
    {"document": {"uri": uris[3], "version": 9}, "changes": [{"range": {"start": {"line": 10**9, "character": -5}, "end": {"line": 10**12, "character": 10**12}}, "text": "\n# tail"}]}]}}})
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": nb_uri, "version": 10}, "change": {"cells": {"structure": {
    "array": {"start": 10**6, "deleteCount": 10**6, "cells": []}}}}})
c.notify("notebookDocument/didChange", {"notebookDocument": {"uri": nb_uri}, "change": {"cells": {"structure": "wrong"}}})
c.notify("textDocument/didOpen", {"textDocument": 42})
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": uris[3]}, "range": {"start": {"line": -1, "character": 0}, "end": {"line": 10**9, "character": 0}}, "context": {"diagnostics": []}})
r = c.response(rid)
check("after out-of-range positions and malformed params the server still answers", r is not None and isinstance(r.get("result"), list))
rid = c.request("textDocument/codeAction", {"range": 3})
check("malformed request params get -32602", c.response(rid)["error"]["code"] == -32602)
# A request cancelled in the same write as itself.
body1 = json.dumps({"jsonrpc": "2.0", "id": 700, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": uris[3]}, "range": d["range"], "context": {"diagnostics": []}}}).encode()
body2 = json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 700}}).encode()
c.send_raw(b"Content-Length: %d\r\n\r\n%sContent-Length: %d\r\n\r\n%s" % (len(body1), body1, len(body2), body2))
check("a cancelled request gets -32800", c.response(700)["error"]["code"] == -32800)

# ---- text documents: a percent script and an .ipynb as JSON text ----
py_uri = (tmp / "train.py").as_uri()
c.notify("textDocument/didOpen", {"textDocument": {"uri": py_uri, "languageId": "python", "version": 1, "text": FIRES}})
pd = c.diagnostics(py_uri)
line = FIRES.split("\n").index("    logits, hidden = model(x, hidden)")
check("a percent script gets LSTM301 on its file line", pd and pd[0]["code"] == "LSTM301" and pd[0]["range"]["start"] == {"line": line, "character": 30})
check("the script's related locations are in the script", pd and pd[0].get("relatedInformation")
      and all(x["location"]["uri"] == py_uri for x in pd[0]["relatedInformation"]))
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": py_uri}, "range": pd[0]["range"], "context": {"diagnostics": pd}})
acts = c.response(rid)["result"]
pfix = [a for a in acts if a.get("isPreferred")][0]["edit"]["changes"][py_uri][0]
check("the script's fix is at its file line", pfix["range"]["start"] == {"line": line, "character": 0})
plain_uri = (tmp / "util.py").as_uri()
c.notify("textDocument/didOpen", {"textDocument": {"uri": plain_uri, "languageId": "python", "version": 1, "text": "import torch\n"}})
check("a plain module gets no diagnostics", c.diagnostics(plain_uri) == [])
fixture = SRC / "fixtures/state-not-detached/fires_model_hidden_fed_back.ipynb"
ipynb_uri = (tmp / "fixture.ipynb").as_uri()
c.notify("textDocument/didOpen", {"textDocument": {"uri": ipynb_uri, "languageId": "json", "version": 1, "text": fixture.read_text()}})
idiags = c.diagnostics(ipynb_uri)
raw = fixture.read_text().split("\n")
check("an .ipynb as text gets its findings", idiags and "LSTM301" in [x["code"] for x in idiags])
x = [x for x in idiags if x["code"] == "LSTM301"][0]
check("on the raw line holding the flagged source", "model(x, hidden)" in raw[x["range"]["start"]["line"]])
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": ipynb_uri}, "range": x["range"], "context": {"diagnostics": [x]}})
iacts = c.response(rid)["result"]
ifix = [a for a in iacts if a.get("isPreferred")]
check("the .ipynb fix replaces the JSON text with the CLI's splice", ifix and "hidden = tuple(s.detach() for s in hidden)" in ifix[0]["edit"]["changes"][ipynb_uri][0]["newText"])
bad_uri = (tmp / "broken.ipynb").as_uri()
c.notify("textDocument/didOpen", {"textDocument": {"uri": bad_uri, "languageId": "json", "version": 1, "text": '{"cells": ['}})
bd = c.diagnostics(bad_uri)
check("invalid JSON gives one diagnostic, no crash", bd and len(bd) == 1 and "cannot read" in bd[0]["message"])
virtual_uri = (tmp / ".virtual_documents" / "train.ipynb").as_uri()  # jupyterlab-lsp's Python view of a notebook
virtual = "\n\n".join(text for kind, text in cells if kind == 2) + "\n"
c.notify("textDocument/didOpen", {"textDocument": {"uri": virtual_uri, "languageId": "python", "version": 1, "text": virtual}})
vd = c.diagnostics(virtual_uri)
vline = virtual.split("\n").index("    logits, hidden = model(x, hidden)")
check("an .ipynb document holding Python (jupyterlab-lsp) is read as a script", vd and [x["code"] for x in vd] == ["LSTM301"]
      and vd[0]["range"]["start"] == {"line": vline, "character": 30})
c.sync()
c.notify("textDocument/didChange", {"textDocument": {"uri": bad_uri, "version": 2}, "contentChanges": [{"text": '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'}]})
check("fixed JSON clears it", c.diagnostics(bad_uri) == [])

# ---- configuration: discovered like the CLI, reloaded on didChangeWatchedFiles ----
c.sync()
(tmp / ".lstm-lint.toml").write_text('ignore = ["state-not-detached"]\n')
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (tmp / ".lstm-lint.toml").as_uri(), "type": 1}]})
check("a new configuration file silences the rule in the notebook", c.diagnostics(uris[3]) == [])
check("and in the script", c.diagnostics(py_uri) == [])
c.sync()
(tmp / ".lstm-lint.toml").write_text('ignore = [\n')
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (tmp / ".lstm-lint.toml").as_uri(), "type": 2}]})
m = c.wait_for(lambda m: m.get("method") == "window/showMessage", 10)
check("a broken configuration is shown", m and ".lstm-lint.toml" in m["params"]["message"])
c.sync()
(tmp / ".lstm-lint.toml").unlink()
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (tmp / ".lstm-lint.toml").as_uri(), "type": 3}]})
check("removing it brings the finding back", [x["code"] for x in c.diagnostics(uris[3])] == ["LSTM301"])

c.sync()
# ---- close: diagnostics cleared ----
c.notify("notebookDocument/didClose", {"notebookDocument": {"uri": nb_uri}, "cellTextDocuments": [{"uri": u} for u in uris]})
check("closing the notebook clears its cells", c.diagnostics(uris[3]) == [])
check("shutdown then exit exits 0", c.close() == 0)

# exit without shutdown: 1; end of input: no hang.
c2 = Client(BIN, cwd=tmp)
c2.initialize()
c2.notify("exit")
check("exit without shutdown exits 1", c2.proc.wait(10) == 1)
c3 = Client(BIN, cwd=tmp)
c3.send_raw(b"Content-Length: 99999999999999\r\n\r\n{")
c3.proc.stdin.close()
check("a huge declared length then end of input: an error and a clean end", c3.read(10) is not None and c3.proc.wait(10) in (0, 1))

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
