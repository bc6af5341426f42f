// JUnit XML reporter, for CI systems that show test results: one testsuite per run, one
// testcase per notebook, a <failure> per finding and an <error> for a notebook that could not be read.
#include "report/report.h"

namespace lstmlint::report {
namespace {

// Decodes one UTF-8 character at `i` and moves past it; an invalid or truncated sequence
// gives U+FFFD and moves one byte.
char32_t next_code_point(const std::string& s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  size_t extra = (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : (lead & 0xF8) == 0xF0 ? 3 : 0;
  if (extra == 0 || i + extra >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = lead & (0x3F >> extra);
  for (size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  static const char32_t smallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < smallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;  // overlong, surrogate
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

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
    char32_t cp = next_code_point(text, i);
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
      default: append_utf8(out, cp);
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
