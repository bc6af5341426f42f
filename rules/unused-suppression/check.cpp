// unused-suppression: directives that suppressed nothing, name unknown rules, or are misplaced.
// The engine applies suppressions after the other rules ran and hands this rule the result;
// like ruff's RUF100, a code is only judged when its rule ran (--select/--ignore).
#include <string>
#include <vector>

#include "engine/registry.h"
#include "engine/suppression.h"

namespace lstmlint::rules {
namespace {

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "`" : ", `") + items[i] + "`";
  return out;
}

const char* where(engine::DirectiveScope scope) {
  switch (scope) {
    case engine::DirectiveScope::Line: return "on this line";
    case engine::DirectiveScope::Cell: return "in this cell";
    case engine::DirectiveScope::Notebook: return "in this notebook";
  }
  return "";
}

// What is wrong with a directive, or "" when nothing is.
std::string verdict(const engine::Directive& d, const engine::Suppressions& s, const engine::RuleInfo& self) {
  if (!d.problem.empty()) return d.problem;
  // A bare `# noqa` may be there for ruff or flake8: lstm-lint cannot tell it is unused.
  if (d.blanket) return {};
  std::vector<std::string> unknown, unused;
  for (const auto& code : d.codes) {
    if (!code.rule) unknown.push_back(code.text);
    else if (!code.used && code.rule != &self && s.ran(*code.rule)) unused.push_back(code.text);
  }
  std::string message;
  if (!unknown.empty())
    message = "names " + quoted_list(unknown) + (unknown.size() == 1 ? ", which is not" : ", which are not") +
              " an lstm-lint rule code or name";
  if (!unused.empty())
    message += (message.empty() ? "" : "; ") + std::string("suppresses no ") + quoted_list(unused) + " finding " +
               where(d.scope);
  return message;
}

}  // namespace

void check_unused_suppression(const engine::Context& ctx, engine::Diagnostics& out) {
  if (!ctx.suppressions) return;  // only the engine's post-suppression pass can judge them
  for (const auto& d : ctx.suppressions->directives()) {
    std::string message = verdict(d, *ctx.suppressions, ctx.rule);
    if (message.empty()) continue;
    bool notebook = d.scope == engine::DirectiveScope::Notebook;
    // Notebook metadata has no line of its own: its findings sit at the first cell's head.
    if (notebook && ctx.notebook.cells.empty()) continue;
    Span span = notebook ? ctx.cell_head(1) : d.span;
    out.report(span, (notebook ? "notebook metadata `" : "`") + d.text + "` " + message,
               d.problem.empty() ? "Remove the directive, or the codes it does not need; `lstm-lint rules` lists the codes"
                                 : "Fix or remove the directive (see `lstm-lint explain unused-suppression`)");
  }
}

}  // namespace lstmlint::rules
