// The client side of replay: sends every finding's spec to the replay executable in one
// request and attaches the verdicts it measured. Nothing here links LibTorch.
#pragma once

#include <string>
#include <vector>

#include "engine/runner.h"

namespace lstmlint::replay {

struct Options {
  std::string executable;      // empty: $LSTM_LINT_REPLAY, then next to this binary, then PATH
  double budget_seconds = 10;  // per experiment
  int memory_mb = 2048;        // the replay process' address-space limit
  bool progress = false;       // forward the executable's progress lines to stderr
};

struct Run {
  bool ok = false;
  std::string error;  // why replay did not run (the findings are reported anyway)
  std::string executable;
  std::string torch;  // LibTorch's version, as the executable reports it
  double load_seconds = 0;
  int experiments = 0;
};

// Fills Finding::replay for every finding: measured outcomes for rules with an experiment,
// NO REPLAY for the others, NOT RUN for all when the executable is missing or fails.
Run run(std::vector<engine::FileResult>& results, const Options& options);

// Where the replay executable is looked for, for messages and --version.
std::string locate_executable(const std::string& configured);

}  // namespace lstmlint::replay
