// keras-stateful-shuffle: fit() on a stateful Keras RNN without shuffle=False (the default is True).
#include "engine/registry.h"
#include "fix/edits.h"
#include "semantic/keras.h"

namespace lstmlint::rules {
namespace {

// `shuffle=False`: a literal `shuffle=True` flipped, or the keyword added after the last argument.
std::optional<engine::Fix> shuffle_fix(const semantic::Model& model, const semantic::Call& fit,
                                       const semantic::Argument* shuffle) {
  if (shuffle) {
    if (model.text_of(shuffle->node, fit.cell) != "True") return std::nullopt;
    return engine::Fix{"Replace `shuffle=True` with `shuffle=False`", true,
                       {fix::replace_node(shuffle->node, fit.cell, "False")}};
  }
  auto items = python::named_children(python::field(fit.node, "arguments"));
  while (!items.empty() && python::is(items.back(), "comment")) items.pop_back();
  if (items.empty()) return std::nullopt;
  uint32_t at = ts_node_end_byte(items.back());
  return engine::Fix{"Add `shuffle=False`", true, {engine::Edit{fit.cell, at, at, ", shuffle=False"}}};
}

}  // namespace

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
    engine::Finding& finding = out.report(fit->span,
               "`" + fit->receiver + "` has a stateful recurrent layer, but `" + fit->callee + "(...)` shuffles the "
               "batches (" + std::string(shuffle ? "`shuffle=True`" : "Keras' default is `shuffle=True`") +
               "): the state carried from batch i into batch i+1 now joins unrelated sequences",
               "Pass `shuffle=False` so batch i+1 continues the sequences of batch i");
    finding.fix = shuffle_fix(model, *fit, shuffle);
  }
}

}  // namespace lstmlint::rules
