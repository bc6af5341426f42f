"""Helpers for test_fix.sh: notebooks in several JSON layouts, and byte-level checks of a fix.

  fix_check.py layouts SRC OUTDIR     writes OUTDIR/<layout>.ipynb for every layout
  fix_check.py replaced BEFORE AFTER OLD NEW
      AFTER is BEFORE with OLD replaced by NEW once in one cell's source, and nothing else
  fix_check.py inserted BEFORE AFTER ANCHOR LINE
      AFTER is BEFORE with LINE (then a newline) inserted before the line holding ANCHOR
Both checks also require the changed bytes to lie inside that cell's source value, so key
order, indentation, escaping, ids, metadata and outputs are byte-for-byte what they were.
"""
import copy
import json
import os
import sys

MARK = '# naïve café 😀 "q" \\ \t end\n'  # non-ASCII, quotes, a backslash and a tab in every code cell


def cell_list(doc):
    if doc.get("nbformat") == 3:
        return [c for ws in doc["worksheets"] for c in ws["cells"]]
    return doc["cells"]


def source_key(doc, cell):
    return "input" if doc.get("nbformat") == 3 and cell["cell_type"] == "code" else "source"


def joined(value):
    return value if isinstance(value, str) else "".join(value)


def to_v3(doc):
    cells = []
    for c in doc["cells"]:
        c = copy.deepcopy(c)
        c.pop("id", None)
        if c["cell_type"] == "code":
            c["input"] = c.pop("source")
            c["prompt_number"] = c.pop("execution_count")
            c["language"] = "python"
        cells.append(c)
    return {"metadata": doc.get("metadata", {}), "nbformat": 3, "nbformat_minor": 0,
            "worksheets": [{"cells": cells, "metadata": {}}]}


def layouts(src, outdir):
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    for c in doc["cells"]:
        if c["cell_type"] == "code":
            c["source"] = [MARK] + (c["source"] if isinstance(c["source"], list) else [c["source"]])
    plain = copy.deepcopy(doc)
    for c in plain["cells"]:
        c["source"] = joined(c["source"])
    out = {
        "jupyter": json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
        "indent2": json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True),
        "compact": json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
        "plain": json.dumps(plain, indent=1, ensure_ascii=False) + "\n",
        "ascii": json.dumps(doc, indent=1, ensure_ascii=True) + "\n",
        "crlf": (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").replace("\n", "\r\n"),
        "v3": json.dumps(to_v3(doc), indent=1, ensure_ascii=False) + "\n",
    }
    for name, text in out.items():
        with open(os.path.join(outdir, name + ".ipynb"), "wb") as f:
            f.write(text.encode("utf-8"))


def string_tokens(raw):
    """(start, end) of every JSON string token in raw bytes, quotes included."""
    tokens, i, n = [], 0, len(raw)
    while i < n:
        if raw[i] != 0x22:
            i += 1
            continue
        j = i + 1
        while raw[j] != 0x22:
            j += 2 if raw[j] == 0x5C else 1
        tokens.append((i, j + 1))
        i = j + 1
    return tokens


def skip_space(raw, i):
    while raw[i] in b" \t\r\n":
        i += 1
    return i


def source_ranges(raw):
    """The byte range of each cell's source value, in cell order (source/input keys)."""
    ranges, tokens = [], string_tokens(raw)
    for k, (s, e) in enumerate(tokens):
        if raw[s:e] not in (b'"source"', b'"input"'):
            continue
        colon = skip_space(raw, e)
        assert raw[colon] == 0x3A, "a source key is not a key"
        start = skip_space(raw, colon + 1)
        if raw[start] != 0x5B:  # a plain string
            ranges.append((start, tokens[k + 1][1]))
            continue
        j, at = k + 1, skip_space(raw, start + 1)
        while raw[at] != 0x5D:  # string, then ',' or ']'
            assert tokens[j][0] == at, "a source list holds something other than strings"
            at = skip_space(raw, tokens[j][1])
            if raw[at] == 0x2C:
                at = skip_space(raw, at + 1)
            j += 1
        ranges.append((start, at + 1))
    return ranges


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(before_path, after_path, transform):
    with open(before_path, "rb") as f:
        before = f.read()
    with open(after_path, "rb") as f:
        after = f.read()
    a, b = json.loads(before), json.loads(after)
    ca, cb = cell_list(a), cell_list(b)
    if len(ca) != len(cb):
        fail("the number of cells changed")
    changed = [i for i in range(len(ca)) if joined(ca[i][source_key(a, ca[i])]) != joined(cb[i][source_key(b, cb[i])])]
    if len(changed) != 1:
        fail("expected one edited cell, found %d" % len(changed))
    i = changed[0]
    old_source = joined(ca[i][source_key(a, ca[i])])
    expected = transform(old_source)
    if expected is None:
        fail("the expected edit does not apply to the original cell")
    if joined(cb[i][source_key(b, cb[i])]) != expected:
        fail("cell %d source is\n%r\nexpected\n%r" % (i + 1, joined(cb[i][source_key(b, cb[i])]), expected))
    # Everything else, parsed, is equal.
    a2, b2 = copy.deepcopy(a), copy.deepcopy(b)
    for doc in (a2, b2):
        cell = cell_list(doc)[i]
        cell[source_key(doc, cell)] = None
    if a2 != b2:
        fail("something other than the edited source changed")
    # Bytes: the differing region lies inside that cell's source value.
    p = 0
    while p < min(len(before), len(after)) and before[p] == after[p]:
        p += 1
    s = 0
    while s < min(len(before), len(after)) - p and before[-1 - s] == after[-1 - s]:
        s += 1
    lo, hi = source_ranges(before)[i]
    if not (lo <= p and len(before) - s <= hi):
        fail("bytes changed outside cell %d's source value: [%d, %d) vs [%d, %d)" % (i + 1, p, len(before) - s, lo, hi))
    print("ok: cell %d, bytes [%d, %d) of [%d, %d)" % (i + 1, p, len(before) - s, lo, hi))


def replace_once(old, new):
    def transform(source):
        return source.replace(old, new, 1) if source.count(old) == 1 else None
    return transform


def insert_before(anchor, line):
    def transform(source):
        at = source.find(anchor)
        if at < 0:
            return None
        start = source.rfind("\n", 0, at) + 1
        newline = "\r\n" if source.find("\r\n", start) == source.find("\n", start) - 1 else "\n"
        return source[:start] + line + newline + source[start:]
    return transform


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "layouts":
        layouts(sys.argv[2], sys.argv[3])
    elif command == "replaced":
        check(sys.argv[2], sys.argv[3], replace_once(sys.argv[4], sys.argv[5]))
    elif command == "inserted":
        check(sys.argv[2], sys.argv[3], insert_before(sys.argv[4], sys.argv[5]))
    else:
        fail("unknown command " + command)
