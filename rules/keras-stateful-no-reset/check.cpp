// keras-stateful-no-reset: a stateful Keras RNN trained for several epochs (in one fit() or a
// loop of fit() calls) with no reset_states() between them.
#include "engine/registry.h"
#include "semantic/keras.h"

namespace lstmlint::rules {
namespace {

// Keras' own callbacks never reset RNN states; a notebook's callback class or a lambda might.
bool may_reset(const semantic::Model& model, const semantic::Argument& callbacks, int cell) {
  std::string text(model.text_of(callbacks.node, cell));
  if (text.find("reset") != std::string::npos || text.find("Lambda") != std::string::npos) return true;
  for (const auto& k : model.classes())
    if (text.find(k.name) != std::string::npos) return true;
  // Names bound elsewhere (`callbacks=[es]`): unknown unless bound to a known Keras callback.
  for (const auto& name : model.tuple_names(callbacks.node, cell)) {
    const auto* b = model.reaching_binding(name, cell, ts_node_start_byte(callbacks.node));
    if (!b || python::null(b->value)) return true;
    std::string value(model.text_of(b->value, b->cell));
    static const char* known[] = {"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "TensorBoard",
                                  "CSVLogger", "LearningRateScheduler", "TerminateOnNaN", "History"};
    bool keras_callback = false;
    for (const char* k : known) keras_callback = keras_callback || value.find(k) != std::string::npos;
    if (!keras_callback) return true;
  }
  if (!python::is(callbacks.node, "list") && !python::is(callbacks.node, "tuple") &&
      !python::is(callbacks.node, "identifier"))
    return true;
  return false;
}

}  // namespace

void check_keras_stateful_no_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto* fit : semantic::fit_calls(model, semantic::stateful_keras_models(model))) {
    if (const auto* callbacks = fit->keyword("callbacks"); callbacks && may_reset(model, *callbacks, fit->cell)) continue;
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
