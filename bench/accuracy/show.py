#!/usr/bin/env python3
"""Reading aid for labelling: prints a notebook's cells with the tool's cell numbers.

Only reads the .ipynb JSON; never executes anything. Cell numbers are 1-based over ALL
cells (markdown included), as lstm-lint reports them.

usage: show.py NOTEBOOK [--no-out] [--summary]
"""
import ast
import builtins
import json
import re
import sys


FOCUS = (r"nn\.(LSTM|GRU|RNN)|optim\.|backward|DataLoader|Scaler|split\(|_split|hidden|\.fit\(|stateful|"
         r"zero_grad|clip|detach|init\.|reset_|\.view\(|reshape|permute|transpose|torch\.zeros|\.std\(")


def src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def out_text(o):
    t = o.get("output_type")
    if t == "stream":
        x = o.get("text", "")
        return "".join(x) if isinstance(x, list) else x
    if t == "error":
        return "ERROR %s: %s" % (o.get("ename"), o.get("evalue"))
    if t in ("execute_result", "display_data"):
        d = o.get("data", {})
        x = d.get("text/plain", "")
        x = "".join(x) if isinstance(x, list) else x
        keys = [k for k in d if k != "text/plain"]
        return x + (" [%s]" % ",".join(keys) if keys else "")
    return ""


def mask(code):
    lines = []
    for ln in code.split("\n"):
        st = ln.lstrip()
        if st.startswith(("%", "!")) or st.startswith("?") or st.endswith("?"):
            lines.append("")
        else:
            lines.append(ln)
    if lines and code.lstrip().startswith("%%"):
        return ""
    return "\n".join(lines)


class Names(ast.NodeVisitor):
    def __init__(self):
        self.reads, self.binds, self.star = set(), set(), False
        self.comp = set()

    def visit_Name(self, n):
        (self.reads if isinstance(n.ctx, ast.Load) else self.binds).add(n.id)

    def _func(self, n):
        self.binds.add(n.name)
        for d in n.decorator_list:
            self.visit(d)
        for d in n.args.defaults + n.args.kw_defaults:
            if d is not None:
                self.visit(d)

    visit_FunctionDef = visit_AsyncFunctionDef = _func

    def visit_Lambda(self, n):
        for d in n.args.defaults:
            self.visit(d)

    def visit_ClassDef(self, n):
        self.binds.add(n.name)
        for b in n.bases + n.decorator_list:
            self.visit(b)
        for s in n.body:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in s.decorator_list + s.args.defaults:
                    self.visit(d)
            else:
                self.visit(s)

    def visit_Import(self, n):
        for a in n.names:
            self.binds.add((a.asname or a.name).split(".")[0])

    def visit_ImportFrom(self, n):
        for a in n.names:
            if a.name == "*":
                self.star = True
            else:
                self.binds.add(a.asname or a.name)

    def _comp(self, n):
        for g in n.generators:
            for t in ast.walk(g.target):
                if isinstance(t, ast.Name):
                    self.comp.add(t.id)
        self.generic_visit(n)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comp

    def visit_ExceptHandler(self, n):
        if n.name:
            self.binds.add(n.name)
        self.generic_visit(n)


def undefined(cells):
    info = []
    for i, c in cells:
        v = Names()
        try:
            v.visit(ast.parse(mask(src(c))))
        except SyntaxError:
            info.append((i, set(), set(), False, True))
            continue
        info.append((i, v.reads - v.comp, v.binds, v.star, False))
    bi = set(dir(builtins)) | {"display", "get_ipython", "In", "Out", "_", "__file__"}
    if any(x[3] for x in info):
        return ["(star import: skipped)"]
    res = []
    for k, (i, reads, _, _, _) in enumerate(info):
        above = set().union(*[x[2] for x in info[:k]]) if k else set()
        below = set().union(*[x[2] for x in info[k + 1:]]) if k + 1 < len(info) else set()
        own = info[k][2]
        for n in sorted(reads):
            if n in bi or n in above or n in own:
                continue
            if n in below:
                res.append("cell %d reads %r (bound only below)" % (i, n))
    return res


def main():
    path = sys.argv[1]
    no_out = "--no-out" in sys.argv
    nb = json.load(open(path, encoding="utf-8"))
    cells = nb.get("cells", [])
    code = [(i + 1, c) for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    if "--summary" not in sys.argv:
        for i, c in enumerate(cells, 1):
            if c.get("cell_type") != "code":
                continue
            if "--focus" in sys.argv and not re.search(FOCUS, src(c)):
                print("-- cell %d In[%s] (%d lines, no keyword)" % (i, c.get("execution_count"), len(src(c).splitlines())))
                continue
            print("=" * 20, "cell %d  In[%s]" % (i, c.get("execution_count")))
            print(src(c))
            if no_out:
                continue
            for o in c.get("outputs", []):
                t = out_text(o)
                ls = t.split("\n")
                if len(ls) > 12:
                    t = "\n".join(ls[:6] + ["   ...(%d lines)..." % (len(ls) - 10)] + ls[-4:])
                if len(t) > 1500:
                    t = t[:1500] + "...[cut]"
                print("  >>", t.replace("\n", "\n  >> "))
    print("#" * 20, "SUMMARY", path.split("/")[-1])
    counts = [(i, c.get("execution_count")) for i, c in code]
    print("counts:", " ".join("%d:%s" % (i, e) for i, e in counts))
    ran = [(i, e) for i, e in counts if e]
    desc = [(ran[k][0], ran[k - 1][1], ran[k][1]) for k in range(1, len(ran)) if ran[k][1] < ran[k - 1][1]]
    print("descents (cell, prev, this):", desc)
    unexec = [i for i, c in code if not c.get("execution_count") and src(c).strip()]
    print("unexecuted non-empty:", unexec if ran else "(nothing ran)")
    for i, c in code:
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                print("error in cell %d: %s: %s" % (i, o.get("ename"), str(o.get("evalue"))[:150]))
            t = out_text(o)
            for ln in t.split("\n"):
                if re.search(r"\b(nan|inf|NaN|Inf|infinity)\b", ln):
                    print("nan/inf? cell %d: %s" % (i, ln[:160]))
                    break
    for r in undefined(code):
        print("undef:", r)


if __name__ == "__main__":
    main()
