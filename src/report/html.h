// The replay report as a self-contained HTML page with inline SVG (docs/replay.md, "The report").
#pragma once

#include <ostream>
#include <vector>

#include "engine/runner.h"

namespace lstmlint::report {

void write_replay_html(std::ostream& out, const std::vector<engine::FileResult>& results);

}  // namespace lstmlint::report
