// weights-reinit-as-reset: reset_parameters() / nn.init.* on recurrent weights inside a
// training loop, or inside a method whose name says it resets the state.
#include <algorithm>
#include <cctype>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A method meant to reset the recurrent *state*, not the weights.
bool state_reset_method(const std::string& name) {
  std::string n = lower(name);
  if (n == "__init__" || n == "reset_parameters" || n.find("weight") != std::string::npos ||
      n.find("param") != std::string::npos)
    return false;
  return n.find("hidden") != std::string::npos || n.find("state") != std::string::npos ||
         n.find("reset") != std::string::npos;
}

bool weights_argument(const engine::Context& ctx, const semantic::Call& c) {
  const auto* a = c.positional(0);
  if (!a) a = c.keyword("tensor");
  if (!a) return false;
  std::string text(ctx.model.text_of(a->node, c.cell));
  return text.find("weight") != std::string::npos || text.find("bias") != std::string::npos ||
         text.find("param") != std::string::npos;
}

bool resets_recurrent_weights(const engine::Context& ctx, const semantic::Call& c) {
  if (c.method == "reset_parameters") {
    TSNode object = python::field(python::field(c.node, "function"), "object");
    const auto* layer = ctx.model.recurrent_layer_of(object, c.cell, c.function);
    return layer && !layer->keras;
  }
  return c.qualified.rfind("torch.nn.init.", 0) == 0 && weights_argument(ctx, c);
}

// A loop that also builds an optimizer starts a fresh training run each time (a sweep, k-fold,
// restarts): re-initialising there is deliberate.
bool starts_new_runs(const semantic::Model& model, int loop) {
  for (const auto& c : model.calls())
    if (model.in_loop(c, loop) && c.qualified.rfind("torch.optim.", 0) == 0 &&
        c.qualified.find("lr_scheduler") == std::string::npos)
      return true;
  return false;
}

}  // namespace

void check_weights_reinit_as_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& c : model.calls()) {
    if (!resets_recurrent_weights(ctx, c)) continue;
    std::string where;
    if (!c.loops.empty() && model.loop_calls(c.loops.back(), "backward")) {
      if (starts_new_runs(model, c.loops.back())) continue;
      where = "inside the training loop";
    } else if (c.function >= 0) {
      const auto& f = model.functions()[static_cast<size_t>(c.function)];
      if (f.enclosing_class >= 0 && state_reset_method(f.name)) where = "inside `" + f.name + "()`";
    }
    if (where.empty()) continue;
    engine::ReplayHint hint;
    // In the loop that calls backward() it runs every batch; where a reset method is called is
    // not followed, so replay assumes the mildest case, once per epoch.
    if (where == "inside the training loop") hint.facts.push_back(engine::Fact::text("reinit", "per_batch", c.span));
    else hint.facts.push_back(engine::Fact::text("reinit", "per_epoch", std::nullopt, "assumed: once per epoch"));
    out.report(c.span,
               "`" + c.callee + "(...)` " + where + " re-initialises the recurrent weights: every call throws away "
               "what the model has learned, so the loss never falls below its starting level",
               "To reset the recurrent state, re-create it instead: `h0 = torch.zeros(num_layers * num_directions, "
               "batch, hidden_size)` (and `c0` for an LSTM); initialise weights once, after building the model",
               std::move(hint));
  }
}

}  // namespace lstmlint::rules
