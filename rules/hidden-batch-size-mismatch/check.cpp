// hidden-batch-size-mismatch: an initial state laid out (batch, num_layers, hidden); PyTorch
// expects (num_layers * num_directions, batch, hidden_size) whatever batch_first says.
#include <algorithm>
#include <cctype>

#include <set>

#include "engine/registry.h"
#include "semantic/data_flow.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool tensor_factory(const std::string& q) {
  static const char* names[] = {"torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.empty",
                                "torch.autograd.Variable"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return q == n; });
}

// `x.size(0)`, `x.shape[0]`, `batch_size`, `self.batch_size`, `bs`.
bool batch_dimension(const semantic::Model& model, TSNode arg, int cell) {
  std::string text = lower(model.text_of(arg, cell));
  if (text.find("batch") != std::string::npos || text == "bs") return true;
  return (text.find(".size(0)") != std::string::npos || text.find(".shape[0]") != std::string::npos) &&
         text.find("layer") == std::string::npos;
}

bool layers_dimension(const semantic::Model& model, TSNode arg, int cell) {
  std::string text = lower(model.text_of(arg, cell));
  return text.find("layer") != std::string::npos;
}

// Some notebooks keep the state batch-major on purpose (nn.DataParallel splits dim 0) and
// transpose it before the recurrent call: then the layout is right where it matters.
bool state_transposed_before_use(const semantic::Model& model) {
  for (const auto& c : model.calls()) {
    if (!model.recurrent_layer_called(c)) continue;
    const auto* state = c.positional(1);
    if (!state) state = c.keyword("hx");
    if (!state) continue;
    std::string text(model.text_of(state->node, c.cell));
    if (text.find("transpose") != std::string::npos || text.find("permute") != std::string::npos) return true;
    for (const auto& name : model.tuple_names(state->node, c.cell))
      for (const auto& b : model.bindings()) {
        if (b.name != name || b.scope != c.scope || python::null(b.source)) continue;
        std::string src(model.text_of(b.source, b.cell));
        if (src.find("transpose") != std::string::npos || src.find("permute") != std::string::npos) return true;
      }
  }
  return false;
}

// A state built for a fixed batch (its second axis) that reaches a recurrent call whose input
// batch has another size: from the value-flow model, through attributes, constructors and the
// loader's last batch.
void check_fixed_batch(const engine::Context& ctx, engine::Diagnostics& out, std::set<std::tuple<int, int, int>> reported) {
  using semantic::AValue;
  const auto& model = ctx.model;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (ev.guarded || !ev.state || !ev.input || ev.input->kind != AValue::Kind::Tensor || !ev.input->ranked || ev.input->shape.size() != 3) continue;
    auto bf = ev.layer->field("batch_first");
    auto batch_first = bf ? bf->as_bool() : std::nullopt;
    if (!batch_first) continue;
    const semantic::Dim& batch = ev.input->shape[*batch_first ? 0 : 1];
    if (!batch.size) continue;
    std::vector<semantic::Ref> parts;
    if (ev.state->kind == AValue::Kind::Tuple) parts = ev.state->items;
    else parts.push_back(ev.state);
    engine::Finding* first = nullptr;  // h and c built the same way are one bug: c is related
    for (const auto& t : parts) {
      if (t->kind != AValue::Kind::Tensor || !t->ranked || t->shape.size() != 3 || !t->shape[1].size) continue;
      if (*t->shape[1].size == *batch.size || !t->origin.known()) continue;
      const auto& o = t->origin;
      Span ospan = o.span(model);
      if (!reported.insert({o.cell, ospan.start.line, ospan.start.column}).second) continue;
      if (first) {
        out.relate(*first, ospan, "this part of the state is built for the same fixed batch of " +
                                      std::to_string(*t->shape[1].size));
        continue;
      }
      std::string why = batch.why.empty() ? "the input `" + std::string(model.text_of(ev.node, ev.cell)) +
                                                "` has a batch of " + std::to_string(*batch.size)
                                          : batch.why;
      engine::ReplayHint hint;
      hint.layer = model.layer_index_of(*ev.layer);
      hint.facts.push_back(engine::Fact::integer("hidden_batch", *t->shape[1].size, t->shape[1].origin.known() ? t->shape[1].origin.span(model) : ospan));
      hint.facts.push_back(engine::Fact::integer("data_batch", *batch.size, model.span_of(ev.node, ev.cell)));
      hint.facts.push_back(engine::Fact::text("state_layout", "layers_batch_hidden", ospan));
      std::string fixed = std::to_string(*t->shape[1].size);
      std::string stated_as = t->shape[1].origin.text(model);
      if (!stated_as.empty() && stated_as != fixed) fixed += " (`" + stated_as + "`)";
      first = &out.report(ospan,
                 "this state is built for a batch of exactly " + fixed + ", but " + why + " where it reaches `" +
                     std::string(model.text_of(ev.node, ev.cell)) + "` (" + semantic::Origin{ev.cell, ev.node, {}}.where() +
                     "): the recurrent call raises `" + (ev.layer->kind_name == "LSTM" ? "Expected hidden[0] size" : "Expected hidden size") +
                     " ...` on that batch",
                 "Build the state from the batch in the loop (`torch.zeros(num_layers, x.size(0), hidden_size)`), "
                 "or pass `drop_last=True` to the loader",
                 std::move(hint));
    }
  }
}

}  // namespace

void check_hidden_batch_size_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  bool torch_rnn = std::any_of(model.recurrent_layers().begin(), model.recurrent_layers().end(),
                               [](const semantic::RecurrentLayer& r) { return !r.keras; });
  if (!torch_rnn) return;
  std::set<std::tuple<int, int, int>> layout;  // states reported for their layout: one finding each
  if (!state_transposed_before_use(model)) {
    for (const auto& c : model.calls()) {
      if (!tensor_factory(c.qualified) || c.args.size() < 3) continue;
      if (c.args[0].unpacked || c.args[1].unpacked) continue;
      if (!batch_dimension(model, c.args[0].node, c.cell) || !layers_dimension(model, c.args[1].node, c.cell)) continue;
      layout.insert({c.span.start.cell, c.span.start.line, c.span.start.column});
      engine::ReplayHint hint;
      hint.facts.push_back(engine::Fact::text("state_layout", "batch_layers_hidden", c.span));
      if (auto b = c.args[0].value.as_int()) hint.facts.push_back(engine::Fact::integer("hidden_batch", *b, model.span_of(c.args[0].node, c.cell)));
      out.report(c.span,
                 "this initial state is laid out (batch, num_layers, hidden): PyTorch's recurrent layers expect h0/c0 "
                 "as (num_layers * num_directions, batch, hidden_size) even with `batch_first=True`, so the call "
                 "raises `Expected hidden[0] size ...` or, when the sizes happen to match, silently mixes samples "
                 "and layers",
                 "Swap the first two dimensions: `torch." + c.method + "(" +
                     std::string(model.text_of(c.args[1].node, c.cell)) + ", " +
                     std::string(model.text_of(c.args[0].node, c.cell)) + ", ...)`",
                 std::move(hint));
    }
  }
  check_fixed_batch(ctx, out, std::move(layout));
}

}  // namespace lstmlint::rules
