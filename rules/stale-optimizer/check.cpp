// stale-optimizer: the optimizer was built before the model it optimizes was re-created,
// and a training step ran after that.
#include <set>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

// The latest-run item (by its cell's count) that ran before `before`.
template <typename Item>
const Item* latest_before(const std::vector<Item>& items, const std::string& name,
                          const semantic::ExecutionHistory& history, long long before) {
  const Item* best = nullptr;
  long long best_count = 0;
  for (const Item& item : items) {
    if (item.name != name) continue;
    auto count = history.count(item.cell);
    if (!count || *count >= before || *count < best_count) continue;
    best = &item;
    best_count = *count;
  }
  return best;
}

template <typename Item>
bool created_in(const std::vector<Item>& items, const std::string& name, int cell) {
  for (const Item& item : items)
    if (item.name == name && item.cell == cell) return true;
  return false;
}

std::string in(long long count) { return "In [" + std::to_string(count) + "]"; }

}  // namespace

void check_stale_optimizer(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  const auto& history = model.history();
  if (!history.reliable()) return;
  std::set<int> reported;
  for (const auto& cell : model.cells()) {
    auto trained_at = history.count(cell.index);
    if (!trained_at || !cell.trains()) continue;
    for (const auto& effect : cell.effects) {
      if (effect.method != "step" || effect.object.empty()) continue;
      if (created_in(model.optimizer_creations(), effect.object, cell.index)) continue;
      const auto* opt = latest_before(model.optimizer_creations(), effect.object, history, *trained_at);
      if (!opt || reported.count(opt->call)) continue;
      long long opt_count = *history.count(opt->cell);
      for (const auto& net : opt->models) {
        if (created_in(model.model_creations(), net, cell.index)) continue;
        const auto* created = latest_before(model.model_creations(), net, history, *trained_at);
        if (!created || created->cell == opt->cell) continue;
        long long created_count = *history.count(created->cell);
        if (created_count <= opt_count) continue;
        reported.insert(opt->call);
        const auto& call = model.calls()[static_cast<size_t>(opt->call)];
        engine::ReplayHint hint;
        hint.facts.push_back(engine::Fact::text("optimizer_over", "old_model", call.span,
                                                "cell " + std::to_string(created->cell) + " re-created `" + net + "` later"));
        if (created->class_id >= 0) {
          const auto& layers = model.recurrent_layers();
          for (size_t i = 0; i < layers.size() && hint.layer < 0; ++i)
            if (layers[i].cls == created->class_id) hint.layer = static_cast<int>(i);
        }
        out.report(call.span,
                   "`" + opt->name + "` was built here (" + in(opt_count) + ") from `" + net +
                       ".parameters()`, but cell " + std::to_string(created->cell) + " re-created `" + net +
                       "` afterwards (" + in(created_count) + ") and cell " + std::to_string(cell.index) +
                       " then stepped `" + opt->name + "` (" + in(*trained_at) + "): the optimizer updates the old " +
                       "model's tensors, so the new `" + net + "` never trains",
                   "Re-run this cell after cell " + std::to_string(created->cell) +
                       ", or create the model and its optimizer in the same cell",
                   std::move(hint));
        break;
      }
    }
  }
}

}  // namespace lstmlint::rules
