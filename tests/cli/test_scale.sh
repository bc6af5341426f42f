#!/usr/bin/env bash
# Corpus scale (docs/scale.md), one group per ctest: shards, files_from, merge, cache.
# Usage: test_scale.sh GROUP LSTM_LINT SOURCE_DIR CORPUS_DIR (groups on the corpus exit 77 without it).
set -u
GROUP=$1
BIN=$2
SRC=$3
CORPUS=$4/notebooks
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
need_corpus() { [ -d "$CORPUS" ] || { echo "corpus not found at $CORPUS: skipped"; exit 77; }; }
no_summary() { grep -v '"type":"summary"' "$1"; }

case $GROUP in
shards)
  need_corpus
  # Every rule (opt-in ones too), so that there are many findings to compare.
  "$BIN" --no-cache --select ALL --format json-lines "$CORPUS" > whole.jl
  for k in 1 2 3; do
    "$BIN" --no-cache --select ALL --format json-lines --shard $k/3 "$CORPUS" > s$k.jl
    "$BIN" --no-cache --select ALL --format junit --shard $k/3 "$CORPUS" > s$k.xml
  done
  "$BIN" --no-cache --select ALL --format junit "$CORPUS" > whole.xml
  check "shards: the union equals the whole run, finding for finding; no file twice" $PY - "$CORPUS" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
def records(path):
    return [json.loads(l) for l in open(path)]
whole = records("whole.jl")
shards = [records("s%d.jl" % k) for k in (1, 2, 3)]
assert whole[-1]["type"] == "summary" and whole[-1]["files"] == len(os.listdir(sys.argv[1])), whole[-1]
findings = lambda rs: [r for r in rs if r["type"] != "summary"]
union = [r for s in shards for r in findings(s)]
key = lambda r: json.dumps(r, sort_keys=True)
assert len(findings(whole)) > 50
assert sorted(map(key, union)) == sorted(map(key, findings(whole))), "shards differ from the whole run"
assert sum(s[-1]["files"] for s in shards) == whole[-1]["files"]
assert all(s[-1]["files"] > 0 for s in shards)  # 168 paths: no shard is empty
# Every notebook (clean ones too: one junit test case each) in exactly one shard.
cases = lambda p: [c.get("name") for c in ET.parse(p).getroot().iter("testcase")]
per_shard = [cases("s%d.xml" % k) for k in (1, 2, 3)]
names = [n for s in per_shard for n in s]
assert len(names) == len(set(names)), "a notebook in two shards"
assert sorted(names) == sorted(cases("whole.xml")), "shards do not cover the corpus"
for a in range(3):
    for b in range(a + 1, 3):
        fa = {r["filename"] for r in findings(shards[a])}
        fb = {r["filename"] for r in findings(shards[b])}
        assert not fa & fb, (fa & fb)
PY
  # FNV-1a 64 of the path string, modulo N, is K-1: the split is documented, so other tools can compute it.
  check "shards: the split is FNV-1a 64 of the path modulo N" $PY - <<'PY'
import json
def fnv(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001b3) % 2**64
    return h
for k in (1, 2, 3):
    for r in map(json.loads, open("s%d.jl" % k)):
        if r["type"] == "finding":
            assert fnv(r["filename"]) % 3 == k - 1, (k, r["filename"])
PY
  "$BIN" --no-cache --select ALL --shard 1/1 --format json-lines "$CORPUS" > one.jl
  check "shards: 1/1 is the whole run" diff <(no_summary whole.jl) <(no_summary one.jl)
  for bad in 0/3 4/3 3/0 1 x/2 2/x -1/3 "1/3/3" ""; do
    "$BIN" --shard "$bad" "$CORPUS" > out 2> err; rc=$?
    check "shards: --shard '$bad' exits 2" test $rc -eq 2
    check "shards: --shard '$bad' says what is wrong" grep -q -- "--shard" err
    check "shards: --shard '$bad' prints no report" test ! -s out
  done
  check "shards: 0-based index hint" grep -q "SLURM_ARRAY_TASK_ID needs +1" <("$BIN" --shard 0/3 "$CORPUS" 2>&1)
  ;;

files_from)
  need_corpus
  "$BIN" --no-cache --format json-lines "$CORPUS" > dir.jl
  ls "$CORPUS"/*.ipynb | "$BIN" --no-cache --format json-lines --files-from - > stdin.jl; rc=$?
  check "files-from -: exit 1 (findings)" test $rc -eq 1
  check "files-from -: same findings as the directory" diff <(no_summary dir.jl) <(no_summary stdin.jl)
  ls "$CORPUS"/*.ipynb > list.txt
  "$BIN" --no-cache --format json-lines --files-from list.txt > file.jl
  check "files-from FILE: same findings" diff <(no_summary dir.jl) <(no_summary file.jl)
  # CRLF lines and empty lines are fine.
  sed 's/$/\r/' list.txt | sed '1i\\' > crlf.txt
  "$BIN" --no-cache --format json-lines --files-from crlf.txt > crlf.jl
  check "files-from: CRLF and empty lines" diff <(no_summary dir.jl) <(no_summary crlf.jl)
  # NUL-separated, with a name holding a newline and a space (what --null is for).
  mkdir odd
  cp "$SRC/examples/sine_forecast.ipynb" "odd/two
lines.ipynb"
  cp "$SRC/examples/sine_forecast.ipynb" "odd/with space.ipynb"
  "$BIN" --no-cache --format json "odd/with space.ipynb" > space.json
  find odd -name '*.ipynb' -print0 | "$BIN" --no-cache --format json --files-from - --null > null.json; rc=$?
  check "files-from --null: exit 1" test $rc -eq 1
  check "files-from --null: both notebooks, the newline kept in the name" $PY - <<'PY'
import json
got = json.load(open("null.json"))
names = sorted({f["filename"] for f in got})
assert names == ["odd/two\nlines.ipynb", "odd/with space.ipynb"], names
one = json.load(open("space.json"))
assert len(got) == 2 * len(one) and len(one) > 0
PY
  find odd -name '*.ipynb' -print0 > nul.txt
  "$BIN" --no-cache --files-from nul.txt > out 2> err; rc=$?
  check "files-from: NUL bytes without --null exit 2" test $rc -eq 2
  check "files-from: NUL bytes without --null say so" grep -q -- "--null" err
  "$BIN" --no-cache --files-from missing.txt > out 2> err; rc=$?
  check "files-from: a missing list exits 2" test $rc -eq 2
  check "files-from: a missing list is named" grep -q "missing.txt" err
  printf '%s\n' "$SRC/examples/sine_forecast.ipynb" nothere.ipynb > partial.txt
  "$BIN" --no-cache --format concise --files-from partial.txt > out 2> err; rc=$?
  check "files-from: a listed file that is missing exits 2" test $rc -eq 2
  check "files-from: the missing file is named" grep -q "^error: nothere.ipynb: " err
  check "files-from: the other files are still linted" grep -q "sine_forecast.ipynb:cell" out
  "$BIN" --no-cache --format concise --files-from - - < /dev/null > out 2> err; rc=$?
  check "files-from -: stdin cannot also be a notebook" test $rc -eq 2
  # Paths given with --files-from come after the command line's; no "." added.
  echo "$SRC/examples/sine_forecast.ipynb" | "$BIN" --no-cache --format junit --files-from - > one.xml
  check "files-from: only the listed files (no implicit .)" test "$(grep -c '<testcase' one.xml)" -eq 1
  ;;

merge)
  need_corpus
  for k in 1 2 3 4; do "$BIN" --no-cache --format json-lines --shard $k/4 "$CORPUS" > s$k.jl; done
  "$BIN" --no-cache --statistics "$CORPUS" > whole.txt
  "$BIN" stats merge s1.jl s2.jl s3.jl s4.jl > merged.txt; rc=$?
  check "merge: exit 0" test $rc -eq 0
  check "merge: equals --statistics of the whole run" diff whole.txt merged.txt
  check "merge: the summary counts every notebook" grep -q " in $(ls "$CORPUS" | wc -l) notebooks" merged.txt
  "$BIN" --no-cache --statistics --format json "$CORPUS" > whole.json
  "$BIN" stats merge --format json s4.jl s2.jl s3.jl s1.jl > merged.json
  check "merge --format json: equals the whole run's, in any order" diff whole.json merged.json
  # With an unreadable notebook: the error is counted as in the whole run.
  printf '{"cells": [' > broken.ipynb
  "$BIN" --no-cache --statistics "$SRC/examples" broken.ipynb > with_error.txt 2>/dev/null
  "$BIN" --no-cache --format json-lines "$SRC/examples" > a.jl
  "$BIN" --no-cache --format json-lines broken.ipynb > b.jl 2>/dev/null
  "$BIN" stats merge a.jl b.jl > merged_error.txt
  check "merge: an error record counts as an unreadable notebook" diff with_error.txt merged_error.txt
  printf '{"type": "finding", "code": "LSTM101"}\n' > bad.jl
  "$BIN" stats merge s1.jl bad.jl > out 2> err; rc=$?
  check "merge: a malformed record exits 2" test $rc -eq 2
  check "merge: names the file and line" grep -q "^error: bad.jl:1: " err
  echo 'not json' > junk.jl
  "$BIN" stats merge junk.jl > out 2> err; rc=$?
  check "merge: a line that is not JSON exits 2, named" test $rc -eq 2 -a -n "$(grep 'junk.jl:1' err)"
  "$BIN" stats merge nothere.jl > out 2> err; rc=$?
  check "merge: a missing file exits 2, named" test $rc -eq 2 -a -n "$(grep 'nothere.jl' err)"
  ;;

cache)
  need_corpus
  FIX=$SRC/fixtures  # findings with fixes, every rule
  cache_line() { grep '^cache: ' "$1"; }
  hits() { sed -n 's/^cache: \([0-9]*\) hits, \([0-9]*\) misses (\([0-9]*\) damaged.*, \([0-9]*\) written.*/\1 \2 \3 \4/p' "$1"; }
  # First run fills, second run answers everything from the cache, in every format, byte for byte.
  "$BIN" -v --format json "$CORPUS" "$FIX" > first.json 2> first.err
  # How many files a run lints: the notebooks, and the fixtures' percent-script sources (each
  # holds `# %%` markers; fixtures/generate.py sits above the rule folders).
  n=$(( $(ls "$CORPUS" | wc -l) + $(ls "$FIX"/*/*.ipynb | wc -l) + $(grep -l '^# %%' "$FIX"/*/*.py | wc -l) ))
  check "cache: the first run misses and writes every file" test "$(hits first.err)" = "0 $n 0 $n"
  check "cache: entries written" test "$(ls .lstm_lint_cache/entries-v1 | wc -l)" -eq "$n"
  check "cache: CACHEDIR.TAG" grep -q "^Signature: 8a477f597d28d172789f06886806bc55" .lstm_lint_cache/CACHEDIR.TAG
  for fmt in text concise json json-lines sarif github junit; do
    "$BIN" --no-cache --format $fmt --color always "$CORPUS" "$FIX" > nocache.$fmt 2>/dev/null
    "$BIN" -v --format $fmt --color always "$CORPUS" "$FIX" > cached.$fmt 2> cached.err
    check "cache: $fmt run is all hits" test "$(hits cached.err)" = "$n 0 0 0"
    if [ $fmt = json-lines ]; then
      check "cache: $fmt identical (but elapsed)" diff <(no_summary nocache.$fmt) <(no_summary cached.$fmt)
    else
      check "cache: $fmt byte-identical" cmp -s nocache.$fmt cached.$fmt
    fi
  done
  "$BIN" --no-cache --statistics "$CORPUS" "$FIX" > nocache.stats
  "$BIN" --statistics "$CORPUS" "$FIX" > cached.stats
  check "cache: --statistics identical" cmp -s nocache.stats cached.stats
  "$BIN" --no-cache -v "$CORPUS" > /dev/null 2> none.err
  check "cache: --no-cache neither reads nor says so" test -z "$(cache_line none.err)"
  # A changed file: only it misses, and its new findings are reported.
  cp "$SRC/examples/sine_forecast.ipynb" nb.ipynb
  cp "$SRC/examples/sine_forecast.ipynb" other.ipynb
  "$BIN" -v --format json nb.ipynb other.ipynb > /dev/null 2> err
  $PY - <<'PY'
import json
nb = json.load(open("nb.ipynb"))
code = [c for c in nb["cells"] if c["cell_type"] == "code"]
code[-1]["execution_count"] = None   # now never run: an unexecuted-cell finding appears
json.dump(nb, open("nb.ipynb", "w"), indent=1)
PY
  "$BIN" -v --format json nb.ipynb other.ipynb > changed.json 2> err
  "$BIN" --no-cache --format json nb.ipynb other.ipynb > changed_nocache.json
  check "cache: a changed file misses, the other hits" test "$(hits err)" = "1 1 0 1"
  check "cache: a changed file's new findings" cmp -s changed.json changed_nocache.json
  # Same size, same mtime, different bytes: the key is the content, not the metadata.
  $PY - <<'PY'
import os
s = os.stat("nb.ipynb")
b = open("nb.ipynb", "rb").read().replace(b"Adam", b"Adax", 1)
open("nb.ipynb", "wb").write(b)
os.utime("nb.ipynb", ns=(s.st_atime_ns, s.st_mtime_ns))
PY
  "$BIN" -v nb.ipynb > /dev/null 2> err
  check "cache: same size and mtime, new bytes: a miss" test "$(hits err)" = "0 1 0 1"
  # Changed configuration: command-line selection, a configuration file's severity.
  "$BIN" -v --select LSTM1 nb.ipynb > /dev/null 2> err
  check "cache: another --select misses" test "$(hits err)" = "0 1 0 1"
  "$BIN" -v --select LSTM1 nb.ipynb > /dev/null 2> err
  check "cache: the same --select then hits" test "$(hits err)" = "1 0 0 0"
  "$BIN" -v --ignore LSTM311 nb.ipynb > /dev/null 2> err
  check "cache: --ignore misses" test "$(hits err)" = "0 1 0 1"
  "$BIN" --format json nb.ipynb > before_config.json
  printf '[tool.lstm-lint.severity]\nstale-optimizer = "error"\n' > pyproject.toml
  "$BIN" -v --format json nb.ipynb > after_config.json 2> err
  check "cache: a configuration file's change misses" test "$(hits err)" = "0 1 0 1"
  check "cache: the configured severity is reported" grep -q '"severity": "error"' after_config.json
  "$BIN" --no-cache --format json nb.ipynb > after_config_nocache.json
  check "cache: configured output equals uncached" cmp -s after_config.json after_config_nocache.json
  rm pyproject.toml
  # Damaged entries: truncated, garbage, a flipped payload byte. Ignored, then rewritten.
  rm -rf c2
  "$BIN" --cache-dir c2 --format json "$SRC/examples" > good.json
  entries=(c2/entries-v1/*)
  check "cache: --cache-dir used" test ${#entries[@]} -ge 1
  e=${entries[0]}
  for damage in truncate garbage flip empty; do
    case $damage in
      truncate) head -c 30 "$e" > x && mv x "$e" ;;
      garbage) head -c 4000 /dev/urandom > "$e" ;;
      flip) "$BIN" --cache-dir c2 "$SRC/examples" > /dev/null  # rewritten first
            $PY -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-3] ^= 0x20; open(sys.argv[1], "wb").write(b)' "$e" ;;
      empty) : > "$e" ;;
    esac
    "$BIN" -v --cache-dir c2 --format json "$SRC/examples" > damaged.json 2> err
    check "cache: $damage entry is reported damaged and rewritten" grep -q "(1 damaged entries ignored), 1 written" err
    check "cache: $damage entry: output still right" cmp -s good.json damaged.json
    "$BIN" -v --cache-dir c2 --format json "$SRC/examples" > again.json 2> err
    check "cache: $damage entry: the rewritten entry hits" test "$(hits err | cut -d' ' -f2-3)" = "0 0"
  done
  # The environment variable, stdin (never cached), clean.
  LSTM_LINT_CACHE_DIR=c3 "$BIN" "$SRC/examples" > /dev/null
  check "cache: LSTM_LINT_CACHE_DIR used" test -d c3/entries-v1
  "$BIN" -v - < nb.ipynb > /dev/null 2> err
  check "cache: stdin bypasses the cache" test "$(hits err)" = "0 0 0 0"
  "$BIN" clean --cache-dir c3; rc=$?
  check "cache: clean exits 0" test $rc -eq 0
  check "cache: clean removes the directory" test ! -e c3
  LSTM_LINT_CACHE_DIR=c2 "$BIN" clean
  check "cache: clean honours LSTM_LINT_CACHE_DIR" test ! -e c2
  "$BIN" clean; check "cache: clean without a cache exits 0" test $? -eq 0 -a ! -e .lstm_lint_cache
  mkdir notcache; touch notcache/keep
  "$BIN" clean --cache-dir notcache 2> err; rc=$?
  check "cache: clean refuses a directory that is not a cache" test $rc -eq 2 -a -e notcache/keep
  # Bounded: the oldest entries go beyond the cap.
  LSTM_LINT_CACHE_MAX_ENTRIES=20 "$BIN" -v --cache-dir c4 "$CORPUS" > /dev/null 2> err
  check "cache: bounded by LSTM_LINT_CACHE_MAX_ENTRIES" test "$(ls c4/entries-v1 | wc -l)" -le 20
  check "cache: pruning reported" grep -q "[1-9][0-9]* pruned" err
  # Two runs at once into one empty cache: both right, and the cache left whole.
  "$BIN" --no-cache --format json "$CORPUS" "$FIX" > expected.json
  "$BIN" --cache-dir c5 -j2 --format json "$CORPUS" "$FIX" > run1.json &
  p1=$!
  "$BIN" --cache-dir c5 -j2 --format json "$CORPUS" "$FIX" > run2.json &
  p2=$!
  wait $p1; wait $p2
  check "cache: concurrent run 1 correct" cmp -s expected.json run1.json
  check "cache: concurrent run 2 correct" cmp -s expected.json run2.json
  "$BIN" -v --cache-dir c5 --format json "$CORPUS" "$FIX" > run3.json 2> err
  check "cache: after concurrent runs every entry is whole" test "$(hits err)" = "$n 0 0 0"
  check "cache: after concurrent runs output correct" cmp -s expected.json run3.json
  check "cache: no temporary files left" test -z "$(ls c5/entries-v1 | grep tmp)"
  ;;

*)
  echo "unknown group $GROUP"; exit 2 ;;
esac

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
