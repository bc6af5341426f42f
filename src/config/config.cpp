// Configuration files: parsing with toml++ (every error at its line and column), glob matching,
// discovery from each notebook's directory upwards, and the command line's precedence.
#include "config/config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace lstmlint::config {
namespace fs = std::filesystem;

namespace {

constexpr const char* kOwnFile = ".lstm-lint.toml";
constexpr const char* kPyproject = "pyproject.toml";

// Reads one table's keys; every message names the file, the position and the key.
class Reader {
 public:
  Reader(const std::string& path, std::string table) : path_(path), table_(std::move(table)) {}

  [[noreturn]] void fail(const toml::source_region& at, const std::string& message) const {
    std::ostringstream s;
    s << path_ << ":" << at.begin.line << ":" << at.begin.column << ": " << message;
    throw ConfigError(s.str());
  }

  [[noreturn]] void unknown_key(const toml::key& key, const std::string& prefix) const {
    std::string where = table_.empty() && prefix.empty() ? "" : " in [" + join(table_, prefix) + "]";
    fail(key.source(), "unknown key '" + std::string(key.str()) + "'" + where);
  }

  // 'severity.shuffled-timesteps': expected ..., got "fatal"
  [[noreturn]] void bad_value(const toml::node& value, const std::string& key, const std::string& expected) const {
    fail(value.source(), "'" + key + "': expected " + expected + ", got " + describe(value));
  }

  static std::string join(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "." + b;
  }

  static std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out + "\"";
  }

  static std::string describe(const toml::node& value) {
    if (auto s = value.as_string()) return quoted(s->get());
    if (auto i = value.as_integer()) return std::to_string(i->get());
    if (auto f = value.as_floating_point()) {
      std::ostringstream s;
      s << f->get();
      return s.str();
    }
    if (auto b = value.as_boolean()) return b->get() ? "true" : "false";
    if (value.is_array()) return "an array";
    if (value.is_table()) return "a table";
    return "a date or time";
  }

  std::string string(const toml::node& value, const std::string& key) const {
    if (!value.is_string()) bad_value(value, key, "a string");
    return value.as_string()->get();
  }

  std::vector<std::string> strings(const toml::node& value, const std::string& key) const {
    const toml::array* array = value.as_array();
    if (!array) bad_value(value, key, "an array of strings");
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
      if (!item.is_string()) bad_value(item, key, "an array of strings, with an element");
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  // Rule selectors, checked against the registry as --select checks them.
  std::vector<std::string> selectors(const toml::node& value, const std::string& key) const {
    std::vector<std::string> out = strings(value, key);
    const toml::array& array = *value.as_array();
    for (size_t i = 0; i < out.size(); ++i)
      if (!engine::Selection{{out[i]}, {}}.unknown_tokens().empty())
        fail(array[i].source(), "'" + key + "': unknown rule selector " + quoted(out[i]) + " (see `lstm-lint rules`)");
    return out;
  }

  std::vector<std::string> globs(const toml::node& value, const std::string& key) const {
    std::vector<std::string> out = strings(value, key);
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i].empty()) fail((*value.as_array())[i].source(), "'" + key + "': a pattern cannot be empty");
    return out;
  }

  const toml::table& table(const toml::node& value, const std::string& key) const {
    if (!value.is_table()) bad_value(value, key, "a table");
    return *value.as_table();
  }

 private:
  const std::string& path_;
  std::string table_;  // "tool.lstm-lint" or "" (a .lstm-lint.toml)
};

void read_severity(const Reader& r, const toml::table& table, Config& c) {
  for (auto&& [key, value] : table) {
    std::string name = "severity." + std::string(key.str());
    const engine::RuleInfo* rule = engine::find_rule(key.str());
    if (!rule) r.fail(key.source(), "'" + name + "': unknown rule (a code or a name, see `lstm-lint rules`)");
    engine::Severity severity;
    if (!value.is_string() || !engine::parse_severity(value.as_string()->get(), severity))
      r.bad_value(value, name, "one of error, warning, info");
    c.severity[rule->code] = severity;
  }
}

void read_per_file_ignores(const Reader& r, const toml::table& table, Config& c) {
  for (auto&& [key, value] : table) {
    std::string name = "per-file-ignores." + Reader::quoted(key.str());
    if (key.str().empty()) r.fail(key.source(), "'per-file-ignores': a pattern cannot be empty");
    c.per_file_ignores.push_back({std::string(key.str()), r.selectors(value, name)});
  }
}

void read_replay(const Reader& r, const toml::table& table, Config& c) {
  for (auto&& [key, value] : table) {
    std::string name = "replay." + std::string(key.str());
    if (key.str() == "budget") {
      auto seconds = value.value<double>();
      if (!value.is_number() || !seconds || !(*seconds >= 0.1 && *seconds <= 600))  // also nan
        r.bad_value(value, name, "a number of seconds from 0.1 to 600");
      c.replay_budget = *seconds;
    } else if (key.str() == "memory") {
      if (!value.is_integer() || value.as_integer()->get() < 256 || value.as_integer()->get() > 65536)
        r.bad_value(value, name, "a whole number of MiB from 256 to 65536");
      c.replay_memory = static_cast<int>(value.as_integer()->get());
    } else if (key.str() == "enabled") {
      if (!value.is_boolean()) r.bad_value(value, name, "true or false");
      c.replay_enabled = value.as_boolean()->get();
    } else if (key.str() == "executable") {
      // The file comes from the repository being linted; it must not pick what runs.
      r.fail(key.source(), "'replay.executable' cannot be configured in a file (it would let a repository choose "
                           "what runs); use --replay-executable or $LSTM_LINT_REPLAY");
    } else {
      r.unknown_key(key, "replay");
    }
  }
}

void read_settings(const Reader& r, const toml::table& table, Config& c) {
  for (auto&& [key, value] : table) {
    std::string name(key.str());
    if (name == "select") c.select = r.selectors(value, name);
    else if (name == "extend-select") c.extend_select = r.selectors(value, name);
    else if (name == "ignore") c.ignore = r.selectors(value, name);
    else if (name == "exclude") c.exclude = r.globs(value, name);
    else if (name == "severity") read_severity(r, r.table(value, name), c);
    else if (name == "per-file-ignores") read_per_file_ignores(r, r.table(value, name), c);
    else if (name == "replay") read_replay(r, r.table(value, name), c);
    else if (name == "fail-on") {
      std::string policy = r.string(value, name);
      if (!engine::parse_fail_on(policy)) r.bad_value(value, name, "one of error, warning, info, confirmed");
      c.fail_on = policy;
    } else if (name == "replay-executable") {
      r.fail(key.source(), "'replay-executable' cannot be configured in a file (it would let a repository choose what "
                           "runs); use --replay-executable or $LSTM_LINT_REPLAY");
    } else {
      r.unknown_key(key, "");
    }
  }
}

std::string absolute_normal(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) p = fs::path(path);
  return p.lexically_normal().string();
}

std::string parent_of(const std::string& absolute_path) {
  fs::path p(absolute_path);
  if (!p.has_filename()) p = p.parent_path();  // "dir/"
  return p.parent_path().string();
}

// What messages call a configuration file: relative to the current directory when below it.
std::string display_path(const std::string& absolute_file) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return absolute_file;
  fs::path rel = fs::path(absolute_file).lexically_relative(cwd);
  std::string s = rel.string();
  if (rel.empty() || s.rfind("..", 0) == 0) return absolute_file;
  return s;
}

// `path` relative to `base_dir` with `/` between components.
std::string relative_to(const std::string& path, const std::string& base_dir) {
  return fs::path(absolute_normal(path)).lexically_relative(base_dir).generic_string();
}

bool regular_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// One character class at `pattern[i]` ('['); sets `end` past its ']'. False: not a class.
bool match_class(std::string_view pattern, size_t i, char c, size_t& end, bool& matched) {
  size_t j = i + 1;
  bool negate = j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^');
  if (negate) ++j;
  size_t first = j;
  bool hit = false;
  for (; j < pattern.size() && (pattern[j] != ']' || j == first); ++j) {
    char lo = pattern[j];
    if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
      hit = hit || (lo <= c && c <= pattern[j + 2]);
      j += 2;
      continue;
    }
    hit = hit || lo == c;
  }
  if (j >= pattern.size()) return false;  // no closing ']': a literal '['
  end = j + 1;
  matched = c != '/' && hit != negate;
  return true;
}

bool glob_at(std::string_view p, size_t pi, std::string_view s, size_t si) {
  while (pi < p.size()) {
    char pc = p[pi];
    bool component_start = pi == 0 || p[pi - 1] == '/';
    if (pc == '*' && pi + 1 < p.size() && p[pi + 1] == '*' && component_start &&
        (pi + 2 == p.size() || p[pi + 2] == '/')) {
      if (pi + 2 == p.size()) return true;  // a trailing `**`: everything below
      // `**/`: no component, or any number of whole components.
      for (size_t k = si; k <= s.size(); ++k)
        if ((k == si || s[k - 1] == '/') && glob_at(p, pi + 3, s, k)) return true;
      return false;
    }
    if (pc == '*') {
      for (size_t k = si; k <= s.size(); ++k) {
        if (glob_at(p, pi + 1, s, k)) return true;
        if (k < s.size() && s[k] == '/') break;
      }
      return false;
    }
    if (si >= s.size()) return false;
    if (pc == '?') {
      if (s[si] == '/') return false;
    } else if (pc == '[') {
      size_t end = 0;
      bool matched = false;
      if (match_class(p, pi, s[si], end, matched)) {
        if (!matched) return false;
        pi = end;
        ++si;
        continue;
      }
      if (s[si] != '[') return false;
    } else if (pc == '\\' && pi + 1 < p.size()) {
      ++pi;
      if (s[si] != p[pi]) return false;
    } else if (s[si] != pc) {
      return false;
    }
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

std::optional<Config> parse_config(std::string_view text, const std::string& path, bool pyproject,
                                   const std::string& base_dir) {
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": invalid TOML: " << e.description();
    throw ConfigError(s.str());
  }
  Config c;
  c.path = path;
  c.base_dir = base_dir;
  if (!pyproject) {
    read_settings(Reader(path, ""), doc, c);
    return c;
  }
  const toml::node* tool = doc.get("tool");
  if (!tool || !tool->is_table()) return std::nullopt;
  const toml::node* own = tool->as_table()->get("lstm-lint");
  if (!own) return std::nullopt;
  Reader r(path, "tool.lstm-lint");
  read_settings(r, r.table(*own, "tool.lstm-lint"), c);
  return c;
}

std::optional<Config> load_config(const std::string& path, const std::string& display) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(display + ": cannot read the configuration: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(display + ": cannot read the configuration");
  bool pyproject = fs::path(path).filename() == kPyproject;
  return parse_config(text.str(), display, pyproject, parent_of(absolute_normal(path)));
}

bool glob_match(std::string_view pattern, std::string_view path) { return glob_at(pattern, 0, path, 0); }

bool pattern_matches(std::string_view pattern, std::string_view relative_path) {
  while (pattern.rfind("./", 0) == 0) pattern.remove_prefix(2);
  while (pattern.size() > 1 && pattern.back() == '/') pattern.remove_suffix(1);
  bool anchored = pattern.find('/') != std::string_view::npos;
  size_t start = 0;
  for (size_t end = 0; end <= relative_path.size(); ++end) {
    if (end < relative_path.size() && relative_path[end] != '/') continue;
    // Anchored: the path up to this component (a directory containing it, or itself);
    // otherwise this component alone.
    std::string_view candidate = anchored ? relative_path.substr(0, end) : relative_path.substr(start, end - start);
    if (glob_match(pattern, candidate)) return true;
    start = end + 1;
  }
  return false;
}

FileSettings settings_for(const Config* config, const Overrides& cli, const std::string& path) {
  FileSettings s;
  const Config empty;
  const Config& c = config ? *config : empty;
  s.lint.selection.select = cli.select ? *cli.select : c.select.value_or(std::vector<std::string>{});
  s.lint.selection.ignore = cli.ignore ? *cli.ignore : c.ignore.value_or(std::vector<std::string>{});
  // extend-select adds to the select in force. A command-line --select says exactly which rules
  // run, so it replaces the file's select and extend-select; --extend-select adds to either.
  if (!cli.select) s.lint.selection.extend_select = c.extend_select;
  s.lint.selection.extend_select.insert(s.lint.selection.extend_select.end(), cli.extend_select.begin(),
                                        cli.extend_select.end());
  if (config && !c.per_file_ignores.empty()) {
    std::string rel = path == "-" ? std::string("-") : relative_to(path, c.base_dir);
    for (const auto& entry : c.per_file_ignores)
      if (pattern_matches(entry.pattern, rel))
        s.lint.selection.ignore.insert(s.lint.selection.ignore.end(), entry.rules.begin(), entry.rules.end());
  }
  s.lint.severity = c.severity;
  std::string fail_on = cli.fail_on ? *cli.fail_on : c.fail_on.value_or("info");
  s.fail_on = *engine::parse_fail_on(fail_on);  // both validated before
  s.replay = cli.replay || c.replay_enabled.value_or(false) || s.fail_on.needs_replay();
  if (cli.replay_budget) s.replay_options.budget_seconds = *cli.replay_budget;
  else if (c.replay_budget) s.replay_options.budget_seconds = *c.replay_budget;
  if (cli.replay_memory) s.replay_options.memory_mb = *cli.replay_memory;
  else if (c.replay_memory) s.replay_options.memory_mb = *c.replay_memory;
  s.replay_options.executable = cli.replay_executable;  // never from a file
  return s;
}

Resolver::Resolver(Mode mode, std::string explicit_path) : mode_(mode), explicit_path_(std::move(explicit_path)) {}

const Resolver::Loaded& Resolver::load(const std::string& absolute_file) {
  auto found = files_.find(absolute_file);
  if (found != files_.end()) return found->second;
  Loaded& loaded = files_[absolute_file];
  std::string display = mode_ == Mode::Explicit ? explicit_path_ : display_path(absolute_file);
  try {
    auto config = load_config(absolute_file, display);
    if (!config && mode_ == Mode::Explicit) throw ConfigError(display + ": no [tool.lstm-lint] table");
    if (config) loaded.config = std::make_shared<const Config>(std::move(*config));
  } catch (const ConfigError& e) {
    loaded.broken = display;
    errors_.push_back(e.what());
  }
  return loaded;
}

Resolver::Lookup Resolver::for_directory(const std::string& absolute_dir) {
  if (mode_ == Mode::Isolated) return {};
  if (mode_ == Mode::Explicit) {
    const Loaded& l = load(absolute_normal(explicit_path_));
    return {l.config.get(), l.broken};
  }
  // The directories walked up from here, resolved together once the closest configuration is known.
  std::vector<std::string> walked;
  std::string config_file;
  fs::path dir(absolute_dir);
  for (;;) {
    auto cached = directories_.find(dir.string());
    if (cached != directories_.end()) {
      config_file = cached->second;
      break;
    }
    walked.push_back(dir.string());
    if (regular_file(dir / kOwnFile)) {
      config_file = (dir / kOwnFile).string();
      break;
    }
    if (regular_file(dir / kPyproject)) {
      const Loaded& l = load((dir / kPyproject).string());
      if (l.config || !l.broken.empty()) {
        config_file = (dir / kPyproject).string();
        break;
      }
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  for (const auto& w : walked) directories_[w] = config_file;
  if (config_file.empty()) return {};
  const Loaded& l = load(config_file);
  return {l.config.get(), l.broken};
}

Resolver::Lookup Resolver::for_file(const std::string& path) {
  if (path == "-") {
    std::error_code ec;
    return for_directory(fs::current_path(ec).lexically_normal().string());
  }
  return for_directory(parent_of(absolute_normal(path)));
}

bool Resolver::excluded(const std::string& path, bool is_directory) {
  (void)is_directory;  // patterns match files and directories alike
  Lookup l = for_file(path);
  if (!l.config || l.config->exclude.empty()) return false;
  std::string rel = relative_to(path, l.config->base_dir);
  for (const auto& pattern : l.config->exclude)
    if (pattern_matches(pattern, rel)) return true;
  return false;
}

Plan plan_run(const std::vector<std::string>& inputs, const Overrides& cli, Mode mode, const std::string& config_path,
              const std::string& stdin_filename) {
  Resolver resolver(mode, config_path);
  Plan plan;
  plan.paths = engine::collect_notebooks(inputs, [&](const std::string& p, bool dir) { return resolver.excluded(p, dir); });
  for (const auto& path : plan.paths) {
    Resolver::Lookup l = resolver.for_file(path);
    // Stdin's per-file-ignores match the name it is reported under.
    std::string glob_path = path == "-" && stdin_filename != "-" ? stdin_filename : path;
    plan.settings.push_back(settings_for(l.config, cli, glob_path));
    plan.blocked.push_back(l.broken.empty() ? std::string() : "not linted: its configuration " + l.broken + " is invalid");
  }
  // --config names a file that must be read even when nothing is linted.
  if (mode == Mode::Explicit && plan.paths.empty()) resolver.for_file("-");
  plan.errors = resolver.errors();
  return plan;
}

}  // namespace lstmlint::config
