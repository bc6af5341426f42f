// weights-reinit-as-reset: reset_parameters() / nn.init.* on recurrent weights inside a
// training loop, or inside a method whose name says it resets the state.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

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

// How often a call in a training loop runs: every batch where the loop around it calls
// backward() itself, every epoch where backward() runs in a loop (or a function) inside it.
std::optional<engine::Fact> frequency_of(const semantic::Model& model, const semantic::Call& call, const std::string& what) {
  if (call.loops.empty()) return std::nullopt;
  int loop = call.loops.back();
  if (!model.loop_calls(loop, "backward")) return std::nullopt;
  bool backward_here = std::any_of(model.calls().begin(), model.calls().end(), [&](const semantic::Call& b) {
    return b.method == "backward" && !b.loops.empty() && b.loops.back() == loop && b.cell == call.cell &&
           b.function == call.function;
  });
  if (backward_here) return engine::Fact::text("reinit", "per_batch", call.span, what + " in the loop that calls backward()");
  return engine::Fact::text("reinit", "per_epoch", call.span, what + " in a loop around the training loop");
}

// How often a reset method runs, from where it is called. Assumed once per epoch when no call
// in a training loop is found.
engine::Fact reset_frequency(const semantic::Model& model, const semantic::Function& method) {
  std::optional<engine::Fact> per_epoch;
  for (const auto& call : model.calls()) {
    if (call.target_function != method.id && call.method != method.name) continue;
    auto f = frequency_of(model, call, "called");
    if (f && f->json == "\"per_batch\"") return *f;
    if (f && !per_epoch) per_epoch = f;
  }
  if (per_epoch) return *per_epoch;
  return engine::Fact::text("reinit", "per_epoch", std::nullopt, "assumed: once per epoch (no call in a training loop found)");
}

}  // namespace

void check_weights_reinit_as_reset(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  // One finding per root cause: all re-initialising calls of one reset method, or of one
  // training loop, are one bug; the later calls are its related locations.
  struct Cause {
    std::string where;
    const semantic::Function* method = nullptr;
    std::vector<const semantic::Call*> calls;
  };
  std::map<std::pair<int, int>, size_t> index;  // (loop or -1, method or -1) -> causes
  std::vector<Cause> causes;
  for (const auto& c : model.calls()) {
    if (!resets_recurrent_weights(ctx, c)) continue;
    Cause cause;
    std::pair<int, int> key{-1, -1};
    if (!c.loops.empty() && model.loop_calls(c.loops.back(), "backward")) {
      if (starts_new_runs(model, c.loops.back())) continue;
      cause.where = "inside the training loop";
      key = {c.loops.back(), -1};
    } else if (c.function >= 0) {
      const auto& f = model.functions()[static_cast<size_t>(c.function)];
      if (f.enclosing_class >= 0 && state_reset_method(f.name)) {
        cause.where = "inside `" + f.name + "()`";
        cause.method = &f;
        key = {-1, f.id};
      }
    }
    if (cause.where.empty()) continue;
    auto [it, fresh] = index.emplace(key, causes.size());
    if (fresh) causes.push_back(std::move(cause));
    causes[it->second].calls.push_back(&c);
  }
  for (const auto& cause : causes) {
    const semantic::Call& c = *cause.calls.front();
    engine::ReplayHint hint;
    if (cause.method) hint.facts.push_back(reset_frequency(model, *cause.method));
    else hint.facts.push_back(*frequency_of(model, c, "re-initialised"));
    std::string more = cause.calls.size() > 1 ? " (and " + std::to_string(cause.calls.size() - 1) + " more init call" +
                                                    (cause.calls.size() > 2 ? "s" : "") + " beside it)"
                                              : "";
    auto& f = out.report(c.span,
                         "`" + c.callee + "(...)` " + cause.where + more +
                             " re-initialises the recurrent weights: every call throws away what the model has "
                             "learned, so the loss never falls below its starting level",
                         "To reset the recurrent state, re-create it instead: `h0 = torch.zeros(num_layers * "
                         "num_directions, batch, hidden_size)` (and `c0` for an LSTM); initialise weights once, after "
                         "building the model",
                         std::move(hint));
    for (size_t k = 1; k < cause.calls.size(); ++k)
      out.relate(f, cause.calls[k]->span,
                 "`" + cause.calls[k]->callee + "(...)` re-initialises weights here too, in the same reset");
  }
}

}  // namespace lstmlint::rules
