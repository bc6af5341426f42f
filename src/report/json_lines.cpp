// JSON Lines reporter: one object per line, so a stream consumer can act before the run ends;
// findings carry the json format's fields, files that could not be linted a "type" of their own.
#include "report/report.h"

namespace lstmlint::report {
namespace {

void write_line(std::ostream& out, const nlohmann::ordered_json& j) {
  // Invalid UTF-8 from a notebook is replaced rather than aborting the report.
  out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace

void write_json_lines(std::ostream& out, const std::vector<engine::FileResult>& results) {
  for (const auto& r : results) {
    if (r.error) {
      nlohmann::ordered_json j;
      j["type"] = "error";
      j["filename"] = r.path;
      j["message"] = *r.error;
      write_line(out, j);
      continue;
    }
    for (const auto& f : r.findings) {
      nlohmann::ordered_json j;
      j["type"] = "finding";
      auto fields = finding_json(f);
      for (auto& [key, value] : fields.items()) j[key] = std::move(value);
      write_line(out, j);
    }
  }
}

}  // namespace lstmlint::report
