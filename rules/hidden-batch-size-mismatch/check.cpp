// hidden-batch-size-mismatch: an initial state laid out (batch, num_layers, hidden); PyTorch
// expects (num_layers * num_directions, batch, hidden_size) whatever batch_first says.
#include <algorithm>
#include <cctype>

#include <set>

#include "engine/registry.h"
#include "replay/spec.h"
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

// The value a name holds at `byte` in a scope: its latest binding there, else (at module level)
// the binding a top-down run reaches.
TSNode value_at(const semantic::Model& model, const std::string& name, int cell, int scope, uint32_t byte) {
  TSNode value{};
  uint32_t best = 0;
  bool found = false;
  for (const auto& b : model.bindings()) {
    if (b.name != name || b.cell != cell || b.scope != scope || b.effective_byte > byte || b.effective_byte < best) continue;
    best = b.effective_byte;
    value = b.value;
    found = true;
  }
  if (found || scope != 0) return value;
  const auto* b = model.reaching_binding(name, cell, byte);
  return b ? b->value : TSNode{};
}

// h0/c0 built with a literal batch size, fed to a recurrent layer in a loop over a loader
// whose batches can have another size.
void check_fixed_batch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<int> reported;
  for (const auto& use : semantic::loader_loops(model)) {
    const auto& loader = *use.loader;
    if (loader.keyword("batch_sampler")) continue;
    bool unpacked = false;
    for (const auto& a : loader.kwargs) unpacked = unpacked || a.unpacked;
    if (unpacked) continue;
    const auto* bs = loader.argument(1, "batch_size");
    auto batch = bs ? bs->value.as_int() : std::optional<long long>(1);
    const auto* dl = loader.keyword("drop_last");
    auto drop_last = dl ? dl->value.as_bool() : std::optional<bool>(false);
    if (!batch || *batch <= 0 || !drop_last) continue;
    auto length = semantic::dataset_length(model, loader);
    for (const auto& c : model.calls()) {
      if (c.cell != use.cell || !model.in_loop(c, use.loop) || !model.recurrent_layer_called(c)) continue;
      const auto* state = c.positional(1);
      if (!state) state = c.keyword("hx");
      if (!state || state->unpacked) continue;
      for (const auto& name : model.tuple_names(state->node, c.cell)) {
        TSNode value = value_at(model, name, c.cell, c.scope, ts_node_start_byte(c.node));
        const auto* factory = model.call_for(value, c.cell);
        if (!factory) {
          const auto* b = model.reaching_binding(name, c.cell, ts_node_start_byte(c.node));
          if (b && c.scope == 0) factory = model.call_for(value, b->cell);
        }
        if (!factory || !tensor_factory(factory->qualified) || factory->args.size() < 3 || reported.count(factory->id)) continue;
        auto fixed = factory->args[1].value.as_int();
        if (!fixed) continue;
        std::string why;
        if (*fixed != *batch) {
          why = "`" + use.batch + "` comes in batches of " + std::to_string(*batch);
        } else if (!*drop_last && length && *length % *batch != 0) {
          why = "the loader's last batch holds " + std::to_string(*length % *batch) + " samples (" +
                std::to_string(*length) + " samples, batch_size=" + std::to_string(*batch) + ", drop_last=False)";
        }
        if (why.empty()) continue;
        reported.insert(factory->id);
        engine::ReplayHint hint;
        hint.layer = replay::layer_index(model, model.recurrent_layer_called(c));
        hint.loader = loader.id;
        hint.facts.push_back(engine::Fact::integer("hidden_batch", *fixed, model.span_of(factory->args[1].node, c.cell)));
        hint.facts.push_back(engine::Fact::text("state_layout", "layers_batch_hidden", factory->span));
        out.report(factory->span,
                   "this state is built for a batch of exactly " + std::to_string(*fixed) + ", but " + why +
                       ": the recurrent call raises `" +
                       (model.recurrent_layer_called(c)->kind == "LSTM" ? "Expected hidden[0] size" : "Expected hidden size") +
                       " ...` on that batch",
                   "Build the state from the batch in the loop (`torch.zeros(num_layers, x.size(0), hidden_size)`), "
                   "or pass `drop_last=True` to the loader",
                   std::move(hint));
      }
    }
  }
}

}  // namespace

void check_hidden_batch_size_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  bool torch_rnn = std::any_of(model.recurrent_layers().begin(), model.recurrent_layers().end(),
                               [](const semantic::RecurrentLayer& r) { return !r.keras; });
  if (!torch_rnn) return;
  check_fixed_batch(ctx, out);
  if (state_transposed_before_use(model)) return;
  for (const auto& c : model.calls()) {
    if (!tensor_factory(c.qualified) || c.args.size() < 3) continue;
    if (c.args[0].unpacked || c.args[1].unpacked) continue;
    if (!batch_dimension(model, c.args[0].node, c.cell) || !layers_dimension(model, c.args[1].node, c.cell)) continue;
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

}  // namespace lstmlint::rules
