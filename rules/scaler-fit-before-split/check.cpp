// scaler-fit-before-split: a scaler (or a manual normalisation) fit on the whole series, which
// is split into training and test parts only afterwards.
#include "engine/registry.h"
#include "semantic/data_flow.h"

namespace lstmlint::rules {

void check_scaler_fit_before_split(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& fit : semantic::scaler_fits(model)) {
    if (fit.on_training_part) continue;
    std::vector<std::string> names{fit.data};
    if (!fit.result.empty()) names.push_back(fit.result);
    int split_cell = 0;
    TSNode split = semantic::split_after(model, names, fit.cell, ts_node_end_byte(fit.node), split_cell);
    if (python::null(split)) continue;
    Span where = model.span_of(split, split_cell);
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
