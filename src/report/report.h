// Reporters, one file each (text, concise, json, json-lines, sarif, github, junit, statistics),
// behind one entry point that --format selects.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runner.h"

namespace lstmlint::report {

enum class Format { Text, Concise, Json, JsonLines, Sarif, Github, Junit };

// Every format by its --format name, in the order help text lists them.
const std::vector<std::pair<std::string, Format>>& formats();
std::optional<Format> parse_format(std::string_view name);

struct TextOptions {
  bool color = false;
  bool quiet = false;  // findings only: no code frames, no summary
  bool unsafe_fixes = false;  // --unsafe-fixes: unsafe fixes count as applicable ([*])
  int fixed = -1;             // --fix: how many findings were fixed (the summary says so)
};

// Writes `results` in `format`. Text and concise honour `options`; the machine formats ignore it.
void write(std::ostream& out, Format format, const std::vector<engine::FileResult>& results, const TextOptions& options);

void write_text(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options);
void write_concise(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options);
void write_json(std::ostream& out, const std::vector<engine::FileResult>& results);
void write_json_lines(std::ostream& out, const std::vector<engine::FileResult>& results);
void write_sarif(std::ostream& out, const std::vector<engine::FileResult>& results);
void write_github(std::ostream& out, const std::vector<engine::FileResult>& results);
void write_junit(std::ostream& out, const std::vector<engine::FileResult>& results);

// --statistics: how many findings each rule made, most first (like ruff --statistics), then
// the summary unless quiet; or the same counts as a JSON array.
void write_statistics(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options);
void write_statistics_json(std::ostream& out, const std::vector<engine::FileResult>& results);

// A finding as the json format prints it (json-lines adds a "type").
nlohmann::ordered_json finding_json(const engine::Finding& f);

// The header line of a finding: `path:cell N:line:col: CODE [name] message` (text, concise).
// `[*]` follows the name when the finding has a fix --fix applies (`unsafe_fixes`: unsafe ones too).
std::string finding_line(const engine::Finding& f, bool color, bool unsafe_fixes = false);

// "[*] 2 fixable with --fix." and how many more --unsafe-fixes would add; empty when none.
std::string fixable_footer(const std::vector<engine::FileResult>& results, bool unsafe_fixes);

// Replay outcomes: lines under a finding in text, a `replay` object in JSON.
void write_replay_text(std::ostream& out, const engine::Finding& f, bool color, bool quiet);
nlohmann::ordered_json replay_json(const engine::Finding& f);

// "Found 3 findings (1 error, 2 warnings) in 2 notebooks." or "All checks passed!"
std::string summary_line(const std::vector<engine::FileResult>& results);

}  // namespace lstmlint::report
