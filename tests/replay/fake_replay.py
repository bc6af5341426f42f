#!/usr/bin/python3
# A stand-in for lstm-lint-replay in the client's tests: answers the protocol without LibTorch,
# echoing each experiment's spec, or fails in the way $FAKE_REPLAY_MODE asks
# (confirm, refute, crash, hang, garbage, signal, partial).
import json, os, signal, sys, time

mode = os.environ.get("FAKE_REPLAY_MODE", "confirm")
log = os.environ.get("FAKE_REPLAY_LOG")
args = sys.argv[1:]
request = json.load(sys.stdin)
if log:
    with open(log, "w") as f:
        json.dump({"args": args, "request": request}, f)
if mode == "crash":
    sys.stderr.write("terminate called after throwing an instance of 'c10::Error'\n  what():  fake failure\n")
    sys.exit(3)
if mode == "hang":
    time.sleep(60)
if mode == "signal":
    os.kill(os.getpid(), signal.SIGSEGV)
if mode == "garbage":
    print("this is not json")
    sys.exit(0)
results = []
for i, e in enumerate(request["experiments"]):
    if mode == "partial" and i > 0:
        break
    verdict = "NOT CONFIRMED" if mode == "refute" else "CONFIRMED"
    results.append({
        "id": e["id"], "rule": e["rule"], "verdict": verdict,
        "summary": "fake: " + ",".join(sorted(e["spec"])),
        "metrics": [{"name": "fake_metric", "value": 0.25, "threshold": 0.5, "unit": "ratio"}],
        "scaled": [{"key": "hidden_size", "from": 100000, "to": 256}] if e["spec"].get("hidden_size", 0) > 256 else [],
        "used": dict({"seq_len": 20, "hidden_size": 32}, **e["spec"]),
        "seconds": 0.01, "cpu_seconds": 0.01})
print(json.dumps({"version": 1, "torch": "fake", "load_seconds": 0.0, "results": results}))
