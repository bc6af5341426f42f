// lstm-lint's command line: check (default), rules, explain.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/debug_values.h"
#include "cli/generate.h"
#include "cli/version.h"
#include "config/config.h"
#include "engine/baseline.h"
#include "engine/fail_on.h"
#include "engine/file_write.h"
#include "engine/registry.h"
#include "engine/runner.h"
#include "fix/run.h"
#include "notebook/magics.h"
#include "notebook/notebook.h"
#include "notebook/percent.h"
#include "python/syntax.h"
#include "replay/client.h"
#include "report/html.h"
#include "report/report.h"
#include "server/server.h"
#include "scale/files.h"
#include "scale/run.h"

namespace {

using namespace lstmlint;

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::vector<std::string> select;
  std::vector<std::string> extend_select;
  std::vector<std::string> ignore;
  bool exit_zero = false;
  bool quiet = false;
  std::string color = "auto";
  bool debug_tree = false;
  std::string stdin_filename = "-";
  unsigned jobs = 0;  // 0: one per core
  bool replay = false;
  std::string replay_report;     // --report FILE.html: the replay report page (implies --replay)
  std::string fail_on = "info";  // engine/fail_on.h: a severity, or "confirmed"
  std::string output_file;       // the report goes there, atomically; stdout stays empty
  bool statistics = false;
  replay::Options replay_options;
  std::string baseline;         // --baseline FILE
  bool write_baseline = false;  // --write-baseline: record every finding in FILE
  std::string config;           // --config FILE: this configuration for every file, no discovery
  bool isolated = false;        // --isolated: no configuration files at all
  std::set<std::string> given;  // options given on the command line, which replace the configuration's
  bool fix = false;             // --fix, --unsafe-fixes, --diff: docs/fixes.md
  bool unsafe_fixes = false;
  bool diff = false;
  bool skip_plain_py = false;   // --skip-plain-py: named .py files without a `# %%` marker are not linted
  scale::CorpusOptions corpus;  // --files-from, --shard, the cache (docs/scale.md)
};

const auto run_started = std::chrono::steady_clock::now();

double elapsed_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
}

// The command line's values that replace the configuration files' (docs/configuration.md).
config::Overrides overrides(const CheckOptions& opts) {
  config::Overrides o;
  if (opts.given.count("--select")) o.select = opts.select;
  if (opts.given.count("--ignore")) o.ignore = opts.ignore;
  o.extend_select = opts.extend_select;
  if (opts.given.count("--fail-on")) o.fail_on = opts.fail_on;
  if (opts.given.count("--replay-budget")) o.replay_budget = opts.replay_options.budget_seconds;
  if (opts.given.count("--replay-memory")) o.replay_memory = opts.replay_options.memory_mb;
  o.replay = opts.replay || !opts.replay_report.empty();
  o.replay_executable = opts.replay_options.executable;
  return o;
}

bool use_color(const std::string& mode, bool to_file) {
  if (mode == "always") return true;
  if (mode == "never" || to_file) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return isatty(STDOUT_FILENO) != 0;
}

// All of standard input; `error` says why it could not be read (a directory, a closed fd).
std::string read_stdin(std::string* error = nullptr) {
  std::string bytes;
  if (int e = scale::read_fd(STDIN_FILENO, bytes); e && error) *error = std::string("cannot read standard input: ") + std::strerror(e);
  return bytes;
}

// Prints each code cell's masked source and syntax tree: what rules see.
int debug_tree(const CheckOptions& opts) {
  int status = 0;
  for (const auto& path : engine::collect_notebooks(opts.paths)) {
    try {
      notebook::Notebook nb = path == "-" ? notebook::parse_notebook(read_stdin(), opts.stdin_filename)
                                          : notebook::load_notebook_file(path);
      python::Parser parser;
      for (const auto& cell : nb.cells) {
        if (cell.kind != notebook::CellKind::Code) continue;
        auto masked = notebook::mask_ipython(cell.source);
        std::cout << "# " << path << ": cell " << cell.index;
        if (cell.execution_count) std::cout << " [In " << *cell.execution_count << "]";
        if (!masked.cell_magic.empty()) std::cout << " %%" << masked.cell_magic;
        std::cout << "\n";
        if (masked.opaque) {
          std::cout << "(opaque cell magic: not Python)\n\n";
          continue;
        }
        auto tree = parser.parse(masked.text);
        std::cout << masked.text << "\n" << python::sexp(tree.root()) << "\n\n";
      }
    } catch (const notebook::NotebookError& e) {
      std::cerr << "error: " << path << ": " << e.what() << "\n";
      status = 2;
    }
  }
  return status;
}

// --write-baseline records the findings; --baseline hides recorded ones and says how many.
// Returns an exit status when the run ends here, -1 to go on reporting.
int use_baseline(const CheckOptions& opts, std::vector<engine::FileResult>& results,
                 const std::vector<engine::Selection>& selections, std::string& summary) {
  if (opts.baseline.empty()) return -1;
  try {
    if (opts.write_baseline) {
      int n = engine::write_baseline(opts.baseline, results);
      std::cerr << "Wrote " << n << (n == 1 ? " finding" : " findings") << " to " << opts.baseline << ".\n";
      return 0;
    }
    auto outcome = engine::Baseline::load(opts.baseline).apply_per_file(results, selections);
    summary = std::to_string(outcome.hidden) + (outcome.hidden == 1 ? " finding" : " findings") + " hidden by the baseline";
    if (outcome.stale > 0)
      summary += "; " + std::to_string(outcome.stale) + (outcome.stale == 1 ? " baseline entry is" : " baseline entries are") +
                 " stale (fixed or changed; --write-baseline drops them)";
    summary += ".";
    return -1;
  } catch (const engine::BaselineError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

// Writes the report to stdout, or atomically to --output-file. False when that file cannot be written.
bool write_report(const CheckOptions& opts, const std::vector<engine::FileResult>& results, const std::string& baseline_summary) {
  std::ostringstream out;
  report::TextOptions text{use_color(opts.color, !opts.output_file.empty()), opts.quiet, opts.unsafe_fixes};
  auto format = *report::parse_format(opts.format);  // validated by the parser
  if (opts.statistics && format == report::Format::Json) report::write_statistics_json(out, results);
  else if (opts.statistics) report::write_statistics(out, results, text);
  else report::write(out, format, results, text);
  if (format == report::Format::JsonLines && !opts.statistics) {
    scale::Summary summary;
    for (const auto& r : results) summary.add(r);
    out << summary.record(elapsed_seconds()).dump() << "\n";
  }
  // The baseline's count is prose: it goes where a summary line goes, never into machine formats.
  bool prose = format == report::Format::Text || (!opts.statistics && format == report::Format::Concise);
  if (prose && !opts.quiet && !baseline_summary.empty()) out << baseline_summary << "\n";
  if (opts.output_file.empty()) {
    std::cout << out.str() << std::flush;
    return true;
  }
  std::string error = engine::write_file_atomically(opts.output_file, out.str());
  if (error.empty()) return true;
  std::cerr << "error: cannot write " << opts.output_file << ": " << error << "\n";
  return false;
}

// Lints the planned files with their own settings; files under a broken configuration are not
// linted but reported as errors, in their place.
std::vector<engine::FileResult> lint_planned(const config::Plan& plan, unsigned jobs, const std::string& stdin_bytes,
                                             const CheckOptions& opts, scale::Cache* cache, const scale::Sink& sink = {}) {
  std::vector<std::string> paths;
  std::vector<engine::FileOptions> options;
  bool replay_specs = false;
  for (size_t i = 0; i < plan.paths.size(); ++i) {
    if (!plan.blocked[i].empty()) continue;
    paths.push_back(plan.paths[i]);
    options.push_back(plan.settings[i].lint);
    replay_specs = replay_specs || plan.settings[i].replay;
  }
  // Replay specs are built from the semantic model, which the cache does not keep.
  if (replay_specs) cache = nullptr;
  std::vector<size_t> planned;
  for (size_t i = 0; i < plan.paths.size(); ++i)
    if (plan.blocked[i].empty()) planned.push_back(i);
  scale::Sink in_place;
  if (sink) in_place = [&](size_t k, engine::FileResult& r) { sink(planned[k], r); };
  auto linted = scale::lint_files(paths, options, jobs, stdin_bytes, opts.stdin_filename, replay_specs, cache, in_place);
  std::vector<engine::FileResult> results(plan.paths.size());
  for (size_t i = 0, next = 0; i < plan.paths.size(); ++i) {
    std::string name = plan.paths[i] == "-" ? opts.stdin_filename : plan.paths[i];
    results[i] = plan.blocked[i].empty() ? std::move(linted[next++]) : engine::FileResult{name, {}, plan.blocked[i]};
  }
  return results;
}

// Replays the findings of the files whose settings ask for it: one replay process for each
// distinct budget and memory limit (usually one). Returns, per file, whether replay failed.
std::vector<bool> replay_files(std::vector<engine::FileResult>& results, const std::vector<config::FileSettings>& settings) {
  std::vector<bool> failed(results.size(), false);
  std::map<std::pair<double, int>, std::vector<size_t>> groups;
  for (size_t i = 0; i < results.size(); ++i)
    if (settings[i].replay && !results[i].error)
      groups[{settings[i].replay_options.budget_seconds, settings[i].replay_options.memory_mb}].push_back(i);
  for (const auto& [limits, files] : groups) {
    std::vector<engine::FileResult> group;
    for (size_t i : files) group.push_back(std::move(results[i]));
    replay::Options ro = settings[files.front()].replay_options;
    ro.progress = isatty(STDERR_FILENO) != 0;
    auto run = replay::run(group, ro);
    if (!run.ok) std::cerr << "warning: replay did not run: " << run.error << "\n";
    for (size_t k = 0; k < files.size(); ++k) {
      results[files[k]] = std::move(group[k]);
      failed[files[k]] = !run.ok;
    }
  }
  return failed;
}

int run_check(const CheckOptions& opts) {
  engine::Selection selection{opts.select, opts.extend_select, opts.ignore};
  auto unknown = selection.unknown_tokens();
  if (!unknown.empty()) {
    std::cerr << "error: unknown rule selector `" << unknown.front() << "` (see `lstm-lint rules`)\n";
    return 2;
  }
  if (opts.statistics && opts.format != "text" && opts.format != "json") {
    std::cerr << "error: --statistics prints text or json, not " << opts.format << "\n";
    return 2;
  }
  if (opts.debug_tree) return debug_tree(opts);
  bool fixing = opts.fix || opts.diff;
  if (fixing && (opts.replay || !opts.replay_report.empty() || opts.write_baseline || opts.statistics || !opts.output_file.empty() || opts.fail_on != "info")) {
    std::cerr << "error: --fix and --diff do not combine with --replay, --report, --fail-on, --statistics, --output-file or --write-baseline\n";
    return 2;
  }

  std::optional<scale::Shard> shard;
  std::vector<std::string> inputs = opts.paths;
  if (int status = scale::prepare_inputs(opts.corpus, opts.given.count("paths") > 0, inputs, shard); status >= 0) return status;

  config::Mode mode = opts.isolated ? config::Mode::Isolated : opts.config.empty() ? config::Mode::Discover : config::Mode::Explicit;
  config::Plan plan = config::plan_run(inputs, overrides(opts), mode, opts.config, opts.stdin_filename);
  if (shard) scale::keep_shard(plan, *shard);
  for (const auto& e : plan.errors) std::cerr << "error: " << e << "\n";
  const auto& paths = plan.paths;
  std::string stdin_bytes;
  std::string stdin_error;
  if (std::find(paths.begin(), paths.end(), "-") != paths.end()) stdin_bytes = read_stdin(&stdin_error);
  if (fixing) {
    fix::RunOptions fo;
    fo.diff = opts.diff;
    fo.unsafe = opts.unsafe_fixes;
    fo.exit_zero = opts.exit_zero;
    fo.baseline = opts.baseline;
    fo.format = *report::parse_format(opts.format);
    fo.text = {use_color(opts.color, false), opts.quiet, opts.unsafe_fixes};
    fo.stdin_name = opts.stdin_filename;
    std::vector<engine::FileOptions> per_file;
    for (const auto& settings : plan.settings) per_file.push_back(settings.lint);
    return fix::run(paths, per_file, plan.blocked, stdin_bytes, stdin_error, fo);
  }
  unsigned jobs = opts.jobs ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());
  // The cache answers for files whose findings depend only on their bytes, path and options
  // (docs/scale.md); --fix and --diff returned above, replay and stdin bypass it per file.
  std::unique_ptr<scale::Cache> cache = scale::open_cache(opts.corpus);
  if (scale::streams_json_lines(opts.format, opts.statistics, opts.baseline, opts.output_file, plan))
    return scale::stream_json_lines(plan, opts.stdin_filename, stdin_error, opts.exit_zero, opts.corpus.verbose, cache.get(),
                                    elapsed_seconds, [&](const scale::Sink& sink) {
                                      lint_planned(plan, jobs, stdin_bytes, opts, cache.get(), sink);
                                    });
  auto results = lint_planned(plan, jobs, stdin_bytes, opts, cache.get());
  scale::finish_cache(cache.get(), opts.corpus.verbose);
  for (size_t i = 0; i < paths.size() && !stdin_error.empty(); ++i)
    if (paths[i] == "-" && plan.blocked[i].empty()) results[i] = {opts.stdin_filename, {}, stdin_error};
  bool failed = !plan.errors.empty();
  for (const auto& r : results) {
    if (!r.error) continue;
    std::cerr << "error: " << r.path << ": " << *r.error << "\n";
    failed = true;
  }
  // A baseline written without an unreadable notebook's findings would hide nothing there later.
  if (failed && opts.write_baseline) {
    std::cerr << "error: the baseline was not written because some files could not be linted\n";
    return 2;
  }
  std::string baseline_summary;
  std::vector<engine::Selection> selections;
  for (const auto& s : plan.settings) selections.push_back(s.lint.selection);
  if (int status = use_baseline(opts, results, selections, baseline_summary); status >= 0) return status;
  // Replay only what will be reported: after suppressions and the baseline.
  std::vector<bool> replay_failed = replay_files(results, plan.settings);
  if (report::parse_format(opts.format) == report::Format::Sarif) fix::locate_fixes(results, paths, stdin_bytes);
  if (!write_report(opts, results, baseline_summary)) return 2;
  if (!opts.replay_report.empty()) {
    std::ostringstream page;
    report::write_replay_html(page, results);
    std::string error = engine::write_file_atomically(opts.replay_report, page.str());
    if (!error.empty()) {
      std::cerr << "error: cannot write " << opts.replay_report << ": " << error << "\n";
      return 2;
    }
  }
  if (failed) return 2;
  if (opts.exit_zero) return 0;
  bool any = false;
  for (size_t i = 0; i < results.size(); ++i) {
    const engine::FailOn& fail_on = plan.settings[i].fail_on;
    // A gate on confirmed findings cannot pass when nothing could be confirmed.
    if (fail_on.needs_replay() && replay_failed[i] && !results[i].findings.empty()) return 2;
    for (const auto& f : results[i].findings) any = any || fail_on.fails(f);
  }
  return any ? 1 : 0;
}

int list_rules(const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& r : engine::all_rules())
      all.push_back({{"code", r.code}, {"name", r.name}, {"severity", engine::severity_name(r.severity)},
                     {"family", r.family}, {"summary", r.summary}, {"replay", r.replay}, {"default", r.default_on}});
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : engine::all_rules())
    std::cout << r.code << "  " << r.name << std::string(r.name.size() < 34 ? 34 - r.name.size() : 1, ' ')
              << engine::severity_name(r.severity) << std::string(9 - std::strlen(engine::severity_name(r.severity)), ' ')
              << (r.default_on ? "default  " : "opt-in   ") << r.summary << "\n";
  return 0;
}

int explain(const std::string& which) {
  const engine::RuleInfo* rule = engine::find_rule(which);
  if (!rule) {
    std::cerr << "error: no rule named `" << which << "` (see `lstm-lint rules`)\n";
    return 2;
  }
  std::cout << rule->doc;
  if (!rule->doc.empty() && rule->doc.back() != '\n') std::cout << "\n";
  return 0;
}

int clean_cache(const std::string& option) {
  std::string dir = scale::cache_directory(option);
  std::string error = scale::remove_cache(dir);
  if (error.empty()) return 0;
  std::cerr << "error: " << error << "\n";
  return 2;
}

// `lstm-lint [options] PATH...` means `lstm-lint check [options] PATH...`.
std::vector<std::string> with_default_subcommand(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  static const char* top_level[] = {"check", "rules", "explain", "server", "debug", "clean", "stats", "generate", "--version", "-V", "--help", "-h"};
  bool explicit_command = !args.empty() && std::any_of(std::begin(top_level), std::end(top_level),
                                                       [&](const char* t) { return args.front() == t; });
  if (!explicit_command) args.insert(args.begin(), "check");
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lstm-lint: finds the bugs that make LSTM/RNN notebooks learn nothing, leak state or crash."};
  app.name("lstm-lint");
  app.set_version_flag("-V,--version", cli::version_line(), "Print the version and the git commit it was built from, and exit");
  app.require_subcommand(1);
  app.footer(cli::exit_status_footer());
  // What each option's value is, for the generated man pages and completions (cli/generate.h).
  cli::Hints hints;
  using cli::ValueKind;

  CheckOptions opts;
  auto* check = app.add_subcommand("check", "Lint notebooks (the default command)");
  hints.hint(check->add_option("paths", opts.paths, "Notebooks, percent scripts (.py) or directories (searched for *.ipynb and .py with `# %%`); - reads stdin")->default_val(std::vector<std::string>{"."}), ValueKind::File, "PATH");
  std::vector<std::string> format_names;
  for (const auto& f : report::formats()) format_names.push_back(f.first);
  hints.choose(check->add_option("--format", opts.format, "Output format (docs/output-formats.md)"), format_names, "FORMAT");
  hints.hint(check->add_option("-o,--output-file", opts.output_file, "Write the report to this file (replaced atomically) instead of stdout"),
             ValueKind::File, "PATH");
  check->add_flag("--statistics", opts.statistics, "Count findings per rule instead of listing them (text or json)");
  hints.hint(check->add_option("--select", opts.select, "Rules to enable: codes, names or code prefixes (comma-separated)"), ValueKind::RuleList, "RULES")
      ->delimiter(',')->allow_extra_args(false);
  hints.hint(check->add_option("--extend-select", opts.extend_select,
                               "Rules to enable in addition to the selected (by default, the default set); e.g. LSTM311"),
             ValueKind::RuleList, "RULES")
      ->delimiter(',')->allow_extra_args(false);
  hints.hint(check->add_option("--ignore", opts.ignore, "Rules to disable: codes, names or code prefixes (comma-separated)"), ValueKind::RuleList, "RULES")
      ->delimiter(',')->allow_extra_args(false);
  check->add_flag("--exit-zero", opts.exit_zero, "Exit 0 even when findings are reported");
  check->add_flag("-q,--quiet", opts.quiet, "Print findings only: no code frames, no summary");
  hints.choose(check->add_option("--color", opts.color, "Colour output (NO_COLOR is honoured in auto mode)"), {"auto", "always", "never"}, "WHEN");
  hints.hint(check->add_option("--stdin-filename", opts.stdin_filename, "The name to report for a notebook read from stdin"), ValueKind::Text, "NAME");
  hints.hint(check->add_option("-j,--jobs", opts.jobs, "Files linted in parallel (default: one per core); output order does not change"),
             ValueKind::Number, "N");
  check->add_flag("--debug-tree", opts.debug_tree, "Print each code cell's masked source and syntax tree");
  check->add_flag("--replay", opts.replay, "Confirm findings by experiments on a LibTorch reference model (lstm-lint-replay)");
  hints.hint(check->add_option("--report", opts.replay_report,
                               "Write the replay report (curves, measured numbers, spec) to this self-contained HTML file; "
                               "implies --replay"),
             ValueKind::File, "FILE.html");
  hints.hint(check->add_option("--replay-budget", opts.replay_options.budget_seconds, "Seconds allowed per replay experiment"),
             ValueKind::Number, "SECONDS")
      ->check(CLI::Range(0.1, 600.0));
  hints.hint(check->add_option("--replay-memory", opts.replay_options.memory_mb, "Memory limit of the replay process, in MiB"),
             ValueKind::Number, "MIB")
      ->check(CLI::Range(256, 65536));
  hints.hint(check->add_option("--replay-executable", opts.replay_options.executable, "Path of lstm-lint-replay (default: next to lstm-lint, then PATH)"),
             ValueKind::File, "PATH");
  hints.choose(check->add_option("--fail-on", opts.fail_on,
                                 "Exit 1 only for findings of this severity or above (error, warning, info: the default), or "
                                 "confirmed (findings replay confirmed; implies --replay)"),
               engine::fail_on_names(), "LEVEL");
  auto* baseline = hints.hint(check->add_option("--baseline", opts.baseline, "Do not report the findings recorded in this file (docs/suppressions.md)"),
                              ValueKind::File, "FILE");
  check->add_flag("--fix", opts.fix, "Apply the safe fixes (marked [*]) to the notebooks in place; without it nothing is written (docs/fixes.md)");
  check->add_flag("--unsafe-fixes", opts.unsafe_fixes, "Also apply (with --fix) or show (with --diff) the fixes that may change behaviour");
  check->add_flag("--diff", opts.diff, "Print the fixes as per-cell unified diffs instead of writing them; exit 1 when there is something to fix")
      ->excludes("--fix");
  check->add_flag("--write-baseline", opts.write_baseline, "Record every current finding in the --baseline file, and exit 0")->needs(baseline);
  auto* config_file = hints.hint(check->add_option("--config", opts.config, "Use this configuration file for every notebook (no discovery; docs/configuration.md)"),
                                 ValueKind::File, "FILE");
  check->add_flag("--isolated", opts.isolated, "Ignore all configuration files")->excludes(config_file);
  check->add_flag("--skip-plain-py", opts.skip_plain_py, "Skip named .py files that hold no `# %%` cell marker (the pre-commit hook passes every .py)");

  auto* server_cmd = app.add_subcommand("server", "Language server (LSP 3.17, notebook documents) over stdio (docs/editors.md)");
  hints.hint(check->add_option("--files-from", opts.corpus.files_from, "Also lint the paths listed in this file, one per line (- : stdin; docs/scale.md)"),
             ValueKind::File, "FILE");
  check->add_flag("--null", opts.corpus.null_separated, "The --files-from list is NUL-separated (find -print0)");
  hints.hint(check->add_option("--shard", opts.corpus.shard, "Lint only shard K of N (1 <= K <= N): a stable split of the files by path hash"),
             ValueKind::Text, "K/N");
  hints.hint(check->add_option("--cache-dir", opts.corpus.cache_dir, "Cache directory (default: LSTM_LINT_CACHE_DIR, else .lstm_lint_cache)"),
             ValueKind::Directory, "DIR");
  check->add_flag("--no-cache", opts.corpus.no_cache, "Neither read nor write the cache");
  check->add_flag("-v,--verbose", opts.corpus.verbose, "Say on stderr how the cache answered (hits, misses, damaged entries)");

  std::string rules_format = "text";
  auto* rules = app.add_subcommand("rules", "List every rule");
  hints.choose(rules->add_option("--format", rules_format, "Output format"), {"text", "json"}, "FORMAT");

  std::string which;
  auto* explain_cmd = app.add_subcommand("explain", "Print a rule's documentation");
  hints.hint(explain_cmd->add_option("rule", which, "Rule code or name")->required(), ValueKind::Rule, "RULE");

  auto* debug_cmd = app.add_subcommand("debug", "Views for rule authors (docs/values.md)");
  auto* values_cmd = debug_cmd->add_subcommand("values", "Each name's abstract value after each cell, and every recurrent call");
  std::string values_path;
  int values_cell = 0;
  hints.hint(values_cmd->add_option("notebook", values_path, "The notebook")->required(), ValueKind::File, "NOTEBOOK");
  hints.hint(values_cmd->add_option("--cell", values_cell, "Only this cell (1-based)"), ValueKind::Number, "N");
  debug_cmd->require_subcommand(1);
  std::string clean_dir;
  auto* clean = app.add_subcommand("clean", "Remove the cache directory");
  hints.hint(clean->add_option("--cache-dir", clean_dir, "Cache directory (default: LSTM_LINT_CACHE_DIR, else .lstm_lint_cache)"),
             ValueKind::Directory, "DIR");

  std::vector<std::string> merge_files;
  std::string merge_format = "text";
  bool merge_quiet = false;
  auto* stats = app.add_subcommand("stats", "Statistics over json-lines outputs");
  stats->require_subcommand(1);
  auto* merge = stats->add_subcommand("merge", "Print the --statistics of the runs (e.g. shards) whose json-lines outputs are given");
  hints.hint(merge->add_option("files", merge_files, "json-lines outputs of lstm-lint")->required(), ValueKind::File, "FILE");
  hints.choose(merge->add_option("--format", merge_format, "Output format"), {"text", "json"}, "FORMAT");
  merge->add_flag("-q,--quiet", merge_quiet, "No summary line");

  // Hidden: the build writes the man pages and completions with it (cmake/Packaging.cmake).
  std::string generate_what, generate_shell, generate_docs, generate_date, generate_output;
  auto* generate_cmd = app.add_subcommand("generate", "Write a man page or a shell completion script to stdout");
  generate_cmd->group("");
  generate_cmd->add_option("what", generate_what, "man1, man7 or completion")->required();
  generate_cmd->add_option("shell", generate_shell, "bash, zsh or fish (for completion)");
  generate_cmd->add_option("--docs", generate_docs, "The docs/ folder of the source tree (man1 includes parts of it)");
  generate_cmd->add_option("--date", generate_date, "The date the man pages give");
  generate_cmd->add_option("-o,--output", generate_output, "Write to this file (atomically; nothing on failure) instead of stdout");

  try {
    app.parse(with_default_subcommand(argc, argv));
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (const char* name : {"--select", "--ignore", "--fail-on", "--replay-budget", "--replay-memory", "paths"})
    if (check->count(name) > 0) opts.given.insert(name);
  opts.corpus.shard_given = check->count("--shard") > 0;
  try {
    if (*generate_cmd) {
      std::ostringstream text;
      int status = cli::generate(app, hints, generate_what, generate_shell, generate_docs, generate_date, text);
      if (status != 0 || generate_output.empty()) {
        std::cout << text.str();
        return status;
      }
      std::string error = engine::write_file_atomically(generate_output, text.str());
      if (error.empty()) return 0;
      std::cerr << "error: cannot write " << generate_output << ": " << error << "\n";
      return 2;
    }
    if (*rules) return list_rules(rules_format);
    if (*explain_cmd) return explain(which);
    if (*values_cmd) return cli::debug_values(values_path, values_cell, std::cout);
    if (*server_cmd) return server::run_stdio();
    if (opts.skip_plain_py)
      opts.paths.erase(std::remove_if(opts.paths.begin(), opts.paths.end(),
                                      [](const std::string& p) { return notebook::is_percent_path(p) && !notebook::file_has_cell_marker(p); }),
                       opts.paths.end());
    if (*clean) return clean_cache(clean_dir);
    if (*merge) return scale::stats_merge(merge_files, merge_format == "json", merge_quiet);
    return run_check(opts);
  } catch (const std::exception& e) {
    std::cerr << "error: internal error: " << e.what() << "\n";
    return 2;
  }
}
