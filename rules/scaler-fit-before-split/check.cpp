// scaler-fit-before-split: a scaler (or a manual normalisation) fit on the whole series, which
// is split into training and test parts only afterwards.
#include <map>
#include <set>
#include <vector>

#include "engine/registry.h"
#include "semantic/data_flow.h"

namespace lstmlint::rules {

namespace {

// The value-flow view: a scikit-learn scaler fit on the whole data set as loaded, whose output
// (or whose transform of it) is split afterwards, through helpers, containers and windows.
void report_leaking_splits(const engine::Context& ctx, engine::Diagnostics& out, std::set<std::pair<int, int>>& fits) {
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
    auto& finding = out.report(at,
               "`" + std::string(model.text_of(fit.node, fit.cell)).substr(0, 60) + "` takes its statistics from the "
               "whole data set as loaded, and what it produces is split into training and test parts only afterwards (`" +
                   std::string(model.text_of(leak.node, leak.cell)).substr(0, 60) + "`, cell " +
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
  const auto& model = ctx.model;
  std::set<std::pair<int, int>> fits;
  report_leaking_splits(ctx, out, fits);  // the value-flow view first: it knows every split of the leak
  for (const auto& fit : semantic::scaler_fits(model)) {
    if (fit.on_training_part) continue;
    std::vector<std::string> names{fit.data};
    if (!fit.result.empty()) names.push_back(fit.result);
    int split_cell = 0;
    TSNode split = semantic::split_after(model, names, fit.cell, ts_node_end_byte(fit.node), split_cell);
    if (python::null(split)) continue;
    Span where = model.span_of(split, split_cell);
    Span at = model.span_of(fit.node, fit.cell);
    if (!fits.insert({at.start.cell, at.start.line}).second) continue;
    out.report(model.span_of(fit.node, fit.cell),
               "`" + (fit.how.size() > 60 ? fit.how.substr(0, 57) + "..." : fit.how) + "` takes its statistics from all "
               "of `" + fit.data + "`, which is split into training and test parts only later (`" + std::string(model.text_of(split, split_cell)) + "`, cell " +
                   std::to_string(where.start.cell) + "): the minimum/maximum or mean/std of the test period leak "
                   "into the training inputs, so the test score is optimistic",
               "Split first, fit the scaler on the training part only (`scaler.fit(train)`), then `transform` both "
               "parts with it");
  }
}

}  // namespace lstmlint::rules
