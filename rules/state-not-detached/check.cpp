// state-not-detached: recurrent state returned by a forward call is fed into the next
// iteration's call with its graph attached, in a loop that calls backward().
#include <algorithm>

#include "engine/registry.h"
#include "replay/spec.h"
#include "semantic/state_flow.h"

namespace lstmlint::rules {

void check_state_not_detached(const engine::Context& ctx, engine::Diagnostics& out) {
  for (const auto& flow : semantic::find_state_feedback(ctx.model)) {
    if (flow.broken_in_loop || !flow.loop_trains) continue;
    const std::string& name = flow.names.front();
    std::string callee = flow.call->callee;
    engine::ReplayHint hint;
    hint.layer = replay::layer_reached(ctx.model, *flow.call);
    hint.facts.push_back(engine::Fact::text("state", "carried", flow.state_span));
    for (const auto& c : ctx.model.calls()) {
      if (c.method != "backward" || !ctx.model.in_loop(c, flow.loop)) continue;
      const auto* retain = c.keyword("retain_graph");
      if (retain && retain->value.as_bool())
        hint.facts.push_back(engine::Fact::boolean("retain_graph", *retain->value.as_bool(), ctx.model.span_of(retain->node, c.cell)));
      break;
    }
    out.report(flow.state_span,
               "`" + flow.state_text + "` returned by `" + callee + "(...)` is passed back into it on the next "
               "iteration without `.detach()`: the graph of every earlier batch stays attached, so the second "
               "`backward()` raises \"Trying to backward through the graph a second time\" (`retain_graph=True` "
               "only trades that for an in-place-modification error after `opt.step()`, or for time and memory "
               "that grow with every batch)",
               flow.names.size() > 1
                   ? "Detach before the call: `" + flow.state_text + " = " + flow.names[0] + ".detach(), " +
                         flow.names[1] + ".detach()`, or re-create the state for each batch"
                   : "Detach before the call: `" + name + " = " + name + ".detach()` (for an LSTM tuple: `" + name +
                         " = tuple(s.detach() for s in " + name + ")`), or re-create it for each batch",
               std::move(hint));
  }
}

}  // namespace lstmlint::rules
