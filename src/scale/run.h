// The corpus options of `lstm-lint check` (docs/scale.md), kept out of the CLI's main: file
// lists and shards applied to the run's plan, the cache opened and reported, json-lines streamed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "scale/cache.h"
#include "scale/files.h"
#include "scale/lint.h"

namespace lstmlint::scale {

struct CorpusOptions {
  std::string files_from;  // --files-from FILE (- : stdin), --null: NUL-separated
  bool null_separated = false;
  std::string shard;       // --shard K/N
  bool shard_given = false;
  std::string cache_dir;   // --cache-dir DIR (else LSTM_LINT_CACHE_DIR, else .lstm_lint_cache)
  bool no_cache = false;
  bool verbose = false;    // -v: how the cache answered, on stderr
};

// Adds --files-from's paths to `inputs` (which lose their default "." unless `paths_given`)
// and parses --shard. Prints the problem and returns 2 on bad input, else -1 (go on).
int prepare_inputs(const CorpusOptions& opts, bool paths_given, std::vector<std::string>& inputs, std::optional<Shard>& shard);

// Keeps the planned files of `shard` only.
void keep_shard(config::Plan& plan, const Shard& shard);

// The cache, unless --no-cache or its directory cannot be made (said with -v only).
std::unique_ptr<Cache> open_cache(const CorpusOptions& opts);

// Prunes after a run that wrote entries; with `verbose`, the counters on stderr.
void finish_cache(Cache* cache, bool verbose);

// Whether json-lines can go out file by file: to stdout, without what needs every result
// first (statistics, a baseline, replay, configuration errors reported before the files).
bool streams_json_lines(const std::string& format, bool statistics, const std::string& baseline, const std::string& output_file,
                        const config::Plan& plan);

// Streams json-lines: `lint(sink)` lints the plan, handing each result to the sink in order.
// Returns the exit status, as the report path computes it.
int stream_json_lines(const config::Plan& plan, const std::string& stdin_name, const std::string& stdin_error, bool exit_zero,
                      bool verbose, Cache* cache, double (*elapsed)(), const std::function<void(const Sink&)>& lint);

}  // namespace lstmlint::scale
