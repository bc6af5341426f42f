// Runs a helper process with its stdin fed and its stdout/stderr collected, under a deadline:
// the one place the static binary starts another program (the replay executable).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lstmlint::replay {

struct ProcessResult {
  bool started = false;
  std::string start_error;  // why it could not be started
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  bool timed_out = false;   // killed at the deadline
  std::string out;
  std::string err;
};

// `on_stderr_line` sees each complete stderr line as it arrives (for progress).
ProcessResult run_process(const std::string& executable, const std::vector<std::string>& args,
                          const std::string& input, double timeout_seconds,
                          const std::function<void(std::string_view)>& on_stderr_line = {});

}  // namespace lstmlint::replay
