// Replay client: one request for the whole run (LibTorch loads once), verdicts matched back to
// findings by id. Any failure of the executable leaves the static findings intact.
#include "replay/client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "replay/process.h"

namespace lstmlint::replay {
namespace {

using nlohmann::json;

constexpr const char* kExecutableName = "lstm-lint-replay";

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string own_directory() {
  std::string buffer(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (n <= 0) return {};
  buffer.resize(static_cast<size_t>(n));
  auto slash = buffer.rfind('/');
  return slash == std::string::npos ? std::string() : buffer.substr(0, slash);
}

engine::ReplayOutcome not_run(const std::string& why) {
  engine::ReplayOutcome o;
  o.verdict = "NOT RUN";
  o.summary = why;
  return o;
}

engine::ReplayOutcome outcome_from(const json& r) {
  engine::ReplayOutcome o;
  o.verdict = r.value("verdict", std::string("INCONCLUSIVE"));
  o.summary = r.value("summary", std::string());
  if (r.contains("error") && r["error"].is_string()) o.error = r["error"].get<std::string>();
  if (r.contains("seconds") && r["seconds"].is_number()) o.seconds = r["seconds"].get<double>();
  if (r.contains("metrics") && r["metrics"].is_array())
    for (const auto& m : r["metrics"]) {
      if (!m.is_object() || !m.contains("value") || !m["value"].is_number()) continue;
      engine::Metric metric;
      metric.name = m.value("name", std::string());
      metric.value = m["value"].get<double>();
      if (m.contains("threshold") && m["threshold"].is_number()) metric.threshold = m["threshold"].get<double>();
      metric.unit = m.value("unit", std::string());
      o.metrics.push_back(std::move(metric));
    }
  if (r.contains("curves") && r["curves"].is_array())
    for (const auto& c : r["curves"]) {
      if (!c.is_object() || !c.contains("values") || !c["values"].is_array()) continue;
      engine::ReplayOutcome::Curve curve;
      curve.name = c.value("name", std::string());
      curve.x = c.value("x", std::string());
      curve.y = c.value("y", std::string());
      for (const auto& v : c["values"]) curve.values.push_back(v.is_number() ? v.get<double>() : std::nan(""));
      o.curves.push_back(std::move(curve));
    }
  if (r.contains("scaled") && r["scaled"].is_array())
    for (const auto& s : r["scaled"]) {
      if (!s.is_object()) continue;
      o.scaled.push_back(s.value("key", std::string("?")) + " " + s.value("from", json()).dump() + " -> " +
                         s.value("to", json()).dump());
    }
  return o;
}

std::string format_seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", s);
  return buffer;
}

// The last lines of the executable's stderr, for a failure message.
std::string tail(const std::string& text, size_t lines = 3) {
  size_t end = text.find_last_not_of("\n");
  if (end == std::string::npos) return {};
  size_t pos = end + 1;
  for (size_t n = 0; n < lines && pos > 0; ++n) {
    size_t nl = text.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
  }
  std::string t = text.substr(pos == 0 ? 0 : pos + 1, end + 1 - (pos == 0 ? 0 : pos + 1));
  if (t.size() > 600) t = t.substr(t.size() - 600);
  for (size_t at = t.find('\n'); at != std::string::npos; at = t.find('\n', at)) t.replace(at, 1, " | ");
  return t;
}

}  // namespace

std::string locate_executable(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("LSTM_LINT_REPLAY"); env && *env) return env;
  if (std::string dir = own_directory(); !dir.empty() && executable_file(dir + "/" + kExecutableName))
    return dir + "/" + kExecutableName;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && executable_file(dir + "/" + kExecutableName)) return dir + "/" + kExecutableName;
  }
  return {};
}

Run run(std::vector<engine::FileResult>& results, const Options& options) {
  Run run;
  json experiments = json::array();
  std::map<std::string, engine::Finding*> by_id;
  for (size_t i = 0; i < results.size(); ++i)
    for (size_t j = 0; j < results[i].findings.size(); ++j) {
      engine::Finding& f = results[i].findings[j];
      const engine::RuleInfo* rule = engine::find_rule(f.code);
      if (!rule || !rule->replay) {
        engine::ReplayOutcome o;
        o.verdict = "NO REPLAY";
        o.summary = "this rule has no replay experiment";
        f.replay = o;
        continue;
      }
      // The spec builder found that the notebook's own numbers cannot decide: say why, and do
      // not start LibTorch for it.
      auto undecidable = std::find_if(f.spec.begin(), f.spec.end(), [](const engine::Fact& x) { return x.key == "undecidable"; });
      if (undecidable != f.spec.end()) {
        engine::ReplayOutcome o;
        o.verdict = "INCONCLUSIVE";
        json why = json::parse(undecidable->json, nullptr, false);
        o.summary = why.is_string() ? why.get<std::string>() : undecidable->json;
        f.replay = o;
        continue;
      }
      std::string id = std::to_string(i) + "." + std::to_string(j);
      json spec = json::object();
      for (const auto& fact : f.spec) spec[fact.key] = json::parse(fact.json, nullptr, false);
      experiments.push_back({{"id", id}, {"rule", f.name}, {"spec", std::move(spec)}});
      by_id[id] = &f;
    }
  run.experiments = static_cast<int>(experiments.size());
  if (experiments.empty()) {
    run.ok = true;
    return run;
  }
  auto fail = [&](std::string why) {
    run.error = why;
    for (auto& [id, f] : by_id) f->replay = not_run(why);
    return run;
  };

  run.executable = locate_executable(options.executable);
  if (run.executable.empty())
    return fail(std::string(kExecutableName) + " was not found (next to lstm-lint, on PATH, or in $LSTM_LINT_REPLAY); "
                "it is built when LibTorch (Debian's libtorch-dev) is installed");
  json request = {{"version", 1}, {"budget_seconds", options.budget_seconds}, {"experiments", std::move(experiments)}};
  std::vector<std::string> args = {"--memory-mb", std::to_string(options.memory_mb)};
  if (options.progress) args.push_back("--progress");
  // LibTorch needs about a second to load; experiments check their own budgets, so this outer
  // deadline only catches a stuck process. $LSTM_LINT_REPLAY_TIMEOUT overrides it (seconds).
  double timeout = 30 + options.budget_seconds * static_cast<double>(run.experiments);
  if (const char* t = std::getenv("LSTM_LINT_REPLAY_TIMEOUT"); t && std::strtod(t, nullptr) > 0) timeout = std::strtod(t, nullptr);
  auto forward = [&](std::string_view line) {
    if (options.progress && line.rfind("progress:", 0) == 0) std::cerr << "\r" << line.substr(9) << "\x1b[K" << std::flush;
  };
  ProcessResult p = run_process(run.executable, args, request.dump(), timeout, forward);
  if (options.progress) std::cerr << "\r\x1b[K" << std::flush;
  if (!p.started) return fail("cannot start " + p.start_error);
  if (p.timed_out) return fail(run.executable + " did not finish within " + format_seconds(timeout) + " s and was stopped");
  if (p.signal) return fail(run.executable + " was killed by signal " + std::to_string(p.signal) + (p.err.empty() ? "" : ": " + tail(p.err)));
  if (p.exit_code != 0)
    return fail(run.executable + " exited with code " + std::to_string(p.exit_code) + (p.err.empty() ? "" : ": " + tail(p.err)));
  json response = json::parse(p.out, nullptr, false);
  if (response.is_discarded() || !response.is_object() || !response.contains("results") || !response["results"].is_array())
    return fail(run.executable + " answered something that is not a replay response");
  run.torch = response.value("torch", std::string());
  if (response.contains("load_seconds") && response["load_seconds"].is_number()) run.load_seconds = response["load_seconds"].get<double>();
  for (const auto& r : response["results"]) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_string()) continue;
    auto it = by_id.find(r["id"].get<std::string>());
    if (it == by_id.end()) continue;
    engine::Finding& f = *it->second;
    f.replay = outcome_from(r);
    // Values the notebook does not state: the executable's defaults, labelled as such.
    if (r.contains("used") && r["used"].is_object())
      for (const auto& item : r["used"].items()) {
        const std::string key = item.key();
        if (std::none_of(f.spec.begin(), f.spec.end(), [&](const engine::Fact& x) { return x.key == key; }))
          f.spec.push_back({key, item.value().dump(), std::nullopt, "default"});
      }
  }
  for (auto& [id, f] : by_id)
    if (!f->replay) f->replay = not_run("the replay executable returned no result for this finding");
  run.ok = true;
  return run;
}

}  // namespace lstmlint::replay
