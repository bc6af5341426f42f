// --fix / --diff over many notebooks: read, lint, fix, write or diff, re-lint, report.
#include "fix/run.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>

#include "engine/baseline.h"
#include "fix/fix.h"
#include "notebook/notebook.h"

namespace lstmlint::fix {
namespace {

// The whole file, or an error that names the problem like the loader does.
bool read_file(const std::string& path, std::string& bytes, std::string& error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return false;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    error = std::strerror(errno);
    return false;
  }
  char buffer[1 << 16];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) bytes.append(buffer, n);
  if (std::ferror(file.get())) {
    error = std::string("read error: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// Lints one notebook's bytes; the result's error says why not.
engine::FileResult lint(engine::Linter& linter, const std::string& path, const std::string& bytes,
                        std::unique_ptr<notebook::Notebook>& nb) {
  engine::FileResult result;
  result.path = path;
  try {
    nb = std::make_unique<notebook::Notebook>(notebook::parse_notebook(bytes, path));
    return linter.lint_notebook(*nb);
  } catch (const notebook::NotebookError& e) {
    result.error = e.what();
  } catch (const std::exception& e) {
    result.error = std::string("internal error: ") + e.what();
  }
  nb.reset();
  return result;
}

std::string plural(int n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

}  // namespace

int run(const std::vector<std::string>& paths, const std::vector<engine::FileOptions>& options_per_file,
        const std::vector<std::string>& blocked, const std::string& stdin_bytes, const std::string& stdin_error,
        const RunOptions& options) {
  std::unique_ptr<engine::Baseline> baseline;
  try {
    if (!options.baseline.empty()) baseline = std::make_unique<engine::Baseline>(engine::Baseline::load(options.baseline));
  } catch (const engine::BaselineError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  engine::Linter linter(engine::Selection{});
  // One notebook at a time, so memory holds one file's bytes, not the whole directory's; each
  // with its own configuration's selection and severities.
  auto lint_one = [&](size_t i, const std::string& name, const std::string& bytes, std::unique_ptr<notebook::Notebook>& nb) {
    linter.configure(options_per_file[i]);
    std::vector<engine::FileResult> one{lint(linter, name, bytes, nb)};
    // Baselined findings are neither fixed nor reported.
    if (baseline) baseline->apply(one, options_per_file[i].selection);
    return std::move(one.front());
  };

  std::vector<engine::FileResult> results(paths.size());
  bool failed = false;
  int fixed_total = 0;
  std::ostringstream diffs;
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool from_stdin = paths[i] == "-";
    engine::FileResult& r = results[i];
    std::string name = from_stdin ? options.stdin_name : paths[i];
    if (!blocked[i].empty()) {  // its configuration is broken: nothing is linted or fixed
      r = engine::FileResult{name, {}, blocked[i]};
      std::cerr << "error: " << name << ": " << blocked[i] << "\n";
      failed = true;
      continue;
    }
    std::string bytes, error = from_stdin ? stdin_error : std::string();
    bool read = from_stdin ? error.empty() : read_file(paths[i], bytes, error);
    if (from_stdin) bytes = stdin_bytes;
    std::unique_ptr<notebook::Notebook> nb;
    r = read ? lint_one(i, name, bytes, nb) : engine::FileResult{name, {}, error};
    if (r.error) {
      std::cerr << "error: " << r.path << ": " << *r.error << "\n";
      failed = true;
      continue;
    }
    Result fixed = apply(bytes, *nb, r.findings, options.unsafe);
    if (!fixed.error.empty()) {
      std::cerr << "error: " << r.path << ": " << fixed.error << "\n";
      if (from_stdin && !options.diff) std::cout << bytes << std::flush;  // never an empty notebook
      failed = true;
      continue;
    }
    if (options.diff) {
      for (const auto& [cell, source] : fixed.cells) {
        std::string title = r.path + ":cell " + std::to_string(cell);
        diffs << unified_diff(nb->cells[static_cast<size_t>(cell - 1)].source, source, title, title) << "\n";
      }
      fixed_total += static_cast<int>(fixed.fixed.size());
      continue;
    }
    if (from_stdin) std::cout << fixed.bytes << std::flush;  // fixed or not, stdin goes to stdout
    if (fixed.fixed.empty()) continue;
    if (!from_stdin) {
      std::string problem = replace_if_unchanged(paths[i], bytes, fixed.bytes);
      if (!problem.empty()) {
        std::cerr << "error: " << r.path << ": " << problem << "\n";
        failed = true;
        continue;
      }
    }
    fixed_total += static_cast<int>(fixed.fixed.size());
    // What remains, with coordinates from the fixed notebook as it is now on disk.
    std::string written, unread;
    if (from_stdin || !read_file(paths[i], written, unread)) written = fixed.bytes;
    std::unique_ptr<notebook::Notebook> renewed;
    r = lint_one(i, r.path, written, renewed);
    if (r.error) {
      std::cerr << "error: " << r.path << ": after fixing: " << *r.error << "\n";
      failed = true;
    }
  }

  if (options.diff) {
    std::cout << diffs.str() << std::flush;
    std::cerr << (fixed_total == 0 ? std::string("No fixes available.")
                                   : "Would fix " + plural(fixed_total, "finding", "findings") + ".")
              << "\n";
    if (failed) return 2;
    return fixed_total > 0 && !options.exit_zero ? 1 : 0;
  }

  bool stdin_used = false;
  for (const auto& p : paths) stdin_used = stdin_used || p == "-";
  for (auto& r : results)
    if (r.error) r.findings.clear();
  std::ostringstream out;
  report::TextOptions text = options.text;
  text.fixed = fixed_total;
  report::write(out, options.format, results, text);
  (stdin_used ? std::cerr : std::cout) << out.str() << std::flush;
  if (failed) return 2;
  if (options.exit_zero) return 0;
  for (const auto& r : results)
    if (!r.findings.empty()) return 1;
  return 0;
}

void locate_fixes(std::vector<engine::FileResult>& results, const std::vector<std::string>& paths,
                  const std::string& stdin_bytes) {
  for (size_t i = 0; i < results.size() && i < paths.size(); ++i) {
    auto& r = results[i];
    bool fixable = std::any_of(r.findings.begin(), r.findings.end(), [](const auto& f) { return f.fix.has_value(); });
    if (r.error || !fixable) continue;
    std::string bytes, error;
    if (paths[i] == "-") bytes = stdin_bytes;
    else if (!read_file(paths[i], bytes, error)) continue;
    try {
      locate_in_file(bytes, notebook::parse_notebook(bytes, r.path), r.findings);
    } catch (const notebook::NotebookError&) {
      // Changed since it was linted: its findings are reported without file edits.
    }
  }
}

}  // namespace lstmlint::fix
