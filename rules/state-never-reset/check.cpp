// state-never-reset: state detached and carried from batch to batch, but created once before
// the epoch loop and never re-created, so every epoch starts from the previous epoch's end.
#include <algorithm>
#include <set>

#include "engine/registry.h"
#include "semantic/interpreter.h"

namespace lstmlint::rules {

namespace {

// The value-flow view: a run of detached state reaches a recurrent call in the second
// iteration of a loop that has a loop inside it (epochs around batches), although the run
// began before that iteration: nothing re-created it at the loop's boundary. Follows state kept
// on `self.hidden`, returned from helpers, or started as `state = None` above the loop.
void report_carried_runs(const engine::Context& ctx, engine::Diagnostics& out) {
  std::set<std::pair<int, uint32_t>> entries;  // one finding per place a run of state enters
  const auto& model = ctx.model;
  std::set<int> chains;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (ev.chain == 0 || ev.stale_state || ev.loops.size() < 2 || chains.count(ev.chain)) continue;
    const auto& start = model.values().chain(ev.chain);
    bool carried = false;
    for (size_t i = 0; i + 1 < ev.loops.size() && !carried; ++i) {
      if (ev.loops[i].second != 1) continue;  // the outer loop's second iteration
      carried = std::find(start.loops.begin(), start.loops.end(), ev.loops[i]) == start.loops.end();
    }
    if (!carried || python::null(start.entry)) continue;
    int layer = model.layer_index_of(*ev.layer);
    if (!entries.insert({start.cell, ts_node_start_byte(start.entry)}).second) continue;
    chains.insert(ev.chain);
    Span span = model.span_of(start.entry, start.cell);
    std::string state(model.text_of(start.entry, start.cell));
    engine::ReplayHint hint;
    hint.layer = layer;
    hint.facts.push_back(engine::Fact::text("state", "carried", span));
    semantic::Ref first = start.initial;
    if (first && first->kind == semantic::AValue::Kind::Tuple && !first->items.empty()) first = first->items[0];
    std::string initial = first && first->origin.known()
                              ? " (it starts as `" + first->origin.text(model) + "`, " + first->origin.where() + ")"
                              : "";
    engine::Finding& finding = out.report(span,
               "`" + state + "` is fed to `" + std::string(model.text_of(ev.node, ev.cell)) + "` once" + initial +
                   " and then carried, detached, from batch to batch and into the next epoch: nothing re-creates it "
                   "when an epoch starts, so the first batch of every epoch begins from the state the last batch of "
                   "the previous one left, and unrelated sequences leak into each other",
               "Re-create the state at the start of each epoch (and of each independent sequence), e.g. "
               "`model.hidden = model.init_hidden(batch_size)` or `state = None` at the top of the epoch loop",
               std::move(hint));
    if (first && first->origin.known() && !python::null(first->origin.node))
      out.relate(finding, first->origin.span(model), "the state's first value is made here; no later one replaces it at an epoch's start");
  }
}

}  // namespace

void check_state_never_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  report_carried_runs(ctx, out);
}

}  // namespace lstmlint::rules
