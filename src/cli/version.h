// The version line of `lstm-lint --version`: the version (CMake's project() VERSION, compiled in
// as LSTM_LINT_VERSION) and the git commit of the build (cmake/Version.cmake writes it into
// build/generated/git_commit.cpp at every build, so it follows commits without reconfiguring).
#pragma once

#include <string>

namespace lstmlint::cli {

// "0123456789ab", with "-dirty" when the tree had uncommitted changes, or "unknown" (a build
// outside git without -DLSTM_LINT_GIT_COMMIT=...).
const char* git_commit();

inline std::string version_line() { return std::string("lstm-lint ") + LSTM_LINT_VERSION + " (commit " + git_commit() + ")"; }

}  // namespace lstmlint::cli
