// `lstm-lint generate`: the man pages and shell completions, written from the CLI11 definition
// in main.cpp and the rule catalogue (the sources of `--help`, `lstm-lint rules` and `explain`),
// so they cannot drift from the program. The build runs it (cmake/Packaging.cmake).
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace lstmlint::cli {

// What an option's value (or a positional) is, for completion and the man page's metavariable.
enum class ValueKind { Text, Number, File, Directory, Choice, RuleList, Rule };

struct ValueHint {
  ValueKind kind = ValueKind::Text;
  std::string metavar;               // "PATH", "FORMAT"; empty: from CLI11's type name
  std::vector<std::string> choices;  // ValueKind::Choice
};

// Filled by main.cpp while it defines the options, next to each add_option.
struct Hints {
  std::map<const CLI::Option*, ValueHint> values;
  // Adds CLI::IsMember(choices) to the option and records the choices; returns the option.
  CLI::Option* choose(CLI::Option* option, std::vector<std::string> choices, std::string metavar);
  CLI::Option* hint(CLI::Option* option, ValueKind kind, std::string metavar = {});
};

// Exit statuses, for the `--help` footer and the man page.
const std::vector<std::pair<int, std::string>>& exit_statuses();
std::string exit_status_footer();

// `lstm-lint generate man1 --docs DIR --date DATE`, `generate man7 --date DATE`,
// `generate completion bash|zsh|fish`. `what` is man1, man7 or completion; `arg` the shell.
int generate(const CLI::App& app, const Hints& hints, const std::string& what, const std::string& arg,
             const std::string& docs_dir, const std::string& date, std::ostream& out);

}  // namespace lstmlint::cli
