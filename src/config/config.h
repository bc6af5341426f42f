// Configuration files: `.lstm-lint.toml` or `[tool.lstm-lint]` in `pyproject.toml`, found like
// ruff finds its own (the closest one above each notebook), and the settings each file gets
// once the command line has overridden them. docs/configuration.md describes the format.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fail_on.h"
#include "engine/runner.h"
#include "replay/client.h"

namespace lstmlint::config {

// A configuration file that cannot be used. what() is "FILE:LINE:COLUMN: problem" (or
// "FILE: problem" when no position applies), ready to print after "error: ".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PerFileIgnore {
  std::string pattern;             // a glob, relative to the configuration's directory
  std::vector<std::string> rules;  // rule selectors, as --ignore takes them
};

// One file's settings. Unset values fall back to the command line's defaults.
struct Config {
  std::string path;      // the file, as reported in messages
  std::string base_dir;  // absolute: globs are relative to it
  std::optional<std::vector<std::string>> select;
  std::vector<std::string> extend_select;
  std::optional<std::vector<std::string>> ignore;
  std::map<std::string, engine::Severity> severity;  // rule code -> severity
  std::vector<PerFileIgnore> per_file_ignores;
  std::vector<std::string> exclude;
  std::optional<std::string> fail_on;
  std::optional<bool> replay_enabled;
  std::optional<double> replay_budget;  // seconds per experiment
  std::optional<int> replay_memory;     // MiB
};

// Parses a configuration's text. `pyproject` files keep their settings in [tool.lstm-lint] and
// give nullopt without that table; other files hold the settings at the top level.
// `path` names the file in messages; `base_dir` is stored as is. Throws ConfigError.
std::optional<Config> parse_config(std::string_view text, const std::string& path, bool pyproject,
                                   const std::string& base_dir = {});
// Reads and parses a file; pyproject.toml is recognised by its name. Throws ConfigError.
std::optional<Config> load_config(const std::string& path, const std::string& display_path);

// Glob matching on `/`-separated paths: `*` any run of characters but `/`, `?` one character
// but `/`, `[abc]`, `[a-z]`, `[!a-z]` one character of (not of) a set, `**` as a whole
// component any number of components (also none), `\` escapes the next character.
bool glob_match(std::string_view pattern, std::string_view path);
// A configuration pattern against a path relative to the configuration's directory: a pattern
// without `/` matches any component of the path (a file or directory name anywhere below); one
// with `/` is anchored at the configuration's directory and matches the path or a directory
// that contains it.
bool pattern_matches(std::string_view pattern, std::string_view relative_path);

// What the command line says; unset values come from the configuration, then the defaults.
struct Overrides {
  std::optional<std::vector<std::string>> select;
  std::vector<std::string> extend_select;  // added to the configuration's own
  std::optional<std::vector<std::string>> ignore;
  std::optional<std::string> fail_on;
  bool replay = false;  // --replay
  std::optional<double> replay_budget;
  std::optional<int> replay_memory;
  std::string replay_executable;  // only ever from the command line
};

// Everything one notebook is linted, replayed and judged with.
struct FileSettings {
  engine::FileOptions lint;
  engine::FailOn fail_on;
  bool replay = false;
  replay::Options replay_options;
};

// `config` may be null (no configuration file). `path` is the notebook's path, for
// per-file-ignores (relative to the configuration's directory).
FileSettings settings_for(const Config* config, const Overrides& cli, const std::string& path);

enum class Mode { Discover, Explicit, Isolated };

// Finds and loads configuration files, each once; remembers the ones that failed.
class Resolver {
 public:
  explicit Resolver(Mode mode, std::string explicit_path = {});

  struct Lookup {
    const Config* config = nullptr;  // null: no configuration (or a broken one)
    std::string broken;              // the broken configuration's path, when it is broken
  };
  // The configuration of a notebook at `path`; "-" (stdin) uses the current directory.
  Lookup for_file(const std::string& path);
  // Whether a directory walk skips `path` (its parent's configuration's `exclude`).
  bool excluded(const std::string& path, bool is_directory);
  // Every configuration error met so far, each file once, in the order met.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Loaded {
    std::shared_ptr<const Config> config;
    std::string broken;
  };
  Lookup for_directory(const std::string& absolute_dir);
  const Loaded& load(const std::string& absolute_file);

  Mode mode_;
  std::string explicit_path_;
  std::map<std::string, Loaded> files_;               // absolute config path -> loaded
  std::map<std::string, std::string> directories_;    // absolute dir -> config path ("" none)
  std::vector<std::string> errors_;
};

// A run: the notebooks to lint (after `exclude`) and each one's settings.
struct Plan {
  std::vector<std::string> paths;
  std::vector<FileSettings> settings;  // settings[i] for paths[i]
  std::vector<std::string> blocked;    // non-empty: why paths[i] is not linted (its configuration is broken)
  std::vector<std::string> errors;     // configuration errors, to print before linting
};

Plan plan_run(const std::vector<std::string>& inputs, const Overrides& cli, Mode mode, const std::string& config_path,
              const std::string& stdin_filename);

}  // namespace lstmlint::config
