// Baseline fingerprints, reading a baseline file, hiding what it records, and writing it atomically.
#include "engine/baseline.h"

#include "engine/file_write.h"


#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lstmlint::engine {
namespace {

constexpr int kBaselineVersion = 1;
constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

// FNV-1a over one field, then a NUL byte so that ("ab", "c") and ("a", "bc") differ.
std::uint64_t fnv_field(std::uint64_t h, std::string_view field) {
  for (unsigned char c : field) h = (h ^ c) * kFnvPrime;
  return h * kFnvPrime;  // h ^ 0, then the multiply
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string_view strip_right(std::string_view s) {
  size_t end = s.find_last_not_of(" \t\r");
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

// Trailing whitespace, line endings and blank lines do not change what a cell means, and
// editors and nbformat versions disagree on them.
std::string normalized(std::string_view text) {
  std::string out;
  for (std::string_view line : lines_of(text)) {
    line = strip_right(line);
    if (line.empty()) continue;
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Byte offset of a 1-based character column in a line (clamped to the line).
size_t byte_of_column(std::string_view line, int column) {
  size_t i = 0;
  for (int c = 1; c < column && i < line.size(); ++c) {
    ++i;
    while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// The source text a span covers, within one cell.
std::string span_text(const std::vector<std::string_view>& lines, const Span& span) {
  std::string out;
  int last = span.end.cell == span.start.cell ? span.end.line : static_cast<int>(lines.size());
  for (int l = span.start.line; l <= last && l >= 1 && static_cast<size_t>(l) <= lines.size(); ++l) {
    std::string_view line = lines[static_cast<size_t>(l - 1)];
    size_t from = l == span.start.line ? byte_of_column(line, span.start.column) : 0;
    size_t to = l == span.end.line && span.end.cell == span.start.cell ? byte_of_column(line, span.end.column) : line.size();
    if (l > span.start.line) out += '\n';
    if (to > from) out += line.substr(from, to - from);
  }
  return out;
}

std::string hex16(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

[[noreturn]] void fail(const std::string& file, const std::string& why) { throw BaselineError(file + ": " + why); }

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::uint64_t content_hash(const notebook::Notebook& nb, const Finding& f) {
  std::uint64_t h = fnv_field(kFnvOffset, f.code);
  int cell = f.span.start.cell;
  if (cell < 1 || static_cast<size_t>(cell) > nb.cells.size()) return fnv_field(h, f.message);
  const std::string& source = nb.cells[static_cast<size_t>(cell - 1)].source;
  auto lines = lines_of(source);
  std::string_view line;
  if (f.span.start.line >= 1 && static_cast<size_t>(f.span.start.line) <= lines.size())
    line = lines[static_cast<size_t>(f.span.start.line - 1)];
  h = fnv_field(h, normalized(source));
  h = fnv_field(h, normalized(line.substr(std::min(line.size(), line.find_first_not_of(" \t")))));
  return fnv_field(h, normalized(span_text(lines, f.span)));
}

std::uint64_t source_hash(std::string_view text) { return fnv_field(kFnvOffset, text); }

std::string fingerprint(const Finding& f, const std::string& relative_path) {
  std::uint64_t h = f.content_hash;
  for (unsigned char c : relative_path) h = (h ^ c) * kFnvPrime;
  return hex16(h);
}

std::string baseline_relative_path(const std::string& notebook, const std::string& baseline_file) {
  namespace fs = std::filesystem;
  if (notebook == "-") return notebook;
  std::error_code ec;
  fs::path nb = fs::absolute(notebook, ec).lexically_normal();
  fs::path base = fs::absolute(fs::path(baseline_file), ec).parent_path().lexically_normal();
  if (ec) return fs::path(notebook).lexically_normal().generic_string();
  fs::path rel = nb.lexically_relative(base);
  return (rel.empty() ? nb : rel).generic_string();
}

Baseline Baseline::load(const std::string& file) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception&) {
    fail(file, "not a baseline: invalid JSON");
  }
  if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_array())
    fail(file, "not a baseline: expected an object with `version` and `entries`");
  if (doc.value("version", 0) != kBaselineVersion)
    fail(file, "baseline version " + doc.value("version", nlohmann::json(nullptr)).dump() + " is not supported (expected " +
                   std::to_string(kBaselineVersion) + "; rewrite it with --write-baseline)");
  Baseline b;
  b.file_ = file;
  for (const auto& e : doc["entries"]) {
    if (!e.is_object() || !e.contains("fingerprint") || !e["fingerprint"].is_string())
      fail(file, "every entry needs a string `fingerprint`");
    Entry& entry = b.entries_[e["fingerprint"].get<std::string>()];
    entry.code = e.value("code", "");
    entry.filename = e.value("filename", "");
    ++entry.count;
  }
  return b;
}

BaselineOutcome Baseline::apply(std::vector<FileResult>& results, const Selection& selection) const {
  return apply_per_file(results, std::vector<Selection>(results.size(), selection));
}

BaselineOutcome Baseline::apply_per_file(std::vector<FileResult>& results, const std::vector<Selection>& selections) const {
  BaselineOutcome outcome;
  std::map<std::string, int> left;
  for (const auto& [fp, entry] : entries_) left[fp] = entry.count;
  std::map<std::string, const Selection*> linted;  // relative path -> the selection it was linted with
  for (size_t i = 0; i < results.size(); ++i) {
    auto& r = results[i];
    if (r.error) continue;
    std::string rel = baseline_relative_path(r.path, file_);
    linted.emplace(rel, &selections.at(i));
    auto known = [&](const Finding& f) {
      auto it = left.find(fingerprint(f, rel));
      if (it == left.end() || it->second == 0) return false;
      --it->second;
      ++outcome.hidden;
      return true;
    };
    r.findings.erase(std::remove_if(r.findings.begin(), r.findings.end(), known), r.findings.end());
  }
  // Entries of notebooks not linted this time, or of rules not selected, are not stale: a
  // pre-commit hook lints only the changed notebooks.
  for (const auto& [fp, entry] : entries_) {
    const RuleInfo* rule = find_rule(entry.code);
    auto file = linted.find(entry.filename);
    if (file == linted.end() || (rule && !file->second->allows(*rule))) continue;
    outcome.stale += left[fp];
  }
  return outcome;
}

int write_baseline(const std::string& file, const std::vector<FileResult>& results) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    std::string rel = baseline_relative_path(r.path, file);
    for (const auto& f : r.findings) {
      entries.push_back({{"fingerprint", fingerprint(f, rel)},
                         {"code", f.code},
                         {"name", f.name},
                         {"filename", rel},
                         {"cell", f.span.start.cell},
                         {"line", f.span.start.line},
                         {"message", f.message}});
    }
  }
  nlohmann::ordered_json doc;
  doc["version"] = kBaselineVersion;
  doc["entries"] = std::move(entries);
  std::string text = doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  if (std::string error = write_file_atomically(file, text); !error.empty()) fail(file, "cannot write: " + error);
  return static_cast<int>(doc["entries"].size());
}

}  // namespace lstmlint::engine
