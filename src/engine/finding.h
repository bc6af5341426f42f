// A finding: what a rule reports, in the one coordinate system {cell, line, column}.
#pragma once

#include <cstdint>
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
  std::uint64_t content_hash = 0;  // what a baseline fingerprint is made of (engine/baseline.h)
};

}  // namespace lstmlint::engine
