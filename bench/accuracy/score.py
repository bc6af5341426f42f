#!/usr/bin/env python3
"""Accuracy of lstm-lint on hand-labelled corpus notebooks (bench/accuracy/README.md).

Runs the built binary on every notebook named in labels.tsv, twice: once with the tool's
default rule set and once with every rule (--select ALL), both --isolated (no configuration
file) and --no-cache. A finding matches a `yes` label when file, rule and cell are the same;
each label is matched by at most one finding. Unmatched findings are false positives,
unmatched `yes` labels false negatives. unused-suppression is not a concept and is ignored.

usage:
  score.py [--binary build/lstm-lint] [--corpus DIR] [--labels labels.tsv] [--jobs N]
           [--only-all] [--findings-json FILE]
  score.py --check [--binary ...]   fast self-test: labels.tsv well-formed and identical to
                                    what build_labels.py makes of labels.src, and the scorer
                                    runs end to end on two labelled notebooks (exit 77 when the
                                    corpus is absent)
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
IGNORED = {"unused-suppression"}


def read_labels(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))
    header, rows = rows[0], rows[1:]
    if header != ["file", "concept", "label", "cell", "evidence"]:
        raise ValueError("labels.tsv: unexpected header %r" % header)
    out = []
    for n, r in enumerate(rows, 2):
        if len(r) != 5:
            raise ValueError("labels.tsv:%d: %d columns, expected 5" % (n, len(r)))
        out.append(dict(zip(header, r), line=n))
    return out


def tool_rules(binary):
    """Every rule the tool knows, and which of them are on by default.

    The default set is read from `lstm-lint rules --format json` when the rules carry a
    default flag; otherwise every rule counts as on by default, which is what the tool does
    without a configuration (docs/configuration.md: select defaults to all)."""
    res = subprocess.run([binary, "rules", "--format", "json"], capture_output=True, text=True, check=True)
    rules = json.loads(res.stdout)
    names = [r["name"] for r in rules]
    flags = sorted({k for r in rules for k, v in r.items() if isinstance(v, bool) and "default" in k.lower()})
    for k in flags:
        if all(k in r for r in rules):
            return names, {r["name"] for r in rules if r[k]}, "rules --format json field '%s'" % k
    if all(isinstance(r.get("preview"), bool) for r in rules):
        return names, {r["name"] for r in rules if not r["preview"]}, "rules --format json field 'preview' (negated)"
    return names, set(names), "no default flag in `rules --format json`: every rule is on by default"


def run_tool(binary, files, select_all, jobs):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as lst:
        lst.write("\n".join(files) + "\n")
        listname = lst.name
    cmd = [binary, "check", "--format", "json", "--exit-zero", "--no-cache", "--isolated",
           "--jobs", str(jobs), "--files-from", listname]
    if select_all:
        cmd[2:2] = ["--select", "ALL"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(listname)
    if res.returncode not in (0, 1):
        sys.exit("lstm-lint failed (%d): %s\n%s" % (res.returncode, " ".join(cmd), res.stderr[-2000:]))
    return json.loads(res.stdout or "[]"), cmd


def score(labels, findings, corpus, rules_in_scope):
    """Match findings to labels; returns per-rule counts and the FP/FN lists."""
    yes = collections.defaultdict(list)  # (file, rule, cell) -> labels
    labelled_files = {l["file"] for l in labels}
    for l in labels:
        if l["label"] == "yes":
            yes[(l["file"], l["concept"], int(l["cell"]))].append(l)
    prefix = os.path.abspath(corpus) + os.sep
    matched = collections.Counter()
    tp, fp, fn = collections.Counter(), collections.Counter(), collections.Counter()
    fps, fns = [], []
    for f in findings:
        rule = f["name"]
        if rule in IGNORED or rule not in rules_in_scope:
            continue
        path = os.path.abspath(f["filename"])
        rel = path[len(prefix):] if path.startswith(prefix) else f["filename"]
        if rel not in labelled_files:
            continue
        key = (rel, rule, int(f["cell"]))
        if matched[key] < len(yes.get(key, [])):
            matched[key] += 1
            tp[rule] += 1
        else:
            fp[rule] += 1
            fps.append((rel, rule, f["cell"], f["message"], bool(yes.get(key))))
    for key, ls in sorted(yes.items()):
        if key[1] not in rules_in_scope:
            continue
        for l in ls[matched[key]:]:
            fn[key[1]] += 1
            fns.append((key[0], key[1], key[2], l["evidence"]))
    return tp, fp, fn, fps, fns


def ratio(a, b):
    return "%.3f" % (a / b) if b else "  -  "


def report(title, rules, tp, fp, fn, fps, fns, labels):
    positives = collections.Counter(l["concept"] for l in labels if l["label"] == "yes")
    print("\n## %s\n" % title)
    print("%-34s %4s %4s %4s %4s  %-9s %-6s" % ("rule", "pos", "TP", "FP", "FN", "precision", "recall"))
    T = P = N = 0
    for r in rules:
        print("%-34s %4d %4d %4d %4d  %-9s %-6s" % (r, positives[r], tp[r], fp[r], fn[r],
                                                  ratio(tp[r], tp[r] + fp[r]), ratio(tp[r], tp[r] + fn[r])))
        T, P, N = T + tp[r], P + fp[r], N + fn[r]
    print("%-34s %4d %4d %4d %4d  %-9s %-6s" % ("overall", sum(positives[r] for r in rules), T, P, N,
                                              ratio(T, T + P), ratio(T, T + N)))
    print("\nFalse positives (%d):" % len(fps))
    for rel, rule, cell, msg, near in sorted(fps):
        tag = " [another finding already matched the label at this cell]" if near else ""
        print("  FP %s | %s | cell %s%s\n       %s" % (rel, rule, cell, tag, msg))
    print("\nFalse negatives (%d):" % len(fns))
    for rel, rule, cell, ev in sorted(fns):
        print("  FN %s | %s | cell %s\n       %s" % (rel, rule, cell, ev))


def check(args):
    """Fast self-test for ctest: the labels are well-formed and the scorer runs."""
    if not os.path.isdir(args.corpus):
        print("corpus %s absent: skipped" % args.corpus)
        return 77
    sys.path.insert(0, HERE)
    import build_labels  # noqa: E402  (same directory)
    labels = read_labels(args.labels)
    concepts = set(build_labels.CONCEPTS)
    per_file = collections.defaultdict(set)
    for l in labels:
        if l["concept"] not in concepts:
            sys.exit("labels.tsv:%d: unknown concept %s" % (l["line"], l["concept"]))
        if l["label"] == "yes" and not l["cell"].isdigit():
            sys.exit("labels.tsv:%d: a yes row needs a cell number" % l["line"])
        if l["label"] == "no" and l["cell"] != "-":
            sys.exit("labels.tsv:%d: a no row has cell '-'" % l["line"])
        if l["label"] not in ("yes", "no") or not l["evidence"].strip():
            sys.exit("labels.tsv:%d: label must be yes/no with evidence" % l["line"])
        per_file[l["file"]].add(l["concept"])
    for f, cs in per_file.items():
        if cs != concepts:
            sys.exit("labels.tsv: %s lacks concepts %s" % (f, sorted(concepts - cs)))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "labels.tsv")
        src = os.path.join(HERE, "labels.src")
        manifest = os.path.join(os.path.dirname(os.path.abspath(args.corpus)), "MANIFEST.tsv")
        res = subprocess.run([sys.executable, os.path.join(HERE, "build_labels.py"), "--out", out, "--src", src,
                              "--manifest", manifest],
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit("build_labels.py failed: " + res.stderr)
        if open(out, encoding="utf-8").read() != open(args.labels, encoding="utf-8").read():
            sys.exit("labels.tsv differs from what build_labels.py makes of labels.src: rebuild it")
    rules, default, _ = tool_rules(args.binary)
    missing = concepts - set(rules)
    if missing:
        sys.exit("concepts that are not rules of the tool: %s" % sorted(missing))
    files = sorted(per_file)[:2]
    sub = [l for l in labels if l["file"] in files]
    findings, _ = run_tool(args.binary, [os.path.join(args.corpus, f) for f in files], True, 1)
    tp, fp, fn, _, _ = score(sub, findings, args.corpus, set(rules))
    print("scorer ran on %d notebooks: TP %d FP %d FN %d" % (len(files), sum(tp.values()), sum(fp.values()),
                                                            sum(fn.values())))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "lstm-lint"))
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus", "notebooks"))
    ap.add_argument("--labels", default=os.path.join(HERE, "labels.tsv"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only-all", action="store_true", help="skip the default-rule-set run")
    ap.add_argument("--findings-json", help="also write the --select ALL findings here")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args))
    labels = read_labels(args.labels)
    files = sorted({l["file"] for l in labels})
    paths = [os.path.join(args.corpus, f) for f in files]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        sys.exit("labelled notebooks missing from the corpus: %s" % missing[:3])
    rules, default, source = tool_rules(args.binary)
    concepts = [r for r in rules if r not in IGNORED]
    yes = sum(1 for l in labels if l["label"] == "yes")
    print("# lstm-lint accuracy on %d labelled notebooks (%d labels, %d yes)" % (len(files), len(labels), yes))
    print("binary: %s" % args.binary)
    findings, cmd = run_tool(args.binary, paths, True, args.jobs)
    if args.findings_json:
        with open(args.findings_json, "w", encoding="utf-8") as f:
            json.dump(findings, f, indent=1)
    print("all rules: %s" % " ".join(os.path.basename(c) if c.startswith("/") else c for c in cmd))
    tp, fp, fn, fps, fns = score(labels, findings, args.corpus, set(concepts))
    report("All rules (--select ALL)", concepts, tp, fp, fn, fps, fns, labels)
    if args.only_all:
        return
    dflt = [r for r in concepts if r in default]
    print("\ndefault rule set (%s): %d of %d rules%s" % (source, len(dflt), len(concepts),
                                                        "" if len(dflt) == len(concepts) else
                                                        "; off by default: " + ", ".join(r for r in concepts if r not in default)))
    findings, _ = run_tool(args.binary, paths, False, args.jobs)
    off = sorted({f["name"] for f in findings if f["name"] not in default and f["name"] not in IGNORED})
    if off:
        print("note: the default run reported rules that the rules listing marks off by default: %s" % off)
    tp, fp, fn, fps, fns = score(labels, findings, args.corpus, set(dflt))
    report("Default rule set (no --select)", dflt, tp, fp, fn, fps, fns, labels)


if __name__ == "__main__":
    main()
