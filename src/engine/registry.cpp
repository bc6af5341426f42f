// The rule registry: embedded rule metadata parsed once, lookups by code or name.
#include "engine/registry.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace lstmlint::engine {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "warning";
}

bool parse_severity(const std::string& text, Severity& out) {
  if (text == "info") out = Severity::Info;
  else if (text == "warning") out = Severity::Warning;
  else if (text == "error") out = Severity::Error;
  else return false;
  return true;
}

std::string_view RuleInfo::data(std::string_view file) const {
  if (!embedded) return {};
  for (const auto& d : embedded->data)
    if (file == d.first) return d.second;
  return {};
}

const std::vector<RuleInfo>& all_rules() {
  static const std::vector<RuleInfo> rules = [] {
    std::vector<RuleInfo> out;
    for (const auto& e : embedded_rules()) {
      auto meta = nlohmann::json::parse(e.meta_json);
      RuleInfo r;
      r.name = meta.at("name").get<std::string>();
      if (r.name != e.name) throw std::logic_error(std::string("rules/") + e.name + "/rule.json names " + r.name);
      r.code = meta.at("code").get<std::string>();
      if (!parse_severity(meta.at("severity").get<std::string>(), r.severity))
        throw std::logic_error(std::string("rules/") + e.name + "/rule.json: bad severity");
      r.summary = meta.at("summary").get<std::string>();
      r.family = meta.value("family", "");
      r.replay = meta.value("replay", false);
      r.default_on = meta.value("default", true);
      r.after_suppressions = meta.value("after_suppressions", false);
      r.doc = e.doc;
      r.check = e.check;
      r.embedded = &e;
      out.push_back(std::move(r));
    }
    return out;
  }();
  return rules;
}

const RuleInfo* find_rule(std::string_view code_or_name) {
  for (const auto& r : all_rules())
    if (r.code == code_or_name || r.name == code_or_name) return &r;
  return nullptr;
}

Span Context::line_span(int cell, int line) const {
  std::string_view text = model.line_text(cell, line);
  size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) first = 0;
  auto columns = [&](size_t bytes) {
    int c = 1;
    for (size_t i = 0; i < bytes && i < text.size(); ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++c;
    return c;
  };
  size_t last = text.find_last_not_of(" \t");
  size_t end = last == std::string_view::npos ? text.size() : last + 1;
  return {{cell, line, columns(first)}, {cell, line, columns(end)}};
}

Span Context::cell_head(int cell) const {
  const auto& source = notebook.cells.at(static_cast<size_t>(cell - 1)).source;
  int line = 1;
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string::npos) end = source.size();
    if (source.find_first_not_of(" \t\r", start) < end) return line_span(cell, line);
    start = end + 1;
    ++line;
  }
  return line_span(cell, 1);
}

namespace {
const notebook::Cell* cell_at(const notebook::Notebook& nb, int cell) {
  if (cell < 1 || static_cast<size_t>(cell) > nb.cells.size()) return nullptr;
  return &nb.cells[static_cast<size_t>(cell - 1)];
}
}  // namespace

Finding& Diagnostics::report(Span span, std::string message, std::string help, ReplayHint hint) {
  Finding f;
  f.code = ctx_.rule.code;
  f.name = ctx_.rule.name;
  f.severity = ctx_.rule.severity;
  f.message = std::move(message);
  f.help = std::move(help);
  f.filename = ctx_.notebook.path;
  f.span = span;
  f.source_line = std::string(ctx_.model.line_text(span.start.cell, span.start.line));
  f.hint = std::move(hint);
  if (const notebook::Cell* cell = cell_at(ctx_.notebook, span.start.cell)) {
    f.execution_count = cell->execution_count;
    f.raw_line = notebook::raw_line_of(*cell, span.start.line);
    f.raw_columns = ctx_.notebook.format == notebook::SourceFormat::Percent && cell->kind == notebook::CellKind::Code &&
                    span.end.cell == span.start.cell;
  }
  if (const notebook::Cell* cell = cell_at(ctx_.notebook, span.end.cell)) f.raw_end_line = notebook::raw_line_of(*cell, span.end.line);
  out_.push_back(std::move(f));
  return out_.back();
}

void Diagnostics::relate(Finding& f, Span span, std::string message) const {
  if (span.start == f.span.start) return;  // the finding's own place
  for (const auto& r : f.related)
    if (r.span.start == span.start) return;
  Related r;
  r.span = span;
  r.message = std::move(message);
  r.source_line = std::string(ctx_.model.line_text(span.start.cell, span.start.line));
  if (const notebook::Cell* cell = cell_at(ctx_.notebook, span.start.cell)) r.raw_line = notebook::raw_line_of(*cell, span.start.line);
  if (const notebook::Cell* cell = cell_at(ctx_.notebook, span.end.cell)) r.raw_end_line = notebook::raw_line_of(*cell, span.end.line);
  f.related.push_back(std::move(r));
}

}  // namespace lstmlint::engine
