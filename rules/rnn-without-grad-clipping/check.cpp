// rnn-without-grad-clipping: a notebook that trains a PyTorch recurrent layer with no gradient
// clipping anywhere. Reported once, at the first optimizer step of a training loop.
#include <algorithm>

#include "engine/registry.h"

namespace lstmlint::rules {

void check_rnn_without_grad_clipping(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  bool torch_rnn = std::any_of(model.recurrent_layers().begin(), model.recurrent_layers().end(),
                               [](const semantic::RecurrentLayer& r) { return !r.keras; });
  if (!torch_rnn) return;
  for (const auto& c : model.calls())
    if (c.method == "clip_grad_norm_" || c.method == "clip_grad_norm" || c.method == "clip_grad_value_" ||
        c.method == "register_hook" || c.method == "clip_")
      return;
  for (const auto& step : model.calls()) {
    if (step.method != "step" || step.receiver.empty() || !model.is_optimizer_name(step.receiver)) continue;
    bool trains = !step.loops.empty() ? model.loop_calls(step.loops.back(), "backward")
                                      : model.function_calls(step.function, "backward");
    if (!trains) continue;
    out.report(step.span,
               "this notebook trains a recurrent network without gradient clipping: backpropagation through time "
               "multiplies gradients once per step, so a few long or unlucky sequences can blow a step up to "
               "nan or inf",
               "Clip before stepping: `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)` between "
               "`loss.backward()` and `" + step.callee + "()`");
    return;
  }
}

}  // namespace lstmlint::rules
