// --format names and the dispatch to each reporter.
#include "report/report.h"

namespace lstmlint::report {

const std::vector<std::pair<std::string, Format>>& formats() {
  static const std::vector<std::pair<std::string, Format>> all = {
      {"text", Format::Text},   {"concise", Format::Concise}, {"json", Format::Json},   {"json-lines", Format::JsonLines},
      {"sarif", Format::Sarif}, {"github", Format::Github},   {"junit", Format::Junit},
  };
  return all;
}

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& [n, f] : formats())
    if (n == name) return f;
  return std::nullopt;
}

void write(std::ostream& out, Format format, const std::vector<engine::FileResult>& results, const TextOptions& options) {
  switch (format) {
    case Format::Text: return write_text(out, results, options);
    case Format::Concise: return write_concise(out, results, options);
    case Format::Json: return write_json(out, results);
    case Format::JsonLines: return write_json_lines(out, results);
    case Format::Sarif: return write_sarif(out, results);
    case Format::Github: return write_github(out, results);
    case Format::Junit: return write_junit(out, results);
  }
}

}  // namespace lstmlint::report
