// --statistics: findings counted per rule, most first, like ruff --statistics.
#include <algorithm>
#include <map>
#include <tuple>

#include "report/report.h"

namespace lstmlint::report {
namespace {

struct RuleCount {
  std::string code;
  std::string name;
  engine::Severity severity;
  int count = 0;
};

std::vector<RuleCount> count_by_rule(const std::vector<engine::FileResult>& results) {
  std::map<std::string, RuleCount> by_code;
  for (const auto& r : results)
    for (const auto& f : r.findings) {
      RuleCount& c = by_code[f.code];
      c.code = f.code;
      c.name = f.name;
      c.severity = f.severity;
      ++c.count;
    }
  std::vector<RuleCount> counts;
  for (auto& [code, c] : by_code) counts.push_back(std::move(c));
  std::stable_sort(counts.begin(), counts.end(), [](const RuleCount& a, const RuleCount& b) { return a.count > b.count; });
  return counts;
}

}  // namespace

void write_statistics(std::ostream& out, const std::vector<engine::FileResult>& results, const TextOptions& options) {
  auto counts = count_by_rule(results);
  size_t width = counts.empty() ? 1 : std::to_string(counts.front().count).size();
  size_t name_width = 0;
  for (const auto& c : counts) name_width = std::max(name_width, c.name.size());
  for (const auto& c : counts) {
    std::string n = std::to_string(c.count);
    out << std::string(width - n.size(), ' ') << n << "  " << c.code << "  " << c.name
        << std::string(name_width - c.name.size(), ' ') << "  " << engine::severity_name(c.severity) << "\n";
  }
  if (!options.quiet) out << summary_line(results) << "\n";
}

void write_statistics_json(std::ostream& out, const std::vector<engine::FileResult>& results) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& c : count_by_rule(results))
    all.push_back({{"code", c.code}, {"name", c.name}, {"severity", engine::severity_name(c.severity)}, {"count", c.count}});
  out << all.dump(2) << "\n";
}

}  // namespace lstmlint::report
