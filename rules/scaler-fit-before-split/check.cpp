// scaler-fit-before-split: a scaler (or a manual normalisation) fit on the whole series, which
// is split into training and test parts only afterwards. Asks the value-flow model where the
// fitted data came from and which later splits cut what the fit produced.
#include <map>
#include <set>
#include <vector>

#include "engine/registry.h"
#include "semantic/interpreter.h"

namespace lstmlint::rules {

namespace {

std::string shorten(std::string_view text) {
  return text.size() > 60 ? std::string(text.substr(0, 57)) + "..." : std::string(text);
}

// The value-flow view: a scikit-learn scaler fit on the whole data set as loaded, whose output
// (or whose transform of it) is split afterwards, through helpers, containers and windows.
void report_leaking_splits(const engine::Context& ctx, engine::Diagnostics& out) {
  std::set<std::pair<int, int>> fits;  // one finding per fit line
  const auto& model = ctx.model;
  const auto& values = model.values();
  // One finding per fit: every later split of what it produced is the same leak, reached again.
  std::map<int, std::vector<const semantic::LeakingSplit*>> by_fit;
  std::vector<int> order;
  for (const auto& leak : values.leaking_splits()) {
    auto& splits = by_fit[leak.fit];
    if (splits.empty()) order.push_back(leak.fit);
    splits.push_back(&leak);
  }
  for (int index : order) {
    const auto& fit = values.scaler_fits()[static_cast<size_t>(index)];
    Span at = model.span_of(fit.node, fit.cell);
    if (!fits.insert({at.start.cell, at.start.line}).second) continue;
    const auto& leak = *by_fit[index].front();
    Span split = model.span_of(leak.node, leak.cell);
    std::string data = python::null(fit.data) ? "the whole data set" : "all of `" + shorten(model.text_of(fit.data, fit.cell)) + "`";
    auto& finding = out.report(at,
               "`" + shorten(model.text_of(fit.node, fit.cell)) + "` takes its statistics from " + data +
               ", and what it produces is split into training and test parts only afterwards (`" +
                   shorten(model.text_of(leak.node, leak.cell)) + "`, cell " +
                   std::to_string(split.start.cell) + ":" + std::to_string(split.start.line) +
                   "): the minimum/maximum or mean/std of the test period leak into the training inputs, so the "
                   "test score is optimistic",
               "Split first, fit the scaler on the training part only (`scaler.fit(train)`), then `transform` both "
               "parts with it");
    for (size_t k = 0; k < by_fit[index].size(); ++k) {
      const auto& again = *by_fit[index][k];
      out.relate(finding, model.span_of(again.node, again.cell),
                 k == 0 ? "what the fit produced is split here" : "what the same fit produced is split here too");
    }
  }
}

}  // namespace

void check_scaler_fit_before_split(const engine::Context& ctx, engine::Diagnostics& out) {
  report_leaking_splits(ctx, out);
}

}  // namespace lstmlint::rules
