// --fail-on policies: a severity threshold, or replay's confirmation.
#include "engine/fail_on.h"

namespace lstmlint::engine {

bool FailOn::fails(const Finding& f) const {
  if (kind == Kind::Confirmed) return f.replay && f.replay->verdict == "CONFIRMED";
  return f.severity >= at_least;
}

std::optional<FailOn> parse_fail_on(std::string_view name) {
  if (name == "confirmed") return FailOn{FailOn::Kind::Confirmed};
  Severity severity;
  if (!parse_severity(std::string(name), severity)) return std::nullopt;
  return FailOn{FailOn::Kind::Severity, severity};
}

const std::vector<std::string>& fail_on_names() {
  static const std::vector<std::string> names = {"error", "warning", "info", "confirmed"};
  return names;
}

}  // namespace lstmlint::engine
