// keras-stateful-shuffle: fit() on a stateful Keras RNN without shuffle=False (the default is True).
#include "engine/registry.h"
#include "semantic/keras.h"

namespace lstmlint::rules {

void check_keras_stateful_shuffle(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto* fit : semantic::fit_calls(model, semantic::stateful_keras_models(model))) {
    // Keras ignores `shuffle` for tf.data datasets and generators; a batch size proves array input.
    if (!fit->argument(2, "batch_size")) continue;
    const auto* shuffle = fit->keyword("shuffle");
    if (shuffle && shuffle->value.as_bool() != true) continue;  // False, or unknown: stay silent
    bool unpacked = false;
    for (const auto& a : fit->kwargs) unpacked = unpacked || a.unpacked;
    if (!shuffle && unpacked) continue;
    out.report(fit->span,
               "`" + fit->receiver + "` has a stateful recurrent layer, but `" + fit->callee + "(...)` shuffles the "
               "batches (" + std::string(shuffle ? "`shuffle=True`" : "Keras' default is `shuffle=True`") +
               "): the state carried from batch i into batch i+1 now joins unrelated sequences",
               "Pass `shuffle=False` so batch i+1 continues the sequences of batch i");
  }
}

}  // namespace lstmlint::rules
