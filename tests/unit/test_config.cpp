// Configuration files: parsing, every error with its file:line:column, globs, discovery, precedence.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "config/config.h"
#include "helpers.h"

using namespace lstmlint;
using config::Config;
using config::ConfigError;
using config::glob_match;
using config::pattern_matches;

namespace {

Config parse(const std::string& text, bool pyproject = false) {
  auto c = config::parse_config(text, pyproject ? "pyproject.toml" : ".lstm-lint.toml", pyproject, "/project");
  REQUIRE(c);
  return *c;
}

// The message of the ConfigError that parsing `text` throws ("" when it does not throw).
std::string error_of(const std::string& text, bool pyproject = false) {
  try {
    config::parse_config(text, pyproject ? "pyproject.toml" : ".lstm-lint.toml", pyproject, "/project");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A scratch directory tree, removed at the end of the test.
struct TempTree {
  std::filesystem::path root;
  TempTree() {
    char tmpl[] = "/tmp/lstm-lint-config-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  std::string write(const std::string& rel, const std::string& text) const {
    auto p = root / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE("every key of a .lstm-lint.toml is read", "[config]") {
  Config c = parse(R"(
select = ["LSTM1", "shuffled-timesteps"]
ignore = ["LSTM107"]
exclude = ["data/**", "scratch_*.ipynb"]
fail-on = "warning"

[severity]
shuffled-timesteps = "warning"
LSTM311 = "error"

[per-file-ignores]
"experiments/*.ipynb" = ["LSTM101", "unexecuted-cell"]

[replay]
budget = 2.5
memory = 1024
enabled = true
)");
  CHECK(c.select == std::vector<std::string>{"LSTM1", "shuffled-timesteps"});
  CHECK(c.ignore == std::vector<std::string>{"LSTM107"});
  CHECK(c.exclude == std::vector<std::string>{"data/**", "scratch_*.ipynb"});
  CHECK(c.fail_on == "warning");
  CHECK(c.severity.at("LSTM201") == engine::Severity::Warning);  // by name, stored by code
  CHECK(c.severity.at("LSTM311") == engine::Severity::Error);
  REQUIRE(c.per_file_ignores.size() == 1);
  CHECK(c.per_file_ignores[0].pattern == "experiments/*.ipynb");
  CHECK(c.per_file_ignores[0].rules == std::vector<std::string>{"LSTM101", "unexecuted-cell"});
  CHECK(c.replay_budget == 2.5);
  CHECK(c.replay_memory == 1024);
  CHECK(c.replay_enabled == true);
  CHECK(c.base_dir == "/project");
}

TEST_CASE("pyproject.toml keeps the settings in [tool.lstm-lint]", "[config]") {
  Config c = parse("[project]\nname = \"x\"\n[tool.lstm-lint]\nignore = [\"ALL\"]\n[tool.lstm-lint.replay]\nbudget = 3\n", true);
  CHECK(c.ignore == std::vector<std::string>{"ALL"});
  CHECK(c.replay_budget == 3.0);  // an integer is a number of seconds too
  CHECK_FALSE(c.select);
  CHECK_FALSE(c.fail_on);

  // Without the table the file is not a configuration (discovery goes on upwards).
  CHECK_FALSE(config::parse_config("[tool.ruff]\nselect = [\"E\"]\n", "pyproject.toml", true));
  CHECK_FALSE(config::parse_config("", "pyproject.toml", true));
  // Another tool's keys are not ours to judge.
  CHECK(config::parse_config("[tool.ruff]\nselct = 1\n[tool.lstm-lint]\n", "pyproject.toml", true));
}

TEST_CASE("unknown keys name the file, line, column and table", "[config]") {
  CHECK(error_of("[project]\nname = \"x\"\n\n[tool.lstm-lint]\nselct = [\"LSTM1\"]\n", true) ==
        "pyproject.toml:5:1: unknown key 'selct' in [tool.lstm-lint]");
  CHECK(error_of("select = []\n  selct = [\"LSTM1\"]\n") == ".lstm-lint.toml:2:3: unknown key 'selct'");
  CHECK(error_of("[replay]\nbudgett = 3\n") == ".lstm-lint.toml:2:1: unknown key 'budgett' in [replay]");
  CHECK(error_of("[tool.lstm-lint.replay]\nbudgett = 3\n", true) ==
        "pyproject.toml:2:1: unknown key 'budgett' in [tool.lstm-lint.replay]");
}

TEST_CASE("bad values name the key, what was expected and what was found", "[config]") {
  CHECK(error_of("[severity]\nshuffled-timesteps = \"fatal\"\n") ==
        ".lstm-lint.toml:2:22: 'severity.shuffled-timesteps': expected one of error, warning, info, got \"fatal\"");
  CHECK(error_of("severity = { shuffled-timesteps = 1 }\n") ==
        ".lstm-lint.toml:1:35: 'severity.shuffled-timesteps': expected one of error, warning, info, got 1");
  CHECK(error_of("[severity]\nno-such-rule = \"error\"\n") ==
        ".lstm-lint.toml:2:1: 'severity.no-such-rule': unknown rule (a code or a name, see `lstm-lint rules`)");
  CHECK(error_of("select = \"LSTM1\"\n") == ".lstm-lint.toml:1:10: 'select': expected an array of strings, got \"LSTM1\"");
  CHECK(error_of("ignore = [\"LSTM1\", 2]\n") ==
        ".lstm-lint.toml:1:20: 'ignore': expected an array of strings, with an element, got 2");
  CHECK(error_of("fail-on = \"fatal\"\n") ==
        ".lstm-lint.toml:1:11: 'fail-on': expected one of error, warning, info, confirmed, got \"fatal\"");
  CHECK(error_of("severity = 3\n") == ".lstm-lint.toml:1:12: 'severity': expected a table, got 3");
  CHECK(error_of("exclude = [\"\"]\n") == ".lstm-lint.toml:1:12: 'exclude': a pattern cannot be empty");
  CHECK(error_of("[tool]\nlstm-lint = true\n", true) == "pyproject.toml:2:13: 'tool.lstm-lint': expected a table, got true");
}

TEST_CASE("unknown rule selectors are errors at the selector", "[config]") {
  CHECK(error_of("select = [\"LSTM1\",\n  \"LSTM9\"]\n") ==
        ".lstm-lint.toml:2:3: 'select': unknown rule selector \"LSTM9\" (see `lstm-lint rules`)");
  CHECK(error_of("[tool.lstm-lint]\nignore = [\"stale-optimiser\"]\n", true) ==
        "pyproject.toml:2:11: 'ignore': unknown rule selector \"stale-optimiser\" (see `lstm-lint rules`)");
  CHECK(error_of("[per-file-ignores]\n\"a/*.ipynb\" = [\"nope\"]\n") ==
        ".lstm-lint.toml:2:16: 'per-file-ignores.\"a/*.ipynb\"': unknown rule selector \"nope\" (see `lstm-lint rules`)");
  // Codes, names, prefixes and ALL are accepted, as on the command line.
  CHECK(error_of("select = [\"ALL\", \"LSTM3\", \"LSTM103\", \"missing-zero-grad\"]\n").empty());
}

TEST_CASE("replay settings are checked, and the executable cannot be configured", "[config]") {
  CHECK(error_of("[replay]\nbudget = 0\n") == ".lstm-lint.toml:2:10: 'replay.budget': expected a number of seconds from 0.1 to 600, got 0");
  CHECK(error_of("[replay]\nbudget = \"10\"\n") ==
        ".lstm-lint.toml:2:10: 'replay.budget': expected a number of seconds from 0.1 to 600, got \"10\"");
  CHECK(error_of("[replay]\nbudget = nan\n") == ".lstm-lint.toml:2:10: 'replay.budget': expected a number of seconds from 0.1 to 600, got nan");
  CHECK(error_of("[replay]\nmemory = 100\n") == ".lstm-lint.toml:2:10: 'replay.memory': expected a whole number of MiB from 256 to 65536, got 100");
  CHECK(error_of("[replay]\nmemory = 512.5\n") ==
        ".lstm-lint.toml:2:10: 'replay.memory': expected a whole number of MiB from 256 to 65536, got 512.5");
  CHECK(error_of("[replay]\nenabled = \"yes\"\n") == ".lstm-lint.toml:2:11: 'replay.enabled': expected true or false, got \"yes\"");
  CHECK_THAT(error_of("[replay]\nexecutable = \"/bin/sh\"\n"),
             Catch::StartsWith(".lstm-lint.toml:2:1: 'replay.executable' cannot be configured in a file"));
  CHECK_THAT(error_of("replay-executable = \"/bin/sh\"\n"),
             Catch::StartsWith(".lstm-lint.toml:1:1: 'replay-executable' cannot be configured in a file"));
}

TEST_CASE("TOML syntax errors carry toml++'s line and column", "[config]") {
  CHECK_THAT(error_of("select = [\"LSTM1\"\nignore = []\n"), Catch::StartsWith(".lstm-lint.toml:2:1: invalid TOML: "));
  CHECK_THAT(error_of("[tool.lstm-lint]\nselect = \n", true), Catch::StartsWith("pyproject.toml:2:"));
  CHECK_THAT(error_of("select = []\nselect = []\n"), Catch::StartsWith(".lstm-lint.toml:2:10: invalid TOML: "));
}

TEST_CASE("glob_match: *, **, ?, classes and escapes", "[config][glob]") {
  CHECK(glob_match("*.ipynb", "a.ipynb"));
  CHECK_FALSE(glob_match("*.ipynb", "dir/a.ipynb"));  // * stops at /
  CHECK(glob_match("dir/*.ipynb", "dir/a.ipynb"));
  CHECK(glob_match("**/a.ipynb", "a.ipynb"));  // ** may be no component
  CHECK(glob_match("**/a.ipynb", "x/y/a.ipynb"));
  CHECK(glob_match("x/**/a.ipynb", "x/a.ipynb"));
  CHECK(glob_match("x/**/a.ipynb", "x/y/z/a.ipynb"));
  CHECK_FALSE(glob_match("x/**/a.ipynb", "w/x/a.ipynb"));
  CHECK(glob_match("x/**", "x/y/z.ipynb"));
  CHECK_FALSE(glob_match("x/**", "xy/z.ipynb"));
  CHECK(glob_match("run?.ipynb", "run1.ipynb"));
  CHECK_FALSE(glob_match("run?.ipynb", "run10.ipynb"));
  CHECK_FALSE(glob_match("a?b", "a/b"));  // ? is never /
  CHECK(glob_match("run[0-9].ipynb", "run7.ipynb"));
  CHECK_FALSE(glob_match("run[0-9].ipynb", "runx.ipynb"));
  CHECK(glob_match("run[!0-9].ipynb", "runx.ipynb"));
  CHECK(glob_match("[ab]c", "bc"));
  CHECK(glob_match("a[.ipynb", "a[.ipynb"));  // an unclosed [ is a literal
  CHECK(glob_match("a\\*b", "a*b"));
  CHECK_FALSE(glob_match("a\\*b", "axb"));
  CHECK(glob_match("*", ""));
  CHECK_FALSE(glob_match("a*", "b"));
}

TEST_CASE("pattern_matches: names anywhere, anchored paths and their directories", "[config][glob]") {
  CHECK(pattern_matches("scratch_*.ipynb", "scratch_1.ipynb"));
  CHECK(pattern_matches("scratch_*.ipynb", "deep/down/scratch_1.ipynb"));  // no / : any component
  CHECK(pattern_matches("data", "data/raw/x.ipynb"));                      // a directory name
  CHECK(pattern_matches("data", "sub/data/x.ipynb"));
  CHECK_FALSE(pattern_matches("data", "database/x.ipynb"));
  CHECK(pattern_matches("nb/old", "nb/old/x.ipynb"));  // anchored: the directory holding it
  CHECK(pattern_matches("./nb/old/", "nb/old/x.ipynb"));
  CHECK_FALSE(pattern_matches("nb/old", "sub/nb/old/x.ipynb"));  // anchored at the config's folder
  CHECK(pattern_matches("nb/*.ipynb", "nb/x.ipynb"));
  CHECK_FALSE(pattern_matches("nb/*.ipynb", "nb/deeper/x.ipynb"));
  CHECK(pattern_matches("nb/**/*.ipynb", "nb/deeper/x.ipynb"));
  CHECK(pattern_matches("**/tmp_?.ipynb", "a/b/tmp_1.ipynb"));
}

TEST_CASE("the command line replaces the configuration's values", "[config][precedence]") {
  Config c = parse(R"(
select = ["LSTM1"]
ignore = ["LSTM107"]
fail-on = "error"
[severity]
out-of-order-execution = "error"
[per-file-ignores]
"old/*.ipynb" = ["LSTM101"]
[replay]
budget = 2
memory = 1024
)");
  config::Overrides none;
  auto s = config::settings_for(&c, none, "/project/old/a.ipynb");
  CHECK(s.lint.selection.select == std::vector<std::string>{"LSTM1"});
  CHECK(s.lint.selection.ignore == std::vector<std::string>{"LSTM107", "LSTM101"});  // plus the file's own
  CHECK(s.lint.severity.at("LSTM101") == engine::Severity::Error);
  CHECK(s.fail_on.at_least == engine::Severity::Error);
  CHECK(s.replay_options.budget_seconds == 2);
  CHECK(s.replay_options.memory_mb == 1024);
  CHECK_FALSE(s.replay);

  auto elsewhere = config::settings_for(&c, none, "/project/new/a.ipynb");
  CHECK(elsewhere.lint.selection.ignore == std::vector<std::string>{"LSTM107"});

  config::Overrides cli;
  cli.select = std::vector<std::string>{"LSTM2"};
  cli.ignore = std::vector<std::string>{};
  cli.fail_on = "confirmed";
  cli.replay_budget = 5;
  cli.replay_executable = "/opt/replay";
  auto o = config::settings_for(&c, cli, "/project/old/a.ipynb");
  CHECK(o.lint.selection.select == std::vector<std::string>{"LSTM2"});
  CHECK(o.lint.selection.ignore == std::vector<std::string>{"LSTM101"});  // per-file-ignores stay
  CHECK(o.fail_on.needs_replay());
  CHECK(o.replay);  // confirmed implies replay
  CHECK(o.replay_options.budget_seconds == 5);
  CHECK(o.replay_options.memory_mb == 1024);
  CHECK(o.replay_options.executable == "/opt/replay");

  auto defaults = config::settings_for(nullptr, none, "a.ipynb");
  CHECK(defaults.lint.selection.select.empty());
  CHECK(defaults.fail_on.at_least == engine::Severity::Info);
  CHECK(defaults.replay_options.budget_seconds == 10);
  CHECK(defaults.replay_options.memory_mb == 2048);

  c.replay_enabled = true;
  CHECK(config::settings_for(&c, none, "/project/a.ipynb").replay);
}

TEST_CASE("discovery: the closest configuration above each notebook", "[config][discovery]") {
  TempTree t;
  t.write("pyproject.toml", "[tool.lstm-lint]\nselect = [\"LSTM1\"]\nexclude = [\"skip\"]\n");
  t.write("a/pyproject.toml", "[tool.black]\nline-length = 100\n");  // no table: skipped
  t.write("a/b/.lstm-lint.toml", "select = [\"LSTM2\"]\n");
  t.write("a/b/pyproject.toml", "[tool.lstm-lint]\nselect = [\"LSTM3\"]\n");  // loses to .lstm-lint.toml
  t.write("bad/.lstm-lint.toml", "selct = 1\n");
  std::string root = t.root.string();

  config::Resolver r(config::Mode::Discover);
  auto top = r.for_file(root + "/x.ipynb");
  REQUIRE(top.config);
  CHECK(*top.config->select == std::vector<std::string>{"LSTM1"});
  auto skipped_pyproject = r.for_file(root + "/a/x.ipynb");
  REQUIRE(skipped_pyproject.config);
  CHECK(*skipped_pyproject.config->select == std::vector<std::string>{"LSTM1"});
  auto nested = r.for_file(root + "/a/b/c/x.ipynb");
  REQUIRE(nested.config);
  CHECK(*nested.config->select == std::vector<std::string>{"LSTM2"});
  CHECK(nested.config->base_dir == root + "/a/b");

  auto bad = r.for_file(root + "/bad/x.ipynb");
  CHECK_FALSE(bad.config);
  CHECK_THAT(bad.broken, Catch::EndsWith("bad/.lstm-lint.toml"));
  r.for_file(root + "/bad/y.ipynb");
  REQUIRE(r.errors().size() == 1);  // each broken file reported once
  CHECK_THAT(r.errors()[0], Catch::EndsWith("bad/.lstm-lint.toml:1:1: unknown key 'selct'"));

  CHECK(r.excluded(root + "/skip", true));
  CHECK(r.excluded(root + "/a/skip/x.ipynb", false));
  CHECK_FALSE(r.excluded(root + "/a/b/skip/x.ipynb", false));  // a/b has its own configuration
  CHECK_FALSE(r.excluded(root + "/keep/x.ipynb", false));

  config::Resolver isolated(config::Mode::Isolated);
  CHECK_FALSE(isolated.for_file(root + "/a/b/x.ipynb").config);
  CHECK_FALSE(isolated.excluded(root + "/skip", true));

  config::Resolver fixed(config::Mode::Explicit, root + "/a/b/pyproject.toml");
  auto f = fixed.for_file(root + "/x.ipynb");
  REQUIRE(f.config);
  CHECK(*f.config->select == std::vector<std::string>{"LSTM3"});

  config::Resolver no_table(config::Mode::Explicit, root + "/a/pyproject.toml");
  CHECK_FALSE(no_table.for_file(root + "/x.ipynb").config);
  REQUIRE(no_table.errors().size() == 1);
  CHECK(no_table.errors()[0] == root + "/a/pyproject.toml: no [tool.lstm-lint] table");

  config::Resolver missing(config::Mode::Explicit, root + "/nope.toml");
  missing.for_file(root + "/x.ipynb");
  REQUIRE(missing.errors().size() == 1);
  CHECK(missing.errors()[0] == root + "/nope.toml: cannot read the configuration: No such file or directory");
}

TEST_CASE("plan_run: excluded notebooks are not walked, broken configurations block their files", "[config][discovery]") {
  TempTree t;
  std::string nb = testing::notebook_json({{"x = 1", 1}});
  t.write(".lstm-lint.toml", "exclude = [\"old\", \"tmp_*.ipynb\"]\n[per-file-ignores]\n\"legacy/*.ipynb\" = [\"ALL\"]\n");
  t.write("keep.ipynb", nb);
  t.write("tmp_1.ipynb", nb);
  t.write("old/a.ipynb", nb);
  t.write("legacy/b.ipynb", nb);
  t.write("broken/.lstm-lint.toml", "fail-on = \"fatal\"\n");
  t.write("broken/c.ipynb", nb);
  std::string root = t.root.string();

  auto plan = config::plan_run({root, root + "/tmp_1.ipynb"}, {}, config::Mode::Discover, "", "-");
  std::vector<std::string> want = {root + "/broken/c.ipynb", root + "/keep.ipynb", root + "/legacy/b.ipynb",
                                   root + "/tmp_1.ipynb"};  // given explicitly: never excluded
  CHECK(plan.paths == want);
  REQUIRE(plan.blocked.size() == 4);
  CHECK_THAT(plan.blocked[0], Catch::StartsWith("not linted: its configuration "));
  CHECK(plan.blocked[1].empty());
  CHECK(plan.settings[2].lint.selection.ignore == std::vector<std::string>{"ALL"});
  CHECK(plan.settings[1].lint.selection.ignore.empty());
  REQUIRE(plan.errors.size() == 1);
  CHECK_THAT(plan.errors[0], Catch::EndsWith(
                                 "broken/.lstm-lint.toml:1:11: 'fail-on': expected one of error, warning, info, confirmed, got \"fatal\""));
}

TEST_CASE("the linter applies per-file severities and selections", "[config][engine]") {
  engine::Linter linter({{"LSTM101"}, {}});
  auto nb = testing::make_notebook({{"x = 1", 2}, {"print(x)", 1}});  // out of order
  auto plain = linter.lint_notebook(nb).findings;
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].severity == engine::Severity::Warning);

  linter.configure({{{"LSTM101"}, {}}, {{"LSTM101", engine::Severity::Error}}});
  auto raised = linter.lint_notebook(nb).findings;
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].severity == engine::Severity::Error);

  linter.configure({{{"LSTM101"}, {}, {"out-of-order-execution"}}, {}});
  CHECK(linter.lint_notebook(nb).findings.empty());
}
