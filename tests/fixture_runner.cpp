// Fixture runner: lints one fixture notebook and checks its findings against the inline
// expectations in its cells' comments; with --consistency, checks rules/, docs and fixtures agree.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/registry.h"
#include "engine/runner.h"
#include "notebook/magics.h"
#include "python/syntax.h"

namespace fs = std::filesystem;
using namespace lstmlint;

namespace {

struct Expectation {
  std::string rule;
  int cell = 0;
  int line = 0;          // 0 for cell-level expectations
  int start_column = 0;  // caret span, 1-based, end exclusive
  int end_column = 0;
  int comment_line = 0;
  bool met = false;
  bool related = false;  // `# ^^^ rule (related)`: a related location of one of the rule's findings
};

int columns(std::string_view s) {
  int n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(s);
  while (std::getline(in, line)) lines.push_back(line);
  if (!s.empty() && s.back() == '\n') lines.emplace_back();
  return lines;
}

bool is_expectation_line(const std::string& line) {
  static const std::regex re(R"(^\s*#\s*(\^+\s+[a-z0-9-]+(\s+\(related\))?|expect-cell:\s*[a-z0-9-]+)\s*$)");
  return std::regex_match(line, re);
}

// Expectations live in comment nodes, so a `# ^^^` inside a string is not one.
std::vector<Expectation> read_expectations(const notebook::Notebook& nb) {
  static const std::regex caret(R"(^(\s*#\s*)(\^+)\s+([a-z0-9-]+)(\s+\(related\))?\s*$)");
  static const std::regex cell_level(R"(^\s*#\s*expect-cell:\s*([a-z0-9-]+)\s*$)");
  std::vector<Expectation> out;
  python::Parser parser;
  for (const auto& cell : nb.cells) {
    if (cell.kind != notebook::CellKind::Code) continue;
    auto masked = notebook::mask_ipython(cell.source);
    if (masked.opaque) continue;
    auto tree = parser.parse(masked.text);
    auto lines = split_lines(cell.source);
    std::vector<TSNode> stack{tree.root()};
    while (!stack.empty()) {
      TSNode n = stack.back();
      stack.pop_back();
      if (python::is(n, "comment")) {
        int row = static_cast<int>(ts_node_start_point(n).row);
        const std::string& line = lines.at(static_cast<size_t>(row));
        std::smatch m;
        if (std::regex_match(line, m, cell_level)) {
          out.push_back({m[1].str(), cell.index, 0, 0, 0, row + 1});
        } else if (std::regex_match(line, m, caret)) {
          int target = row - 1;
          while (target >= 0 && is_expectation_line(lines[static_cast<size_t>(target)])) --target;
          if (target < 0) {
            std::cerr << "cell " << cell.index << ":" << row + 1 << ": caret expectation with no code line above\n";
            std::exit(1);
          }
          int start = columns(m[1].str()) + 1;
          out.push_back({m[3].str(), cell.index, target + 1, start, start + static_cast<int>(m[2].length()), row + 1});
          out.back().related = m[4].matched;
        }
      }
      for (TSNode c : python::children(n)) stack.push_back(c);
    }
  }
  return out;
}

bool matches(Expectation& e, const std::string& rule, const Span& span, bool related, const notebook::Notebook& nb) {
  if (e.met || e.related != related || e.rule != rule || e.cell != span.start.cell) return false;
  if (e.line == 0) return true;
  if (e.line != span.start.line || e.start_column != span.start.column) return false;
  if (span.end.line == span.start.line) return e.end_column == span.end.column;
  // Multi-line finding: carets run to the end of its first line.
  auto lines = split_lines(nb.cells[static_cast<size_t>(e.cell - 1)].source);
  std::string first = lines.at(static_cast<size_t>(e.line - 1));
  first.erase(first.find_last_not_of(" \t\r") + 1);
  return e.end_column == columns(first) + 1;
}

int run_fixture(const std::string& path) {
  notebook::Notebook nb;
  try {
    nb = notebook::load_notebook_file(path);
  } catch (const notebook::NotebookError& e) {
    std::cerr << path << ": " << e.what() << "\n";
    return 1;
  }
  auto expectations = read_expectations(nb);
  for (const auto& e : expectations) {
    if (!engine::find_rule(e.rule)) {
      std::cerr << path << ":cell " << e.cell << ":" << e.comment_line << ": expectation names unknown rule `" << e.rule << "`\n";
      return 1;
    }
  }
  engine::Linter linter({{"ALL"}, {}, {}});  // fixtures test every rule, opt-in ones too
  auto result = linter.lint_notebook(nb);
  int failures = 0;
  for (const auto& f : result.findings) {
    for (const auto& r : f.related) {
      auto it = std::find_if(expectations.begin(), expectations.end(),
                             [&](Expectation& e) { return matches(e, f.name, r.span, true, nb); });
      if (it != expectations.end()) {
        it->met = true;
        continue;
      }
      ++failures;
      std::cerr << "UNEXPECTED related location " << f.filename << ":cell " << r.span.start.cell << ":" << r.span.start.line
                << ":" << r.span.start.column << "-" << r.span.end.line << ":" << r.span.end.column << " of " << f.code
                << " [" << f.name << "]: " << r.message << "\n";
    }
    auto it = std::find_if(expectations.begin(), expectations.end(),
                           [&](Expectation& e) { return matches(e, f.name, f.span, false, nb); });
    if (it != expectations.end()) {
      it->met = true;
      continue;
    }
    ++failures;
    std::cerr << "UNEXPECTED " << f.filename << ":cell " << f.span.start.cell << ":" << f.span.start.line << ":"
              << f.span.start.column << "-" << f.span.end.line << ":" << f.span.end.column << ": " << f.code << " ["
              << f.name << "] " << f.message << "\n";
  }
  for (const auto& e : expectations) {
    if (e.met) continue;
    ++failures;
    std::cerr << "MISSING " << path << ":cell " << e.cell << ":" << e.comment_line << ": expected [" << e.rule << "]"
              << (e.related ? " related location" : "");
    if (e.line) std::cerr << " at line " << e.line << " columns " << e.start_column << "-" << e.end_column;
    std::cerr << "\n";
  }
  std::cout << path << ": " << result.findings.size() << " findings, " << expectations.size() << " expectations, "
            << failures << " mismatches\n";
  std::string name = fs::path(path).filename().string();
  if (name.rfind("fires_", 0) == 0 && expectations.empty()) {
    std::cerr << "a fires_ fixture must state at least one expectation\n";
    return 1;
  }
  if (name.rfind("silent_", 0) == 0 && !expectations.empty()) {
    std::cerr << "a silent_ fixture must not state expectations\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}

// ---- consistency: registry <-> folders <-> docs <-> fixtures ---------------------------
int run_consistency(const fs::path& root) {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& p) { problems.push_back(p); };

  std::vector<std::string> registry;
  std::ifstream reg(root / "rules" / "registry");
  for (std::string line; std::getline(reg, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty() && line[0] != '#') registry.push_back(line);
  }
  if (registry.empty()) problem("rules/registry lists no rules");

  std::set<std::string> folders;
  for (const auto& entry : fs::directory_iterator(root / "rules"))
    if (entry.is_directory()) folders.insert(entry.path().filename().string());
  for (const auto& f : folders)
    if (std::find(registry.begin(), registry.end(), f) == registry.end()) problem("rules/" + f + "/ is not listed in rules/registry");

  const auto& rules = engine::all_rules();
  if (rules.size() != registry.size()) problem("the binary embeds " + std::to_string(rules.size()) + " rules, the registry lists " + std::to_string(registry.size()));
  std::set<std::string> codes;
  static const std::regex code_re("^LSTM[1-9][0-9]{2}$");
  static const std::regex name_re("^[a-z][a-z0-9]*(-[a-z0-9]+)*$");
  static const char* sections[] = {"## What it does", "## Why is this bad?", "## Example", "## Use instead", "## How replay confirms it"};
  for (size_t i = 0; i < registry.size(); ++i) {
    const std::string& name = registry[i];
    fs::path dir = root / "rules" / name;
    if (i < rules.size() && rules[i].name != name) problem("registry line " + std::to_string(i + 1) + " is " + name + " but the binary embeds " + rules[i].name);
    const engine::RuleInfo* rule = engine::find_rule(name);
    if (!rule) {
      problem(name + ": not embedded in the binary");
      continue;
    }
    if (!std::regex_match(rule->code, code_re)) problem(name + ": code " + rule->code + " is not LSTMnnn");
    if (!std::regex_match(rule->name, name_re)) problem(name + ": name is not kebab-case");
    if (!codes.insert(rule->code).second) problem(name + ": duplicate code " + rule->code);
    std::ifstream doc_file(dir / "doc.md");
    std::stringstream doc;
    doc << doc_file.rdbuf();
    std::string text = doc.str();
    if (text != rule->doc) problem(name + ": the embedded doc differs from rules/" + name + "/doc.md (rebuild)");
    if (text.rfind("# " + name + " (" + rule->code + ")", 0) != 0) problem(name + ": doc.md must start with `# " + name + " (" + rule->code + ")`");
    // The doc says whether the rule is in the default set, as rule.json does.
    std::string says = rule->default_on ? "\n\nOn by default.\n" : "\n\nOpt-in: not in the default rule set.";
    if (text.find(says) == std::string::npos || text.find(says) > text.find('\n') + 1)
      problem(name + ": doc.md's second paragraph must say `" + says.substr(2, says.find_last_not_of('\n') - 1) + "` (rule.json \"default\")");
    size_t at = 0;
    for (const char* s : sections) {
      size_t found = text.find(std::string("\n") + s + "\n", at);
      if (found == std::string::npos) problem(name + ": doc.md lacks section `" + s + "` (in order)");
      else at = found + 1;
    }
    fs::path fixtures = root / "fixtures" / name;
    int fires = 0, silent = 0;
    if (fs::is_directory(fixtures)) {
      for (const auto& f : fs::directory_iterator(fixtures)) {
        std::string fname = f.path().filename().string();
        if (f.path().extension() != ".ipynb") continue;
        if (fname.rfind("fires_", 0) == 0) {
          auto nb = notebook::load_notebook_file(f.path().string());
          auto ex = read_expectations(nb);
          if (std::any_of(ex.begin(), ex.end(), [&](const Expectation& e) { return e.rule == name; })) ++fires;
          else problem("fixtures/" + name + "/" + fname + " expects no [" + name + "] finding");
        } else if (fname.rfind("silent_", 0) == 0) {
          ++silent;
        } else {
          problem("fixtures/" + name + "/" + fname + ": fixture names start with fires_ or silent_");
        }
      }
    }
    if (fires == 0) problem(name + ": no fires_*.ipynb fixture in fixtures/" + name + "/");
    if (silent == 0) problem(name + ": no silent_*.ipynb fixture in fixtures/" + name + "/");
  }
  for (const auto& entry : fs::directory_iterator(root / "fixtures"))
    if (entry.is_directory() && !engine::find_rule(entry.path().filename().string()))
      problem("fixtures/" + entry.path().filename().string() + "/ names no rule");

  for (const auto& p : problems) std::cerr << "consistency: " << p << "\n";
  std::cout << registry.size() << " rules checked, " << problems.size() << " problems\n";
  return problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--consistency") return run_consistency(argv[2]);
  if (argc != 2) {
    std::cerr << "usage: fixture_runner FIXTURE.ipynb | --consistency SOURCE_DIR\n";
    return 2;
  }
  return run_fixture(argv[1]);
}
