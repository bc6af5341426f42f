// shuffled-time-series-split: train_test_split (shuffle defaults to True), random_split, or a
// shuffled KFold/ShuffleSplit applied to windows cut from one series.
#include "engine/registry.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {
namespace {

using semantic::Call;
using semantic::Model;

// The windows a split receives: the array itself, or the first tensor of a TensorDataset.
bool splits_windows(const Model& model, const Call& split, TSNode data, std::string& source) {
  if (python::is(data, "identifier") && !model.is_local(std::string(model.text_of(data, split.cell)), split.scope)) {
    const auto* b = model.reaching_binding(std::string(model.text_of(data, split.cell)), split.cell, ts_node_start_byte(data));
    const Call* c = b ? model.call_for(b->value, b->cell) : nullptr;
    if (c && c->qualified.find("TensorDataset") != std::string::npos && !c->args.empty())
      return semantic::is_windowed(model, c->args[0].node, c->cell, 0, &source);
  }
  const Call* inline_dataset = model.call_for(data, split.cell);  // random_split(TensorDataset(X, y), ...)
  if (inline_dataset && inline_dataset->qualified.find("TensorDataset") != std::string::npos && !inline_dataset->args.empty())
    return semantic::is_windowed(model, inline_dataset->args[0].node, split.cell, split.scope, &source);
  return semantic::is_windowed(model, data, split.cell, split.scope, &source);
}

bool shuffling_splitter(const Call& splitter_call) {
  const std::string& q = splitter_call.qualified;
  if (q == "sklearn.model_selection.ShuffleSplit" || q == "sklearn.model_selection.StratifiedShuffleSplit") return true;
  if (q != "sklearn.model_selection.KFold" && q != "sklearn.model_selection.StratifiedKFold") return false;
  const auto* shuffle = splitter_call.argument(1, "shuffle");
  return shuffle && shuffle->value.as_bool() == true;
}

}  // namespace

void check_shuffled_time_series_split(const engine::Context& ctx, engine::Diagnostics& out) {
  const Model& model = ctx.model;
  for (const Call& c : model.calls()) {
    std::string what;
    TSNode data{};
    if (c.qualified == "sklearn.model_selection.train_test_split" && !c.args.empty()) {
      const auto* shuffle = c.keyword("shuffle");
      if (shuffle && shuffle->value.as_bool() != true) continue;  // False, or unknown
      data = c.args[0].node;
      what = shuffle ? "`shuffle=True`" : "`train_test_split` shuffles by default";
    } else if (c.qualified == "torch.utils.data.random_split" || c.qualified == "torch.utils.data.dataset.random_split") {
      if (c.args.empty()) continue;
      data = c.args[0].node;
      what = "`random_split` draws a random permutation";
    } else if (c.method == "split" && !c.receiver.empty() && !c.args.empty()) {
      const auto* b = model.reaching_binding(c.receiver, c.cell, ts_node_start_byte(c.node));
      const Call* splitter = b ? model.call_for(b->value, b->cell) : nullptr;
      if (!splitter || !shuffling_splitter(*splitter)) continue;
      data = c.args[0].node;
      what = "`" + splitter->callee + "` shuffles the folds";
    } else {
      continue;
    }
    std::string source;
    if (python::null(data) || !splits_windows(model, c, data, source)) continue;
    out.report(c.span,
               "`" + std::string(model.text_of(data, c.cell)) + "` holds overlapping windows cut from one series" +
                   (source.empty() ? std::string() : " (`" + source + "`)") + ", and " + what +
                   ": training windows interleave with test windows and share their time steps, so the test score "
                   "measures interpolation of seen data, not forecasting of the future",
               "Split by time: the first part for training, the rest for testing (`shuffle=False`, slicing, or "
               "`sklearn.model_selection.TimeSeriesSplit`); shuffle only inside the training part");
  }
}

}  // namespace lstmlint::rules
