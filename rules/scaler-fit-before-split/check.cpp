// scaler-fit-before-split: a scaler (or a manual normalisation) fit on the whole series, which
// is split into training and test parts only afterwards.
#include <set>

#include "engine/registry.h"
#include "semantic/data_flow.h"

namespace lstmlint::rules {

namespace {

// The value-flow view: a scikit-learn scaler fit on the whole data set as loaded, whose output
// (or whose transform of it) is split afterwards, through helpers, containers and windows.
void report_leaking_splits(const engine::Context& ctx, engine::Diagnostics& out, std::set<std::pair<int, int>>& fits) {
  const auto& model = ctx.model;
  const auto& values = model.values();
  std::set<int> done;
  for (const auto& leak : values.leaking_splits()) {
    const auto& fit = values.scaler_fits()[static_cast<size_t>(leak.fit)];
    Span at = model.span_of(fit.node, fit.cell);
    if (!done.insert(leak.fit).second || !fits.insert({at.start.cell, at.start.line}).second) continue;
    Span split = model.span_of(leak.node, leak.cell);
    out.report(at,
               "`" + std::string(model.text_of(fit.node, fit.cell)).substr(0, 60) + "` takes its statistics from the "
               "whole data set as loaded, and what it produces is split into training and test parts only afterwards (`" +
                   std::string(model.text_of(leak.node, leak.cell)).substr(0, 60) + "`, cell " +
                   std::to_string(split.start.cell) + ":" + std::to_string(split.start.line) +
                   "): the minimum/maximum or mean/std of the test period leak into the training inputs, so the "
                   "test score is optimistic",
               "Split first, fit the scaler on the training part only (`scaler.fit(train)`), then `transform` both "
               "parts with it");
  }
}

}  // namespace

void check_scaler_fit_before_split(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<std::pair<int, int>> fits;
  for (const auto& fit : semantic::scaler_fits(model)) {
    if (fit.on_training_part) continue;
    std::vector<std::string> names{fit.data};
    if (!fit.result.empty()) names.push_back(fit.result);
    int split_cell = 0;
    TSNode split = semantic::split_after(model, names, fit.cell, ts_node_end_byte(fit.node), split_cell);
    if (python::null(split)) continue;
    Span where = model.span_of(split, split_cell);
    Span at = model.span_of(fit.node, fit.cell);
    fits.insert({at.start.cell, at.start.line});
    out.report(model.span_of(fit.node, fit.cell),
               "`" + (fit.how.size() > 60 ? fit.how.substr(0, 57) + "..." : fit.how) + "` takes its statistics from all "
               "of `" + fit.data + "`, which is split into training and test parts only later (`" + std::string(model.text_of(split, split_cell)) + "`, cell " +
                   std::to_string(where.start.cell) + "): the minimum/maximum or mean/std of the test period leak "
                   "into the training inputs, so the test score is optimistic",
               "Split first, fit the scaler on the training part only (`scaler.fit(train)`), then `transform` both "
               "parts with it");
  }
  report_leaking_splits(ctx, out, fits);
}

}  // namespace lstmlint::rules
