// `lstm-lint --fix` and `--diff`: lint each notebook from the bytes in memory, splice the
// applicable fixes into those bytes, then write them (or show them), and re-lint what remains.
#pragma once

#include <string>
#include <vector>

#include "engine/runner.h"
#include "report/report.h"

namespace lstmlint::fix {

struct RunOptions {
  bool diff = false;          // show per-cell diffs, write nothing
  bool unsafe = false;        // --unsafe-fixes
  bool exit_zero = false;
  std::string baseline;       // --baseline FILE: baselined findings are neither fixed nor reported
  report::Format format = report::Format::Text;
  report::TextOptions text;
  std::string stdin_name = "-";
};

// Returns the exit status: 2 when a file could not be read, fixed or written; otherwise, for
// --diff 1 when something would be fixed, for --fix 1 when findings remain (0 with exit_zero).
// A notebook read from stdin ("-") is written, fixed, to stdout, and the report to stderr.
// options[i] holds the selection and severities of paths[i] (from its configuration file and
// the command line); a non-empty blocked[i] says why paths[i] is not linted at all (its
// configuration is broken: already reported, so it only counts as a failure).
int run(const std::vector<std::string>& paths, const std::vector<engine::FileOptions>& options_per_file,
        const std::vector<std::string>& blocked, const std::string& stdin_bytes, const std::string& stdin_error,
        const RunOptions& options);

// For reporters that describe fixes as changes to the file (SARIF): re-reads each notebook of
// `results` that has a fixable finding (paths[i] for results[i]; "-" is `stdin_bytes`) and
// fills its findings' Fix::file_edits (locate_in_file). A file that cannot be re-read or no
// longer holds what was linted keeps its findings without them.
void locate_fixes(std::vector<engine::FileResult>& results, const std::vector<std::string>& paths,
                  const std::string& stdin_bytes);

}  // namespace lstmlint::fix
