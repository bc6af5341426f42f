// Runs the selected rules over notebooks: load, parse each cell once, build the model, check.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/finding.h"
#include "engine/registry.h"
#include "python/syntax.h"

namespace lstmlint::engine {

// --select / --ignore: rule codes, names or code prefixes ("LSTM1"), or "ALL".
struct Selection {
  // Empty: the default rule set (rules whose rule.json does not say "default": false), as
  // ruff's default selection. "ALL" selects every rule.
  std::vector<std::string> select;
  std::vector<std::string> extend_select;  // added to `select` (or to the default set)
  std::vector<std::string> ignore;
  bool allows(const RuleInfo& rule) const;
  // Tokens that match no rule: a usage error worth reporting.
  std::vector<std::string> unknown_tokens() const;
};

// What may differ between the files of one run (configuration files, src/config/).
struct FileOptions {
  Selection selection;
  std::map<std::string, Severity> severity;  // rule code -> the severity its findings get instead
};

struct FileResult {
  std::string path;
  std::vector<Finding> findings;
  std::optional<std::string> error;  // why the file could not be linted
};

class Linter {
 public:
  explicit Linter(Selection selection);
  // The next files' selection and severities (a linter is reused across files).
  void configure(const FileOptions& options);
  // With --replay: each finding of a rule with an experiment gets its replay spec.
  void build_replay_specs(bool on) { replay_specs_ = on; }
  // Re-linting the same cells again and again (the language server): keep their syntax trees.
  void cache_trees(size_t max_entries) { parser_.cache_trees(max_entries); }
  FileResult lint_file(const std::string& path);
  FileResult lint_bytes(std::string_view bytes, const std::string& path);
  FileResult lint_notebook(const notebook::Notebook& nb);

 private:
  std::vector<const RuleInfo*> rules_;
  python::Parser parser_;
  bool replay_specs_ = false;
  std::map<std::string, Severity> severity_;
};

// Runs `work` on min(jobs, items) threads, at least one (this thread when one); each `work`
// pulls items itself until none are left, so the threads share the items.
void run_workers(unsigned jobs, size_t items, const std::function<void()>& work);

// Lints every path with `jobs` threads (each with its own parser); results keep the order of
// `paths`. A path "-" is linted from `stdin_bytes` under the name `stdin_name`.
std::vector<FileResult> lint_all(const std::vector<std::string>& paths, const Selection& selection, unsigned jobs,
                                 const std::string& stdin_bytes, const std::string& stdin_name,
                                 bool replay_specs = false);
// The same with each path's own options (`options[i]` for `paths[i]`).
std::vector<FileResult> lint_all(const std::vector<std::string>& paths, const std::vector<FileOptions>& options, unsigned jobs,
                                 const std::string& stdin_bytes, const std::string& stdin_name, bool replay_specs = false);

// Expands files and directories (recursively, *.ipynb and *.py percent scripts with a `# %%`
// marker line, skipping hidden and vendored folders)
// into a sorted list; paths that do not exist are returned as they are, to be reported.
// `excluded(path, is_directory)` prunes what a directory walk finds (never the paths given).
using ExcludeFn = std::function<bool(const std::string& path, bool is_directory)>;
std::vector<std::string> collect_notebooks(const std::vector<std::string>& paths, const ExcludeFn& excluded = {});

}  // namespace lstmlint::engine
