// training-resumed-on-stale-model: the training cell's count leaves gaps after the model's
// creation that only further runs of the training cell can explain.
#include <algorithm>
#include <set>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

// The names of models this cell trains: read when it runs, or owned by an optimizer it steps.
std::set<std::string> trained_models(const semantic::Model& model, const semantic::CellInfo& cell) {
  std::set<std::string> names;
  for (const auto& created : model.model_creations())
    if (cell.runtime_reads.count(created.name)) names.insert(created.name);
  for (const auto& effect : cell.effects) {
    if (effect.method != "step") continue;
    for (const auto& opt : model.optimizer_creations())
      if (opt.name == effect.object) names.insert(opt.models.begin(), opt.models.end());
  }
  return names;
}

}  // namespace

void check_training_resumed_on_stale_model(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  const auto& history = model.history();
  if (!history.reliable()) return;
  for (const auto& cell : model.cells()) {
    auto trained_at = history.count(cell.index);
    if (!trained_at || !cell.trains()) continue;
    // A missing count k is accounted for when some other cell shows a count above k: that
    // cell may have run at k too. Only counts above every other cell's count are unexplained.
    long long max_other = 0;
    for (const auto& [other, count] : history.counts)
      if (other != cell.index) max_other = std::max(max_other, count);
    for (const auto& name : trained_models(model, cell)) {
      const semantic::ModelCreation* created = nullptr;
      long long created_at = 0;
      bool created_here = false;
      for (const auto& c : model.model_creations()) {
        if (c.name != name) continue;
        if (c.cell == cell.index) created_here = true;
        auto count = history.count(c.cell);
        if (count && *count < *trained_at && *count > created_at) {
          created = &c;
          created_at = *count;
        }
      }
      if (created_here || !created) continue;
      std::vector<long long> unaccounted;
      for (long long k = std::max(created_at, max_other) + 1; k < *trained_at; ++k)
        if (std::binary_search(history.missing.begin(), history.missing.end(), k)) unaccounted.push_back(k);
      if (unaccounted.empty()) continue;
      size_t n = unaccounted.size();
      out.report(ctx.cell_head(cell.index),
                 "this training cell shows In [" + std::to_string(*trained_at) + "] but `" + name +
                     "` was created at In [" + std::to_string(created_at) + "] (cell " + std::to_string(created->cell) +
                     "), and " + std::to_string(n) + (n == 1 ? " execution" : " executions") +
                     " in between (In [" + std::to_string(unaccounted.front()) + "]" +
                     (n > 1 ? "..In [" + std::to_string(unaccounted.back()) + "]" : "") +
                     ") no other cell accounts for: it most likely ran again on the already-trained `" + name +
                     "`, so the saved losses do not start from scratch and a top-down run will not reproduce them",
                 "Restart the kernel and run all cells top to bottom, or re-create `" + name + "` (cell " +
                     std::to_string(created->cell) + ") before each training run");
      break;
    }
  }
}

}  // namespace lstmlint::rules
