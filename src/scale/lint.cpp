// Corpus linting (scale/lint.h): ordered hand-off of results, the summary record, stats merge.
#include "scale/lint.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>

#include "report/report.h"

namespace lstmlint::scale {

std::vector<engine::FileResult> lint_files(const std::vector<std::string>& paths, const std::vector<engine::FileOptions>& options,
                                           unsigned jobs, const std::string& stdin_bytes, const std::string& stdin_name,
                                           bool replay_specs, Cache* cache, const Sink& sink) {
  std::vector<engine::FileResult> results(paths.size());
  std::vector<char> done(paths.size(), 0);
  std::mutex order;
  size_t next_out = 0;  // the first result the sink has not seen
  std::atomic<size_t> next{0};
  auto finished = [&](size_t i) {
    if (!sink) return;
    std::lock_guard<std::mutex> lock(order);
    done[i] = 1;
    // A result waits only for slower files before it; the sink sees them in order.
    for (; next_out < paths.size() && done[next_out]; ++next_out) {
      sink(next_out, results[next_out]);
      std::vector<engine::Finding>().swap(results[next_out].findings);
    }
  };
  auto work = [&] {
    engine::Linter linter(engine::Selection{});
    linter.build_replay_specs(replay_specs);
    for (size_t i = next++; i < paths.size(); i = next++) {
      const engine::FileOptions& o = options.at(i);
      linter.configure(o);
      engine::FileResult r = paths[i] == "-" ? linter.lint_bytes(stdin_bytes, stdin_name)
                             : cache        ? cache->lint(linter, o, paths[i])
                                            : linter.lint_file(paths[i]);
      {
        std::lock_guard<std::mutex> lock(order);
        results[i] = std::move(r);
      }
      finished(i);
    }
  };
  engine::run_workers(jobs, paths.size(), work);
  return results;
}

void Summary::add(const engine::FileResult& result) {
  ++files_;
  if (result.error) ++errors_;
  for (const auto& f : result.findings) {
    ++findings_;
    ++by_rule_[f.code];
  }
}

nlohmann::ordered_json Summary::record(double elapsed_seconds) const {
  nlohmann::ordered_json j;
  j["type"] = "summary";
  j["files"] = files_;
  j["errors"] = errors_;
  j["findings"] = findings_;
  j["by_rule"] = nlohmann::ordered_json::object();
  for (const auto& [code, n] : by_rule_) j["by_rule"][code] = n;
  j["elapsed_seconds"] = elapsed_seconds;
  return j;
}

int stats_merge(const std::vector<std::string>& files, bool json, bool quiet) {
  // One result per notebook, as the whole run had: findings and errors by filename, then
  // empty results for the clean notebooks the summary records count.
  std::vector<engine::FileResult> results;
  std::map<std::string, size_t> by_name;
  long summarized_files = 0;
  bool any_summary = false;
  auto result_for = [&](const std::string& name) -> engine::FileResult& {
    auto [it, added] = by_name.emplace(name, results.size());
    if (added) results.push_back(engine::FileResult{name, {}, std::nullopt});
    return results[it->second];
  };
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "error: " << file << ": cannot read: " << std::strerror(errno) << "\n";
      return 2;
    }
    std::string line;
    for (long number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      auto bad = [&](const std::string& why) {
        std::cerr << "error: " << file << ":" << number << ": " << why << "\n";
        return 2;
      };
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
        return bad("not a json-lines record of lstm-lint (an object with a \"type\")");
      std::string type = j["type"];
      try {
        if (type == "finding") {
          engine::Finding f;
          f.code = j.at("code").get<std::string>();
          f.name = j.at("name").get<std::string>();
          if (!engine::parse_severity(j.at("severity").get<std::string>(), f.severity)) return bad("unknown severity");
          f.filename = j.at("filename").get<std::string>();
          result_for(f.filename).findings.push_back(std::move(f));
        } else if (type == "error") {
          result_for(j.at("filename").get<std::string>()).error = j.at("message").get<std::string>();
        } else if (type == "summary") {
          any_summary = true;
          summarized_files += j.at("files").get<long>();
        } else {
          return bad("unknown record type `" + type + "`");
        }
      } catch (const nlohmann::json::exception& e) {
        return bad(std::string("malformed ") + type + " record: " + e.what());
      }
    }
  }
  if (any_summary)
    for (long n = static_cast<long>(results.size()); n < summarized_files; ++n) results.push_back(engine::FileResult{});
  if (json) report::write_statistics_json(std::cout, results);
  else report::write_statistics(std::cout, results, report::TextOptions{false, quiet});
  return 0;
}

}  // namespace lstmlint::scale
