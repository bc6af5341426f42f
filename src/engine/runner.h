// Runs the selected rules over notebooks: load, parse each cell once, build the model, check.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/finding.h"
#include "engine/registry.h"
#include "python/syntax.h"

namespace lstmlint::engine {

// --select / --ignore: rule codes, names or code prefixes ("LSTM1"), or "ALL".
struct Selection {
  std::vector<std::string> select;  // empty = all
  std::vector<std::string> ignore;
  bool allows(const RuleInfo& rule) const;
  // Tokens that match no rule: a usage error worth reporting.
  std::vector<std::string> unknown_tokens() const;
};

struct FileResult {
  std::string path;
  std::vector<Finding> findings;
  std::optional<std::string> error;  // why the file could not be linted
};

class Linter {
 public:
  explicit Linter(Selection selection);
  // With --replay: each finding of a rule with an experiment gets its replay spec.
  void build_replay_specs(bool on) { replay_specs_ = on; }
  FileResult lint_file(const std::string& path);
  FileResult lint_bytes(std::string_view bytes, const std::string& path);
  FileResult lint_notebook(const notebook::Notebook& nb);

 private:
  std::vector<const RuleInfo*> rules_;
  python::Parser parser_;
  bool replay_specs_ = false;
};

// Lints every path with `jobs` threads (each with its own parser); results keep the order of
// `paths`. A path "-" is linted from `stdin_bytes` under the name `stdin_name`.
std::vector<FileResult> lint_all(const std::vector<std::string>& paths, const Selection& selection, unsigned jobs,
                                 const std::string& stdin_bytes, const std::string& stdin_name,
                                 bool replay_specs = false);

// Expands files and directories (recursively, *.ipynb, skipping hidden and vendored folders)
// into a sorted list; paths that do not exist are returned as they are, to be reported.
std::vector<std::string> collect_notebooks(const std::vector<std::string>& paths);

}  // namespace lstmlint::engine
