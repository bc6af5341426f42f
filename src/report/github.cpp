// GitHub Actions reporter: one workflow command per finding (::error / ::warning / ::notice),
// annotating the raw .ipynb line; the message starts with the cell coordinates.
#include "report/report.h"

namespace lstmlint::report {
namespace {

const char* command(engine::Severity s) {
  switch (s) {
    case engine::Severity::Error: return "error";
    case engine::Severity::Warning: return "warning";
    case engine::Severity::Info: return "notice";
  }
  return "warning";
}

// The runner splits a command at newlines and decodes %XX, so these must be encoded.
std::string escape_data(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

// Property values also end at `,` (next property) and `:` (the `::` before the message).
std::string escape_property(const std::string& text) {
  std::string out;
  for (char c : escape_data(text)) {
    if (c == ':') out += "%3A";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

// `cell 6:1:7: <message>`, then the fix on a line of its own (annotations show both).
std::string message(const engine::Finding& f) {
  std::string text = "cell " + std::to_string(f.span.start.cell) + ":" + std::to_string(f.span.start.line) + ":" +
                     std::to_string(f.span.start.column) + ": " + f.message;
  for (const auto& r : f.related)
    text += "\nnote: cell " + std::to_string(r.span.start.cell) + ":" + std::to_string(r.span.start.line) + ":" +
            std::to_string(r.span.start.column) + ": " + r.message;
  if (!f.help.empty()) text += "\nhelp: " + f.help;
  return text;
}

}  // namespace

void write_github(std::ostream& out, const std::vector<engine::FileResult>& results) {
  for (const auto& r : results) {
    if (r.error) {
      out << "::error file=" << escape_property(r.path) << ",title=" << escape_property("lstm-lint could not read this notebook")
          << "::" << escape_data(*r.error) << "\n";
      continue;
    }
    for (const auto& f : r.findings) {
      // Lines are the .ipynb file's own; columns are left out, since a column in the JSON text
      // is not the column in the cell (the message gives the cell's).
      out << "::" << command(f.severity) << " file=" << escape_property(r.path);
      if (f.raw_line > 0) out << ",line=" << f.raw_line;
      if (f.raw_end_line >= f.raw_line && f.raw_line > 0) out << ",endLine=" << f.raw_end_line;
      if (f.raw_columns && f.raw_line > 0) out << ",col=" << f.span.start.column << ",endColumn=" << f.span.end.column;
      out << ",title=" << escape_property(f.code + " " + f.name) << "::"
          << escape_data(message(f)) << "\n";
    }
  }
}

}  // namespace lstmlint::report
