// JSON reporter: an array of findings with stable field names (CI tooling depends on them).
#include <nlohmann/json.hpp>

#include "report/report.h"

namespace lstmlint::report {

nlohmann::ordered_json finding_json(const engine::Finding& f) {
  nlohmann::ordered_json j;
  j["code"] = f.code;
  j["name"] = f.name;
  j["severity"] = engine::severity_name(f.severity);
  j["message"] = f.message;
  j["help"] = f.help;
  j["filename"] = f.filename;
  j["cell"] = f.span.start.cell;
  j["execution_count"] = f.execution_count ? nlohmann::ordered_json(*f.execution_count) : nlohmann::ordered_json(nullptr);
  j["location"] = {{"row", f.span.start.line}, {"column", f.span.start.column}};
  j["end_location"] = {{"row", f.span.end.line}, {"column", f.span.end.column}};
  // A percent script's own lines and columns (docs/output-formats.md).
  if (f.raw_columns && f.raw_line > 0) {
    j["file_location"] = {{"row", f.raw_line}, {"column", f.span.start.column}};
    j["file_end_location"] = {{"row", f.raw_end_line}, {"column", f.span.end.column}};
  }
  if (!f.related.empty()) {
    nlohmann::ordered_json related = nlohmann::ordered_json::array();
    for (const auto& r : f.related)
      related.push_back({{"message", r.message},
                         {"cell", r.span.start.cell},
                         {"location", {{"row", r.span.start.line}, {"column", r.span.start.column}}},
                         {"end_location", {{"row", r.span.end.line}, {"column", r.span.end.column}}}});
    j["related"] = related;
  }
  if (f.replay) j["replay"] = replay_json(f);
  // docs/fixes.md: edits are byte ranges of the cell's source (JSON-decoded), as ruff's
  // "fix" object with "applicability", "message" and "edits".
  if (f.fix) {
    nlohmann::ordered_json edits = nlohmann::ordered_json::array();
    for (const auto& e : f.fix->edits)
      edits.push_back({{"cell", e.cell}, {"start_byte", e.begin}, {"end_byte", e.end}, {"content", e.text}});
    j["fix"] = {{"applicability", f.fix->safe ? "safe" : "unsafe"}, {"message", f.fix->description}, {"edits", edits}};
  }
  return j;
}

void write_json(std::ostream& out, const std::vector<engine::FileResult>& results) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& r : results)
    for (const auto& f : r.findings) all.push_back(finding_json(f));
  // Invalid UTF-8 from a notebook is replaced rather than aborting the report.
  out << all.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace lstmlint::report
