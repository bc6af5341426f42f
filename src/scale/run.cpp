// The corpus options of `lstm-lint check` (scale/run.h).
#include "scale/run.h"

#include <algorithm>
#include <iostream>

#include "report/report.h"

namespace lstmlint::scale {

int prepare_inputs(const CorpusOptions& opts, bool paths_given, std::vector<std::string>& inputs, std::optional<Shard>& shard) {
  if (opts.shard_given) {
    std::string error;
    shard = parse_shard(opts.shard, error);
    if (!shard) {
      std::cerr << "error: " << error << "\n";
      return 2;
    }
  }
  if (opts.files_from.empty()) return -1;
  if (!paths_given) inputs.clear();
  try {
    auto listed = read_file_list(opts.files_from, opts.null_separated);
    inputs.insert(inputs.end(), listed.begin(), listed.end());
  } catch (const std::runtime_error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (opts.files_from == "-" && std::find(inputs.begin(), inputs.end(), "-") != inputs.end()) {
    std::cerr << "error: --files-from - reads the list from standard input, so no notebook can be read from it too\n";
    return 2;
  }
  return -1;
}

void keep_shard(config::Plan& plan, const Shard& shard) {
  config::Plan kept;
  kept.errors = std::move(plan.errors);
  for (size_t i = 0; i < plan.paths.size(); ++i) {
    if (!in_shard(plan.paths[i], shard)) continue;
    kept.paths.push_back(std::move(plan.paths[i]));
    kept.settings.push_back(std::move(plan.settings[i]));
    kept.blocked.push_back(std::move(plan.blocked[i]));
  }
  plan = std::move(kept);
}

std::unique_ptr<Cache> open_cache(const CorpusOptions& opts) {
  if (opts.no_cache) return nullptr;
  auto cache = std::make_unique<Cache>(cache_directory(opts.cache_dir));
  if (cache->ok()) return cache;
  // A read-only working directory costs speed, not a noisy stderr.
  if (opts.verbose) std::cerr << "cache: not caching: " << cache->problem() << "\n";
  return nullptr;
}

void finish_cache(Cache* cache, bool verbose) {
  if (!cache) return;
  if (cache->counters().written > 0) cache->prune();
  if (!verbose) return;
  const auto& c = cache->counters();
  std::cerr << "cache: " << c.hits << " hits, " << c.misses << " misses (" << c.corrupt << " damaged entries ignored), "
            << c.written << " written, " << c.pruned << " pruned in " << cache->dir() << "\n";
}

bool streams_json_lines(const std::string& format, bool statistics, const std::string& baseline, const std::string& output_file,
                        const config::Plan& plan) {
  if (format != "json-lines" || statistics || !baseline.empty() || !output_file.empty()) return false;
  if (!plan.errors.empty()) return false;
  return std::none_of(plan.settings.begin(), plan.settings.end(), [](const config::FileSettings& s) { return s.replay; });
}

int stream_json_lines(const config::Plan& plan, const std::string& stdin_name, const std::string& stdin_error, bool exit_zero,
                      bool verbose, Cache* cache, double (*elapsed)(), const std::function<void(const Sink&)>& lint) {
  Summary summary;
  bool any = false;
  bool failed = false;
  lint([&](size_t i, engine::FileResult& r) {
    if (plan.paths[i] == "-" && !stdin_error.empty()) r = {stdin_name, {}, stdin_error};
    if (r.error) {
      std::cerr << "error: " << r.path << ": " << *r.error << "\n";
      failed = true;
    }
    for (const auto& f : r.findings) any = any || plan.settings[i].fail_on.fails(f);
    report::write_json_lines(std::cout, {r});
    std::cout.flush();
    summary.add(r);
  });
  finish_cache(cache, verbose);
  std::cout << summary.record(elapsed()).dump() << "\n" << std::flush;
  if (failed) return 2;
  return exit_zero ? 0 : any ? 1 : 0;
}

}  // namespace lstmlint::scale
