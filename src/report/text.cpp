// Text reporter in ruff's full format: header, code frame with carets, help line.
#include <map>
#include <sstream>

#include "report/report.h"

namespace lstmlint::report {
namespace {

struct Palette {
  bool on;
  std::string bold() const { return on ? "\x1b[1m" : ""; }
  std::string dim() const { return on ? "\x1b[2m" : ""; }
  std::string cyan() const { return on ? "\x1b[36m" : ""; }
  std::string reset() const { return on ? "\x1b[0m" : ""; }
  std::string severity(engine::Severity s) const {
    if (!on) return "";
    switch (s) {
      case engine::Severity::Error: return "\x1b[1;31m";
      case engine::Severity::Warning: return "\x1b[1;33m";
      case engine::Severity::Info: return "\x1b[1;34m";
    }
    return "";
  }
};

int display_width(const std::string& s) {
  int w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

void write_frame(std::ostream& out, const engine::Finding& f, const Palette& p) {
  std::string line = f.source_line;
  for (char& c : line)
    if (c == '\t') c = ' ';  // one column per character, so carets line up
  std::string number = std::to_string(f.span.start.line);
  std::string gutter(number.size(), ' ');
  int width = display_width(line);
  int start = std::max(1, f.span.start.column);
  int end = f.span.end.line == f.span.start.line ? f.span.end.column : width + 1;
  if (end <= start) end = start + 1;
  out << p.cyan() << gutter << " |" << p.reset() << "\n";
  out << p.cyan() << number << " |" << p.reset() << " " << line << "\n";
  out << p.cyan() << gutter << " |" << p.reset() << " " << std::string(static_cast<size_t>(start - 1), ' ')
      << p.severity(f.severity) << std::string(static_cast<size_t>(end - start), '^') << " " << f.code << p.reset()
      << "\n";
  out << p.cyan() << gutter << " |" << p.reset() << "\n";
  if (!f.help.empty()) out << p.cyan() << gutter << " = " << p.reset() << p.bold() << "help" << p.reset() << ": " << f.help << "\n";
}

}  // namespace

std::string summary_line(const std::vector<engine::FileResult>& results) {
  std::map<engine::Severity, int> by_severity;
  int total = 0, files = 0, unreadable = 0;
  for (const auto& r : results) {
    if (r.error) ++unreadable;
    else ++files;
    for (const auto& f : r.findings) {
      ++by_severity[f.severity];
      ++total;
    }
  }
  std::string failed = unreadable == 0 ? std::string()
                       : " " + std::to_string(unreadable) + (unreadable == 1 ? " file" : " files") +
                             " could not be linted (see the errors above).";
  if (total == 0 && unreadable == 0) return "All checks passed!";
  if (total == 0) return "No findings in " + std::to_string(files) + (files == 1 ? " notebook;" : " notebooks;") + failed;
  std::ostringstream s;
  s << "Found " << total << (total == 1 ? " finding" : " findings") << " (";
  bool first = true;
  for (auto sev : {engine::Severity::Error, engine::Severity::Warning, engine::Severity::Info}) {
    int n = by_severity[sev];
    if (!n) continue;
    s << (first ? "" : ", ") << n << " " << engine::severity_name(sev) << (n == 1 ? "" : "s");
    first = false;
  }
  s << ") in " << files << (files == 1 ? " notebook." : " notebooks.") << failed;
  return s.str();
}

std::string finding_line(const engine::Finding& f, bool color, bool unsafe_fixes) {
  Palette p{color};
  std::ostringstream s;
  s << p.bold() << f.filename << ":cell " << f.span.start.cell << ":" << f.span.start.line << ":" << f.span.start.column
    << ":" << p.reset() << " " << p.severity(f.severity) << f.code << p.reset() << " [" << f.name << "] "
    << (f.fix && (f.fix->safe || unsafe_fixes) ? "[*] " : "") << f.message;
  return s.str();
}

std::string fixable_footer(const std::vector<engine::FileResult>& results, bool unsafe_fixes) {
  int fixable = 0, hidden = 0;
  for (const auto& r : results)
    for (const auto& f : r.findings) {
      if (!f.fix) continue;
      if (f.fix->safe || unsafe_fixes) ++fixable;
      else ++hidden;
    }
  std::string footer;
  if (fixable > 0) footer = "[*] " + std::to_string(fixable) + " fixable with --fix" + (unsafe_fixes ? " --unsafe-fixes." : ".");
  if (hidden > 0)
    footer += std::string(footer.empty() ? "" : " ") + "(" + std::to_string(hidden) + " more fixable with --fix --unsafe-fixes.)";
  return footer;
}

void write_text(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options) {
  Palette p{options.color};
  for (const auto& r : results) {
    for (const auto& f : r.findings) {
      out << finding_line(f, options.color, options.unsafe_fixes) << "\n";
      if (!options.quiet) write_frame(out, f, p);
      for (const auto& r : f.related)
        out << p.cyan() << "note" << p.reset() << ": " << f.filename << ":cell " << r.span.start.cell << ":" << r.span.start.line
            << ":" << r.span.start.column << ": " << r.message << "\n";
      write_replay_text(out, f, options.color, options.quiet);
      if (!options.quiet) out << "\n";
    }
  }
  if (options.quiet) return;
  if (options.fixed < 0) {
    out << summary_line(results) << "\n";
  } else {
    int remaining = 0;
    for (const auto& r : results) remaining += static_cast<int>(r.findings.size());
    int total = options.fixed + remaining;
    out << "Found " << total << (total == 1 ? " finding" : " findings") << " (" << options.fixed << " fixed, " << remaining
        << " remaining).\n";
  }
  std::string footer = fixable_footer(results, options.unsafe_fixes);
  if (!footer.empty()) out << footer << "\n";
}

}  // namespace lstmlint::report
