#!/usr/bin/env bash
# Runs tests/server/test_neovim.lua in headless Neovim (Debian's neovim, 0.7). Skipped (77)
# without nvim. Usage: test_neovim.sh LSTM_LINT SOURCE_DIR
set -u
BIN=$(realpath "$1")
SRC=$(realpath "$2")
if ! command -v nvim >/dev/null 2>&1; then
  echo "SKIP: nvim is not installed"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SRC/tests/percent/fires_state_not_detached.py" "$T/train.py"
cp "$SRC/fixtures/state-not-detached/fires_model_hidden_fed_back.ipynb" "$T/train.ipynb"
line=$(grep -n '^    logits, hidden = model(x, hidden)$' "$T/train.py" | cut -d: -f1)
cd "$T" || exit 1
# A guard against a hang: the Lua script waits at most 20 s per step by itself.
LSTM_LINT=$BIN WORK=$T SCRIPT_LINE=$line HOME=$T XDG_STATE_HOME=$T/state XDG_DATA_HOME=$T/data \
  timeout 50 nvim --headless -u NONE -i NONE -n -c "luafile $SRC/tests/server/test_neovim.lua"
rc=$?
echo
exit $rc
