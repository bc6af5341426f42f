// JUnit XML reporter, for CI systems that show test results: one testsuite per run, one
// testcase per notebook, a <failure> per finding and an <error> for a notebook that could not be read.
#include "notebook/utf8.h"
#include "report/report.h"

namespace lstmlint::report {
namespace {

// XML 1.0 allows tab, newline, carriage return and most of Unicode; anything else (control
// characters from saved outputs, U+FFFE/U+FFFF) would make the whole report unparsable.
bool allowed_in_xml(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Escapes for text content, or for an attribute value (where a parser would normalize raw
// newlines and tabs to spaces, so they are written as character references).
std::string xml_escape(const std::string& text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp = utf8::next_code_point(text, i);
    if (!allowed_in_xml(cp)) continue;
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: utf8::append(out, cp);
    }
  }
  return out;
}

std::string attr(const std::string& text) { return xml_escape(text, true); }
std::string body(const std::string& text) { return xml_escape(text, false); }

void write_failure(std::ostream& out, const engine::Finding& f) {
  std::string where = f.filename + ":cell " + std::to_string(f.span.start.cell) + ":" + std::to_string(f.span.start.line) +
                      ":" + std::to_string(f.span.start.column);
  std::string text = where + ": " + f.code + " [" + f.name + "] " + f.message + "\n";
  if (f.execution_count) text += "In [" + std::to_string(*f.execution_count) + "]\n";
  if (!f.source_line.empty()) text += f.source_line + "\n";
  if (!f.help.empty()) text += "help: " + f.help + "\n";
  out << "      <failure type=\"" << attr(f.code) << "\" message=\"" << attr(f.code + " [" + f.name + "] " + f.message)
      << "\">" << body(text) << "</failure>\n";
}

}  // namespace

void write_junit(std::ostream& out, const std::vector<engine::FileResult>& results) {
  // JUnit counts test cases: a notebook with findings is one failed test, however many it has.
  size_t failed = 0, errors = 0;
  for (const auto& r : results) {
    if (r.error) ++errors;
    else if (!r.findings.empty()) ++failed;
  }
  std::string counts = "tests=\"" + std::to_string(results.size()) + "\" failures=\"" + std::to_string(failed) +
                       "\" errors=\"" + std::to_string(errors) + "\"";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"lstm-lint\" " << counts << ">\n";
  out << "  <testsuite name=\"lstm-lint\" " << counts << " skipped=\"0\">\n";
  for (const auto& r : results) {
    out << "    <testcase name=\"" << attr(r.path) << "\" classname=\"lstm-lint\" file=\"" << attr(r.path) << "\"";
    if (!r.error && r.findings.empty()) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (r.error)
      out << "      <error type=\"load-error\" message=\"" << attr(*r.error) << "\">" << body(r.path + ": " + *r.error)
          << "</error>\n";
    for (const auto& f : r.findings) write_failure(out, f);
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace lstmlint::report
