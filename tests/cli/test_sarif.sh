#!/usr/bin/env bash
# SARIF output: valid against the SARIF 2.1.0 schema, rules and ruleIndex consistent, and each
# region.startLine the raw .ipynb line that really holds the flagged source line (pretty-printed,
# string-form, minified and nbformat 3 notebooks); load errors as tool execution notifications;
# fixes as replacements in the file that give what --fix writes, by bytes and by code-point columns.
# Skipped (77) without python3-jsonschema.
set -u
BIN=$1
SRC=$2
SCHEMA=${3:-$SRC/../shared/schemas/sarif-schema-2.1.0.json}
PY=/usr/bin/python3
if ! $PY -c 'import jsonschema' 2>/dev/null; then
  echo "SKIP: python3-jsonschema is not installed"
  exit 77
fi
if [ ! -f "$SCHEMA" ]; then
  echo "SKIP: no SARIF schema at $SCHEMA"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# Fixtures as written by nbformat, and the same notebooks rewritten in the other layouts.
fixtures=(
  "$SRC/fixtures/state-not-detached/fires_model_hidden_fed_back.ipynb"
  "$SRC/fixtures/stale-optimizer/fires_model_recreated_below.ipynb"
  "$SRC/fixtures/shuffled-timesteps/fires_steps_viewed_as_one_sequence.ipynb"
  "$SRC/fixtures/batch-first-mismatch/fires_default_layout_last_step.ipynb"
  "$SRC/fixtures/state-not-detached/silent_detach_in_place.ipynb"
  "$SRC/examples/sine_forecast.ipynb"
)
for f in "${fixtures[@]}"; do
  [ -f "$f" ] || { echo "FAIL: missing fixture $f"; exit 1; }
done
mkdir -p "layouts/dir with space"
$PY - "$SRC/examples/sine_forecast.ipynb" layouts <<'PY'
import json, os, sys
nb = json.load(open(sys.argv[1]))
out = sys.argv[2]
# string-form sources, pretty-printed
s = json.loads(json.dumps(nb))
for c in s["cells"]:
    c["source"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
json.dump(s, open(os.path.join(out, "string_sources.ipynb"), "w"), indent=1)
# minified: one raw line
json.dump(nb, open(os.path.join(out, "minified.ipynb"), "w"), separators=(",", ":"))
# nbformat 3: worksheets, `input`, `prompt_number`
cells = []
for c in nb["cells"]:
    if c["cell_type"] == "code":
        cells.append({"cell_type": "code", "language": "python", "input": c["source"],
                      "prompt_number": c.get("execution_count"), "outputs": [], "metadata": {}})
    else:
        cells.append({"cell_type": c["cell_type"], "source": c["source"], "metadata": {}})
v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "v3"}, "worksheets": [{"cells": cells, "metadata": {}}]}
json.dump(v3, open(os.path.join(out, "nbformat3.ipynb"), "w"), indent=1)
# minified with raw UTF-8 before the fixed code on its line: byte and code-point columns differ
u = json.loads(json.dumps(nb))
u["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["π ≈ 3.14 — ünïcödé 😀"]})
with open(os.path.join(out, "unicode_minified.ipynb"), "w", encoding="utf-8") as f:
    json.dump(u, f, separators=(",", ":"), ensure_ascii=False)
# a path that needs URI escaping
json.dump(nb, open(os.path.join(out, "dir with space", "a#b%c.ipynb"), "w"), indent=1)
PY
printf '{"cells": [' > layouts/broken.ipynb
cp "${fixtures[@]}" .
names=()
for f in "${fixtures[@]}"; do names+=("$(basename "$f")"); done
inputs=("${names[@]}" layouts/string_sources.ipynb layouts/minified.ipynb layouts/nbformat3.ipynb
        layouts/unicode_minified.ipynb "layouts/dir with space/a#b%c.ipynb")
# What --fix makes of the notebooks with a single fixable finding (safe or unsafe).
mkdir fixed
cp "${names[0]}" "${names[2]}" "${names[3]}" fixed/
"$BIN" --fix --unsafe-fixes fixed/*.ipynb > /dev/null 2>&1
"$BIN" --format sarif --stdin-filename stdin.ipynb - < "${names[2]}" > stdin.sarif

"$BIN" --format sarif "${inputs[@]}" > ok.sarif; rc=$?
"$BIN" --format json "${inputs[@]}" > ok.json
"$BIN" rules --format json > rules.json
"$BIN" --format sarif "${names[0]}" layouts/broken.ipynb > failed.sarif 2> failed.err; rc_failed=$?
"$BIN" --format sarif "${names[4]}" > clean.sarif; rc_clean=$?

$PY - "$SCHEMA" "$rc" "$rc_failed" "$rc_clean" "${names[0]}" "${names[2]}" "${names[3]}" -- "${inputs[@]}" <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
rc, rc_failed, rc_clean = map(int, sys.argv[2:5])
dash = sys.argv.index("--")
single_fix = sys.argv[5:dash]
inputs = sys.argv[dash + 1:]
fails = []
def check(name, ok, detail=""):
    if not ok:
        fails.append(name)
        print("FAIL:", name, detail)

validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
docs = {}
for name in ("ok.sarif", "failed.sarif", "clean.sarif", "stdin.sarif"):
    doc = json.load(open(name))
    docs[name] = doc
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    check(name + " is valid SARIF 2.1.0", not errors, "; ".join(e.message for e in errors[:3]))

check("findings exit 1", rc == 1, rc)
check("a load error exits 2", rc_failed == 2, rc_failed)
check("a clean notebook exits 0", rc_clean == 0, rc_clean)

run = docs["ok.sarif"]["runs"][0]
driver = run["tool"]["driver"]
rules = json.load(open("rules.json"))
check("driver name and version", driver["name"] == "lstm-lint" and driver["version"][0].isdigit(), driver.get("version"))
check("one descriptor per registered rule", [(r["id"], r["name"]) for r in driver["rules"]] ==
      [(r["code"], r["name"]) for r in rules])
levels = {"error": "error", "warning": "warning", "info": "note"}
for descriptor, rule in zip(driver["rules"], rules):
    check(rule["code"] + " default level", descriptor["defaultConfiguration"]["level"] == levels[rule["severity"]])
    check(rule["code"] + " descriptions", descriptor["shortDescription"]["text"] == rule["summary"]
          and descriptor["fullDescription"]["text"] and descriptor["help"]["markdown"].startswith("# " + rule["name"]))

findings = json.load(open("ok.json"))
results = run["results"]
check("one result per finding", len(results) == len(findings) > 20, (len(results), len(findings)))
check("artifacts are the inputs", [a["location"]["uri"] for a in run["artifacts"]][:len(inputs) - 1] ==
      inputs[:-1] and run["artifacts"][-1]["location"]["uri"] == "layouts/dir%20with%20space/a%23b%25c.ipynb",
      [a["location"]["uri"] for a in run["artifacts"]])
check("executionSuccessful", run["invocations"][0]["executionSuccessful"] is True)

def unescape(uri):
    import urllib.parse
    return urllib.parse.unquote(uri)

raw_cache, nb_cache = {}, {}
def raw_lines(path):
    if path not in raw_cache:
        raw_cache[path] = open(path, encoding="utf-8").read().split("\n")
    return raw_cache[path]
def cell_line(path, cell, line):
    if path not in nb_cache:
        nb = json.load(open(path))
        nb_cache[path] = nb["cells"] if "cells" in nb else [c for w in nb["worksheets"] for c in w["cells"]]
    c = nb_cache[path][cell - 1]
    src = c.get("source", c.get("input"))
    src = "".join(src) if isinstance(src, list) else src
    return src.split("\n")[line - 1]

checked = {"layouts/minified.ipynb": 0, "layouts/string_sources.ipynb": 0, "layouts/nbformat3.ipynb": 0, "pretty": 0}
lines_seen = set()
for r, f in zip(results, findings):
    index = r["ruleIndex"]
    check("ruleIndex points at ruleId", driver["rules"][index]["id"] == r["ruleId"] == f["code"], (index, r["ruleId"]))
    check("level", r["level"] == levels[f["severity"]])
    check("message", r["message"]["text"] == f["message"])
    loc = r["locations"][0]
    phys = loc["physicalLocation"]
    path = unescape(phys["artifactLocation"]["uri"])
    check("uri is the file", path == f["filename"], (path, f["filename"]))
    check("artifact index", run["artifacts"][phys["artifactLocation"]["index"]]["location"]["uri"] == phys["artifactLocation"]["uri"])
    region = phys["region"]
    check("no column in the raw file", "startColumn" not in region)
    props = r["properties"]["notebook"]
    check("cell coordinates", (props["cell"], props["line"], props["column"], props["endLine"], props["endColumn"]) ==
          (f["cell"], f["location"]["row"], f["location"]["column"], f["end_location"]["row"], f["end_location"]["column"]))
    check("execution count", props["executionCount"] == f["execution_count"])
    check("logical location", loc["logicalLocations"][0]["name"] == "cell %d" % f["cell"])
    # The raw line must hold the flagged source line, JSON-escaped as the file stores it.
    text = cell_line(path, f["cell"], f["location"]["row"])
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    raw = raw_lines(path)[region["startLine"] - 1]
    check("raw line holds the source line", escaped.strip() and escaped in raw,
          "%s:%d %r not in %r" % (path, region["startLine"], escaped, raw[:200]))
    end_text = cell_line(path, props["endCell"], f["end_location"]["row"])
    check("endLine holds the end line", json.dumps(end_text, ensure_ascii=False)[1:-1] in raw_lines(path)[region["endLine"] - 1])
    if path in checked:
        checked[path] += 1
    else:
        checked["pretty"] += 1
        lines_seen.add((path, region["startLine"]))
    if path == "layouts/minified.ipynb":
        check("minified: line 1", region["startLine"] == 1)
check("every layout had findings", all(n > 0 for n in checked.values()), checked)

# Fixes: a result's replacements, applied to the file by byte offsets or by lines and
# code-point columns (run.columnKind), give the same bytes; the notebook then differs from the
# original only in the cells that the JSON report's edits name, exactly as those edits say.
check("columnKind", run.get("columnKind") == "unicodeCodePoints", run.get("columnKind"))
def offset_of(data, line, column):
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 10]
    at = starts[line - 1]
    for _ in range(column - 1):
        at += 1
        while at < len(data) and (data[at] & 0xC0) == 0x80:
            at += 1
    return at
def apply_replacements(data, replacements, by_lines):
    spans = []
    for rep in replacements:
        reg = rep["deletedRegion"]
        if by_lines:
            span = (offset_of(data, reg["startLine"], reg["startColumn"]), offset_of(data, reg["endLine"], reg["endColumn"]))
        else:
            span = (reg["byteOffset"], reg["byteOffset"] + reg["byteLength"])
        spans.append(span + (rep.get("insertedContent", {}).get("text", "").encode("utf-8"),))
    check("replacements in file order, not overlapping",
          all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans)
    out = bytearray(data)
    for begin, end, text in reversed(spans):
        out[begin:end] = text
    return bytes(out)
def sources(data):
    nb = json.loads(data)
    cells = nb["cells"] if "cells" in nb else [c for w in nb["worksheets"] for c in w["cells"]]
    out = []
    for c in cells:
        src = c.get("source", c.get("input"))
        out.append("".join(src) if isinstance(src, list) else src)
    return out

fixes_checked, kinds, by_path = 0, set(), {}
for r, f in zip(results, findings):
    if "fix" not in f:
        check("no SARIF fix without a fix", "fixes" not in r, r.get("fixes"))
        continue
    check("a fixable finding has one SARIF fix", len(r.get("fixes", [])) == 1, f["filename"])
    if len(r.get("fixes", [])) != 1:
        continue
    fx = r["fixes"][0]
    change = fx["artifactChanges"][0]
    path = unescape(change["artifactLocation"]["uri"])
    check("fix: the result's own file", change["artifactLocation"] == r["locations"][0]["physicalLocation"]["artifactLocation"])
    check("fix: description", fx["description"]["text"] == f["fix"]["message"])
    check("fix: applicability", fx["properties"]["applicability"] == f["fix"]["applicability"])
    data = open(path, "rb").read()
    by_bytes = apply_replacements(data, change["replacements"], False)
    check("fix: lines/columns and byte offsets agree", by_bytes == apply_replacements(data, change["replacements"], True), path)
    expected = sources(data)
    for cell in sorted({e["cell"] for e in f["fix"]["edits"]}):
        src = expected[cell - 1].encode("utf-8")
        for e in sorted((e for e in f["fix"]["edits"] if e["cell"] == cell), key=lambda e: -e["start_byte"]):
            src = src[:e["start_byte"]] + e["content"].encode("utf-8") + src[e["end_byte"]:]
        expected[cell - 1] = src.decode("utf-8")
    check("fix: the notebook changes as the JSON edits say", sources(by_bytes) == expected, (path, f["code"]))
    by_path.setdefault(path, []).append(by_bytes)
    fixes_checked += 1
    kinds.add((f["code"], f["fix"]["applicability"]))
check("fixes were checked in every layout", fixes_checked >= 15, fixes_checked)
check("safe and unsafe fixes were checked", {a for _, a in kinds} == {"safe", "unsafe"}, kinds)
for name in single_fix:
    check("fix: the same bytes as --fix (%s)" % name, by_path.get(name) == [open("fixed/" + name, "rb").read()],
          len(by_path.get(name, [])))
stdin_results = docs["stdin.sarif"]["runs"][0]["results"]
file_results = [r for r in results if unescape(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) == single_fix[1]]
check("stdin: the same replacements as the file",
      [x["fixes"][0]["artifactChanges"][0]["replacements"] for x in stdin_results] ==
      [x["fixes"][0]["artifactChanges"][0]["replacements"] for x in file_results] and len(stdin_results) == 1)
check("pretty-printed findings sit on many different lines", len(lines_seen) > 10, len(lines_seen))

failed = docs["failed.sarif"]["runs"][0]
inv = failed["invocations"][0]
notes = inv.get("toolExecutionNotifications", [])
check("load error: executionSuccessful false", inv["executionSuccessful"] is False)
check("load error: one notification naming the file", len(notes) == 1 and notes[0]["level"] == "error" and
      notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "layouts/broken.ipynb" and
      "invalid JSON" in notes[0]["message"]["text"], notes)
check("load error: the other file's results are there", len(failed["results"]) > 0)
clean = docs["clean.sarif"]["runs"][0]
check("clean: no results, successful", clean["results"] == [] and clean["invocations"][0]["executionSuccessful"] is True)

print("sarif: %d checks failed" % len(fails) if fails else "sarif: all checks passed")
sys.exit(1 if fails else 0)
PY
