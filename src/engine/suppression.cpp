// Suppressions: directives are read from tree-sitter comment nodes (a `# noqa` inside a string
// is text, not a directive), then every finding is checked against the directives around it.
#include "engine/suppression.h"

#include <algorithm>
#include <cctype>
#include <climits>

namespace lstmlint::engine {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

size_t skip_spaces(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

bool starts_with_nocase(std::string_view s, size_t at, std::string_view word) {
  if (s.size() - std::min(at, s.size()) < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(s[at + k])) != word[k]) return false;
  return true;
}

// `E501`, `LSTM201`: the shape of a ruff or flake8 code.
bool code_shaped(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && std::isupper(static_cast<unsigned char>(t[i]))) ++i;
  if (i == 0 || i == t.size()) return false;
  for (; i < t.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
  return true;
}

// `shuffled-timesteps`: kebab-case with at least one hyphen, the shape of a rule name.
bool name_shaped(std::string_view t) {
  if (t.empty() || !std::islower(static_cast<unsigned char>(t[0])) || t.back() == '-') return false;
  bool hyphen = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '-') {
      if (t[i - 1] == '-') return false;
      hyphen = true;
    } else if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return hyphen;
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && (is_space(s[e - 1]) || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// `# noqa`, `# noqa: LSTM201, shuffled-timesteps E501`; `at` is the `#`. Like ruff, the list
// ends at the first word that is neither a code nor a rule name, so a reason may follow it
// (which is why an unknown name ends the list here; `ignore[...]` reports unknown names).
bool parse_noqa(std::string_view c, size_t at, ParsedDirective& d) {
  size_t i = skip_spaces(c, at + 1);
  if (!starts_with_nocase(c, i, "noqa")) return false;
  i += 4;
  if (i < c.size() && is_word(c[i])) return false;  // `# noqaz`
  d = ParsedDirective{};
  d.noqa = true;
  d.begin = at;
  d.end = i;
  size_t j = skip_spaces(c, i);
  if (j >= c.size() || c[j] != ':') {
    d.blanket = true;
    return true;
  }
  j = skip_spaces(c, j + 1);
  while (j < c.size()) {
    size_t k = j;
    while (k < c.size() && is_word(c[k])) ++k;
    std::string_view token = c.substr(j, k - j);
    bool name = name_shaped(token) && find_rule(token);
    if (!code_shaped(token) && !name) break;
    d.end = k;
    // Other tools' codes share the comment (`# noqa: E501, LSTM201`); they are not ours to judge.
    if (name || token.rfind("LSTM", 0) == 0) d.codes.emplace_back(token);
    j = skip_spaces(c, k);
    if (j < c.size() && c[j] == ',') j = skip_spaces(c, j + 1);
  }
  // `# noqa:` with no codes, or only other tools' codes: nothing of lstm-lint's to suppress.
  return !d.codes.empty();
}

// `# lstm-lint: ignore[a, b]` or `# lstm-lint: ignore-cell[a, b]`; anything else after
// `lstm-lint:` is reported as not understood rather than silently ignored.
bool parse_lstm_lint(std::string_view c, size_t at, ParsedDirective& d) {
  static const std::string_view prefix = "lstm-lint:";
  size_t i = skip_spaces(c, at + 1);
  if (c.substr(i, prefix.size()) != prefix) return false;
  d = ParsedDirective{};
  d.begin = at;
  size_t next_hash = c.find('#', i);
  size_t segment_end = next_hash == std::string_view::npos ? c.size() : next_hash;
  d.end = at + trim(c.substr(at, segment_end - at)).size();
  const char* usage = "is not understood: write `# lstm-lint: ignore[CODE, ...]` or `# lstm-lint: ignore-cell[CODE, ...]`";
  i = skip_spaces(c, i + prefix.size());
  size_t verb_end = i;
  while (verb_end < segment_end && is_word(c[verb_end])) ++verb_end;
  std::string_view verb = c.substr(i, verb_end - i);
  if (verb != "ignore" && verb != "ignore-cell") {
    d.problem = usage;
    return true;
  }
  d.scope = verb == "ignore" ? DirectiveScope::Line : DirectiveScope::Cell;
  size_t open = skip_spaces(c, verb_end);
  size_t close = open < segment_end && c[open] == '[' ? c.find(']', open) : std::string_view::npos;
  if (close == std::string_view::npos || close > segment_end) {
    d.problem = usage;
    return true;
  }
  d.end = close + 1;
  std::string_view list = c.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string_view item = trim(list.substr(start, comma - start));
    if (!item.empty()) d.codes.emplace_back(item);
    start = comma + 1;
  }
  if (d.codes.empty()) d.problem = "lists no rules: write the codes or names to ignore inside the brackets";
  return true;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

bool might_hold_directive(const std::string& source) {
  if (source.find("lstm-lint:") != std::string::npos) return true;
  // `noqa` in any case; `| 0x20` lower-cases ASCII letters, and only the first letter is tested
  // at every byte (this runs over every code cell).
  const char* s = source.data();
  for (size_t i = 0; i + 4 <= source.size(); ++i)
    if ((s[i] | 0x20) == 'n' && (s[i + 1] | 0x20) == 'o' && (s[i + 2] | 0x20) == 'q' && (s[i + 3] | 0x20) == 'a')
      return true;
  return false;
}

// Header lines (blank, comment or IPython magic) are all a cell may have above an ignore-cell.
bool only_header_above(const std::string& source, int line) {
  size_t start = 0;
  for (int l = 1; l < line && start <= source.size(); ++l) {
    size_t end = source.find('\n', start);
    if (end == std::string::npos) end = source.size();
    std::string_view text = trim(std::string_view(source).substr(start, end - start));
    if (!text.empty() && text[0] != '#' && text[0] != '%' && text[0] != '!') return false;
    start = end + 1;
  }
  return true;
}

int characters(std::string_view bytes) {
  int n = 0;
  for (unsigned char ch : bytes)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

// Comment nodes of a tree, walked with a cursor: no recursion, so hostile nesting is harmless.
template <typename Visit>
void for_each_comment(TSNode root, Visit visit) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    if (python::is(node, "comment")) visit(node);
    if (ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        ts_tree_cursor_delete(&cursor);
        return;
      }
    }
  }
}

}  // namespace

std::vector<ParsedDirective> parse_directives(std::string_view comment) {
  std::vector<ParsedDirective> out;
  size_t at = comment.find('#');
  while (at != std::string_view::npos) {
    ParsedDirective d;
    if (parse_noqa(comment, at, d) || parse_lstm_lint(comment, at, d)) {
      out.push_back(std::move(d));
      at = comment.find('#', std::max(out.back().end, at + 1));
      continue;
    }
    at = comment.find('#', at + 1);
  }
  return out;
}

Suppressions::Suppressions(const notebook::Notebook& nb, const semantic::Model& model, std::vector<const RuleInfo*> ran)
    : ran_(std::move(ran)) {
  if (!nb.ignore.empty() || !nb.settings_problem.empty()) {
    Directive d;
    d.scope = DirectiveScope::Notebook;
    d.text = nb.settings_problem.empty() ? "\"lstm-lint\": {\"ignore\": [" + joined(nb.ignore) + "]}" : "\"lstm-lint\"";
    d.problem = nb.settings_problem;
    for (const auto& code : nb.ignore) d.codes.push_back({code, find_rule(code)});
    directives_.push_back(std::move(d));
  }
  for (const auto& cell : nb.cells) collect_cell(cell, model);
}

void Suppressions::collect_cell(const notebook::Cell& cell, const semantic::Model& model) {
  if (cell.kind != notebook::CellKind::Code || !might_hold_directive(cell.source)) return;
  const semantic::CellInfo& info = model.cell(cell.index);
  if (!info.parsed) return;  // opaque cell magics (%%bash) and non-Python kernels hold no Python comments
  for_each_comment(info.tree.root(), [&](TSNode node) {
    std::string_view comment = model.text_of(node, cell.index);
    Location start = model.span_of(node, cell.index).start;
    for (auto& p : parse_directives(comment)) {
      Directive d;
      d.scope = p.scope;
      d.text = std::string(comment.substr(p.begin, p.end - p.begin));
      d.span.start = {cell.index, start.line, start.column + characters(comment.substr(0, p.begin))};
      d.span.end = {cell.index, start.line, start.column + characters(comment.substr(0, p.end))};
      d.noqa = p.noqa;
      d.blanket = p.blanket;
      d.problem = std::move(p.problem);
      for (const auto& code : p.codes) d.codes.push_back({code, find_rule(code)});
      if (d.scope == DirectiveScope::Cell && d.problem.empty() && !only_header_above(cell.source, start.line))
        d.problem = "is misplaced: `ignore-cell` must come before the cell's first line of code";
      directives_.push_back(std::move(d));
    }
  });
}

bool Suppressions::ran(const RuleInfo& rule) const {
  return std::find(ran_.begin(), ran_.end(), &rule) != ran_.end();
}

bool Suppressions::covers(Directive& d, const Finding& f) {
  if (!d.problem.empty()) return false;
  if (d.scope == DirectiveScope::Cell && d.span.start.cell != f.span.start.cell) return false;
  if (d.scope == DirectiveScope::Line) {
    // Any line of the finding's span: a call split over lines takes the comment on any of them.
    int first = f.span.start.line;
    int last = f.span.end.cell != f.span.start.cell ? INT_MAX : f.span.end.line;
    if (last > first && f.span.end.column == 1) --last;  // the span ends at the start of a line
    if (d.span.start.cell != f.span.start.cell || d.span.start.line < first || d.span.start.line > last) return false;
  }
  if (d.blanket) {
    d.used = true;
    return true;
  }
  bool covered = false;
  for (auto& code : d.codes) {
    if (!code.rule || code.rule->code != f.code) continue;
    code.used = true;
    covered = true;
  }
  d.used = d.used || covered;
  return covered;
}

void Suppressions::filter(std::vector<Finding>& findings) {
  auto suppressed = [&](const Finding& f) {
    bool any = false;
    // Every directive that covers the finding is used, so a redundant one is not reported.
    for (auto& d : directives_) any = covers(d, f) || any;
    return any;
  };
  findings.erase(std::remove_if(findings.begin(), findings.end(), suppressed), findings.end());
}

}  // namespace lstmlint::engine
