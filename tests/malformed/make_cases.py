#!/usr/bin/python3
"""Writes the catalog of malformed (and hostile but valid) notebooks into a directory.

    /usr/bin/python3 tests/malformed/make_cases.py OUTDIR [--payload-mb N] [--only NAME,...]

OUTDIR receives:
  cases/            one file (or directory, symlink ...) per case
  good.ipynb        a small valid notebook with exactly one finding (LSTM101
                    out-of-order-execution), linted next to every case
  manifest.json     one entry per case: what the linter must do with it

Each manifest entry:
  name         the case's name
  path         the path to pass to the linter, relative to OUTDIR
  description  what is wrong with it
  expect       "error": exit 2 and `error: PATH: MESSAGE` on stderr with MESSAGE
               containing `message`; "ok": the file is linted (no error line for it)
  message      for "error": a substring the message must contain
  accept_error for "ok" cases where a clean refusal is also acceptable: a substring
               that an error message may contain instead (e.g. a depth limit)
  timeout      seconds the linter may take for this case
  max_message_chars  the longest acceptable error message (a message quoting a whole
               megabyte of the file is not a message)
  max_rss_mb   (optional) peak resident memory allowed, in MiB
  vm_limit_mb  (optional) run the linter under this address-space limit (RLIMIT_AS)
  payload_mb   (optional) the size of the case's big payload, in MiB
  skip         null, or why the case is not run here

Cases are generated at test time and never committed: some are hundreds of MB.
Standard library only. Big payloads are written to disk in chunks, never built in memory.
"""
import argparse
import json
import os
import sys

MIB = 1 << 20


# --- notebook building blocks -------------------------------------------------------------

def code_cell(source, count, outputs=None):
    return {"cell_type": "code", "execution_count": count, "metadata": {},
            "outputs": outputs or [], "source": source}


def notebook(cells, nbformat=4, **extra):
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
          "nbformat": nbformat, "nbformat_minor": 5}
    nb.update(extra)
    return nb


def dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


VALID = notebook([
    {"cell_type": "markdown", "metadata": {}, "source": ["# A valid notebook\n"]},
    code_cell(["import torch\n", "x = torch.zeros(3)\n"], 1),
    code_cell(["print(x.sum())\n"], 2,
              [{"output_type": "stream", "name": "stdout", "text": ["tensor(0.)\n"]}]),
])

# Two code cells whose execution counts decrease: exactly one LSTM101 finding.
GOOD = notebook([
    code_cell(["x = 1\n"], 2),
    code_cell(["y = x + 1\n"], 1),
])


# --- the catalog ----------------------------------------------------------------------------

class Catalog:
    def __init__(self, out, payload_mb, only):
        self.out = out
        self.cases_dir = os.path.join(out, "cases")
        self.payload_mb = payload_mb
        self.only = only
        self.entries = []

    def wanted(self, name):
        return not self.only or name in self.only

    def path(self, filename):
        return os.path.join(self.cases_dir, filename)

    def add(self, name, filename, description, expect, message=None, skip=None, timeout=60, **extra):
        entry = {"name": name, "path": os.path.join("cases", filename), "description": description,
                 "expect": expect, "message": message, "timeout": timeout, "max_message_chars": 1000,
                 "skip": skip}
        entry.update(extra)
        self.entries.append(entry)

    # One case written from bytes.
    def raw(self, name, data, description, expect, message=None, **extra):
        if not self.wanted(name):
            return
        filename = name + ".ipynb"
        with open(self.path(filename), "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        self.add(name, filename, description, expect, message, **extra)

    def nb(self, name, nb, description, expect, message=None, **extra):
        self.raw(name, dumps(nb), description, expect, message, **extra)


def deep_json(depth, opener, closer):
    """The text of `depth` nested containers (a few hundred KB)."""
    return opener * depth + closer * depth


def splice(nb, raw):
    """The notebook's JSON text with the string "@RAW@" replaced by the JSON text `raw`."""
    text = dumps(nb)
    assert text.count('"@RAW@"') == 1
    return text.replace('"@RAW@"', raw)


def write_payload_notebook(path, payload_bytes, mime):
    """A valid notebook whose one output carries a `payload_bytes`-long `mime` string,
    streamed to disk in 1 MiB chunks (nothing payload-sized is held in memory)."""
    head = dumps(notebook([code_cell(["print(loss)\n"], 1, [{
        "output_type": "execute_result", "execution_count": 1, "metadata": {},
        "data": {mime: "@PAYLOAD@"}}])]))
    before, after = head.split('"@PAYLOAD@"')
    if mime == "image/png":
        # base64 with the "\n" line breaks nbformat writes every 76 characters
        line = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg" [:76] + "\\n"
    else:
        # a training log that never ends; the escapes exercise the lexer's slow path
        line = "epoch 1  loss: 0.6931  val_loss: 0.6930  \\t acc: 0.50\\n"
    chunk = (line * (MIB // len(line) + 1))[:MIB]
    # do not end a chunk in the middle of an escape: trim to a whole number of lines
    chunk = chunk[:len(chunk) - len(chunk) % len(line)]
    written = 0
    with open(path, "w", encoding="ascii") as f:
        f.write(before)
        f.write('"')
        while written + len(chunk) <= payload_bytes:
            f.write(chunk)
            written += len(chunk)
        rest = payload_bytes - written
        rest -= rest % len(line)
        f.write(chunk[:rest])
        f.write('"')
        f.write(after)


def build(cat):
    valid = dumps(VALID)

    # -- not JSON at all
    cat.raw("empty", b"", "a zero-byte file", "error", "empty")
    cat.raw("whitespace_only", " \n\t\r\n   \n", "only whitespace", "error", "empty")
    cat.raw("truncated", valid[: len(valid) // 2], "a valid notebook cut in half", "error", "invalid JSON")
    png_output = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "@CUT@"}}
    cat.raw("truncated_in_dropped_payload",
            dumps(notebook([code_cell("x = 1", 1, [png_output])])).split('@CUT@')[0] + "iVBORw0KGgoAAAANSUhEUg",
            "a file that ends inside an image/png string (a payload the loader skips unread)",
            "error", "invalid JSON")
    cat.raw("trailing_garbage", valid + "}\n", "a valid notebook followed by a stray `}`", "error", "invalid JSON")
    cat.raw("invalid_utf8_in_source",
            valid.encode("utf-8").replace(b"x = torch.zeros(3)", b"x = \xff\xfe torch.zeros(3)"),
            "raw bytes 0xff 0xfe inside a source string", "error", "UTF-8")
    cat.raw("invalid_utf8_after_long_string",
            valid.encode("utf-8").replace(b"x = torch.zeros(3)", b"x = 1  # " + b"a" * MIB + b"\xff"),
            "a 1 MiB source line that ends in a 0xff byte: the message must stay short", "error", "UTF-8")
    cat.raw("lone_surrogate_escape", valid.replace("x = torch.zeros(3)", "x = '\\ud800'"),
            "a `\\ud800` escape with no low surrogate in a source string", "error", "invalid JSON")

    # -- JSON, but not a notebook
    cat.raw("top_level_array", "[" + valid + "]\n", "the top level is an array", "error", "top level is an array")
    cat.raw("top_level_string", '"not a notebook"\n', "the top level is a string", "error", "top level is a string")
    cat.raw("top_level_number", "42\n", "the top level is a number", "error", "top level is")
    cat.nb("cells_not_array", notebook({"0": code_cell("x = 1", 1)}), "`cells` is an object",
           "error", "`cells` must be a list")
    cat.nb("cells_null", notebook(None), "`cells` is null", "error", "`cells` must be a list")
    cat.nb("cell_not_object", notebook([code_cell("x = 1", 1), 42]), "the second cell is a number",
           "error", "cell 2 must be an object")
    cat.nb("cell_without_cell_type", notebook([{"metadata": {}, "source": "x = 1"}]), "a cell with no `cell_type`",
           "error", "no `cell_type`")
    cat.nb("unknown_cell_type", notebook([{"cell_type": "python", "metadata": {}, "source": "x = 1"}]),
           "`cell_type` is \"python\"", "error", "unknown `cell_type`")
    cat.nb("source_number", notebook([code_cell(3, 1)]), "`source` is a number",
           "error", "`source` must be a string or a list of strings")
    cat.nb("source_dict", notebook([code_cell({"text": "x = 1"}, 1)]), "`source` is an object",
           "error", "`source` must be a string or a list of strings")
    cat.nb("source_list_with_number", notebook([code_cell(["x = 1\n", 2, "y = 3\n"], 1)]),
           "`source` is a list holding a number", "error", "must be a list of strings")
    cat.nb("output_not_object", notebook([code_cell("x = 1", 1, ["x"])]), "an output that is a string",
           "error", "output 1 must be an object")
    cat.nb("nbformat3_without_worksheets", notebook([], nbformat=3), "nbformat 3 with `cells` but no `worksheets`",
           "error", "without `worksheets`")
    cat.nb("nbformat5", notebook([code_cell("x = 1", 1)], nbformat=5), "nbformat 5 (does not exist)",
           "error", "unsupported nbformat 5")
    cat.nb("nbformat_string", notebook([code_cell("x = 1", 1)], nbformat="4"), "`nbformat` is the string \"4\"",
           "error", "`nbformat` must be an integer")
    cat.raw("nbformat_overflow", dumps(notebook([code_cell("x = 1", 1)])).replace('"nbformat": 4', '"nbformat": 4294967300'),
            "`nbformat` is 2^32 + 4 (must not wrap around to 4)", "error", "unsupported nbformat")
    cat.nb("execution_count_string", notebook([code_cell("x = 1", "1")]), "`execution_count` is the string \"1\"",
           "error", "`execution_count` must be an integer")
    cat.nb("execution_count_negative", notebook([code_cell("x = 1", -3)]), "`execution_count` is -3",
           "error", "negative")
    cat.raw("execution_count_huge",
            dumps(notebook([code_cell("x = 1", 1)])).replace('"execution_count": 1', '"execution_count": 18446744073709551615'),
            "`execution_count` is 2^64 - 1: a valid JSON integer; if refused, not as a negative number",
            "ok", accept_error="too large")

    # -- hostile but valid: must be linted
    cat.raw("nul_in_source", valid.replace("x = torch.zeros(3)", "x = torch.zeros(3)\\u0000"),
            "a `\\u0000` escape (valid JSON) in a source string", "ok")
    cat.raw("utf8_bom", b"\xef\xbb\xbf" + valid.encode("utf-8"), "a UTF-8 byte order mark before a valid notebook", "ok")
    cat.raw("duplicate_keys",
            valid.replace('"execution_count": 1,', '"execution_count": "one", "source": 7, "execution_count": 1,', 1),
            "duplicate keys in a cell: the first `execution_count`/`source` are invalid, the last valid "
            "(last one wins, as in Python's json and so in Jupyter)", "ok")
    cells = VALID["cells"]
    cat.raw("deep_arrays_in_metadata",
            splice(notebook(cells, metadata={"deep": "@RAW@", "kernelspec": {"language": "python"}}),
                   deep_json(100_000, "[", "]")),
            "100,000 nested arrays under the notebook metadata (stack in parsing and destruction)",
            "ok", accept_error="deep")
    cat.raw("deep_objects_in_cell_metadata",
            splice(notebook([dict(code_cell("x = 1", 1), metadata={"a": "@RAW@"})] + cells),
                   '{"a": ' * 100_000 + "1" + "}" * 100_000),
            "100,000 nested objects under a cell's metadata", "ok", accept_error="deep")
    json_output = {"output_type": "display_data", "metadata": {}, "data": {"application/json": "@RAW@"}}
    cat.raw("deep_arrays_in_dropped_payload",
            splice(notebook([code_cell("x = 1", 1, [json_output])] + cells), deep_json(100_000, "[", "]")),
            "100,000 nested arrays in an application/json output (a payload the loader drops)", "ok",
            accept_error="deep")
    long_line = "x = [" + ", ".join(["1"] * (MIB // 3)) + "]\n"
    cat.nb("long_line", notebook([code_cell(["import torch\n", long_line], 1)]),
           "a code cell with a 1 MB line", "ok")
    cat.nb("deep_python_parens", notebook([code_cell("x = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n", 1)]),
           "50,000 nested parentheses in a code cell (tree-sitter and every tree walk)", "ok")
    cat.nb("deep_python_calls", notebook([code_cell("y = " + "f(" * 20_000 + "x" + ")" * 20_000 + "\n", 1)]),
           "20,000 nested calls in a code cell", "ok")
    cat.nb("long_binary_chain", notebook([code_cell("x = " + " + ".join(["1"] * 100_000) + "\n", 1)]),
           "`1 + 1 + ...` with 100,000 terms: a left-leaning tree 100,000 deep", "ok")
    cat.nb("deep_python_blocks",
           notebook([code_cell("".join(" " * i + "if x:\n" for i in range(3_000)) + " " * 3_000 + "pass\n", 1)]),
           "3,000 nested `if` blocks", "ok")
    cat.nb("many_cells", notebook([code_cell("x%d = x%d + 1\n" % (i, i - 1) if i else "x0 = 0\n", i + 1)
                                   for i in range(20_000)]),
           "20,000 code cells, each reading the previous one's name", "ok")

    # -- big payloads, streamed to disk
    payload = cat.payload_mb * MIB
    if cat.wanted("payload_image_png"):
        write_payload_notebook(cat.path("payload_image_png.ipynb"), payload, "image/png")
        cat.add("payload_image_png", "payload_image_png.ipynb",
                "one output with a %d MiB image/png string (dropped while parsing)" % cat.payload_mb, "ok",
                payload_mb=cat.payload_mb, max_rss_mb=100)
    if cat.wanted("payload_text_plain") or cat.wanted("payload_text_plain_out_of_memory"):
        write_payload_notebook(cat.path("payload_text_plain.ipynb"), payload, "text/plain")
    if cat.wanted("payload_text_plain"):
        # Rules read text/plain, so one copy is fair; a second, transient one is tolerated.
        cat.add("payload_text_plain", "payload_text_plain.ipynb",
                "one output with a %d MiB text/plain string (kept: rules read it)" % cat.payload_mb, "ok",
                payload_mb=cat.payload_mb, max_rss_mb=2 * cat.payload_mb + 100)
    if cat.wanted("payload_text_plain_out_of_memory"):
        cat.add("payload_text_plain_out_of_memory", "payload_text_plain.ipynb",
                "the text/plain payload under a 200 MiB address-space limit (ulimit -v): running out of "
                "memory on one file is that file's error, not a crash of the whole run", "ok",
                accept_error="memory", payload_mb=cat.payload_mb, vm_limit_mb=200)

    # -- not regular files
    if cat.wanted("directory_named_ipynb"):
        os.mkdir(cat.path("directory_named_ipynb.ipynb"))
        with open(os.path.join(cat.path("directory_named_ipynb.ipynb"), "inner.ipynb"), "w") as f:
            f.write(valid)
        cat.add("directory_named_ipynb", "directory_named_ipynb.ipynb", "a directory named x.ipynb", "error",
                "is a directory")
    if cat.wanted("unreadable"):
        path = cat.path("unreadable.ipynb")
        with open(path, "w") as f:
            f.write(valid)
        os.chmod(path, 0)
        skip = None
        try:
            with open(path, "rb"):
                skip = "running as root (or with CAP_DAC_OVERRIDE): mode 000 does not stop reads"
        except PermissionError:
            pass
        cat.add("unreadable", "unreadable.ipynb", "a file with mode 000", "error", "Permission denied", skip=skip)
    if cat.wanted("symlink_loop"):
        os.symlink("symlink_loop_b.ipynb", cat.path("symlink_loop_a.ipynb"))
        os.symlink("symlink_loop_a.ipynb", cat.path("symlink_loop_b.ipynb"))
        cat.add("symlink_loop", "symlink_loop_a.ipynb", "a.ipynb -> b.ipynb -> a.ipynb", "error",
                "Too many levels of symbolic links")
    if cat.wanted("dangling_symlink"):
        os.symlink("nowhere.ipynb", cat.path("dangling_symlink.ipynb"))
        cat.add("dangling_symlink", "dangling_symlink.ipynb", "a symlink to a missing file", "error",
                "No such file or directory")
    if cat.wanted("whitespace_1gb"):
        cat.add("whitespace_1gb", "whitespace_1gb.ipynb", "1 GB of whitespace", "error", "empty",
                skip="not generated: 1 GB of disk and minutes of I/O for what whitespace_only already covers")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--payload-mb", type=int, default=500, help="size of the big payload cases in MiB (default 500)")
    ap.add_argument("--only", default="", help="comma-separated case names to generate (default: all)")
    args = ap.parse_args()

    os.makedirs(os.path.join(args.outdir, "cases"), exist_ok=True)
    with open(os.path.join(args.outdir, "good.ipynb"), "w") as f:
        f.write(dumps(GOOD))
    cat = Catalog(args.outdir, args.payload_mb, {n for n in args.only.split(",") if n})
    build(cat)
    manifest = {"good": "good.ipynb",
                "good_finding": {"name": "out-of-order-execution", "code": "LSTM101", "cell": 2},
                "cases": cat.entries}
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("%d cases written to %s" % (len(cat.entries), args.outdir))


if __name__ == "__main__":
    sys.exit(main())
