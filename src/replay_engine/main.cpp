// lstm-lint-replay: reads a JSON list of experiments (literal hyper-parameters, never notebook
// code) on stdin, runs each rule's LibTorch experiment and writes one JSON document of verdicts
// and measured numbers on stdout. The only program of the project that links LibTorch.
#include <sys/resource.h>
#include <torch/version.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "replay_engine/replay.h"

namespace {

using lstmlint::replay::Json;
namespace rp = lstmlint::replay;

constexpr int kProtocolVersion = 1;
constexpr double kDefaultBudget = 10, kMaxBudget = 60;
constexpr long kDefaultMemoryMb = 2048;
constexpr size_t kMaxInputBytes = 16u << 20;
// One seed for every experiment: the same spec gives the same numbers, whatever runs before it.
constexpr uint64_t kSeed = 20240607;

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// Seconds since the kernel started this process (dynamic loading of LibTorch included).
double seconds_since_process_start() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  // Fields after the command name start at field 3 (state); starttime is field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  double start = std::strtod(field.c_str(), nullptr) / double(sysconf(_SC_CLK_TCK));
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9 - start;
}

[[noreturn]] void fail_usage(const std::string& message) {
  std::cerr << "lstm-lint-replay: " << message << "\n";
  std::exit(2);
}

const char* kUsage =
    "usage: lstm-lint-replay [--memory-mb N] [--progress] < experiments.json\n"
    "Runs the replay experiments of lstm-lint on LibTorch reference models and prints their verdicts\n"
    "as JSON (see README.md, \"Replay engine\"). --memory-mb caps the process's address space, LibTorch's\n"
    "own mappings included (default 2048).\n";

long parse_memory_mb(const char* text) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno || end == text || *end || v < 1 || v > (1L << 24))
    fail_usage(std::string("--memory-mb needs a whole number of MiB up to 16777216, got '") + text + "'");
  return v;
}

// Virtual memory already mapped (LibTorch alone maps about 550 MiB), in MiB.
long mapped_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmSize:", 0) == 0) return std::strtol(line.c_str() + 7, nullptr, 10) / 1024;
  return 0;
}

// Caps the address space: a spec that slips past the caps gets an allocation error (INCONCLUSIVE),
// not the machine's memory. Set after LibTorch has started its threads: a thread pool that cannot
// reserve its stacks waits forever.
void limit_memory(long mb) {
  long mapped = mapped_mb();
  if (mb < mapped + 128)
    fail_usage("--memory-mb " + std::to_string(mb) + " leaves no room: LibTorch already maps " + std::to_string(mapped) +
               " MiB of address space (use at least " + std::to_string(mapped + 128) + ")");
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = rlim_t(mb) << 20;
  if (setrlimit(RLIMIT_AS, &limit) != 0) std::cerr << "lstm-lint-replay: could not limit memory: " << std::strerror(errno) << "\n";
}

Json run_experiment(const Json& entry, double budget_seconds) {
  Json out = Json::object();
  out["id"] = entry.is_object() && entry.contains("id") ? entry["id"] : Json(nullptr);
  out["rule"] = entry.is_object() && entry.contains("rule") ? entry["rule"] : Json(nullptr);

  rp::Result result;
  rp::Spec spec(entry.is_object() && entry.contains("spec") ? entry["spec"] : Json::object());
  auto wall_start = std::chrono::steady_clock::now();
  double cpu_start = process_cpu_seconds();
  rp::Budget budget(budget_seconds);

  const rp::TableEntry* found = nullptr;
  if (!entry.is_object()) {
    result.inconclusive("the experiment is not a JSON object");
  } else if (!entry.contains("rule") || !entry["rule"].is_string()) {
    result.inconclusive("the experiment has no \"rule\" string");
  } else if (entry.contains("spec") && !entry["spec"].is_object() && !entry["spec"].is_null()) {
    result.inconclusive("the experiment's \"spec\" is not a JSON object");
  } else {
    std::string rule = entry["rule"].get<std::string>();
    for (const auto& e : rp::experiment_table())
      if (rule == e.rule) found = &e;
    if (!found) {
      result.verdict = rp::kNoReplay;
      result.summary = "`" + rule + "` is not a rule of this lstm-lint-replay";
    } else if (!found->run) {
      result.verdict = rp::kNoReplay;
      result.summary = "`" + rule + "` has no replay experiment";
    }
  }

  if (found && found->run) {
    rp::Experiment x{spec, result, budget};
    try {
      torch::manual_seed(kSeed);
      found->run(x);
    } catch (const rp::BudgetExceeded&) {
      result.inconclusive("budget exceeded: stopped after " + rp::fmt(budget.elapsed(), 2) + " s of a " +
                          rp::fmt(budget.seconds(), 3) + " s budget before the experiment could finish");
    } catch (const rp::SpecError& e) {
      result.inconclusive(e.what());
    } catch (const std::bad_alloc&) {
      result.inconclusive("out of memory (the --memory-mb limit) while running the experiment");
    } catch (const std::exception& e) {
      std::string message = rp::torch_message(e);
      bool memory = message.find("allocate memory") != std::string::npos ||
                    message.find("not enough memory") != std::string::npos;
      result.inconclusive(memory ? "out of memory (the --memory-mb limit) while running the experiment"
                                 : "the experiment failed unexpectedly: " + rp::first_sentence(message));
      result.error = message;
    } catch (...) {
      result.inconclusive("the experiment failed with an unknown exception");
    }
  }

  out["verdict"] = result.verdict;
  out["summary"] = result.summary;
  Json metrics = Json::array();
  for (const auto& m : result.metrics) {
    Json jm = {{"name", m.name}, {"value", std::isfinite(m.value) ? Json(m.value) : Json(nullptr)}};
    jm["threshold"] = m.threshold ? Json(*m.threshold) : Json(nullptr);
    jm["unit"] = m.unit;
    metrics.push_back(jm);
  }
  out["metrics"] = metrics;
  Json curves = Json::array();
  for (const auto& c : result.curves) {
    Json values = Json::array();
    for (double v : c.values) values.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
    curves.push_back({{"name", c.name}, {"x", c.x}, {"y", c.y}, {"values", values}});
  }
  if (!curves.empty()) out["curves"] = curves;
  if (result.error) out["error"] = *result.error;
  out["scaled"] = spec.scaled();
  out["used"] = spec.used();
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  out["cpu_seconds"] = process_cpu_seconds() - cpu_start;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  long memory_mb = kDefaultMemoryMb;
  bool progress = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--version") {
      std::cout << "lstm-lint-replay " << LSTM_LINT_VERSION << " (LibTorch " << TORCH_VERSION << ")\n";
      return 0;
    }
    if (a == "--memory-mb" && i + 1 < argc) memory_mb = parse_memory_mb(argv[++i]);
    else if (a.rfind("--memory-mb=", 0) == 0) memory_mb = parse_memory_mb(argv[i] + 12);
    else if (a == "--progress") progress = true;
    else fail_usage("unknown argument '" + a + "'\n" + kUsage);
  }

  torch::set_num_threads(1);
  at::set_num_interop_threads(1);
  torch::manual_seed(kSeed);
  (void)torch::ones({2, 2}).matmul(torch::ones({2, 2})).sum().item<float>();  // LibTorch is ready
  double load_seconds = seconds_since_process_start();
  limit_memory(memory_mb);

  std::string input;
  try {
    char buf[65536];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      input.append(buf, size_t(std::cin.gcount()));
      if (input.size() > kMaxInputBytes) fail_usage("the input is larger than 16 MiB");
    }
  } catch (const std::bad_alloc&) {
    fail_usage("out of memory while reading the input (--memory-mb)");
  }
  Json doc;
  try {
    doc = Json::parse(input);
  } catch (const std::bad_alloc&) {
    fail_usage("out of memory while parsing the input (--memory-mb)");
  } catch (const std::exception& e) {
    fail_usage(std::string("the input is not JSON: ") + e.what());
  }
  if (!doc.is_object()) fail_usage("the input must be a JSON object {\"version\": 1, \"experiments\": [...]}");
  if (!doc.contains("version") || doc["version"] != kProtocolVersion)
    fail_usage("the input must say \"version\": 1 (got " + (doc.contains("version") ? doc["version"].dump() : "none") + ")");
  if (!doc.contains("experiments") || !doc["experiments"].is_array())
    fail_usage("the input has no \"experiments\" list");
  double budget = kDefaultBudget;
  if (doc.contains("budget_seconds") && !doc["budget_seconds"].is_null()) {
    const Json& b = doc["budget_seconds"];
    if (!b.is_number() || !std::isfinite(b.get<double>()) || b.get<double>() <= 0)
      fail_usage("\"budget_seconds\" must be a positive number, got " + b.dump());
    budget = std::min(b.get<double>(), kMaxBudget);
  }

  try {
    Json results = Json::array();
    const size_t total = doc["experiments"].size();
    for (const auto& entry : doc["experiments"]) {
      // One stderr line per experiment; lstm-lint shows them on a terminal.
      if (progress && total > 1)
        std::cerr << "progress:replay " << results.size() + 1 << "/" << total << " "
                  << (entry.is_object() && entry.contains("rule") && entry["rule"].is_string() ? entry["rule"].get<std::string>() : "?")
                  << std::endl;
      results.push_back(run_experiment(entry, budget));
    }
    Json out = {{"version", kProtocolVersion}, {"torch", TORCH_VERSION}, {"load_seconds", load_seconds},
                {"results", results}};
    std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } catch (const std::exception& e) {  // e.g. out of memory while writing the report
    std::cerr << "lstm-lint-replay: could not write the results: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
