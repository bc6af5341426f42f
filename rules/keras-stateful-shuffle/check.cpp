// keras-stateful-shuffle: fit() on a stateful Keras RNN without shuffle=False (the default is True).
#include <set>

#include "engine/registry.h"
#include "fix/edits.h"
#include "semantic/interpreter.h"
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

void report_array_fit(const engine::Context& ctx, engine::Diagnostics& out, const semantic::Call& fit) {
  const auto* shuffle = fit.keyword("shuffle");
  engine::Finding& finding = out.report(fit.span,
             "`" + fit.receiver + "` has a stateful recurrent layer, but `" + fit.callee + "(...)` shuffles the "
             "batches (" + std::string(shuffle ? "`shuffle=True`" : "Keras' default is `shuffle=True`") +
             "): the state carried from batch i into batch i+1 now joins unrelated sequences",
             "Pass `shuffle=False` so batch i+1 continues the sequences of batch i");
  finding.fix = shuffle_fix(ctx.model, fit, shuffle);
}

// Whether fit()'s own `shuffle` shuffles: True or absent (the default); unknown stays silent.
bool fit_shuffles(const semantic::Call& fit) {
  const auto* shuffle = fit.keyword("shuffle");
  if (shuffle) return shuffle->value.as_bool() == true;
  for (const auto& a : fit.kwargs)
    if (a.unpacked) return false;
  return true;
}

}  // namespace

void check_keras_stateful_shuffle(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<std::pair<int, int>> done;
  for (const auto* fit : semantic::fit_calls(model, semantic::stateful_keras_models(model))) {
    // Keras ignores `shuffle` for tf.data datasets and generators; a batch size proves array input.
    if (!fit->argument(2, "batch_size") || !fit_shuffles(*fit)) continue;
    report_array_fit(ctx, out, *fit);
    done.insert({fit->span.start.cell, fit->span.start.line});
  }
  // The value-flow view: the stateful layer reaches fit() through a function that builds the
  // model, a layer list or a config value; and what fit() is fed, an array or a tf.data pipeline.
  for (const auto& fit : model.values().keras_fits()) {
    if (!fit.stateful.known()) continue;
    Span at = model.span_of(fit.node, fit.cell);
    if (!done.insert({at.start.cell, at.start.line}).second) continue;
    const semantic::Call* call = model.call_for(fit.node, fit.cell);
    if (!call) continue;
    if (fit.shuffled.known()) {
      out.report(fit.shuffled.span(model),
                 "`" + fit.shuffled.text(model) + "` shuffles the dataset that `" + call->callee + "(...)` (" +
                     semantic::Origin{fit.cell, fit.node, {}}.where() + ") feeds to a stateful recurrent layer (`" +
                     fit.stateful.text(model) + "`, " + fit.stateful.where() +
                     "): the state carried from batch i into batch i+1 now joins unrelated sequences (fit()'s own "
                     "`shuffle` does not apply to a tf.data dataset)",
                 "Drop `.shuffle(...)` from the pipeline of a stateful model, so batch i+1 continues the sequences "
                 "of batch i");
      continue;
    }
    if (fit.x->kind == semantic::AValue::Kind::Tensor && fit_shuffles(*call)) report_array_fit(ctx, out, *call);
  }
}

}  // namespace lstmlint::rules
