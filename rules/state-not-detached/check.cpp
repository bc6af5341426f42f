// state-not-detached: recurrent state returned by a forward call is fed into the next
// iteration's call with its graph attached, in a loop that calls backward().
#include <algorithm>
#include <set>

#include "engine/registry.h"
#include "fix/edits.h"
#include "semantic/state_flow.h"

namespace lstmlint::rules {
namespace {

// Whether some binding of `name` (other than the feedback itself) may be None, which the
// recurrent call accepts as zeros but `.detach()` does not.
bool may_be_none(const semantic::Model& model, const semantic::StateFeedback& flow, const std::string& name) {
  TSNode feedback = model.assignment_of(*flow.call);
  for (const auto& b : model.bindings()) {
    if (b.name != name || b.scope != flow.call->scope) continue;
    if (b.cell == flow.call->cell && b.effective_byte == ts_node_end_byte(feedback)) continue;
    if (!python::null(b.value) && model.text_of(b.value, b.cell) == "None") return true;
  }
  return false;
}

// `h, c = h.detach(), c.detach()` (or one tensor for GRU/RNN, a tuple comprehension for an LSTM
// state held in one name) on its own line right before the statement with the forward call.
std::optional<engine::Fix> detach_fix(const semantic::Model& model, const semantic::StateFeedback& flow) {
  std::string line;
  if (flow.names.size() == 2) {
    if (may_be_none(model, flow, flow.names[0]) || may_be_none(model, flow, flow.names[1])) return std::nullopt;
    line = flow.names[0] + ", " + flow.names[1] + " = " + flow.names[0] + ".detach(), " + flow.names[1] + ".detach()";
  } else if (flow.names.size() == 1) {
    int layer = model.layer_reached(*flow.call);
    if (layer < 0) return std::nullopt;  // tensor or (h, c) tuple: unknown
    const auto& kind = model.recurrent_layers()[static_cast<size_t>(layer)].kind;
    const std::string& n = flow.names[0];
    if (kind == "LSTM") line = n + " = tuple(s.detach() for s in " + n + ")";
    else if (kind == "GRU" || kind == "RNN") line = n + " = " + n + ".detach()";
    else return std::nullopt;
    if (may_be_none(model, flow, n)) line += " if " + n + " is not None else None";
  } else {
    return std::nullopt;
  }
  auto edit = fix::insert_line_before(model, flow.call->node, flow.call->cell, line);
  if (!edit) return std::nullopt;
  return engine::Fix{"Insert `" + line + "` before the call", true, {*edit}};
}

}  // namespace

// The value-flow view: a state whose graph a backward() has already freed reaches a recurrent
// call, and a backward() follows; through functions, methods and `self.hidden`.
static void report_stale_states(const engine::Context& ctx, engine::Diagnostics& out, std::set<std::pair<int, int>>& lines) {
  const auto& model = ctx.model;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (!ev.stale_state || python::null(ev.state_entry)) continue;
    Span span = model.span_of(ev.state_entry, ev.state_cell);
    if (!lines.insert({span.start.cell, span.start.line}).second) continue;
    std::string state(model.text_of(ev.state_entry, ev.state_cell));
    engine::ReplayHint hint;
    hint.layer = model.layer_index_of(*ev.layer);
    hint.facts.push_back(engine::Fact::text("state", "carried", span));
    engine::Finding& finding = out.report(span,
               "`" + state + "` still holds the graph of `" + ev.stale_origin.text(model) + "` (" + ev.stale_origin.where() +
                   ") from the previous iteration, and backward() has already run through that graph: it reaches `" +
                   std::string(model.text_of(ev.node, ev.cell)) + "` (" +
                   semantic::Origin{ev.cell, ev.node, {}}.where() +
                   ") without `.detach()`, so the next `backward()` raises \"Trying to backward through the graph a "
                   "second time\"",
               "Detach the state before it is fed back (`h = h.detach()`; for an LSTM tuple `h = tuple(s.detach() for s "
               "in h)`), or re-create it for each batch",
               std::move(hint));
    // `name = name.detach()` (a tuple comprehension for an LSTM) on its own line before the
    // statement that feeds the state; guarded when the run of state starts as None.
    if (python::is(ev.state_entry, "identifier") || python::is(ev.state_entry, "attribute")) {
      const auto& start = model.values().chain(ev.chain);
      bool may_be_none = start.initial && start.initial->kind == semantic::AValue::Kind::Const &&
                         start.initial->constant.kind == semantic::Value::Kind::None;
      std::string line = ev.layer->kind_name == "LSTM" ? state + " = tuple(s.detach() for s in " + state + ")"
                                                       : state + " = " + state + ".detach()";
      if (may_be_none) line += " if " + state + " is not None else None";
      const semantic::Call* entry_call = nullptr;
      for (TSNode n = ts_node_parent(ev.state_entry); !python::null(n) && !entry_call; n = ts_node_parent(n))
        if (python::is(n, "call")) entry_call = model.call_for(n, ev.state_cell);
      if (entry_call)
        if (auto edit = fix::insert_line_before(model, entry_call->node, entry_call->cell, line))
          finding.fix = engine::Fix{"Insert `" + line + "` before the call", true, {*edit}};
    }
  }
}

void check_state_not_detached(const engine::Context& ctx, engine::Diagnostics& out) {
  std::set<std::pair<int, int>> lines;
  for (const auto& flow : semantic::find_state_feedback(ctx.model)) {
    if (flow.broken_in_loop || !flow.loop_trains) continue;
    const std::string& name = flow.names.front();
    std::string callee = flow.call->callee;
    engine::ReplayHint hint;
    hint.layer = ctx.model.layer_reached(*flow.call);
    hint.facts.push_back(engine::Fact::text("state", "carried", flow.state_span));
    for (const auto& c : ctx.model.calls()) {
      if (c.method != "backward" || !ctx.model.in_loop(c, flow.loop)) continue;
      const auto* retain = c.keyword("retain_graph");
      if (retain && retain->value.as_bool())
        hint.facts.push_back(engine::Fact::boolean("retain_graph", *retain->value.as_bool(), ctx.model.span_of(retain->node, c.cell)));
      break;
    }
    engine::Finding& finding = out.report(flow.state_span,
               "`" + flow.state_text + "` returned by `" + callee + "(...)` is passed back into it on the next "
               "iteration without `.detach()`: the graph of every earlier batch stays attached, so the second "
               "`backward()` raises \"Trying to backward through the graph a second time\" (`retain_graph=True` "
               "only trades that for an in-place-modification error after `opt.step()`, or for time and memory "
               "that grow with every batch)",
               flow.names.size() > 1
                   ? "Detach before the call: `" + flow.state_text + " = " + flow.names[0] + ".detach(), " +
                         flow.names[1] + ".detach()`, or re-create the state for each batch"
                   : "Detach before the call: `" + name + " = " + name + ".detach()` (for an LSTM tuple: `" + name +
                         " = tuple(s.detach() for s in " + name + ")`), or re-create it for each batch",
               std::move(hint));
    finding.fix = detach_fix(ctx.model, flow);
    lines.insert({flow.state_span.start.cell, flow.state_span.start.line});
  }
  report_stale_states(ctx, out, lines);
}

}  // namespace lstmlint::rules
