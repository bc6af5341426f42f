// state-never-reset: state detached and carried from batch to batch, but created once before
// the epoch loop and never re-created, so every epoch starts from the previous epoch's end.
#include "engine/registry.h"
#include "semantic/state_flow.h"

namespace lstmlint::rules {

void check_state_never_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  for (const auto& flow : semantic::find_state_feedback(ctx.model)) {
    // Only an epoch loop around the batch loop gives a boundary where the state must restart;
    // carrying state through one pass over one series is truncated BPTT, and correct.
    if (flow.call->loops.size() < 2 || !flow.loop_trains || !flow.detached_in_loop) continue;
    if (flow.recreated_in_loops || !flow.initial) continue;
    const auto& b = *flow.initial;
    engine::ReplayHint hint;
    hint.layer = ctx.model.layer_reached(*flow.call);
    hint.facts.push_back(engine::Fact::text("state", "carried", b.span));
    out.report(b.span,
               "`" + b.name + "` is created once, before the epoch loop, then detached and carried from batch to "
               "batch and into the next epoch: the first batch of every epoch starts from the state left by the "
               "last batch of the previous one, so unrelated sequences leak into each other",
               "Re-create the state at the start of each epoch (and of each independent sequence), e.g. move `" +
                   b.name + " = ...` inside the epoch loop",
               std::move(hint));
  }
}

}  // namespace lstmlint::rules
