// --fail-on: which findings make lstm-lint exit 1.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/finding.h"

namespace lstmlint::engine {

struct FailOn {
  enum class Kind { Severity, Confirmed };
  Kind kind = Kind::Severity;
  Severity at_least = Severity::Info;  // the default: any finding fails

  bool fails(const Finding& f) const;
  bool needs_replay() const { return kind == Kind::Confirmed; }
};

// "error", "warning", "info": a finding of that severity or above; "confirmed": a finding that
// replay confirmed. Anything else is nullopt. A new policy is one more name here.
std::optional<FailOn> parse_fail_on(std::string_view name);
const std::vector<std::string>& fail_on_names();

}  // namespace lstmlint::engine
