// state-not-detached: recurrent state returned by a forward call is fed into the next
// iteration's call with its graph attached, in a loop that calls backward(). Asks the
// value-flow model which state reaches each recurrent call (through functions, methods and
// `self.hidden`) and whether a backward() has run through its graph since.
#include <set>

#include "engine/registry.h"
#include "fix/edits.h"
#include "semantic/interpreter.h"

namespace lstmlint::rules {
namespace {

// `h = h.detach()`, `h, c = h.detach(), c.detach()`, or a tuple comprehension for an LSTM state
// held in one name, on its own line before the statement that feeds the state; guarded when the
// run of state starts as None (which the recurrent call accepts and `.detach()` does not).
std::optional<engine::Fix> detach_fix(const semantic::Model& model, const semantic::RecurrentCall& ev) {
  std::string line;
  std::string state(model.text_of(ev.state_entry, ev.state_cell));
  if (python::is(ev.state_entry, "identifier") || python::is(ev.state_entry, "attribute")) {
    const auto& start = model.values().chain(ev.chain);
    bool may_be_none = start.initial && start.initial->kind == semantic::AValue::Kind::Const &&
                       start.initial->constant.kind == semantic::Value::Kind::None;
    bool tuple_state = ev.state && ev.state->kind == semantic::AValue::Kind::Tuple;
    line = tuple_state || ev.layer->kind_name == "LSTM" ? state + " = tuple(s.detach() for s in " + state + ")"
                                                        : state + " = " + state + ".detach()";
    if (may_be_none) line += " if " + state + " is not None else None";
  } else {
    auto names = model.tuple_names(ev.state_entry, ev.state_cell);
    if (names.size() < 2) return std::nullopt;
    std::string targets, values;
    for (const auto& n : names) {
      targets += (targets.empty() ? "" : ", ") + n;
      values += (values.empty() ? "" : ", ") + n + ".detach()";
    }
    line = targets + " = " + values;
  }
  const semantic::Call* entry_call = nullptr;
  for (TSNode n = ts_node_parent(ev.state_entry); !python::null(n) && !entry_call; n = ts_node_parent(n))
    if (python::is(n, "call")) entry_call = model.call_for(n, ev.state_cell);
  if (!entry_call) return std::nullopt;
  auto edit = fix::insert_line_before(model, entry_call->node, entry_call->cell, line);
  if (!edit) return std::nullopt;
  return engine::Fix{"Insert `" + line + "` before the call", true, {*edit}};
}

}  // namespace

void check_state_not_detached(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<std::pair<int, int>> lines;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (!(ev.stale_state || ev.retained_state) || python::null(ev.state_entry)) continue;
    Span span = model.span_of(ev.state_entry, ev.state_cell);
    if (!lines.insert({span.start.cell, span.start.line}).second) continue;
    std::string state(model.text_of(ev.state_entry, ev.state_cell));
    std::string call(model.text_of(ev.node, ev.cell));
    semantic::Origin here{ev.cell, ev.node, {}};
    bool same_call = ts_node_eq(ev.stale_origin.node, ev.node) && ev.stale_origin.cell == ev.cell;
    std::string carried = same_call ? "`" + state + "` returned by `" + call + "` (" + here.where() +
                                          ") is passed back into it on the next iteration"
                                    : "`" + state + "` still holds the graph of `" + ev.stale_origin.text(model) + "` (" +
                                          ev.stale_origin.where() + ") from the previous iteration, and reaches `" +
                                          call + "` (" + here.where() + ")";
    engine::ReplayHint hint;
    hint.layer = model.layer_index_of(*ev.layer);
    hint.facts.push_back(engine::Fact::text("state", "carried", span));
    std::string message;
    if (ev.stale_state) {
      message = carried + " without `.detach()`, after backward() has already run through that graph and freed it: "
                          "the next `backward()` raises \"Trying to backward through the graph a second time\"";
    } else {
      hint.facts.push_back(engine::Fact::boolean("retain_graph", true, span));
      message = carried + " without `.detach()`, and `backward(retain_graph=True)` keeps every earlier batch's graph "
                          "attached: each backward() runs through all earlier batches, so time and memory grow with "
                          "every batch, and once `opt.step()` has changed the weights in place the next backward() "
                          "raises \"one of the variables needed for gradient computation has been modified by an "
                          "inplace operation\"";
    }
    engine::Finding& finding = out.report(
        span, message,
        "Detach the state before it is fed back (`h = h.detach()`; for an LSTM tuple `h = tuple(s.detach() for s in "
        "h)`), or re-create it for each batch; `retain_graph=True` is not a fix",
        std::move(hint));
    finding.fix = detach_fix(model, ev);
  }
}

}  // namespace lstmlint::rules
