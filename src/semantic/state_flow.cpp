// State feedback through loops, from the semantic model's calls, bindings and loops.
#include "semantic/state_flow.h"

#include <algorithm>
#include <regex>

namespace lstmlint::semantic {
namespace {





// `h = h.detach()`, `hidden = repackage_hidden(hidden)`, `h = h.data`: the value keeps the
// name but cuts the graph.
bool is_detach_of(const Model& model, const Binding& b, const std::string& name) {
  if (python::null(b.value)) return false;
  std::string text(model.text_of(b.value, b.cell));
  std::regex word("\\b" + name + "\\b");
  if (!std::regex_search(text, word)) return false;
  return text.find("detach") != std::string::npos || text.find("repackage") != std::string::npos ||
         text.find(".data") != std::string::npos;
}

// The state argument of a recurrent call: `lstm(x, hx)` or `model(x, hidden)`.
const Argument* state_argument(const Call& c) {
  if (const auto* a = c.positional(1)) return a;
  for (const char* k : {"hx", "hidden", "h", "state", "states", "h0"})
    if (const auto* a = c.keyword(k)) return a;
  return nullptr;
}

}  // namespace

std::vector<StateFeedback> find_state_feedback(const Model& model) {
  std::vector<StateFeedback> flows;
  for (const Call& c : model.calls()) {
    if (c.loops.empty() || !model.is_recurrent_call(c)) continue;
    const auto* arg = state_argument(c);
    if (!arg || arg->unpacked) continue;
    auto names = model.tuple_names(arg->node, c.cell);
    if (names.empty()) continue;
    TSNode assignment = model.assignment_of(c);
    if (python::null(assignment)) continue;
    auto targets = model.target_names(assignment, c.cell);
    bool fed_back = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
      return std::find(targets.begin(), targets.end(), n) != targets.end();
    });
    if (!fed_back) continue;

    StateFeedback f;
    f.call = &c;
    f.names = names;
    f.state_text = std::string(model.text_of(arg->node, c.cell));
    f.state_span = model.span_of(arg->node, c.cell);
    f.loop = c.loops.back();
    f.loop_trains = model.loop_calls(f.loop, "backward");
    uint32_t feedback_end = ts_node_end_byte(assignment);
    const auto& outermost = model.loops()[static_cast<size_t>(c.loops.front())];
    for (const Binding& b : model.bindings()) {
      if (b.cell != c.cell || b.scope != c.scope) continue;
      if (std::find(names.begin(), names.end(), b.name) == names.end()) continue;
      bool feedback = b.effective_byte == feedback_end;
      if (feedback) continue;
      bool detach = is_detach_of(model, b, b.name);
      if (model.in_loop(b, f.loop)) {
        f.broken_in_loop = true;
        f.detached_in_loop = f.detached_in_loop || detach;
      }
      bool in_any = std::any_of(c.loops.begin(), c.loops.end(), [&](int l) { return model.in_loop(b, l); });
      if (in_any && !detach) f.recreated_in_loops = true;
      if (!in_any && b.byte < ts_node_start_byte(outermost.node)) f.initial = &b;
    }
    // A model whose own forward() detaches the state it returns cuts the graph itself.
    if (!model.recurrent_layer_called(c)) {
      int cls = model.instance_class(c.callee, c.cell, ts_node_start_byte(c.node));
      if (cls >= 0 && model.class_detaches_state(cls)) f.broken_in_loop = f.detached_in_loop = true;
    }
    // `h.detach_()` in the loop cuts the graph in place.
    for (const Call& d : model.calls())
      if (d.cell == c.cell && d.method == "detach_" && model.in_loop(d, f.loop) &&
          std::find(names.begin(), names.end(), d.receiver) != names.end())
        f.broken_in_loop = f.detached_in_loop = true;
    flows.push_back(f);
  }
  return flows;
}

}  // namespace lstmlint::semantic
