// Execution history: which cells ran in which order, and which executions left no trace.
#include "semantic/history.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <unordered_set>

namespace lstmlint::semantic {

std::optional<long long> ExecutionHistory::count(int cell) const {
  auto it = counts.find(cell);
  if (it == counts.end()) return std::nullopt;
  return it->second;
}

ExecutionHistory infer_history(const notebook::Notebook& nb) {
  ExecutionHistory h;
  std::vector<std::pair<long long, int>> executed;
  std::unordered_set<long long> seen;
  for (const auto& cell : nb.cells) {
    if (cell.kind != notebook::CellKind::Code || !cell.execution_count) continue;
    long long c = *cell.execution_count;
    if (c <= 0) continue;  // 0 is written by some tools for "not run in this session"
    executed.push_back({c, cell.index});
    h.counts[cell.index] = c;
    if (!seen.insert(c).second) h.duplicate_counts = true;
    h.max_count = std::max(h.max_count, c);
  }
  std::stable_sort(executed.begin(), executed.end());
  for (const auto& e : executed) h.order.push_back(e.second);
  // Bounded: a hostile count (10**15) must not make this loop run forever.
  if (h.max_count <= 1000000) {
    for (long long c = 1; c <= h.max_count; ++c)
      if (!seen.count(c)) h.missing.push_back(c);
  }
  return h;
}

// ---- saved losses -------------------------------------------------------------------------

namespace {

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The word right before position `at` (skipping spaces, '_' and '-'), lower-cased.
std::string word_before(const std::string& line, size_t at) {
  size_t end = at;
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '_' || line[end - 1] == '-')) --end;
  size_t begin = end;
  while (begin > 0 && std::isalpha(static_cast<unsigned char>(line[begin - 1]))) --begin;
  return lower_ascii(line.substr(begin, end - begin));
}

bool evaluation_word(const std::string& w) {
  return w == "tst" || w == "val" || w == "valid" || w == "validation" || w == "test" || w == "eval" || w == "dev" ||
         w == "evaluation" || w == "best" || w == "min" || w == "lowest" || w == "avg_val" || w == "v";
}

// A number starting at `at` (after separators: spaces, ':', '=', '|', '(', 'tensor('), or npos.
size_t number_after(const std::string& line, size_t at, double& value) {
  size_t i = at;
  size_t limit = std::min(line.size(), at + 16);
  while (i < limit) {
    char c = line[i];
    if (c == ' ' || c == ':' || c == '=' || c == '|' || c == '(' || c == '[' || c == '\t' || c == '\'' || c == '"') {
      ++i;
    } else if (line.compare(i, 7, "tensor(") == 0) {
      i += 7;
    } else if (line.compare(i, 2, "is") == 0 || line.compare(i, 2, "of") == 0) {
      i += 2;
    } else {
      break;
    }
  }
  if (i >= line.size()) return std::string::npos;
  char c = line[i];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < line.size() &&
                                                         std::isdigit(static_cast<unsigned char>(line[i + 1])))))
    return std::string::npos;
  char* end = nullptr;
  value = std::strtod(line.c_str() + i, &end);
  if (end == line.c_str() + i || !std::isfinite(value)) return std::string::npos;
  return static_cast<size_t>(end - line.c_str());
}

std::string shorten(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = s.find_first_not_of(" \t");
  s = b == std::string::npos ? std::string() : s.substr(b);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// `BCELoss: 0.69`, `CrossEntropyLoss 2.3`: a loss class's name printed as the loss.
bool loss_class_name(const std::string& low, size_t at) {
  static const char* names[] = {"bce", "nll", "mse", "crossentropy", "ce", "l1", "smoothl1", "huber", "kldiv", "bcewithlogits"};
  size_t begin = at;
  while (begin > 0 && std::isalnum(static_cast<unsigned char>(low[begin - 1]))) --begin;
  std::string word = low.substr(begin, at - begin);
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return word == n; });
}

// Whether the words before the loss count the first step: a step, batch or iteration counter
// at 0 or 1 (`Iteration 0`, `Batch 000/266`, `step: 1,`), or a Keras progress line of batch 1
// (`1/32 [>....] - ETA: 3s - loss:`), with no epoch counter past the first.
bool at_first_step(const std::string& before) {
  static const std::regex epoch(R"(epoch\D{0,3}(\d+))");
  static const std::regex counter(R"((?:^|[^a-z])(?:iteration|iter|step|batch|minibatch)\D{0,4}(\d+))");
  static const std::regex keras_first(R"(^\s*1/\d+ \[)");
  auto small = [](const std::string& digits) { return digits.find_first_not_of('0') >= digits.size() - 1 && digits.back() <= '1'; };
  std::smatch m;
  if (std::regex_search(before, m, epoch) && !small(m[1].str())) return false;
  if (std::regex_search(before, keras_first)) return true;
  if (!std::regex_search(before, m, counter)) return false;
  return small(m[1].str());
}

// `loss` as a word (or the end of `train_loss`, `training loss`) followed by a number.
std::optional<SavedLoss> loss_in_line(const std::string& line) {
  std::string low = lower_ascii(line);
  for (size_t at = low.find("loss"); at != std::string::npos; at = low.find("loss", at + 4)) {
    size_t after = at + 4;
    if (after < low.size() && std::isalpha(static_cast<unsigned char>(low[after]))) continue;  // "losses"
    if (at > 0 && std::isalpha(static_cast<unsigned char>(low[at - 1])) && !loss_class_name(low, at)) continue;  // "closs"
    if (evaluation_word(word_before(low, at))) continue;
    double value = 0;
    size_t end = number_after(low, after, value);
    if (end == std::string::npos) continue;
    if (end < low.size() && (low[end] == '%' || low[end] == '/')) continue;  // "loss 10/20" is a counter
    return SavedLoss{value, shorten(line.substr(0, end)), at_first_step(low.substr(0, at))};
  }
  return std::nullopt;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A pandas DataFrame of a Keras history: a header with a `loss` column, then `0  0.4132 ...`.
std::optional<SavedLoss> loss_in_table(const std::vector<std::string>& lines) {
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    std::vector<std::string> header = words(lines[i]);
    auto column = std::find(header.begin(), header.end(), "loss");
    if (column == header.end()) continue;
    // The first row: its index label, then one value per column.
    for (size_t j = i + 1; j < lines.size() && j <= i + 2; ++j) {
      std::vector<std::string> row = words(lines[j]);
      if (row.size() != header.size() + 1) continue;
      const std::string& cell = row[static_cast<size_t>(column - header.begin()) + 1];
      char* end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() || *end || !std::isfinite(v)) break;
      return SavedLoss{v, shorten(lines[i]) + " / " + shorten(lines[j])};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<SavedLoss> first_training_loss(const std::string& output) {
  // Progress bars rewrite their line with '\r' and '\b': each piece is a line of its own.
  std::vector<std::string> lines;
  std::string current;
  for (char c : output.substr(0, 256 * 1024)) {
    if (c == '\n' || c == '\r') {
      lines.push_back(current);
      current.clear();
    } else if (c == '\b') {
      if (!current.empty()) lines.push_back(current), current.clear();
    } else {
      current.push_back(c);
    }
  }
  lines.push_back(current);
  for (const auto& line : lines)
    if (auto found = loss_in_line(line)) return found;
  return loss_in_table(lines);
}

}  // namespace lstmlint::semantic
