// The content cache (like ruff's): a file's findings stored under a key made of its bytes,
// its path, the lstm-lint build, and every per-file option that changes findings, so an
// unchanged notebook is not parsed again. docs/scale.md describes what bypasses it.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/runner.h"
#include "scale/hash.h"

namespace lstmlint::scale {

// --cache-dir, else LSTM_LINT_CACHE_DIR, else .lstm_lint_cache in the current directory.
std::string cache_directory(const std::string& option);

struct CacheCounters {
  std::atomic<long> hits{0};
  std::atomic<long> misses{0};
  std::atomic<long> corrupt{0};  // entries found damaged: ignored, then rewritten
  std::atomic<long> written{0};
  std::atomic<long> pruned{0};
};

class Cache {
 public:
  // Creates the directory when needed; `ok()` is false (and `problem()` says why) when it cannot.
  explicit Cache(std::string dir);
  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }
  const std::string& dir() const { return dir_; }

  // Lints `path` with `linter` (already configured with `options`), or answers from the cache.
  engine::FileResult lint(engine::Linter& linter, const engine::FileOptions& options, const std::string& path);

  // Keeps the cache under its bounds (LSTM_LINT_CACHE_MAX_ENTRIES, default 100000;
  // LSTM_LINT_CACHE_MAX_MB, default 512): the least recently used entries go first.
  void prune();

  const CacheCounters& counters() const { return counters_; }

 private:
  std::optional<engine::FileResult> load(const std::string& entry, const Digest& key, const std::string& path);
  void store(const std::string& entry, const Digest& key, const engine::FileResult& result);

  std::string dir_;
  std::string entries_;
  std::string problem_;
  CacheCounters counters_;
};

// `lstm-lint clean`: removes the cache directory. Refuses a directory that is not a cache.
// Returns an error message, empty on success.
std::string remove_cache(const std::string& dir);

// Serialized findings, as an entry stores them (exposed for tests).
std::string encode_findings(const engine::FileResult& result);
std::optional<engine::FileResult> decode_findings(const std::string& bytes, const std::string& path);

}  // namespace lstmlint::scale
