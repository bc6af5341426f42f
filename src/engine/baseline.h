// Baseline: a file of known findings that are not reported, matched by fingerprints that
// survive re-execution, changed outputs, cells added above and edits in other cells.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/finding.h"
#include "engine/runner.h"
#include "notebook/notebook.h"

namespace lstmlint::engine {

// The path-independent part of a fingerprint: FNV-1a 64 over the rule code, the cell's
// normalized source, the flagged line and the flagged text (see docs/suppressions.md).
std::uint64_t content_hash(const notebook::Notebook& nb, const Finding& f);

// FNV-1a 64 of a text as it is (not normalized): tells whether a cell still holds the source
// a fix was computed for (Edit::cell_hash).
std::uint64_t source_hash(std::string_view text);

// The finding's fingerprint in a baseline: the content hash continued over the notebook's
// path relative to the baseline file's folder; 16 hex digits.
std::string fingerprint(const Finding& f, const std::string& relative_path);

// A notebook's path as a baseline records it: relative to the baseline file's folder, with `/`.
std::string baseline_relative_path(const std::string& notebook, const std::string& baseline_file);

class BaselineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BaselineOutcome {
  int hidden = 0;  // findings not reported because the baseline records them
  int stale = 0;   // entries for linted notebooks and selected rules that matched nothing
};

class Baseline {
 public:
  static Baseline load(const std::string& file);  // throws BaselineError

  // Removes the recorded findings from `results`. An entry listed n times hides n findings.
  BaselineOutcome apply(std::vector<FileResult>& results, const Selection& selection) const;
  // The same when files were linted with different selections (`selections[i]` for `results[i]`).
  BaselineOutcome apply_per_file(std::vector<FileResult>& results, const std::vector<Selection>& selections) const;

 private:
  struct Entry {
    std::string code;
    std::string filename;
    int count = 0;
  };
  std::string file_;
  std::map<std::string, Entry> entries_;  // by fingerprint
};

// Records every finding of `results`; written to a temporary file and renamed over `file`,
// so a reader never sees half a baseline. Returns the number of entries written.
int write_baseline(const std::string& file, const std::vector<FileResult>& results);  // throws BaselineError

}  // namespace lstmlint::engine
