// keras-stateful-no-reset: a stateful Keras RNN trained for several epochs (in one fit() or a
// loop of fit() calls) with no reset_states() between them.
#include "engine/registry.h"
#include "semantic/keras.h"

namespace lstmlint::rules {

void check_keras_stateful_no_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto* fit : semantic::fit_calls(model, semantic::stateful_keras_models(model))) {
    if (fit->keyword("callbacks")) continue;  // a callback may reset the states
    bool unpacked = false;
    for (const auto& a : fit->kwargs) unpacked = unpacked || a.unpacked;
    if (unpacked) continue;
    std::string why;
    if (!fit->loops.empty()) {
      int loop = fit->loops.back();
      if (model.loop_calls(loop, "reset_states") || model.loop_calls(loop, "reset_state")) continue;
      why = "is called in a loop with no `reset_states()` in it";
    } else {
      const auto* epochs = fit->keyword("epochs");
      auto n = epochs ? epochs->value.as_int() : std::optional<long long>(1);
      if (!n || *n <= 1) continue;
      why = "runs " + std::to_string(*n) + " epochs in one call, and Keras does not reset a stateful layer's "
            "states between them";
    }
    out.report(fit->span,
               "`" + fit->receiver + "` has a stateful recurrent layer, and `" + fit->callee + "(...)` " + why +
                   ": each epoch starts from the state left by the end of the previous one, so the series' end "
                   "leaks into its beginning",
               "Train one epoch at a time and reset in between: `for epoch in range(n): " + fit->receiver +
                   ".fit(..., epochs=1, shuffle=False); " + fit->receiver + ".reset_states()`");
  }
}

}  // namespace lstmlint::rules
