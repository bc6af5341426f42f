// error-in-output: saved error outputs, explained by the LSTM error catalog (catalog.json).
#include <cctype>
#include <regex>

#include <nlohmann/json.hpp>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

struct CatalogEntry {
  std::string id, title, cause, fix, rule;
  std::regex pattern;
};

const std::vector<CatalogEntry>& catalog(const engine::RuleInfo& rule) {
  static const std::vector<CatalogEntry> entries = [&] {
    std::vector<CatalogEntry> out;
    auto doc = nlohmann::json::parse(rule.data("catalog.json"));
    for (const auto& e : doc.at("entries")) {
      CatalogEntry entry;
      entry.id = e.at("id").get<std::string>();
      entry.title = e.value("title", "");
      entry.cause = e.value("cause", "");
      entry.fix = e.value("fix", "");
      if (e.contains("rule") && e.at("rule").is_string()) entry.rule = e.at("rule").get<std::string>();
      entry.pattern = std::regex(e.at("pattern").get<std::string>(), std::regex::ECMAScript | std::regex::optimize);
      out.push_back(std::move(entry));
    }
    return out;
  }();
  return entries;
}

const CatalogEntry* match(const engine::RuleInfo& rule, const std::string& error) {
  // Bounded: std::regex backtracks recursively, and a saved message can be huge.
  std::string text = error.substr(0, 4000);
  for (const auto& entry : catalog(rule))
    if (std::regex_search(text, entry.pattern)) return &entry;
  return nullptr;
}

// The cell line the traceback points at: "----> 5 loss.backward()" in the cell's own frame.
int traceback_line(const std::vector<std::string>& traceback) {
  for (const auto& frame : traceback) {
    bool cell_frame = frame.find("Cell In[") != std::string::npos || frame.find("Cell In [") != std::string::npos ||
                      frame.find("<ipython-input-") != std::string::npos;
    if (!cell_frame) continue;
    size_t arrow = frame.find("--> ");
    if (arrow == std::string::npos) return 0;
    size_t i = arrow + 4;
    int line = 0;
    while (i < frame.size() && std::isdigit(static_cast<unsigned char>(frame[i]))) line = line * 10 + (frame[i++] - '0');
    return line;
  }
  return 0;
}

std::string first_line(const std::string& text, size_t limit) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > limit) line = line.substr(0, limit) + "...";
  return line;
}

// Whether running the cell takes many steps: it trains, runs a loop, calls a notebook function
// that loops, or fits a Keras model. A KeyboardInterrupt there stopped a long run midway.
bool runs_long(const semantic::Model& model, int cell) {
  const auto& info = model.cell(cell);
  if (info.trains()) return true;
  for (const auto& loop : model.loops())
    if (loop.cell == cell && loop.function < 0) return true;
  for (int id : info.calls) {
    const auto& c = model.calls()[static_cast<size_t>(id)];
    if (c.method == "fit" || c.method == "fit_generator" || c.method == "train_on_batch") return true;
    if (c.target_function >= 0)
      for (const auto& loop : model.loops())
        if (loop.function == c.target_function) return true;
  }
  return false;
}

// A saved KeyboardInterrupt in a long-running (training) cell: the user stopped it, which is
// not a failure of the code, but every output saved after it comes from a part-trained model
// that a top-down run, running to the end, does not reproduce (docs: rules/error-in-output).
void report_interrupt(const engine::Context& ctx, engine::Diagnostics& out, const notebook::Cell& cell, Span span) {
  const auto& history = ctx.model.history();
  auto count = history.count(cell.index);
  std::string later;
  int shown = 0, more = 0;
  if (count)
    for (int other : history.order) {
      auto c = history.count(other);
      if (!c || *c <= *count || other == cell.index) continue;
      if (shown < 3) later += std::string(shown ? ", " : "") + "cell " + std::to_string(other) + " (In [" + std::to_string(*c) + "])";
      else ++more;
      ++shown;
    }
  if (more) later += " and " + std::to_string(more) + " more";
  std::string message = "the run of this cell was interrupted (a saved KeyboardInterrupt" +
                        (count ? ", In [" + std::to_string(*count) + "]" : std::string()) +
                        "): the model was left part-trained at whatever step the interrupt hit";
  message += later.empty() ? ", and the notebook was saved in that state: a top-down run trains to the end and "
                             "will not reproduce what is saved"
                           : "; " + later + " ran after it, on that state (unless they rebuild or reload the "
                             "model), and a top-down run, training to the end, will not reproduce their outputs";
  out.report(span, message,
             "Let the cell finish (fewer epochs, or stop from code with early stopping) and re-run the cells "
             "after it before saving, or clear the interrupted output");
}

}  // namespace

void check_error_in_output(const engine::Context& ctx, engine::Diagnostics& out) {
  for (const auto& cell : ctx.notebook.cells) {
    if (cell.kind != notebook::CellKind::Code) continue;
    for (const auto& output : cell.outputs) {
      if (output.kind != notebook::OutputKind::Error) continue;
      int line = traceback_line(output.traceback);
      Span span = line >= 1 && line <= static_cast<int>(ctx.model.cell(cell.index).line_starts.size())
                      ? ctx.line_span(cell.index, line)
                      : ctx.cell_head(cell.index);
      // An interrupt is the user's choice, not a failure of the code: reported only where it
      // stopped a long run (training), whose part-trained state the later outputs come from.
      if (output.ename == "KeyboardInterrupt") {
        if (runs_long(ctx.model, cell.index)) report_interrupt(ctx, out, cell, span);
        continue;
      }
      std::string error = output.ename + ": " + output.evalue;
      std::string message = "saved error `" + first_line(error, 160) + "`";
      std::string help = "Fix the cause, re-run the cell and save the notebook with its new output";
      std::string cause_rule;
      if (const CatalogEntry* entry = match(ctx.rule, error)) {
        message += ": " + entry->title + " — " + entry->cause;
        help = entry->fix;
        if (!entry->rule.empty()) help += " (rule `" + entry->rule + "` finds the cause in code)";
        cause_rule = entry->rule;
      }
      auto& f = out.report(span, message, help);
      // One bug, one finding: where the rule that finds the cause reports it, this traceback is
      // that finding's related location (the runner folds it in).
      f.explained_by = cause_rule;
      f.as_related = "the saved run failed here with `" + first_line(error, 120) + "`";
    }
  }
}

}  // namespace lstmlint::rules
