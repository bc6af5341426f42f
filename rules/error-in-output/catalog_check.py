#!/usr/bin/python3
"""Checks rules/error-in-output/catalog.json, the LSTM error catalog.

Usage: catalog_check.py [CATALOG] [--cxx]

The C++ rule applies each entry's `pattern` with std::regex (ECMAScript grammar,
std::regex_search, case-sensitive) to `ename + ": " + evalue`, and the first
matching entry in file order wins. This script checks:

  * the schema: required keys and types, unique ids, rule names, >= 24 entries;
  * that every pattern compiles with Python's `re` and avoids constructs that
    ECMAScript std::regex lacks or reads differently (lookbehind, named groups,
    inline flags, \\A \\Z \\z, atomic groups, a bare `{`, `}` or `]`);
  * that every example matches its own pattern and that the first entry whose
    pattern matches the example is the example's own entry.

With --cxx it also compiles a small program with the system C++ compiler and
repeats the example check with std::regex itself, plus a run over long inputs.

Exits 1 on any failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

MIN_ENTRIES = 24
RULES = {
    "state-not-detached", "state-never-reset", "hidden-batch-size-mismatch",
    "batch-first-mismatch", "view-swaps-axes", "input-size-mismatch",
    "shuffled-timesteps", "weights-reinit-as-reset", "keras-stateful-shuffle",
    "keras-stateful-no-reset", "missing-zero-grad", "stale-optimizer",
    "undefined-in-top-down-run",
}
FRAMEWORKS = {"pytorch", "keras", "tensorflow", "python"}
SOURCES = {"reproduced", "documented"}
TEXT_KEYS = ("id", "framework", "pattern", "title", "cause", "fix")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUANTIFIER_RE = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")


def ecmascript_problems(pattern):
    """Constructs that Python's re accepts but ECMAScript std::regex rejects or reads differently."""
    problems = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt in ("A", "Z", "z", "G"):
                problems.append(f"\\{nxt} is not ECMAScript")
            if nxt == "" :
                problems.append("pattern ends with a backslash")
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[" and i + 1 < n and pattern[i + 1] in ":.=":
                problems.append("POSIX class syntax [: :] inside a bracket")
            i += 1
            continue
        if c == "[":
            in_class = True
            # a ']' right after '[' or '[^' is literal in Python but ends the class in ECMAScript
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                problems.append("']' first in a bracket expression is read differently by ECMAScript")
            i = j
            continue
        if c == "(" and pattern.startswith("(?", i):
            if not (pattern.startswith("(?:", i) or pattern.startswith("(?=", i)
                    or pattern.startswith("(?!", i)):
                problems.append(f"group syntax {pattern[i:i + 4]!r} is not ECMAScript "
                                "(no lookbehind, named groups, inline flags or atomic groups)")
        elif c == "{":
            m = QUANTIFIER_RE.match(pattern, i)
            if not m or i == 0:
                problems.append("bare '{' (escape it as \\{)")
            else:
                i = m.end()
                continue
        elif c == "}":
            problems.append("bare '}' (escape it as \\})")
        elif c == "]":
            problems.append("bare ']' outside a bracket (escape it as \\])")
        i += 1
    if in_class:
        problems.append("unterminated bracket expression")
    return problems


def check(catalog_path):
    errors = []
    try:
        with open(catalog_path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return [f"cannot read {catalog_path}: {e}"], []
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return ["top level must be an object with an 'entries' array"], []
    entries = data["entries"]
    if len(entries) < MIN_ENTRIES:
        errors.append(f"{len(entries)} entries; at least {MIN_ENTRIES} are required")

    compiled = []  # (id, regex or None)
    seen = set()
    for index, e in enumerate(entries):
        where = f"entry {index}"
        if not isinstance(e, dict):
            errors.append(f"{where}: not an object")
            compiled.append((None, None))
            continue
        eid = e.get("id")
        if isinstance(eid, str):
            where = f"entry {index} ({eid})"
        for key in TEXT_KEYS:
            if not isinstance(e.get(key), str) or not e[key].strip():
                errors.append(f"{where}: '{key}' must be a non-empty string")
        for key in ("rule", "examples"):
            if key not in e:
                errors.append(f"{where}: missing '{key}'")
        if isinstance(eid, str):
            if not ID_RE.match(eid):
                errors.append(f"{where}: id must be lower-case words joined by '-'")
            if eid in seen:
                errors.append(f"{where}: duplicate id")
            seen.add(eid)
        if isinstance(e.get("framework"), str) and e["framework"] not in FRAMEWORKS:
            errors.append(f"{where}: framework must be one of {sorted(FRAMEWORKS)}")
        rule = e.get("rule")
        if rule is not None and rule not in RULES:
            errors.append(f"{where}: unknown rule {rule!r}")
        if "example_source" in e and e["example_source"] not in SOURCES:
            errors.append(f"{where}: example_source must be one of {sorted(SOURCES)}")
        for key in ("cause", "fix"):
            text = e.get(key)
            if isinstance(text, str) and text and not text.rstrip().endswith("."):
                errors.append(f"{where}: '{key}' should be one sentence ending with '.'")
        examples = e.get("examples")
        if not isinstance(examples, list) or not 1 <= len(examples) <= 3 \
                or not all(isinstance(x, str) and x.strip() for x in examples):
            errors.append(f"{where}: 'examples' must hold 1 to 3 non-empty strings")
        elif not all(re.match(r"^[A-Za-z_][A-Za-z0-9_.]*:", x) for x in examples):
            errors.append(f"{where}: each example must read 'ename: evalue'")
        regex = None
        pattern = e.get("pattern")
        if isinstance(pattern, str) and pattern:
            for problem in ecmascript_problems(pattern):
                errors.append(f"{where}: pattern: {problem}")
            try:
                regex = re.compile(pattern)
            except re.error as err:
                errors.append(f"{where}: pattern does not compile: {err}")
            else:
                if regex.search(""):
                    errors.append(f"{where}: pattern matches the empty string")
        compiled.append((eid, regex))

    pairs = []  # (entry index, example) for the C++ cross-check
    for index, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("examples"), list):
            continue
        eid, regex = compiled[index]
        for example in e["examples"]:
            if not isinstance(example, str):
                continue
            pairs.append((index, example))
            short = example.splitlines()[0][:70] if example else ""
            if regex is not None and not regex.search(example):
                errors.append(f"entry {index} ({eid}): its pattern does not match its example {short!r}")
                continue
            for other_index, (other_id, other) in enumerate(compiled):
                if other is not None and other.search(example):
                    if other_index != index:
                        errors.append(f"entry {index} ({eid}): example {short!r} is taken first by "
                                      f"entry {other_index} ({other_id})")
                    break
    return errors, (entries, pairs)


CXX_SOURCE = r"""
#include <iostream>
#include <regex>
#include <string>
#include <vector>
// stdin: N, then N length-prefixed patterns, then M, then M length-prefixed texts.
// stdout: per pattern "ok" or "bad <what>", then per text the index of the first matching pattern (-1 if none).
static std::string read_blob(std::istream& in) {
  std::size_t len = 0; in >> len; in.get();
  std::string s(len, '\0'); in.read(&s[0], static_cast<std::streamsize>(len));
  return s;
}
int main() {
  std::size_t n = 0; std::cin >> n;
  std::vector<std::regex> res; std::vector<bool> good;
  for (std::size_t i = 0; i < n; ++i) {
    std::string p = read_blob(std::cin);
    try { res.emplace_back(p, std::regex::ECMAScript); good.push_back(true); std::cout << "ok\n"; }
    catch (const std::regex_error& e) { res.emplace_back(); good.push_back(false); std::cout << "bad " << e.what() << "\n"; }
  }
  std::size_t m = 0; std::cin >> m;
  for (std::size_t j = 0; j < m; ++j) {
    std::string t = read_blob(std::cin);
    long first = -1;
    for (std::size_t i = 0; i < n; ++i) {
      if (good[i] && std::regex_search(t, res[i])) { first = static_cast<long>(i); break; }
    }
    std::cout << first << "\n";
  }
  return 0;
}
"""


def cxx_check(entries, pairs):
    compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if not compiler:
        return ["--cxx: no C++ compiler found"]
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "check.cpp"), os.path.join(tmp, "check")
        with open(src, "w") as f:
            f.write(CXX_SOURCE)
        build = subprocess.run([compiler, "-std=c++17", "-O1", "-o", exe, src],
                               capture_output=True, text=True)
        if build.returncode != 0:
            return ["--cxx: compiling the checker failed:\n" + build.stderr]
        # Long inputs: a long state_dict message and a long traceback-like evalue, to catch
        # patterns whose std::regex backtracking would blow the stack.
        long_texts = [
            "RuntimeError: Error(s) in loading state_dict for M:\n" + "".join(
                f"\tsize mismatch for layers.{i}.weight_ih_l0: copying a param with shape "
                f"torch.Size([256, 1]) from checkpoint, the shape in current model is "
                f"torch.Size([512, 1]).\n" for i in range(300)),
            "ValueError: " + "x" * 50000,
            "InvalidArgumentError: (" + "[1, 2, 3] " * 5000,
        ]
        texts = [t for _, t in pairs] + long_texts
        blob = [str(len(entries))]
        for e in entries:
            p = e.get("pattern", "").encode("utf-8")
            blob.append(f"{len(p)}\n" + p.decode("utf-8"))
        blob.append(str(len(texts)))
        for t in texts:
            b = t.encode("utf-8")
            blob.append(f"{len(b)}\n" + t)
        run = subprocess.run([exe], input="\n".join(blob).encode("utf-8"), capture_output=True)
        if run.returncode != 0:
            return [f"--cxx: checker crashed (exit {run.returncode}); a pattern likely "
                    "overflows std::regex's stack on a long input"]
        lines = run.stdout.decode("utf-8").splitlines()
        for i, e in enumerate(entries):
            if lines[i] != "ok":
                errors.append(f"entry {i} ({e.get('id')}): std::regex rejects the pattern: {lines[i]}")
        firsts = lines[len(entries):]
        for (index, text), first in zip(pairs, firsts):
            if int(first) != index:
                errors.append(f"entry {index} ({entries[index].get('id')}): with std::regex the example "
                              f"{text.splitlines()[0][:70]!r} is taken by entry {first}")
    return errors


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    path = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog.json")
    errors, extra = check(path)
    if not errors and "--cxx" in argv:
        errors += cxx_check(*extra)
    if errors:
        for err in errors:
            print(f"catalog_check: {err}", file=sys.stderr)
        print(f"catalog_check: FAILED ({len(errors)} problem(s))", file=sys.stderr)
        return 1
    entries, pairs = extra
    print(f"catalog_check: OK: {len(entries)} entries, {len(pairs)} examples"
          + (", std::regex agrees" if "--cxx" in argv else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
