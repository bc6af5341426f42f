// Reporters: turn findings into text (ruff-like, with a code frame) or JSON.
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runner.h"

namespace lstmlint::report {

struct TextOptions {
  bool color = false;
  bool quiet = false;  // findings only: no code frames, no summary
};

void write_text(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options);
void write_json(std::ostream& out, const std::vector<engine::FileResult>& results);

// Replay outcomes: lines under a finding in text, a `replay` object in JSON.
void write_replay_text(std::ostream& out, const engine::Finding& f, bool color, bool quiet);
nlohmann::ordered_json replay_json(const engine::Finding& f);

// "Found 3 findings (1 error, 2 warnings) in 2 notebooks." or "All checks passed!"
std::string summary_line(const std::vector<engine::FileResult>& results);

}  // namespace lstmlint::report
