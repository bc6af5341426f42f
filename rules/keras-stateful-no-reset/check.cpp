// keras-stateful-no-reset: a stateful Keras RNN trained for several epochs (in one fit() or a
// loop of fit() calls) with no reset_states() between them.
#include <set>

#include "engine/registry.h"
#include "semantic/interpreter.h"
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

// One fit() of a model with a stateful layer: several epochs, or a loop of fits, with no
// reset_states() in between.
void judge(const engine::Context& ctx, engine::Diagnostics& out, const semantic::Call* fit) {
  const auto& model = ctx.model;
  if (const auto* callbacks = fit->keyword("callbacks"); callbacks && may_reset(model, *callbacks, fit->cell)) return;
  bool unpacked = false;
  for (const auto& a : fit->kwargs) unpacked = unpacked || a.unpacked;
  if (unpacked) return;
  std::string why;
  if (!fit->loops.empty()) {
    int loop = fit->loops.back();
    if (model.loop_calls(loop, "reset_states") || model.loop_calls(loop, "reset_state")) return;
    why = "is called in a loop with no `reset_states()` in it";
  } else {
    const auto* epochs = fit->keyword("epochs");
    std::optional<long long> n(1);
    if (epochs) {
      n = epochs->value.as_int();
      // A value the notebook computes or passes in (`epochs=cfg["epochs"]`): the model knows it.
      if (!n)
        if (auto v = model.values().value_of(epochs->node, fit->cell)) n = v->as_int();
    }
    if (!n || *n <= 1) return;
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

}  // namespace

void check_keras_stateful_no_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<const semantic::Call*> seen;
  for (const auto* fit : semantic::fit_calls(model, semantic::stateful_keras_models(model)))
    if (seen.insert(fit).second) judge(ctx, out, fit);
  // The value-flow view: models built in functions, from layer lists or config values.
  for (const auto& fit : model.values().keras_fits()) {
    if (!fit.stateful.known()) continue;
    const semantic::Call* call = model.call_for(fit.node, fit.cell);
    if (call && !call->receiver.empty() && seen.insert(call).second) judge(ctx, out, call);
  }
}

}  // namespace lstmlint::rules
