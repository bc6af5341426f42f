// Suppressions: `# noqa`, `# lstm-lint: ignore[...]`, `ignore-cell[...]` and notebook metadata.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/finding.h"
#include "engine/registry.h"
#include "notebook/notebook.h"
#include "semantic/model.h"

namespace lstmlint::engine {

enum class DirectiveScope { Line, Cell, Notebook };

// A directive as written in one comment; offsets are bytes within the comment's text.
struct ParsedDirective {
  DirectiveScope scope = DirectiveScope::Line;
  bool noqa = false;     // `# noqa` syntax, shared with ruff and flake8
  bool blanket = false;  // bare `# noqa`: every lstm-lint rule on the line
  size_t begin = 0;      // the directive's `#`
  size_t end = 0;        // one past its last character
  std::vector<std::string> codes;  // lstm-lint codes or names, as written (other tools' codes dropped)
  std::string problem;   // why the directive cannot be applied; empty when it can
};

// Every directive in one comment (`# type: ignore  # noqa: LSTM201` holds one).
std::vector<ParsedDirective> parse_directives(std::string_view comment);

struct DirectiveCode {
  std::string text;                // as written
  const RuleInfo* rule = nullptr;  // nullptr: no rule has this code or name
  bool used = false;               // suppressed at least one finding
};

struct Directive {
  DirectiveScope scope = DirectiveScope::Line;
  std::string text;  // as written: "# noqa: LSTM201", or "notebook metadata ..." for the notebook
  Span span;         // where it is written; cell 0 for notebook metadata
  bool noqa = false;
  bool blanket = false;
  bool used = false;  // suppressed at least one finding
  std::vector<DirectiveCode> codes;
  std::string problem;
};

// The directives of one notebook, which findings they cover, and which of them were used.
class Suppressions {
 public:
  // `ran`: the selected rules. A directive is only judged on rules that ran.
  Suppressions(const notebook::Notebook& nb, const semantic::Model& model, std::vector<const RuleInfo*> ran);

  // Drops the findings a directive covers and marks those directives (and codes) used.
  void filter(std::vector<Finding>& findings);

  const std::vector<Directive>& directives() const { return directives_; }
  bool ran(const RuleInfo& rule) const;

 private:
  bool covers(Directive& d, const Finding& f);
  void collect_cell(const notebook::Cell& cell, const semantic::Model& model);

  std::vector<Directive> directives_;
  std::vector<const RuleInfo*> ran_;
};

}  // namespace lstmlint::engine
