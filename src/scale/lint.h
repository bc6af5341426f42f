// Lints a corpus: threads, the content cache, and results handed on in order as each file
// finishes (json-lines streams them, so memory does not grow with the corpus).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runner.h"
#include "scale/cache.h"

namespace lstmlint::scale {

// Receives each file's result in the order of `paths`, one call at a time.
using Sink = std::function<void(size_t index, engine::FileResult& result)>;

// engine::lint_all with a cache (null: none; "-" never uses it) and an optional sink. With a
// sink, each result keeps only its path and error after the sink has seen it.
std::vector<engine::FileResult> lint_files(const std::vector<std::string>& paths, const std::vector<engine::FileOptions>& options,
                                           unsigned jobs, const std::string& stdin_bytes, const std::string& stdin_name,
                                           bool replay_specs, Cache* cache, const Sink& sink = {});

// The json-lines summary record: {"type": "summary", "files", "errors", "findings",
// "by_rule": {code: count}, "elapsed_seconds"}.
class Summary {
 public:
  void add(const engine::FileResult& result);
  nlohmann::ordered_json record(double elapsed_seconds) const;

 private:
  long files_ = 0;
  long errors_ = 0;
  long findings_ = 0;
  std::map<std::string, long> by_rule_;
};

// `lstm-lint stats merge A.jsonl B.jsonl...`: the statistics --statistics prints for the whole
// run, from the json-lines outputs of its shards. Returns the exit status (2: a file that
// cannot be read or holds a line that is not a json-lines record, named with its line).
int stats_merge(const std::vector<std::string>& files, bool json, bool quiet);

}  // namespace lstmlint::scale
