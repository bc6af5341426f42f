#!/usr/bin/env python3
"""Compiles labels.src (hand-written labelling notes) into labels.tsv.

Every labelled notebook gets one row per concept: the yes rows written in labels.src, the no
rows written there with their own reason, and a no row with the framework's default reason
for every concept not mentioned. PyTorch notebooks must state rnn-without-grad-clipping
explicitly (yes or no), since whether a recurrent layer is trained is never a default.
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONCEPTS = [
    "out-of-order-execution", "undefined-in-top-down-run", "stale-optimizer",
    "training-resumed-on-stale-model", "error-in-output", "nan-loss-in-output",
    "unexecuted-cell", "shuffled-timesteps", "shuffled-time-series-split",
    "scaler-fit-before-split", "state-not-detached", "state-never-reset",
    "weights-reinit-as-reset", "hidden-batch-size-mismatch", "batch-first-mismatch",
    "view-swaps-axes", "input-size-mismatch", "keras-stateful-shuffle",
    "keras-stateful-no-reset", "missing-zero-grad", "rnn-without-grad-clipping",
]
COMMON = {
    "out-of-order-execution": "execution counts increase from top to bottom",
    "undefined-in-top-down-run": "no top-level read of a name that only a cell below binds",
    "error-in-output": "no error saved in the outputs",
    "nan-loss-in-output": "no nan/inf loss printed in the outputs",
    "unexecuted-cell": "no unexecuted non-empty code cell among executed ones",
    "shuffled-time-series-split": "no shuffling split of windows cut from one series",
    "scaler-fit-before-split": "no scaler or normalisation fit on data that is split afterwards",
}
TORCH = {
    "stale-optimizer": "the optimizer was (re)built after the model cell's last run",
    "training-resumed-on-stale-model": "no unexplained execution counts between model and training cell",
    "shuffled-timesteps": "no shuffled loader whose items are single time steps",
    "state-not-detached": "no returned state fed back into the next iteration of a training loop",
    "state-never-reset": "no detached state carried across an outer (epoch) loop",
    "weights-reinit-as-reset": "no weight re-initialisation in a training loop or state method",
    "hidden-batch-size-mismatch": "initial states absent or laid out (layers, batch of the call, hidden)",
    "batch-first-mismatch": "layer layout agrees with how the input is laid out and indexed",
    "view-swaps-axes": "no view/reshape that swaps the receiver's own sizes",
    "input-size-mismatch": "input_size equals the last axis of the input fed to the layer",
    "keras-stateful-shuffle": "no Keras model",
    "keras-stateful-no-reset": "no Keras model",
    "missing-zero-grad": "gradients zeroed in every loop that steps an optimizer",
}
OTHER = {c: "no PyTorch model or training" for c in TORCH}
OTHER["keras-stateful-shuffle"] = "no Keras layer with stateful=True"
OTHER["keras-stateful-no-reset"] = "no Keras layer with stateful=True"
OTHER["rnn-without-grad-clipping"] = "no PyTorch recurrent layer (Keras/TF only)"
TF1 = dict(OTHER)
TF1["keras-stateful-shuffle"] = "no Keras model (TF1 graph code)"
TF1["keras-stateful-no-reset"] = "no Keras model (TF1 graph code)"


REPO = os.path.dirname(os.path.dirname(HERE))


def framework(manifest):
    fw = {}
    with open(manifest, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            fw[r["file"]] = r["framework"]
    return fw


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", default=os.path.join(HERE, "labels.src"))
    ap.add_argument("--out", default=os.path.join(HERE, "labels.tsv"))
    ap.add_argument("--manifest", default=os.path.join(REPO, "..", "shared", "corpus", "MANIFEST.tsv"))
    args = ap.parse_args()
    fws = framework(args.manifest)
    notes, order, cur = {}, [], None
    with open(args.src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@ "):
                cur = line[2:].strip()
                if cur in notes:
                    sys.exit("labels.src:%d: %s twice" % (n, cur))
                if cur not in fws:
                    sys.exit("labels.src:%d: %s not in the corpus manifest" % (n, cur))
                notes[cur] = []
                order.append(cur)
                continue
            concept, cell, evidence = line.split(" ", 2)
            if concept not in CONCEPTS:
                sys.exit("labels.src:%d: unknown concept %s" % (n, concept))
            if cell != "-" and not cell.isdigit():
                sys.exit("labels.src:%d: bad cell %s" % (n, cell))
            notes[cur].append((concept, cell, evidence))
    rows = []
    for f in order:
        fw = fws[f]
        defaults = dict(COMMON)
        defaults.update(TORCH if fw == "pytorch" else TF1 if fw == "tf" else OTHER)
        given = {}
        for concept, cell, ev in notes[f]:
            given.setdefault(concept, []).append((cell, ev))
        if fw == "pytorch" and "rnn-without-grad-clipping" not in given:
            sys.exit("%s: rnn-without-grad-clipping must be labelled explicitly" % f)
        for concept in CONCEPTS:
            entries = given.get(concept)
            if not entries:
                rows.append((f, concept, "no", "-", defaults[concept]))
                continue
            if any(c == "-" for c, _ in entries) and len(entries) > 1:
                sys.exit("%s %s: a no row together with other rows" % (f, concept))
            for cell, ev in entries:
                rows.append((f, concept, "no" if cell == "-" else "yes", cell, ev))
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writerow(("file", "concept", "label", "cell", "evidence"))
        for r in rows:
            w.writerow(tuple(x.replace("\t", " ") for x in r))
    yes = sum(1 for r in rows if r[2] == "yes")
    print("%d notebooks, %d rows, %d yes" % (len(order), len(rows), yes))


if __name__ == "__main__":
    main()
