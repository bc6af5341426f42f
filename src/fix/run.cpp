// --fix / --diff over many notebooks: read, lint, fix, write or diff, re-lint, report.
#include "fix/run.h"

#include <sys/stat.h>

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

struct Document {
  std::string bytes;
  std::unique_ptr<notebook::Notebook> nb;  // null when unreadable
};

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

int run(const std::vector<std::string>& paths, const engine::Selection& selection, const std::string& stdin_bytes,
        const std::string& stdin_error, const RunOptions& options) {
  engine::Linter linter(selection);
  std::vector<Document> docs(paths.size());
  std::vector<engine::FileResult> results(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool from_stdin = paths[i] == "-";
    std::string name = from_stdin ? options.stdin_name : paths[i];
    std::string error = from_stdin ? stdin_error : std::string();
    bool read = from_stdin ? error.empty() : read_file(paths[i], docs[i].bytes, error);
    if (from_stdin) docs[i].bytes = stdin_bytes;
    results[i] = read ? lint(linter, name, docs[i].bytes, docs[i].nb) : engine::FileResult{name, {}, error};
  }
  std::unique_ptr<engine::Baseline> baseline;
  try {
    if (!options.baseline.empty()) {
      baseline = std::make_unique<engine::Baseline>(engine::Baseline::load(options.baseline));
      baseline->apply(results, selection);
    }
  } catch (const engine::BaselineError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  bool failed = false;
  int fixed_total = 0;
  std::ostringstream diffs;
  for (size_t i = 0; i < paths.size(); ++i) {
    engine::FileResult& r = results[i];
    if (r.error) {
      std::cerr << "error: " << r.path << ": " << *r.error << "\n";
      failed = true;
      continue;
    }
    const notebook::Notebook& nb = *docs[i].nb;
    Result fixed = apply(docs[i].bytes, nb, r.findings, options.unsafe);
    if (!fixed.error.empty()) {
      std::cerr << "error: " << r.path << ": " << fixed.error << "\n";
      failed = true;
      continue;
    }
    const bool from_stdin = paths[i] == "-";
    if (options.diff) {
      for (const auto& [cell, source] : fixed.cells) {
        std::string name = r.path + ":cell " + std::to_string(cell);
        diffs << unified_diff(nb.cells[static_cast<size_t>(cell - 1)].source, source, name, name) << "\n";
      }
      fixed_total += static_cast<int>(fixed.fixed.size());
      continue;
    }
    if (from_stdin) std::cout << fixed.bytes << std::flush;  // fixed or not, stdin goes to stdout
    if (fixed.fixed.empty()) continue;
    if (!from_stdin) {
      std::string error = replace_if_unchanged(paths[i], docs[i].bytes, fixed.bytes);
      if (!error.empty()) {
        std::cerr << "error: " << r.path << ": " << error << "\n";
        failed = true;
        continue;
      }
    }
    fixed_total += static_cast<int>(fixed.fixed.size());
    // What remains, with coordinates from the fixed notebook as it is now on disk.
    std::string written, unread;
    if (from_stdin || !read_file(paths[i], written, unread)) written = fixed.bytes;
    std::unique_ptr<notebook::Notebook> renewed;
    std::vector<engine::FileResult> again{lint(linter, r.path, written, renewed)};
    if (baseline) baseline->apply(again, selection);
    r = std::move(again.front());
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

}  // namespace lstmlint::fix
