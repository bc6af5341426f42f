// A finding: what a rule reports, in the one coordinate system {cell, line, column}.
#pragma once

#include <optional>
#include <string>

#include "notebook/location.h"

namespace lstmlint::engine {

enum class Severity { Info, Warning, Error };

const char* severity_name(Severity s);
bool parse_severity(const std::string& text, Severity& out);

struct Finding {
  std::string code;      // LSTM103
  std::string name;      // stale-optimizer
  Severity severity = Severity::Warning;
  std::string message;   // what will go wrong
  std::string help;      // how to fix it
  std::string filename;
  Span span;
  std::optional<long long> execution_count;  // of the cell, as saved
  std::string source_line;  // the cell's line at span.start, for code frames
  // The .ipynb file's own lines holding span.start and span.end, for reporters that point
  // into the raw file (SARIF, GitHub); 0 when unknown (a notebook built in memory).
  int raw_line = 0;
  int raw_end_line = 0;
};

}  // namespace lstmlint::engine
