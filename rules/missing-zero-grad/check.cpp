// missing-zero-grad: a training loop that calls backward() and steps an optimizer, with no
// zero_grad() anywhere in that loop (or in the training function and its callers' loops).
#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

bool zeroes(const semantic::Model& model, int loop) {
  return model.loop_calls(loop, "zero_grad") || model.loop_calls(loop, "zero_");
}

// A function that steps without zeroing is fine unless some loop calls it without zeroing;
// called outside any loop it takes one step, and nothing accumulates.
bool callers_zero(const semantic::Model& model, int function) {
  for (const auto& c : model.calls())
    if (c.target_function == function && !c.loops.empty() && !zeroes(model, c.loops.back())) return false;
  return true;
}

}  // namespace

void check_missing_zero_grad(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& step : model.calls()) {
    if (step.method != "step" || step.receiver.empty() || !model.is_optimizer_name(step.receiver)) continue;
    if (!step.loops.empty()) {
      int loop = step.loops.back();
      if (!model.loop_calls(loop, "backward") || zeroes(model, loop)) continue;
    } else if (step.function >= 0) {
      if (!model.function_calls(step.function, "backward") || model.function_calls(step.function, "zero_grad") ||
          model.function_calls(step.function, "zero_") || callers_zero(model, step.function))
        continue;
    } else {
      continue;
    }
    out.report(step.span,
               "`" + step.callee + "()` runs in a loop that calls `backward()` but never `zero_grad()`: PyTorch "
               "adds each batch's gradients to the previous ones, so every step uses the sum of all gradients so far",
               "Call `" + step.receiver + ".zero_grad()` before `loss.backward()` in each iteration");
  }
}

}  // namespace lstmlint::rules
