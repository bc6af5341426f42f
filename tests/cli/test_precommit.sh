#!/usr/bin/env bash
# The pre-commit hook for real: this repository's .pre-commit-hooks.yaml, used from a git repo
# of its own (as a remote hooks repo is), installed in a temporary project; a notebook with a
# finding blocks the commit, the fixed notebook passes, other files skip the hook, and the hook
# never changes a file unless its args ask for --fix (then pre-commit blocks the commit that the
# hook changed, and the fixed notebook commits). Skipped (77) without pre-commit. Offline.
set -u
BIN=$1
SRC=$2
if ! command -v pre-commit >/dev/null 2>&1; then
  echo "SKIP: pre-commit is not installed"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# Everything pre-commit and git keep goes under $T; the hook finds lstm-lint on PATH.
export HOME=$T/home PRE_COMMIT_HOME=$T/cache XDG_CACHE_HOME=$T/cache GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
mkdir -p "$HOME" "$T/bin"
ln -s "$BIN" "$T/bin/lstm-lint"
export PATH=$T/bin:$PATH
git config --global init.defaultBranch main
git config --global user.name test
git config --global user.email test@example.com

FIRES=$SRC/fixtures/state-not-detached/fires_model_hidden_fed_back.ipynb
SILENT=$SRC/fixtures/state-not-detached/silent_detach_in_place.ipynb

# The hooks repository: just the manifest, committed, referenced by path and revision.
mkdir "$T/hooks"
cp "$SRC/.pre-commit-hooks.yaml" "$T/hooks/"
git -C "$T/hooks" init -q
git -C "$T/hooks" add .pre-commit-hooks.yaml
git -C "$T/hooks" commit -qm hooks
rev=$(git -C "$T/hooks" rev-parse HEAD)

P=$T/project
mkdir "$P"
cd "$P" || exit 1
git init -q
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $T/hooks
    rev: $rev
    hooks:
      - id: lstm-lint
EOF
git add .pre-commit-config.yaml
git commit -qm config
pre-commit install > "$T/install.log" 2>&1
check "pre-commit install" grep -q "pre-commit installed" "$T/install.log"

commits() { git rev-list --count HEAD; }

cp "$FIRES" model.ipynb
git add model.ipynb
before=$(commits)
git commit -m "notebook with a bug" > "$T/bad.log" 2>&1; rc=$?
check "a finding blocks the commit" test $rc -ne 0
check "no commit was made" test "$(commits)" -eq "$before"
check "the hook ran lstm-lint" grep -q "^lstm-lint\.*Failed" "$T/bad.log"
check "the finding is shown" grep -q "model.ipynb:cell 3:4:31: LSTM301 \[state-not-detached\]" "$T/bad.log"
check "the hook did not modify the notebook" cmp -s "$FIRES" model.ipynb

cp "$SILENT" model.ipynb
git add model.ipynb
git commit -m "fixed notebook" > "$T/good.log" 2>&1; rc=$?
check "the fixed notebook commits" test $rc -eq 0
check "one commit was made" test "$(commits)" -eq $((before + 1))
check "the hook passed" grep -q "^lstm-lint\.*Passed" "$T/good.log"
check "the hook did not modify the fixed notebook" cmp -s "$SILENT" model.ipynb
check "the committed notebook is the fixed one" cmp -s "$SILENT" <(git show HEAD:model.ipynb)

echo "notes" > notes.txt
git add notes.txt
git commit -m "not a notebook" > "$T/other.log" 2>&1; rc=$?
check "other files do not run the hook" grep -q "^lstm-lint\.*(no files to check)Skipped" "$T/other.log"
check "and commit" test $rc -eq 0

# Percent scripts: a staged .py with `# %%` cells is linted; a plain Python module is not.
cp "$SRC/tests/percent/fires_state_not_detached.py" train.py
printf 'import torch\nx = torch.zeros(3)\n' > util.py
git add train.py util.py
before=$(commits)
git commit -m "percent script with a bug" > "$T/py.log" 2>&1; rc=$?
check "a finding in a percent script blocks the commit" test $rc -ne 0 -a "$(commits)" -eq "$before"
check "the script's finding is shown" grep -q "train.py:cell 4:4:31: LSTM301 \[state-not-detached\]" "$T/py.log"
check "the plain module is not reported" test "$(grep -c 'util.py' "$T/py.log")" -eq 0
cp "$SRC/tests/percent/silent_state_detached.py" train.py
git add train.py
git commit -m "fixed script" > "$T/py2.log" 2>&1; rc=$?
check "the fixed script and the plain module commit" test $rc -eq 0 -a "$(commits)" -eq $((before + 1))

# Serial: one lstm-lint run gets every staged notebook (require_serial).
cp "$FIRES" a.ipynb
cp "$FIRES" b.ipynb
git add a.ipynb b.ipynb
git commit -m "two notebooks" > "$T/two.log" 2>&1; rc=$?
check "two bad notebooks block the commit" test $rc -ne 0
check "both are reported in one run" test "$(grep -c "^Found .* in 2 notebooks" "$T/two.log")" -eq 1

# Fixes only when asked: with `args: [--fix]` the hook turns off the timestep shuffling in place, pre-commit
# blocks the commit because the hook changed a file, and the fixed notebook then commits.
git reset -q HEAD a.ipynb b.ipynb && rm -f a.ipynb b.ipynb
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $T/hooks
    rev: $rev
    hooks:
      - id: lstm-lint
        args: [--fix]
EOF
git add .pre-commit-config.yaml && git commit -qm "fix on commit"
SHUFFLED=$SRC/fixtures/shuffled-timesteps/fires_steps_viewed_as_one_sequence.ipynb
cp "$SHUFFLED" fixme.ipynb
git add fixme.ipynb
before=$(commits)
git commit -m "fix me" > "$T/fix.log" 2>&1; rc=$?
check "--fix: the first commit is blocked" test $rc -ne 0
check "--fix: pre-commit says the hook changed files" grep -q "files were modified by this hook" "$T/fix.log"
check "--fix: the notebook was rewritten" test "$(cmp -s "$SHUFFLED" fixme.ipynb; echo $?)" -ne 0
check "--fix: the loader no longer shuffles timesteps" grep -q 'shuffle=False' fixme.ipynb
git add fixme.ipynb
git commit -m "fixed" > "$T/fix2.log" 2>&1; rc=$?
check "--fix: the fixed notebook commits" test $rc -eq 0 -a "$(commits)" -eq $((before + 1))

echo "precommit: $pass passed, $fails failed"
test $fails -eq 0
