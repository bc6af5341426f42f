#!/usr/bin/env bash
# lstm-lint must not link LibTorch; lstm-lint-replay (when built) must.
# Usage: check_linkage.sh LSTM_LINT [LSTM_LINT_REPLAY]
set -euo pipefail
lint=$1
replay=${2:-}
lint_libs=$(ldd "$lint")
if grep -Ei 'libtorch|libc10|caffe2' <<<"$lint_libs"; then
  echo "FAIL: $lint links LibTorch (above)"
  exit 1
fi
echo "ok   $lint does not link LibTorch"
if [ -n "$replay" ]; then
  replay_libs=$(ldd "$replay")
  if ! grep -q 'libtorch' <<<"$replay_libs"; then
    echo "FAIL: $replay does not link LibTorch: is ldd telling the truth?"
    exit 1
  fi
  echo "ok   $replay links LibTorch"
fi
