// missing-zero-grad: a training loop that calls backward() and steps an optimizer, with no
// zero_grad() anywhere in that loop (or in the training function and its callers' loops).
#include "engine/registry.h"
#include "fix/edits.h"

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

// Unsafe: a loop that sums gradients over several batches on purpose (accumulation) loses that.
// Offered only where the step and the one backward() share their innermost loop and cell.
std::optional<engine::Edit> zero_grad_edit(const semantic::Model& model, const semantic::Call& step) {
  if (step.loops.empty()) return std::nullopt;
  const semantic::Call* backward = nullptr;
  for (const auto& c : model.calls()) {
    if (c.method != "backward" || c.loops.empty() || c.loops.back() != step.loops.back() || c.cell != step.cell) continue;
    if (backward) return std::nullopt;  // which one? not unambiguous
    backward = &c;
  }
  if (!backward || ts_node_start_byte(backward->node) > ts_node_start_byte(step.node)) return std::nullopt;
  return fix::insert_line_before(model, backward->node, backward->cell, step.receiver + ".zero_grad()");
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
    engine::Finding& finding = out.report(step.span,
               "`" + step.callee + "()` runs in a loop that calls `backward()` but never `zero_grad()`: PyTorch "
               "adds each batch's gradients to the previous ones, so every step uses the sum of all gradients so far",
               "Call `" + step.receiver + ".zero_grad()` before `loss.backward()` in each iteration");
    if (auto edit = zero_grad_edit(model, step))
      finding.fix = engine::Fix{"Insert `" + step.receiver + ".zero_grad()` before `backward()`", false, {*edit}};
  }
}

}  // namespace lstmlint::rules
