// Replay outcomes in reports: the verdict, the measured numbers with their thresholds, and the
// spec's values with where the notebook states each (or "default").
#include <cstdio>
#include <sstream>

#include "report/report.h"

namespace lstmlint::report {
namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

std::string where(const engine::Fact& fact) {
  if (fact.origin) return "cell " + std::to_string(fact.origin->start.cell) + ":" + std::to_string(fact.origin->start.line);
  return fact.note.empty() ? "default" : fact.note;
}

std::string verdict_color(const std::string& verdict, bool color) {
  if (!color) return "";
  if (verdict == "CONFIRMED") return "\x1b[1;31m";
  if (verdict == "NOT CONFIRMED") return "\x1b[1;32m";
  return "\x1b[1;33m";
}

}  // namespace

void write_replay_text(std::ostream& out, const engine::Finding& f, bool color, bool quiet) {
  if (!f.replay) return;
  const auto& r = *f.replay;
  std::string reset = color ? "\x1b[0m" : "";
  out << "  replay: " << verdict_color(r.verdict, color) << r.verdict << reset;
  if (!r.summary.empty()) out << ": " << r.summary;
  out << "\n";
  if (quiet || r.verdict == "NO REPLAY") return;
  if (!r.error.empty()) out << "    error: " << r.error << "\n";
  for (const auto& m : r.metrics) {
    out << "    " << m.name << " = " << number(m.value) << (m.unit.empty() ? "" : " " + m.unit);
    if (m.threshold) out << " (threshold " << number(*m.threshold) << ")";
    out << "\n";
  }
  if (!f.spec.empty()) {
    out << "    spec:";
    for (const auto& fact : f.spec) out << " " << fact.key << "=" << fact.json << " (" << where(fact) << ")";
    out << "\n";
  }
  for (const auto& s : r.scaled) out << "    scaled down: " << s << "\n";
  if (r.seconds > 0) out << "    took " << number(r.seconds) << " s\n";
}

nlohmann::ordered_json replay_json(const engine::Finding& f) {
  using json = nlohmann::ordered_json;
  if (!f.replay) return nullptr;
  const auto& r = *f.replay;
  json j;
  j["verdict"] = r.verdict;
  j["summary"] = r.summary;
  if (!r.error.empty()) j["error"] = r.error;
  j["metrics"] = json::array();
  for (const auto& m : r.metrics)
    j["metrics"].push_back({{"name", m.name}, {"value", m.value},
                            {"threshold", m.threshold ? json(*m.threshold) : json(nullptr)}, {"unit", m.unit}});
  j["spec"] = json::array();
  for (const auto& fact : f.spec) {
    json origin = nullptr;
    if (fact.origin) origin = {{"cell", fact.origin->start.cell}, {"row", fact.origin->start.line}, {"column", fact.origin->start.column}};
    j["spec"].push_back({{"key", fact.key}, {"value", json::parse(fact.json, nullptr, false)}, {"origin", origin},
                         {"source", fact.origin ? std::string("notebook") : (fact.note.empty() ? "default" : fact.note)}});
  }
  j["scaled"] = r.scaled;
  j["seconds"] = r.seconds;
  return j;
}

}  // namespace lstmlint::report
