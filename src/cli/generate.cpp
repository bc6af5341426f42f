// `lstm-lint generate`: man pages (roff) and bash, zsh and fish completions from the CLI11
// definition and the rule catalogue. Markdown (rule docs, docs/configuration.md) is turned into
// roff by a small converter that knows the constructs those files use: headings, paragraphs,
// fenced code, `code`, **bold**, [links](...), bullet and numbered lists, pipe tables.
#include "cli/generate.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "engine/registry.h"
#include "report/report.h"

namespace lstmlint::cli {

CLI::Option* Hints::choose(CLI::Option* option, std::vector<std::string> choices, std::string metavar) {
  option->check(CLI::IsMember(choices));
  values[option] = {ValueKind::Choice, std::move(metavar), std::move(choices)};
  return option;
}

CLI::Option* Hints::hint(CLI::Option* option, ValueKind kind, std::string metavar) {
  values[option] = {kind, std::move(metavar), {}};
  return option;
}

const std::vector<std::pair<int, std::string>>& exit_statuses() {
  static const std::vector<std::pair<int, std::string>> all = {
      {0, "nothing was found (or --exit-zero was given, or --write-baseline wrote the baseline)"},
      {1, "findings were reported (those that --fail-on selects); --diff: there is something to fix"},
      {2, "a usage error, an invalid configuration file, or a file that could not be read or parsed "
          "(the message names it; the other files are still linted); with --fail-on confirmed, also a "
          "file with findings that replay could not run for"},
  };
  return all;
}

std::string exit_status_footer() {
  std::string s = "Exit status:";
  for (const auto& [code, meaning] : exit_statuses()) s += "\n  " + std::to_string(code) + "  " + meaning;
  return s;
}

namespace {

using engine::RuleInfo;

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error("generate: " + why); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// ---- roff ----

// One character of text for roff: backslash, non-ASCII (as \[uXXXX]); `minus` turns '-' into \-,
// the minus sign that stays an ASCII hyphen-minus when rendered (for options and code).
void roff_char(std::string& out, const std::string& s, size_t& i, bool minus) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '\\') {
    out += "\\e";
  } else if (c == '-' && minus) {
    out += "\\-";
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else {
    // UTF-8 to a code point; a malformed byte is written as U+FFFD.
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    unsigned cp = 0xFFFD;
    if (len > 0 && i + len <= s.size()) {
      cp = c & (0xFF >> (len + 1));
      for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      i += len - 1;
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
    out += buf;
  }
}

// Literal text (an option name, a code block line): every '-' is a minus.
std::string roff_literal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) roff_char(out, s, i, true);
  return out;
}

// A line of output text must not start with a control character.
std::string roff_line(const std::string& s) {
  if (!s.empty() && (s[0] == '.' || s[0] == '\'')) return "\\&" + s;
  return s;
}

// Markdown inline text to roff: `code` and **bold** in bold, links as their text, '-' at the
// start of a word (options: --fix) as a minus sign, other hyphens as hyphens.
std::string roff_inline(const std::string& s) {
  std::string out;
  bool bold = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '`') {
      size_t end = s.find('`', i + 1);
      if (end != std::string::npos) {
        out += "\\fB" + roff_literal(s.substr(i + 1, end - i - 1)) + (bold ? "\\fB" : "\\fR");
        i = end;
        continue;
      }
    }
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      bold = !bold;
      out += bold ? "\\fB" : "\\fR";
      ++i;
      continue;
    }
    if (c == '[') {  // [text](target): the text
      size_t close = s.find(']', i + 1);
      if (close != std::string::npos && close + 1 < s.size() && s[close + 1] == '(') {
        size_t paren = s.find(')', close + 2);
        if (paren != std::string::npos) {
          out += roff_inline(s.substr(i + 1, close - i - 1));
          i = paren;
          continue;
        }
      }
    }
    if (c == '\\' && i + 1 < s.size() && std::string("|*_[]`\\").find(s[i + 1]) != std::string::npos) {
      ++i;  // a Markdown escape
      roff_char(out, s, i, false);
      continue;
    }
    bool word_start = i == 0 || s[i - 1] == ' ' || s[i - 1] == '(' || s[i - 1] == '-' || s[i - 1] == '/';
    roff_char(out, s, i, c == '-' && word_start && i + 1 < s.size() && s[i + 1] != ' ');
  }
  if (bold) out += "\\fR";
  return roff_line(out);
}

std::vector<std::string> table_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  bool code = false;
  std::string r = trim(row);
  for (size_t i = 1; i < r.size(); ++i) {  // after the leading '|'
    char c = r[i];
    if (c == '\\' && i + 1 < r.size() && r[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (c == '`') {
      code = !code;
      cell += c;
    } else if (c == '|' && !code) {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  if (!trim(cell).empty()) cells.push_back(trim(cell));
  return cells;
}

struct MarkdownStyle {
  bool h2_as_subsection = false;  // "## x": .SS (a page section's parts) or a bold paragraph title
};

// Markdown blocks to roff. The first "# " heading (a page title) is dropped.
std::string markdown_to_roff(const std::string& markdown, MarkdownStyle style = {}) {
  std::ostringstream out;
  std::vector<std::string> lines = split_lines(markdown);
  std::string paragraph;
  auto flush = [&] {
    if (!trim(paragraph).empty()) out << ".PP\n" << roff_inline(trim(paragraph)) << "\n";
    paragraph.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::string t = trim(line);
    if (t.rfind("```", 0) == 0) {
      flush();
      out << ".PP\n.RS 4\n.nf\n";
      for (++i; i < lines.size() && trim(lines[i]).rfind("```", 0) != 0; ++i) out << roff_line(roff_literal(lines[i])) << "\n";
      out << ".fi\n.RE\n";
      continue;
    }
    if (t.empty()) {
      flush();
      continue;
    }
    if (t[0] == '#') {
      flush();
      size_t level = t.find_first_not_of('#');
      std::string title = trim(t.substr(level));
      if (level == 1) continue;
      if (level == 2 && style.h2_as_subsection) out << ".SS\n" << roff_inline(title) << "\n";
      else out << ".PP\n\\fB" << roff_inline(title) << "\\fR\n";
      continue;
    }
    if (t[0] == '|') {
      flush();
      std::vector<std::vector<std::string>> rows;
      for (; i < lines.size() && trim(lines[i]).rfind('|', 0) == 0; ++i) rows.push_back(table_cells(lines[i]));
      --i;
      if (rows.size() < 2) continue;
      const auto& header = rows[0];
      for (size_t r = 2; r < rows.size(); ++r) {
        const auto& row = rows[r];
        if (row.empty()) continue;
        out << ".TP\n" << roff_inline(row[0]) << "\n";
        bool first = false;  // a short tag would share its line with the first cell: break after it
        out << ".br\n";
        for (size_t c = 1; c < row.size(); ++c) {
          if (row[c].empty() || row[c] == "\xE2\x80\x94") continue;  // an em dash: nothing
          if (!first) out << ".br\n";
          first = false;
          std::string head = c < header.size() ? header[c] : "";
          out << (head.empty() ? "" : "\\fI" + roff_literal(head) + "\\fR: ") << roff_inline(row[c]).substr(0) << "\n";
        }
      }
      continue;
    }
    bool bullet = (t[0] == '-' || t[0] == '*') && t.size() > 1 && t[1] == ' ';
    size_t digits = t.find_first_not_of("0123456789");
    bool numbered = digits != std::string::npos && digits > 0 && t[digits] == '.' && digits + 1 < t.size() && t[digits + 1] == ' ';
    if (bullet || numbered) {
      flush();
      std::string item = bullet ? t.substr(2) : t.substr(digits + 2);
      // Continuation lines are indented.
      while (i + 1 < lines.size() && !lines[i + 1].empty() && (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t') &&
             !trim(lines[i + 1]).empty()) {
        std::string next = trim(lines[i + 1]);
        bool next_item = (next[0] == '-' || next[0] == '*') && next.size() > 1 && next[1] == ' ';
        if (next_item || next.rfind("```", 0) == 0) break;
        item += " " + next;
        ++i;
      }
      if (bullet) out << ".IP \\(bu 2\n";
      else out << ".IP " << t.substr(0, digits + 1) << " 4\n";
      out << roff_inline(item) << "\n";
      continue;
    }
    paragraph += (paragraph.empty() ? "" : " ") + t;
  }
  flush();
  return out.str();
}

// The sections of a Markdown document under "## NAME" (up to the next "## ").
std::string markdown_section(const std::string& markdown, const std::string& name, const std::string& file) {
  std::vector<std::string> lines = split_lines(markdown);
  std::string body;
  bool in = false, found = false, fence = false;
  for (const auto& line : lines) {
    if (trim(line).rfind("```", 0) == 0) fence = !fence;
    if (!fence && line.rfind("## ", 0) == 0) {
      in = trim(line.substr(3)) == name;
      found = found || in;
      continue;
    }
    if (in) body += line + "\n";
  }
  if (!found) fail(file + " has no section \"## " + name + "\"");
  return body;
}

// ---- the CLI definition ----

bool hidden(const CLI::App* app) { return app->get_group().empty(); }

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !hidden(sub); });
}

bool is_help(const CLI::App& app, const CLI::Option* opt) {
  return opt == app.get_help_ptr() || opt == app.get_help_all_ptr() || opt == app.get_version_ptr();
}

std::vector<const CLI::Option*> own_options(const CLI::App& app, bool positional) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* opt : app.get_options())
    if (opt->get_positional() == positional && !(opt->get_lnames().empty() && opt->get_snames().empty() && !positional) &&
        !is_help(app, opt) && !opt->get_group().empty())
      out.push_back(opt);
  return out;
}

// Flags expect no value (CLI11's add_flag sets expected(0)).
bool takes_value(const CLI::Option* opt) { return opt->get_positional() || opt->get_expected_max() > 0; }

ValueHint hint_of(const Hints& hints, const CLI::Option* opt) {
  auto it = hints.values.find(opt);
  ValueHint h = it == hints.values.end() ? ValueHint{} : it->second;
  if (h.metavar.empty()) {
    if (opt->get_positional()) {
      h.metavar = opt->get_name();
      std::transform(h.metavar.begin(), h.metavar.end(), h.metavar.begin(), ::toupper);
    } else {
      std::string type = opt->get_type_name();
      h.metavar = type.substr(0, type.find(':'));
      if (h.metavar.empty()) h.metavar = "VALUE";
    }
  }
  return h;
}

std::vector<std::string> option_names(const CLI::Option* opt) {
  std::vector<std::string> names;
  for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  return names;
}

std::string description_sentence(const std::string& d) {
  std::string s = d;
  if (!s.empty() && s.back() != '.') s += ".";
  return s;
}

bool repeats(const CLI::Option* opt) { return opt->get_expected_max() > 1; }

std::string command_path(const std::vector<const CLI::App*>& chain) {
  std::string s;
  for (const auto* a : chain) s += (s.empty() ? "" : " ") + a->get_name();
  return s;
}

struct Command {
  std::vector<const CLI::App*> chain;  // from the top-level subcommand down
  const CLI::App* app() const { return chain.back(); }
  std::string path() const { return command_path(chain); }
};

void collect(const CLI::App& app, std::vector<const CLI::App*> chain, std::vector<Command>& out) {
  for (const CLI::App* sub : visible_subcommands(app)) {
    auto c = chain;
    c.push_back(sub);
    out.push_back({c});
    collect(*sub, c, out);
  }
}

std::vector<Command> all_commands(const CLI::App& app) {
  std::vector<Command> out;
  collect(app, {}, out);
  return out;
}

// ---- man pages ----

std::string option_synopsis(const Hints& hints, const CLI::Option* opt) {
  auto h = hint_of(hints, opt);
  if (opt->get_positional()) return "[\\fI" + roff_literal(h.metavar) + "\\fR" + (repeats(opt) ? "...]" : "]");
  std::string s = "[\\fB" + roff_literal(option_names(opt).front()) + "\\fR";
  if (takes_value(opt)) s += " \\fI" + roff_literal(h.metavar) + "\\fR";
  return s + "]";
}

std::string positional_synopsis(const Hints& hints, const CLI::Option* opt) {
  auto h = hint_of(hints, opt);
  std::string s = "\\fI" + roff_literal(h.metavar) + "\\fR" + (repeats(opt) ? "..." : "");
  return opt->get_required() ? s : "[" + s + "]";
}

void option_entry(std::ostream& out, const Hints& hints, const CLI::Option* opt) {
  auto h = hint_of(hints, opt);
  out << ".TP\n";
  if (opt->get_positional()) {
    out << "\\fI" << roff_literal(h.metavar) << "\\fR" << (repeats(opt) ? "..." : "") << "\n";
  } else {
    std::string names;
    for (const auto& n : option_names(opt)) names += (names.empty() ? "" : ", ") + ("\\fB" + roff_literal(n) + "\\fR");
    if (takes_value(opt)) names += " \\fI" + roff_literal(h.metavar) + "\\fR";
    out << names << "\n";
  }
  out << roff_inline(description_sentence(opt->get_description())) << "\n";
  if (h.kind == ValueKind::Choice) {
    std::string list;
    for (const auto& c : h.choices) list += (list.empty() ? "" : ", ") + ("\\fB" + roff_literal(c) + "\\fR");
    out << ".br\n\\fI" << roff_literal(h.metavar) << "\\fR is one of " << list << ".\n";
  }
  if (h.kind == ValueKind::RuleList)
    out << ".br\nRule codes (LSTM201), names (shuffled\\-timesteps), code prefixes (LSTM2) or ALL; see \\fBlstm\\-lint\\-rules\\fR(7).\n";
  std::string def = opt->get_default_str();
  if (def.size() >= 2 && def.front() == '[' && def.back() == ']') def = def.substr(1, def.size() - 2);  // a vector's
  if (!def.empty()) out << ".br\nDefault: \\fB" << roff_literal(def) << "\\fR.\n";
}

std::string formats_section(const std::string& docs_dir) {
  std::string file = docs_dir + "/output-formats.md";
  std::string md = read_file(file);
  // The first table: | `--format` | for | one entry per |; each row names one format.
  std::vector<std::string> lines = split_lines(md);
  auto first = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return trim(l).rfind('|', 0) == 0; });
  std::string table;
  std::set<std::string> documented;
  for (auto it = first; it != lines.end() && trim(*it).rfind('|', 0) == 0; ++it) {
    table += *it + "\n";
    auto cells = table_cells(*it);
    if (it - first >= 2 && !cells.empty()) {
      std::string name = cells[0];
      size_t a = name.find('`'), b = name.find('`', a + 1);
      if (a != std::string::npos && b != std::string::npos) documented.insert(name.substr(a + 1, b - a - 1));
    }
  }
  std::set<std::string> actual;
  for (const auto& f : report::formats()) actual.insert(f.first);
  if (documented != actual) fail(file + ": the first table must have one row per --format (" + std::to_string(actual.size()) +
                                 " formats, " + std::to_string(documented.size()) + " rows match)");
  return markdown_to_roff(table);
}

std::string configuration_section(const std::string& docs_dir) {
  std::string file = docs_dir + "/configuration.md";
  std::string md = read_file(file);
  std::string out =
      ".PP\nEach notebook uses the closest \\fB.lstm\\-lint.toml\\fR, or \\fBpyproject.toml\\fR with a "
      "\\fB[tool.lstm\\-lint]\\fR table, in its directory or above. The keys are the same in both (in "
      "\\fBpyproject.toml\\fR, under \\fB[tool.lstm\\-lint]\\fR):\n";
  out += ".PP\n.RS 4\n.nf\n";
  out += "[tool.lstm\\-lint]\nignore = [\"unexecuted\\-cell\"]\nfail\\-on = \"error\"\n[tool.lstm\\-lint.severity]\n"
         "shuffled\\-timesteps = \"error\"\n[tool.lstm\\-lint.replay]\nbudget = 5\n";
  out += ".fi\n.RE\n";
  MarkdownStyle style{true};
  for (const char* section : {"Keys", "Discovery", "Precedence", "Globs"}) {
    out += ".SS\n" + std::string(section) + "\n";
    out += markdown_to_roff(markdown_section(md, section, file), style);
  }
  return out;
}

void man_header(std::ostream& out, const std::string& title, int section, const std::string& date, const std::string& manual) {
  out << ".\\\" Generated by `lstm-lint generate` from its CLI definition and rule catalogue. Do not edit.\n";
  out << ".TH " << title << " " << section << " \"" << date << "\" \"lstm\\-lint " << roff_literal(LSTM_LINT_VERSION) << "\" \""
      << manual << "\"\n";
  out << ".nh\n.ad l\n";  // no hyphenation (options and rule names), ragged right
}

void man1(std::ostream& out, const CLI::App& app, const Hints& hints, const std::string& docs_dir, const std::string& date) {
  std::vector<Command> commands = all_commands(app);
  const CLI::App* check = app.get_subcommand("check");
  man_header(out, "LSTM\\-LINT", 1, date, "User Commands");
  out << ".SH NAME\nlstm\\-lint \\- lint Jupyter notebooks that train recurrent networks\n";

  out << ".SH SYNOPSIS\n";
  for (const auto& c : commands) {
    if (!visible_subcommands(*c.app()).empty()) continue;  // `debug`, `stats`: only through their subcommands
    out << ".PP\n\\fBlstm\\-lint " << roff_literal(c.path() == "check" ? std::string() : c.path()) << "\\fR";
    if (c.path() == "check") out << "[\\fBcheck\\fR]";
    auto opts = own_options(*c.app(), false);
    if (opts.size() > 3) out << " [\\fIOPTIONS\\fR]";
    else
      for (const auto* o : opts) out << " " << option_synopsis(hints, o);
    for (const auto* p : own_options(*c.app(), true)) out << " " << positional_synopsis(hints, p);
    out << "\n";
  }
  out << ".PP\n\\fBlstm\\-lint\\fR \\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR\n";

  out << ".SH DESCRIPTION\n.PP\n" << roff_inline(app.get_description()) << "\n";
  out << ".PP\n"
      << roff_inline("It reads `.ipynb` files and jupytext percent scripts (`.py` files with `# %%` cell markers) and "
                     "never runs them. Each finding gives the file, the cell, the line and column within the cell, "
                     "the rule's code and name, what will go wrong, and a fix. Without a command, `lstm-lint` runs "
                     "`check`. The rules are described in lstm-lint-rules(7), and by `lstm-lint explain RULE`.")
      << "\n";

  out << ".SH COMMANDS\n";
  for (const auto& c : commands) {
    out << ".TP\n\\fB" << roff_literal(c.path()) << "\\fR";
    for (const auto* p : own_options(*c.app(), true)) out << " " << positional_synopsis(hints, p);
    out << "\n" << roff_inline(description_sentence(c.app()->get_description())) << "\n";
    if (c.path() == "check") {
      out << "See OPTIONS.\n";
      continue;
    }
    auto opts = own_options(*c.app(), false);
    auto pos = own_options(*c.app(), true);
    if (opts.empty() && pos.empty()) continue;
    out << ".RS\n";
    for (const auto* o : pos) option_entry(out, hints, o);
    for (const auto* o : opts) option_entry(out, hints, o);
    out << ".RE\n";
  }

  out << ".SH OPTIONS\n.PP\nThe options of \\fBcheck\\fR, the default command:\n";
  for (const auto* o : own_options(*check, true)) option_entry(out, hints, o);
  for (const auto* o : own_options(*check, false)) option_entry(out, hints, o);
  out << ".PP\nEvery command also takes:\n";
  for (const CLI::Option* o : {app.get_help_ptr(), app.get_version_ptr()})
    if (o) option_entry(out, hints, o);

  out << ".SH OUTPUT FORMATS\n.PP\n"
      << roff_inline("`--format` chooses the report; every format keeps the `{cell, line, column}` coordinates "
                     "(1-based; `cell` counts every cell, markdown included).")
      << "\n";
  out << formats_section(docs_dir);

  out << ".SH EXIT STATUS\n";
  for (const auto& [code, meaning] : exit_statuses()) out << ".TP\n\\fB" << code << "\\fR\n" << roff_inline(meaning) << "\n";

  out << ".SH CONFIGURATION\n" << configuration_section(docs_dir);

  out << ".SH ENVIRONMENT\n";
  const std::pair<const char*, const char*> environment[] = {
      {"NO_COLOR", "When set and not empty, `--color auto` does not colour the output."},
      {"LSTM_LINT_CACHE_DIR", "The cache directory when `--cache-dir` is not given (default `.lstm_lint_cache`)."},
      {"LSTM_LINT_REPLAY", "The replay executable, when `--replay-executable` is not given; otherwise `lstm-lint-replay` "
                           "is looked for in the directory of `lstm-lint`, then on `PATH`."},
      {"LSTM_LINT_REPLAY_TIMEOUT", "Seconds after which a replay process that stopped answering is killed."},
  };
  for (const auto& [name, text] : environment) out << ".TP\n\\fB" << roff_literal(name) << "\\fR\n" << roff_inline(text) << "\n";

  out << ".SH FILES\n";
  out << ".TP\n\\fB.lstm\\-lint.toml\\fR, \\fBpyproject.toml\\fR\nConfiguration files (CONFIGURATION).\n";
  out << ".TP\n\\fB.lstm_lint_cache/\\fR\nThe content cache of findings; \\fBlstm\\-lint clean\\fR removes it.\n";
  out << ".TP\n\\fB/usr/share/doc/lstm\\-lint/\\fR\nThe documentation: output formats, configuration, suppressions, "
         "fixes, replay, editors, pre\\-commit, CI.\n";

  out << ".SH SEE ALSO\n\\fBlstm\\-lint\\-rules\\fR(7), \\fBlstm\\-lint\\-replay\\fR(1)\n";
}

std::string family_title(const std::string& family) {
  std::string t = family;
  for (auto& ch : t) ch = ch == '-' ? ' ' : static_cast<char>(::toupper(static_cast<unsigned char>(ch)));
  return t;
}

void man7(std::ostream& out, const std::string& date) {
  man_header(out, "LSTM\\-LINT\\-RULES", 7, date, "lstm-lint");
  out << ".SH NAME\nlstm\\-lint\\-rules \\- the rules of lstm\\-lint, the notebook linter for recurrent networks\n";
  out << ".SH DESCRIPTION\n.PP\n"
      << roff_inline("Every rule has a stable code (`LSTM103`) and a name (`stale-optimizer`); `--select` and `--ignore` "
                     "take either, or a code prefix (`LSTM1`). `lstm-lint rules` lists them and `lstm-lint explain RULE` "
                     "prints one rule's documentation, the text of this page. Rules marked replay have an experiment "
                     "that `--replay` runs on a LibTorch reference model to confirm a finding (the lstm-lint-replay "
                     "package).")
      << "\n";
  out << ".PP\nRules by family:\n";
  std::vector<std::string> families;
  for (const auto& r : engine::all_rules())
    if (std::find(families.begin(), families.end(), r.family) == families.end()) families.push_back(r.family);
  for (const auto& family : families) {
    out << ".SH\n" << roff_literal(family_title(family)) << "\n";
    for (const RuleInfo& r : engine::all_rules()) {
      if (r.family != family) continue;
      out << ".SS\n" << roff_literal(r.code + " " + r.name) << "\n";
      out << ".PP\n\\fISeverity:\\fR " << engine::severity_name(r.severity) << ". \\fIReplay:\\fR " << (r.replay ? "yes" : "no")
          << ".\n.br\n" << roff_inline(description_sentence(r.summary)) << "\n";
      out << markdown_to_roff(std::string(r.doc));
    }
  }
  out << ".SH SEE ALSO\n\\fBlstm\\-lint\\fR(1)\n";
}

// ---- completions ----

struct RuleWords {
  std::vector<std::pair<std::string, std::string>> words;  // code or name, summary
};

RuleWords rule_words() {
  RuleWords w;
  for (const auto& r : engine::all_rules()) w.words.push_back({r.code, r.name + ": " + r.summary});
  for (const auto& r : engine::all_rules()) w.words.push_back({r.name, r.code + ": " + r.summary});
  return w;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = " ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string shell_single_quote(const std::string& s) {  // POSIX sh and zsh: '...' with '\'' for '
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::vector<std::string> top_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* s : visible_subcommands(app)) names.push_back(s->get_name());
  return names;
}

std::string bash_function_name(const std::string& path) {
  std::string n = "_lstm_lint_cmd_" + path;
  for (auto& c : n)
    if (c == ' ' || c == '-') c = '_';
  return n;
}

void bash_value(std::ostream& out, const ValueHint& h, const char* indent) {
  switch (h.kind) {
    case ValueKind::Choice: out << indent << "_lstm_lint_words " << shell_single_quote(join(h.choices)) << "\n"; break;
    case ValueKind::File: out << indent << "_lstm_lint_files\n"; break;
    case ValueKind::Directory: out << indent << "_lstm_lint_dirs\n"; break;
    case ValueKind::RuleList: out << indent << "_lstm_lint_rule_list\n"; break;
    case ValueKind::Rule: out << indent << "_lstm_lint_words \"$_lstm_lint_rules\"\n"; break;
    case ValueKind::Text:
    case ValueKind::Number: out << indent << ":  # free text\n"; break;
  }
}

void bash(std::ostream& out, const CLI::App& app, const Hints& hints) {
  auto commands = all_commands(app);
  std::vector<std::string> rule_list;
  for (const auto& [w, _] : rule_words().words) rule_list.push_back(w);
  out << "# bash completion for lstm-lint. Generated by `lstm-lint generate completion bash` from its CLI\n"
         "# definition and rule catalogue; do not edit.\n\n";
  out << "_lstm_lint_rules=" << shell_single_quote(join(rule_list)) << "\n\n";
  out << "_lstm_lint_words() { COMPREPLY+=($(compgen -W \"$1\" -- \"$cur\")); }\n";
  out << "_lstm_lint_files() {\n  local IFS=$'\\n'\n  COMPREPLY+=($(compgen -f -- \"$cur\"))\n  compopt -o filenames 2>/dev/null\n}\n";
  out << "_lstm_lint_dirs() {\n  local IFS=$'\\n'\n  COMPREPLY+=($(compgen -d -- \"$cur\"))\n  compopt -o filenames 2>/dev/null\n}\n";
  out << "# --select LSTM1,sta<TAB>: complete the last item of a comma-separated list.\n";
  out << "_lstm_lint_rule_list() {\n  local prefix= word=$cur\n  if [[ $cur == *,* ]]; then prefix=${cur%,*},; word=${cur##*,}; fi\n"
         "  COMPREPLY+=($(compgen -P \"$prefix\" -W \"ALL $_lstm_lint_rules\" -- \"$word\"))\n}\n\n";

  for (const auto& c : commands) {
    const CLI::App* a = c.app();
    out << bash_function_name(c.path()) << "() {\n";
    auto subs = visible_subcommands(*a);
    auto opts = own_options(*a, false);
    std::vector<std::string> option_words;
    for (const auto* o : opts)
      for (const auto& n : option_names(o)) option_words.push_back(n);
    option_words.push_back("--help");
    out << "  case $prev in\n";
    for (const auto* o : opts) {
      if (!takes_value(o)) continue;
      out << "    " << join(option_names(o), "|") << ")\n";
      bash_value(out, hint_of(hints, o), "      ");
      out << "      return ;;\n";
    }
    out << "  esac\n";
    out << "  if [[ $cur == -* ]]; then _lstm_lint_words " << shell_single_quote(join(option_words)) << "; return; fi\n";
    if (!subs.empty()) {
      out << "  _lstm_lint_words " << shell_single_quote(join(top_names(*a))) << "\n";
    } else {
      auto pos = own_options(*a, true);
      if (!pos.empty()) bash_value(out, hint_of(hints, pos.front()), "  ");
    }
    out << "}\n";
  }

  std::vector<std::string> nested;
  for (const auto& c : commands)
    if (c.chain.size() == 2) nested.push_back(c.path());
  out << "\n_lstm_lint() {\n";
  out << "  local cur=${COMP_WORDS[COMP_CWORD]} prev=\n";
  out << "  (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n";
  out << "  # bash splits --option=value at '=' (COMP_WORDBREAKS).\n";
  out << "  if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n";
  out << "  COMPREPLY=()\n";
  out << "  # A command is only recognised as the first word; anything else is `check`.\n";
  out << "  local cmd=check\n";
  out << "  if (( COMP_CWORD > 1 )); then\n    case ${COMP_WORDS[1]} in\n      " << join(top_names(app), "|")
      << ") cmd=${COMP_WORDS[1]} ;;\n    esac\n";
  if (!nested.empty()) {
    out << "    if (( COMP_CWORD > 2 )); then\n      case \"$cmd ${COMP_WORDS[2]}\" in\n        ";
    std::vector<std::string> quoted;
    for (const auto& n : nested) quoted.push_back(shell_single_quote(n));
    out << join(quoted, "|") << ") cmd=\"$cmd ${COMP_WORDS[2]}\" ;;\n      esac\n    fi\n";
  }
  out << "  fi\n";
  out << "  case $cmd in\n";
  for (const auto& c : commands) out << "    " << shell_single_quote(c.path()) << ") " << bash_function_name(c.path()) << " ;;\n";
  out << "  esac\n";
  out << "  # The first word may also be a command.\n";
  out << "  if (( COMP_CWORD == 1 )) && [[ $cur != -* ]]; then _lstm_lint_words " << shell_single_quote(join(top_names(app)))
      << "; fi\n";
  out << "  if (( COMP_CWORD == 1 )) && [[ $cur == -* ]]; then _lstm_lint_words '--version --help'; fi\n";
  out << "  return 0\n}\n";
  out << "complete -F _lstm_lint lstm-lint\n";
}

std::string zsh_escape_description(const std::string& d) {
  std::string out;
  for (char c : d) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_action(const ValueHint& h) {
  switch (h.kind) {
    case ValueKind::Choice: return "(" + join(h.choices) + ")";
    case ValueKind::File: return "_files";
    case ValueKind::Directory: return "_files -/";
    case ValueKind::RuleList: return "_lstm-lint_selectors";
    case ValueKind::Rule: return "_lstm-lint_rule";
    case ValueKind::Text:
    case ValueKind::Number: return " ";
  }
  return " ";
}

void zsh_arguments(std::ostream& out, const CLI::App& a, const Hints& hints, const char* indent) {
  out << indent << "_arguments -s -S \\\n";
  for (const auto* o : own_options(a, false)) {
    auto names = option_names(o);
    std::string exclusion = names.size() > 1 ? "(" + join(names) + ")" : "";
    auto h = hint_of(hints, o);
    for (const auto& n : names) {
      std::string spec = exclusion + n + "[" + zsh_escape_description(o->get_description()) + "]";
      if (takes_value(o)) spec += ":" + zsh_escape_description(h.metavar) + ":" + zsh_action(h);
      out << indent << "  " << shell_single_quote(spec) << " \\\n";
    }
  }
  std::string help = a.get_help_ptr() ? zsh_escape_description(a.get_help_ptr()->get_description()) : "Print the help and exit";
  out << indent << "  " << shell_single_quote("(- *)-h[" + help + "]") << " " << shell_single_quote("(- *)--help[" + help + "]");
  for (const auto* p : own_options(a, true)) {
    auto h = hint_of(hints, p);
    std::string spec = std::string(repeats(p) ? "*" : "1") + ":" + zsh_escape_description(h.metavar) + ":" + zsh_action(h);
    out << " \\\n" << indent << "  " << shell_single_quote(spec);
  }
  out << "\n";
}

void zsh(std::ostream& out, const CLI::App& app, const Hints& hints) {
  out << "#compdef lstm-lint\n";
  out << "# zsh completion for lstm-lint. Generated by `lstm-lint generate completion zsh` from its CLI\n"
         "# definition and rule catalogue; do not edit.\n\n";
  auto words = rule_words();
  out << "_lstm-lint_rule() {\n  local -a rules\n  rules=(\n";
  for (const auto& [w, d] : words.words) out << "    " << shell_single_quote(w + ":" + d) << "\n";
  out << "  )\n  _describe -t rules 'rule' rules\n}\n\n";
  out << "_lstm-lint_selectors() {\n  _values -s , 'rule selector' 'ALL[every rule]'";
  for (const auto& [w, d] : words.words) out << " \\\n    " << shell_single_quote(w + "[" + zsh_escape_description(d) + "]");
  out << "\n}\n\n";

  auto describe = [&](const CLI::App& a, const char* indent) {
    out << indent << "local -a commands\n" << indent << "commands=(\n";
    for (const auto* s : visible_subcommands(a))
      out << indent << "  " << shell_single_quote(s->get_name() + ":" + s->get_description()) << "\n";
    out << indent << ")\n";
  };

  out << "_lstm-lint() {\n";
  describe(app, "  ");
  out << "  local cmd=check\n";
  out << "  # A command is only recognised as the first word; anything else is `check`.\n";
  out << "  if (( CURRENT > 2 )) && [[ ${words[2]} == (" << join(top_names(app), "|") << ") ]]; then\n";
  out << "    cmd=${words[2]}\n    shift words\n    (( CURRENT-- ))\n  fi\n";
  out << "  case $cmd in\n";
  for (const CLI::App* sub : visible_subcommands(app)) {
    out << "    " << sub->get_name() << ")\n";
    auto nested = visible_subcommands(*sub);
    if (sub->get_name() == "check") {
      out << "      if (( CURRENT == 2 )) && [[ ${words[1]} != check && $PREFIX != -* ]]; then\n";
      out << "        _describe -t commands 'lstm-lint command' commands\n      fi\n";
      zsh_arguments(out, *sub, hints, "      ");
    } else if (!nested.empty()) {
      out << "      if (( CURRENT == 2 )); then\n";
      describe(*sub, "        ");
      out << "        _describe -t commands '" << sub->get_name() << " command' commands\n";
      out << "        return\n      fi\n";
      out << "      shift words\n      (( CURRENT-- ))\n";
      out << "      case ${words[1]} in\n";
      for (const CLI::App* n : nested) {
        out << "        " << n->get_name() << ")\n";
        zsh_arguments(out, *n, hints, "          ");
        out << "          ;;\n";
      }
      out << "      esac\n";
    } else {
      zsh_arguments(out, *sub, hints, "      ");
    }
    out << "      ;;\n";
  }
  out << "  esac\n}\n\n";
  out << "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n  _lstm-lint \"$@\"\nelse\n  compdef _lstm-lint lstm-lint\nfi\n";
}

void fish_option(std::ostream& out, const std::string& condition, const CLI::Option* o, const Hints& hints) {
  out << "complete -c lstm-lint -n " << fish_quote(condition);
  for (const auto& s : o->get_snames()) out << " -s " << s;
  for (const auto& l : o->get_lnames()) out << " -l " << l;
  if (takes_value(o)) {
    auto h = hint_of(hints, o);
    switch (h.kind) {
      case ValueKind::Choice: out << " -x -a " << fish_quote(join(h.choices)); break;
      case ValueKind::File: out << " -r -F"; break;
      case ValueKind::Directory: out << " -x -a '(__fish_complete_directories)'"; break;
      case ValueKind::RuleList: out << " -x -a '(__fish_complete_list , __lstm_lint_selectors)'"; break;
      case ValueKind::Rule: out << " -x -a '(__lstm_lint_rules)'"; break;
      case ValueKind::Text:
      case ValueKind::Number: out << " -x"; break;
    }
  }
  out << " -d " << fish_quote(o->get_description()) << "\n";
}

void fish(std::ostream& out, const CLI::App& app, const Hints& hints) {
  auto commands = all_commands(app);
  out << "# fish completion for lstm-lint. Generated by `lstm-lint generate completion fish` from its CLI\n"
         "# definition and rule catalogue; do not edit.\n\n";
  out << "function __lstm_lint_rules\n";
  for (const auto& [w, d] : rule_words().words) out << "    printf '%s\\t%s\\n' " << fish_quote(w) << " " << fish_quote(d) << "\n";
  out << "end\n\n";
  out << "function __lstm_lint_selectors\n    printf '%s\\t%s\\n' ALL 'every rule'\n    __lstm_lint_rules\nend\n\n";
  std::vector<std::string> nested;
  for (const auto& c : commands)
    if (c.chain.size() == 2) nested.push_back(c.path());
  out << "# True when the command being completed is $argv (a command is only recognised as the first word).\n";
  out << "function __lstm_lint_using\n    set -l tokens (commandline -opc)\n    set -l cmd check\n";
  out << "    if test (count $tokens) -ge 2; and contains -- $tokens[2] " << join(top_names(app)) << "\n";
  out << "        set cmd $tokens[2]\n";
  if (!nested.empty()) {
    std::vector<std::string> quoted;
    for (const auto& n : nested) quoted.push_back(fish_quote(n));
    out << "        if test (count $tokens) -ge 3; and contains -- \"$cmd $tokens[3]\" " << join(quoted) << "\n";
    out << "            set cmd \"$cmd $tokens[3]\"\n        end\n";
  }
  out << "    end\n    test \"$cmd\" = \"$argv\"\nend\n\n";
  out << "function __lstm_lint_first\n    test (count (commandline -opc)) -eq 1\nend\n\n";

  if (const CLI::Option* v = app.get_version_ptr())
    out << "complete -c lstm-lint -n __lstm_lint_first -s V -l version -d " << fish_quote(v->get_description()) << "\n";
  if (const CLI::Option* h = app.get_help_ptr())
    out << "complete -c lstm-lint -s h -l help -d " << fish_quote(h->get_description()) << "\n";
  for (const CLI::App* s : visible_subcommands(app))
    out << "complete -c lstm-lint -n __lstm_lint_first -a " << s->get_name() << " -d " << fish_quote(s->get_description()) << "\n";
  for (const auto& c : commands) {
    std::string cond = "__lstm_lint_using " + c.path();
    auto subs = visible_subcommands(*c.app());
    auto pos = own_options(*c.app(), true);
    bool files = !pos.empty() && hint_of(hints, pos.front()).kind == ValueKind::File;
    out << "\n# " << c.path() << "\n";
    if (!files) out << "complete -c lstm-lint -n " << fish_quote(cond) << " -f\n";
    for (const CLI::App* s : subs)
      out << "complete -c lstm-lint -n " << fish_quote(cond) << " -a " << s->get_name() << " -d " << fish_quote(s->get_description())
          << "\n";
    if (!pos.empty() && hint_of(hints, pos.front()).kind == ValueKind::Rule)
      out << "complete -c lstm-lint -n " << fish_quote(cond) << " -a '(__lstm_lint_rules)'\n";
    for (const auto* o : own_options(*c.app(), false)) fish_option(out, cond, o, hints);
  }
}

}  // namespace

int generate(const CLI::App& app, const Hints& hints, const std::string& what, const std::string& arg,
             const std::string& docs_dir, const std::string& date, std::ostream& out) {
  try {
    if (what == "man1") {
      if (docs_dir.empty()) fail("man1 needs --docs DIR (the docs/ folder of the source tree)");
      man1(out, app, hints, docs_dir, date);
    } else if (what == "man7") {
      man7(out, date);
    } else if (what == "completion" && arg == "bash") {
      bash(out, app, hints);
    } else if (what == "completion" && arg == "zsh") {
      zsh(out, app, hints);
    } else if (what == "completion" && arg == "fish") {
      fish(out, app, hints);
    } else {
      fail("expected man1, man7 or completion bash|zsh|fish");
    }
  } catch (const std::runtime_error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace lstmlint::cli
