#!/usr/bin/env python3
"""Replay tests: pipes JSON experiments through the real lstm-lint-replay and checks verdicts and
key metrics. Usage: test_replay.py LSTM_LINT_REPLAY GROUP (exit 77 = skipped: not built)."""
import json
import os
import subprocess
import sys

EXE = sys.argv[1] if len(sys.argv) > 1 else ""
GROUP = sys.argv[2] if len(sys.argv) > 2 else "all"
failures = []


def run(doc, args=(), raw=None, timeout=180):
    data = raw if raw is not None else json.dumps(doc)
    p = subprocess.run([EXE, *args], input=data.encode(), capture_output=True, timeout=timeout)
    return p


def replay(experiments, budget=None, args=()):
    doc = {"version": 1, "experiments": experiments}
    if budget is not None:
        doc["budget_seconds"] = budget
    p = run(doc, args)
    if p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr.decode()[-2000:]}")
    out = json.loads(p.stdout)
    assert out["version"] == 1 and out["load_seconds"] > 0 and isinstance(out["torch"], str), out
    assert len(out["results"]) == len(experiments)
    return out


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}")
    else:
        print(f"ok   {name}")


def metric(result, name):
    for m in result["metrics"]:
        if m["name"] == name:
            return m["value"]
    raise KeyError(f"{result['rule']}: no metric {name} in {[m['name'] for m in result['metrics']]}")


# Each case: (rule, spec, verdict, [(metric, op, value)], error substring or None)
CASES = {
    "state-not-detached": [
        ({}, "CONFIRMED", [("failed_at_step", "==", 2)], "backward through the graph a second time"),
        ({"cell": "gru", "num_layers": 2}, "CONFIRMED", [("failed_at_step", "==", 2)], "second time"),
        ({"retain_graph": True}, "CONFIRMED", [("graph_growth", ">", 2)], "inplace operation"),
        ({"state": "detached"}, "NOT CONFIRMED", [("failed_at_step", "==", 0), ("steps_run", "==", 3)], None),
        ({"state": "reset", "cell": "rnn"}, "NOT CONFIRMED", [("failed_at_step", "==", 0)], None),
        ({"state": "detached", "retain_graph": True}, "NOT CONFIRMED", [("graph_growth", "<=", 1.01)], None),
    ],
    "state-never-reset": [
        ({}, "CONFIRMED", [("max_abs_diff", ">", 1e-3), ("first_step_diff", ">", 1e-6)], None),
        ({"state": "detached", "cell": "gru", "bidirectional": True}, "CONFIRMED", [("max_abs_diff", ">", 1e-6)], None),
        ({"state": "reset"}, "NOT CONFIRMED", [("max_abs_diff", "==", 0)], None),
    ],
    "weights-reinit-as-reset": [
        ({"reinit": "per_batch"}, "CONFIRMED",
         [("with_reinit_loss_ratio", ">", 0.8), ("without_reinit_loss_ratio", "<", 0.5)], None),
        ({"reinit": "per_epoch", "epochs": 3}, "CONFIRMED",
         [("with_reinit_loss_ratio", ">", 0.8), ("without_reinit_loss_ratio", "<", 0.5)], None),
        ({"reinit": "per_epoch", "epochs": 1}, "NOT CONFIRMED", [("steps_per_epoch", "==", 32)], None),
        ({"reinit": "none"}, "NOT CONFIRMED", [("without_reinit_loss_ratio", "<", 0.5)], None),
        # The article's Example 2: a classification with the head's 2 classes, reset before every batch.
        ({"reinit": "per_batch", "loss": "cross_entropy", "output_size": 2, "input_size": 10, "hidden_size": 20,
          "seq_len": 30, "batch_size": 32, "dataset_length": 640, "epochs": 5, "batch_first": True}, "CONFIRMED",
         [("with_reinit_loss_ratio", ">", 0.8), ("without_reinit_loss_ratio_at_same_step", "<", 0.5),
          ("steps_per_epoch", "==", 20)], None),
        ({"reinit": "none", "loss": "nll", "output_size": 5}, "NOT CONFIRMED", [("without_reinit_loss_ratio", "<", 0.5)], None),
        ({"reinit": "per_batch", "loss": "bce", "cell": "gru"}, "CONFIRMED", [("with_reinit_loss_ratio", ">", 0.8)], None),
        # Too few steps in the whole notebook for the reference to learn anything: the notebook cannot decide.
        ({"reinit": "per_batch", "dataset_length": 64, "epochs": 1}, "INCONCLUSIVE", [("notebook_steps", "==", 2)], None),
    ],
    "hidden-batch-size-mismatch": [
        ({"batch_size": 32, "dataset_length": 1000}, "CONFIRMED",
         [("last_batch_size", "==", 8), ("batch_sizes_failed", "==", 1)], "Expected hidden"),
        ({"batch_size": 32, "dataset_length": 1024}, "NOT CONFIRMED", [("batch_sizes_failed", "==", 0)], None),
        ({"batch_size": 32, "dataset_length": 1000, "drop_last": True}, "NOT CONFIRMED",
         [("last_batch_size", "==", 0)], None),
        ({"state_layout": "batch_layers_hidden", "num_layers": 2, "dataset_length": 1024}, "CONFIRMED",
         [("batch_sizes_failed", "==", 1)], "Expected hidden"),
        ({"batch_size": 64, "hidden_batch": 32, "dataset_length": 1024}, "CONFIRMED", [], "Expected hidden"),
        # Caps keep the relation: 500 vs 1000 stay different after scaling.
        ({"batch_size": 1000, "dataset_length": 100500, "hidden_batch": 1000}, "CONFIRMED",
         [("last_batch_size", "==", 500)], "Expected hidden"),
        ({"batch_size": 1000, "dataset_length": 100000, "hidden_batch": 1000}, "NOT CONFIRMED", [], None),
    ],
    "batch-first-mismatch": [
        ({"batch_first": False, "data_layout": "batch_time_feature"}, "CONFIRMED",
         [("other_sample_change", ">", 1e-6), ("first_step_reaches_last_output", "<=", 1e-6)], None),
        ({"batch_first": True, "data_layout": "time_batch_feature", "cell": "gru"}, "CONFIRMED",
         [("other_sample_change", ">", 1e-6)], None),
        ({"batch_first": True, "data_layout": "batch_time_feature"}, "NOT CONFIRMED",
         [("other_sample_change", "==", 0), ("first_step_reaches_last_output", ">", 1e-6)], None),
        ({"batch_first": False, "data_layout": "time_batch_feature", "bidirectional": True}, "NOT CONFIRMED",
         [("other_sample_change", "==", 0)], None),
    ],
    "view-swaps-axes": [
        ({"source_shape": [4, 5, 3], "target_shape": [5, 4, 3]}, "CONFIRMED", [("misplaced_fraction", ">", 0.5)], None),
        ({"source_shape": [4, 5, 3], "target_shape": [5, -1, 3]}, "CONFIRMED", [("misplaced_fraction", ">", 0)], None),
        ({"source_shape": [1, 5, 3], "target_shape": [5, 1, 3]}, "NOT CONFIRMED", [("misplaced_fraction", "==", 0)], None),
        ({"source_shape": [4, 1, 3], "target_shape": [1, 4, 3]}, "NOT CONFIRMED", [("misplaced_fraction", "==", 0)], None),
        ({"source_shape": [100000, 50000, 8], "target_shape": [50000, 100000, 8]}, "CONFIRMED",
         [("misplaced_fraction", ">", 0.5), ("elements", "<=", 2 ** 22)], None),
        ({"source_shape": [4, 5, 3], "target_shape": [7, 4, 3]}, "INCONCLUSIVE", [], "invalid"),
    ],
    "input-size-mismatch": [
        ({"input_size": 1, "data_features": 24}, "CONFIRMED", [("ran", "==", 0)], "input.size(-1) must be equal to input_size"),
        ({"input_size": 600, "data_features": 700}, "CONFIRMED", [("data_features", "==", 700)], "input_size"),
        ({"input_size": 24, "data_features": 24}, "NOT CONFIRMED", [("ran", "==", 1)], None),
        ({"input_size": 5000, "data_features": 5000}, "NOT CONFIRMED", [("ran", "==", 1)], None),
    ],
    "stale-optimizer": [
        ({}, "CONFIRMED", [("new_model_max_change", "==", 0), ("control_new_model_max_change", ">", 0),
                           ("new_model_grad_norm", ">", 0)], None),
        ({"optimizer": "sgd", "loss": "cross_entropy", "output_size": 3}, "CONFIRMED",
         [("new_model_max_change", "==", 0)], None),
        ({"optimizer_over": "new_model"}, "NOT CONFIRMED", [("new_model_max_change", ">", 0)], None),
        ({"lr": 1e-30}, "INCONCLUSIVE", [("control_new_model_max_change", "==", 0)], None),
    ],
    "shuffled-timesteps": [
        ({"shuffle": True}, "CONFIRMED", [("adjacency", "<", 0.05), ("lag_task_loss_ratio", ">", 2)], None),
        ({"shuffle": True, "regroup": "view", "batch_size": 200, "seq_len": 20}, "CONFIRMED",
         [("adjacency", "<", 0.05)], None),
        ({"shuffle": False}, "NOT CONFIRMED", [("adjacency", "==", 1)], None),
        ({"shuffle": True, "dataset_length": 10 ** 9, "batch_size": 64}, "CONFIRMED", [("adjacency", "<", 0.01)], None),
    ],
    "keras-stateful-shuffle": [
        ({"shuffle": True}, "CONFIRMED", [("rows_continuing_their_predecessor", "<", 0.1),
                                          ("max_state_diff", ">", 1e-6)], None),
        ({"shuffle": False}, "NOT CONFIRMED", [("rows_continuing_their_predecessor", "==", 1),
                                               ("max_state_diff", "==", 0)], None),
    ],
    "keras-stateful-no-reset": [
        ({}, "CONFIRMED", [("epoch2_first_batch_diff", ">", 1e-6)], None),
        ({"state": "reset"}, "NOT CONFIRMED", [("epoch2_first_batch_diff", "==", 0)], None),
    ],
    "out-of-order-execution": [
        ({"saved_first_loss": 0.001}, "CONFIRMED", [("saved_over_fresh_min", "<", 0.1)], None),
        ({"saved_first_loss": 1.2}, "INCONCLUSIVE", [("saved_over_fresh_min", ">=", 0.1)], None),
        ({}, "INCONCLUSIVE", [("fresh_initial_loss_min", ">", 0)], None),
    ],
    "missing-zero-grad": [
        ({}, "CONFIRMED", [("peak_applied_over_own", ">", 2), ("peak_applied_over_own_zeroed", "<", 1.001)], None),
        ({"zero_grad": "per_epoch", "optimizer": "sgd", "lr": 0.05, "dataset_length": 256, "batch_size": 32}, "CONFIRMED",
         [("steps_measured", "==", 8)], None),
        ({"zero_grad": "per_epoch", "dataset_length": 32, "batch_size": 32}, "NOT CONFIRMED", [("steps_per_epoch", "==", 1)], None),
        ({"zero_grad": "per_batch"}, "NOT CONFIRMED", [], None),
        ({"loss": "cross_entropy", "output_size": 3, "cell": "gru"}, "CONFIRMED", [("peak_applied_over_own", ">", 2)], None),
    ],
    "training-resumed-on-stale-model": [
        ({"saved_first_loss": 0.0004, "loss": "mse", "target_scale": 1.0}, "CONFIRMED", [], None),
        ({"saved_first_loss": 0.9, "loss": "cross_entropy", "output_size": 5}, "INCONCLUSIVE", [], None),
    ],
}

OPS = {"==": lambda a, b: a == b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}

DEFAULT_SPECS = {rule: cases[0][0] for rule, cases in CASES.items()}


def test_rule(rule):
    cases = CASES[rule]
    out = replay([{"id": f"c{i}", "rule": rule, "spec": spec} for i, (spec, *_rest) in enumerate(cases)])
    for i, (spec, verdict, checks, error) in enumerate(cases):
        r = out["results"][i]
        name = f"{rule} {json.dumps(spec)}"
        check(name + " verdict", r["verdict"] == verdict, f"got {r['verdict']}: {r['summary']}")
        assert r["id"] == f"c{i}" and r["rule"] == rule
        check(name + " summary", isinstance(r["summary"], str) and len(r["summary"]) > 10, r["summary"])
        for m, op, value in checks:
            try:
                got = metric(r, m)
                check(f"{name} {m} {op} {value}", got is not None and OPS[op](got, value), f"got {got}")
            except KeyError as e:
                check(f"{name} {m}", False, str(e))
        if error:
            text = (r.get("error") or "") + r["summary"]
            check(f"{name} error", error in text, f"error {r.get('error')!r} lacks {error!r}")
        elif verdict != "INCONCLUSIVE":
            check(f"{name} no error", "error" not in r, r.get("error"))
        for key in ("used", "scaled", "seconds", "cpu_seconds", "metrics"):
            check(f"{name} has {key}", key in r)


def strip_timings(out):
    out = json.loads(json.dumps(out))
    out.pop("load_seconds")
    for r in out["results"]:
        r.pop("seconds")
        r.pop("cpu_seconds")
        r["metrics"] = [m for m in r["metrics"] if "seconds" not in m["name"]]
    return out


def test_determinism():
    exps = []
    for rule, cases in CASES.items():
        for i, case in enumerate(cases[:2]):
            exps.append({"id": f"{rule}-{i}", "rule": rule, "spec": case[0]})
    a = strip_timings(replay(exps))
    b = strip_timings(replay(list(reversed(exps))))
    b["results"].reverse()
    for ra, rb in zip(a["results"], b["results"]):
        check(f"deterministic {ra['id']}", ra == rb, f"\n{json.dumps(ra)}\n{json.dumps(rb)}")


def test_no_replay():
    out = replay([{"id": "z", "rule": "rnn-without-grad-clipping", "spec": {}},
                  {"id": "u", "rule": "no-such-rule"},
                  {"id": 7, "rule": "error-in-output", "spec": None}])
    for r in out["results"]:
        check(f"no replay {r['rule']}", r["verdict"] == "NO REPLAY", r)
    check("numeric id echoed", out["results"][2]["id"] == 7)


HOSTILE_SPECS = [
    {"hidden_size": 10 ** 9, "seq_len": 10 ** 12, "batch_size": 10 ** 15, "input_size": 10 ** 7, "num_layers": 10 ** 6,
     "dataset_length": 10 ** 18, "epochs": 10 ** 9, "output_size": 10 ** 9, "data_features": 10 ** 8,
     "hidden_batch": 10 ** 10, "k": 10 ** 9, "source_shape": [10 ** 9, 10 ** 9, 10 ** 9],
     "target_shape": [10 ** 9, 10 ** 9, 10 ** 9], "bidirectional": True, "saved_first_loss": 1e308},
    {"hidden_size": 1e300, "seq_len": 1.5e19, "batch_size": 18446744073709551615},
    # Largest allowed sizes everywhere: work caps must keep each experiment inside the budget.
    {"hidden_size": 256, "seq_len": 256, "batch_size": 256, "input_size": 512, "num_layers": 4,
     "bidirectional": True, "dataset_length": 100000, "epochs": 5, "shuffle": True, "retain_graph": True},
]
BAD_VALUES = [("hidden_size", "big"), ("seq_len", -5), ("batch_size", 0), ("input_size", 2.5), ("num_layers", True),
              ("lr", "NaN"), ("lr", -1), ("cell", 3), ("cell", "transformer"), ("bidirectional", "yes"),
              ("source_shape", [4, "x"]), ("permute", [0, 0, 1]), ("target_shape", [-1, -1, 3]),
              ("saved_first_loss", "low"), ("state", "frozen")]


def test_hostile():
    rules = list(CASES)
    exps = []
    for spec in HOSTILE_SPECS:
        for rule in rules:
            exps.append({"id": rule, "rule": rule, "spec": spec})
    out = replay(exps, budget=30)
    for r in out["results"]:
        check(f"hostile {r['rule']} finishes", r["verdict"] in ("CONFIRMED", "NOT CONFIRMED", "INCONCLUSIVE"), r)
        check(f"hostile {r['rule']} within budget", r["seconds"] < 31, r["seconds"])
        check(f"hostile {r['rule']} not budget-exceeded", "budget exceeded" not in r["summary"], r["summary"])
    capped = [r for r in out["results"][:len(rules)] if r["scaled"]]
    check("hostile sizes are scaled and recorded", len(capped) >= len(rules) - 2,
          [r["rule"] for r in out["results"][:len(rules)] if not r["scaled"]])
    exps = []
    for key, value in BAD_VALUES:
        for rule in rules:
            exps.append({"id": f"{rule}:{key}", "rule": rule, "spec": {key: value}})
    out = replay(exps)
    for r in out["results"]:
        key = r["id"].split(":")[1]
        if key in r["used"] or r["verdict"] == "INCONCLUSIVE" and key in r["summary"]:
            check(f"bad {r['id']} -> INCONCLUSIVE naming the key",
                  r["verdict"] == "INCONCLUSIVE" and f"`{key}`" in r["summary"], r["summary"])
    # Structural problems of one experiment do not stop the others.
    out = replay([5, {"id": "x"}, {"id": "y", "rule": "state-never-reset", "spec": [1]},
                  {"id": "ok", "rule": "state-never-reset"}])
    verdicts = [r["verdict"] for r in out["results"]]
    check("bad entries INCONCLUSIVE, good entry runs", verdicts == ["INCONCLUSIVE"] * 3 + ["CONFIRMED"], verdicts)


def test_malformed():
    cases = ["", "not json", "[]", "{\"version\": 1}", "{\"version\": 2, \"experiments\": []}",
             "{\"experiments\": []}", "{\"version\": 1, \"experiments\": {}}",
             "{\"version\": 1, \"experiments\": [], \"budget_seconds\": \"x\"}",
             "{\"version\": 1, \"experiments\": [], \"budget_seconds\": -3}", "{\"version\": 1, \"experiments\": [",
             "\xff\xfe"]
    for raw in cases:
        p = run(None, raw=raw)
        check(f"malformed {raw[:30]!r} -> exit 2", p.returncode == 2 and p.stdout == b"" and p.stderr,
              f"exit {p.returncode}, stdout {p.stdout[:100]!r}")
    p = run(None, args=["--memory-mb", "ten"], raw='{"version": 1, "experiments": []}')
    check("bad --memory-mb -> exit 2", p.returncode == 2)
    p = run(None, args=["--frobnicate"], raw='{"version": 1, "experiments": []}')
    check("unknown argument -> exit 2", p.returncode == 2)
    p = run(None, raw='{"version": 1, "experiments": []}')
    check("empty experiment list -> exit 0", p.returncode == 0 and json.loads(p.stdout)["results"] == [])


def test_budget():
    exps = [{"id": r, "rule": r, "spec": spec} for r, spec in DEFAULT_SPECS.items()]
    out = replay(exps, budget=1e-9)
    for r in out["results"]:
        check(f"budget {r['rule']} -> INCONCLUSIVE budget exceeded",
              r["verdict"] == "INCONCLUSIVE" and "budget exceeded" in r["summary"], r["summary"])
    out = replay([{"id": "b", "rule": "state-never-reset"}], budget=10 ** 6)
    check("budget above the cap still runs", out["results"][0]["verdict"] == "CONFIRMED")


def test_memory():
    # Under the default address-space limit LibTorch loads and the largest allowed sizes run.
    big = {"hidden_size": 256, "seq_len": 256, "batch_size": 256, "input_size": 512, "num_layers": 4,
           "bidirectional": True}
    out = replay([{"id": "m", "rule": "state-never-reset", "spec": big},
                  {"id": "n", "rule": "batch-first-mismatch", "spec": big}])
    for r in out["results"]:
        check(f"memory {r['rule']} runs under the default limit", r["verdict"] == "CONFIRMED", r["summary"])
    # A limit below what LibTorch itself maps: refused with a message, never a hang.
    p = run({"version": 1, "experiments": []}, args=["--memory-mb", "256"], timeout=60)
    message = p.stderr.decode()
    check("--memory-mb 256 -> exit 2 naming LibTorch", p.returncode == 2 and "LibTorch" in message, message)
    # A limit just above it: huge work gets an allocation error (INCONCLUSIVE) or fits; no crash or hang.
    least = int(message.rsplit("at least ", 1)[1].split(")")[0]) if "at least " in message else 1024
    huge = {"source_shape": [2048, 1024, 1024], "target_shape": [1024, 2048, 1024]}
    exps = [{"id": "m", "rule": "state-never-reset", "spec": big}, {"id": "v", "rule": "view-swaps-axes", "spec": huge}]
    p = run({"version": 1, "experiments": exps}, args=["--memory-mb", str(least + 64)], timeout=120)
    check("tight --memory-mb -> exit 0", p.returncode == 0, f"exit {p.returncode}: {p.stderr[-500:]!r}")
    if p.returncode == 0:
        for r in json.loads(p.stdout)["results"]:
            check(f"tight --memory-mb {r['rule']} -> a verdict", r["verdict"] in ("CONFIRMED", "INCONCLUSIVE"), r)


GROUPS = {"determinism": test_determinism, "no-replay": test_no_replay, "hostile": test_hostile,
          "malformed": test_malformed, "budget": test_budget, "memory": test_memory}


def main():
    if not EXE or not os.path.exists(EXE):
        print("lstm-lint-replay is not built: skipped")
        return 77
    if GROUP in CASES:
        test_rule(GROUP)
    elif GROUP in GROUPS:
        GROUPS[GROUP]()
    elif GROUP == "all":
        for rule in CASES:
            test_rule(rule)
        for fn in GROUPS.values():
            fn()
    else:
        print(f"unknown group {GROUP}")
        return 2
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
