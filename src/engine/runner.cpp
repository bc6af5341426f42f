// The runner: one notebook at a time, each cell parsed once, every selected rule checked.
#include "engine/runner.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <tuple>

#include "engine/baseline.h"
#include "engine/suppression.h"
#include "notebook/percent.h"
#include "replay/spec.h"
#include "semantic/model.h"

namespace lstmlint::engine {
namespace {

bool token_matches(const std::string& token, const RuleInfo& rule) {
  if (token == "ALL") return true;
  if (token == rule.name) return true;
  return !token.empty() && rule.code.rfind(token, 0) == 0;
}

bool skipped_directory(const std::filesystem::path& dir) {
  std::string name = dir.filename().string();
  if (name.size() > 1 && name[0] == '.') return true;  // .git, .ipynb_checkpoints, .venv ...
  return name == "node_modules" || name == "__pycache__" || name == "site-packages" || name == "venv";
}

}  // namespace

// A finding that another rule's finding explains (engine/finding.h: explained_by) becomes that
// finding's related location: the first one of the rule in the same cell or above, else any.
static void fold_consequences(std::vector<Finding>& findings) {
  std::vector<char> folded(findings.size(), 0);
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (f.explained_by.empty()) continue;
    Finding* cause = nullptr;
    for (auto& g : findings) {
      if (g.name != f.explained_by || !g.explained_by.empty()) continue;
      if (!cause || (g.span.start.cell <= f.span.start.cell && cause->span.start.cell > f.span.start.cell)) cause = &g;
    }
    if (!cause) continue;
    cause->related.push_back(Related{f.span, f.as_related, f.source_line, f.raw_line, f.raw_end_line});
    folded[i] = 1;
  }
  size_t kept = 0;
  for (size_t i = 0; i < findings.size(); ++i)
    if (!folded[i]) {
      if (kept != i) findings[kept] = std::move(findings[i]);
      ++kept;
    }
  findings.resize(kept);
}

bool Selection::allows(const RuleInfo& rule) const {
  auto any = [&](const std::vector<std::string>& tokens) {
    return std::any_of(tokens.begin(), tokens.end(), [&](const auto& t) { return token_matches(t, rule); });
  };
  bool selected = (select.empty() ? rule.default_on : any(select)) || any(extend_select);
  return selected && !any(ignore);
}

std::vector<std::string> Selection::unknown_tokens() const {
  std::vector<std::string> unknown;
  for (const auto* list : {&select, &extend_select, &ignore})
    for (const auto& t : *list)
      if (std::none_of(all_rules().begin(), all_rules().end(), [&](const RuleInfo& r) { return token_matches(t, r); }))
        unknown.push_back(t);
  return unknown;
}

Linter::Linter(Selection selection) { configure({std::move(selection), {}}); }

void Linter::configure(const FileOptions& options) {
  rules_.clear();
  for (const auto& rule : all_rules())
    if (options.selection.allows(rule)) rules_.push_back(&rule);
  severity_ = options.severity;
}

FileResult Linter::lint_notebook(const notebook::Notebook& nb) {
  FileResult result;
  result.path = nb.path;
  auto model = semantic::build_model(nb, parser_);
  for (const RuleInfo* rule : rules_) {
    if (rule->after_suppressions) continue;
    Context ctx{nb, *model, *rule};
    Diagnostics diagnostics(ctx, result.findings);
    rule->check(ctx, diagnostics);
  }
  // Suppressions apply after the rules ran, so no rule needs to know about them; rules that
  // judge the suppressions themselves (unused-suppression) run next, and are suppressible too.
  Suppressions suppressions(nb, *model, rules_);
  suppressions.filter(result.findings);
  fold_consequences(result.findings);
  std::vector<Finding> late;
  for (const RuleInfo* rule : rules_) {
    if (!rule->after_suppressions) continue;
    Context ctx{nb, *model, *rule, &suppressions};
    Diagnostics diagnostics(ctx, late);
    rule->check(ctx, diagnostics);
  }
  suppressions.filter(late);
  result.findings.insert(result.findings.end(), late.begin(), late.end());
  for (auto& f : result.findings) {
    f.content_hash = content_hash(nb, f);
    if (f.fix)
      for (auto& e : f.fix->edits)
        if (e.cell >= 1 && static_cast<size_t>(e.cell) <= nb.cells.size())
          e.cell_hash = source_hash(nb.cells[static_cast<size_t>(e.cell - 1)].source);
    if (auto it = severity_.find(f.code); it != severity_.end()) f.severity = it->second;
  }
  if (replay_specs_)
    for (auto& f : result.findings)
      if (const RuleInfo* rule = find_rule(f.code); rule && rule->replay) f.spec = replay::build_spec(f, *model, nb);
  std::stable_sort(result.findings.begin(), result.findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.span.start, a.code) < std::tie(b.span.start, b.code);
  });
  return result;
}

namespace {

// One file's failure, whatever it is, is reported against that file; the others go on.
template <typename Lint>
FileResult guarded(const std::string& path, Lint lint) {
  FileResult failed;
  failed.path = path;
  try {
    return lint();
  } catch (const notebook::NotebookError& e) {
    failed.error = e.what();
  } catch (const std::bad_alloc&) {
    failed.error = "out of memory while linting this file";
  } catch (const std::exception& e) {
    failed.error = std::string("internal error: ") + e.what();
  }
  return failed;
}

}  // namespace

FileResult Linter::lint_bytes(std::string_view bytes, const std::string& path) {
  return guarded(path, [&] { return lint_notebook(notebook::parse_notebook(bytes, path)); });
}

FileResult Linter::lint_file(const std::string& path) {
  return guarded(path, [&] { return lint_notebook(notebook::load_notebook_file(path)); });
}

std::vector<FileResult> lint_all(const std::vector<std::string>& paths, const Selection& selection, unsigned jobs,
                                 const std::string& stdin_bytes, const std::string& stdin_name, bool replay_specs) {
  std::vector<FileOptions> options(paths.size(), FileOptions{selection, {}});
  return lint_all(paths, options, jobs, stdin_bytes, stdin_name, replay_specs);
}

std::vector<FileResult> lint_all(const std::vector<std::string>& paths, const std::vector<FileOptions>& options, unsigned jobs,
                                 const std::string& stdin_bytes, const std::string& stdin_name, bool replay_specs) {
  std::vector<FileResult> results(paths.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    Linter linter(Selection{});
    linter.build_replay_specs(replay_specs);
    for (size_t i = next++; i < paths.size(); i = next++) {
      linter.configure(options.at(i));
      results[i] = paths[i] == "-" ? linter.lint_bytes(stdin_bytes, stdin_name) : linter.lint_file(paths[i]);
    }
  };
  run_workers(jobs, paths.size(), work);
  return results;
}

void run_workers(unsigned jobs, size_t items, const std::function<void()>& work) {
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<size_t>(1, items))));
  if (jobs == 1) {
    work();
    return;
  }
  std::vector<std::thread> workers;
  for (unsigned j = 0; j < jobs; ++j) workers.emplace_back(work);
  for (auto& w : workers) w.join();
}

std::vector<std::string> collect_notebooks(const std::vector<std::string>& paths, const ExcludeFn& excluded) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (p == "-" || !fs::is_directory(p, ec) || fs::path(p).extension() == ".ipynb") {
      out.push_back(p);  // a file, stdin, something missing, or a directory named *.ipynb: reported by the loader
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it->is_directory(ec)) {
        if (skipped_directory(it->path()) || (excluded && excluded(it->path().string(), true))) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      // Percent scripts only when they hold a `# %%` marker: other Python files are not notebooks.
      auto extension = it->path().extension();
      if (extension != ".ipynb" && !(extension == ".py" && notebook::file_has_cell_marker(it->path().string()))) continue;
      if (excluded && excluded(it->path().string(), false)) continue;
      found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace lstmlint::engine
