// hidden-batch-size-mismatch: an initial state laid out (batch, num_layers, hidden); PyTorch
// expects (num_layers * num_directions, batch, hidden_size) whatever batch_first says.
#include <algorithm>
#include <cctype>

#include "engine/registry.h"

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

}  // namespace

void check_hidden_batch_size_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  bool torch_rnn = std::any_of(model.recurrent_layers().begin(), model.recurrent_layers().end(),
                               [](const semantic::RecurrentLayer& r) { return !r.keras; });
  if (!torch_rnn || state_transposed_before_use(model)) return;
  for (const auto& c : model.calls()) {
    if (!tensor_factory(c.qualified) || c.args.size() < 3) continue;
    if (c.args[0].unpacked || c.args[1].unpacked) continue;
    if (!batch_dimension(model, c.args[0].node, c.cell) || !layers_dimension(model, c.args[1].node, c.cell)) continue;
    out.report(c.span,
               "this initial state is laid out (batch, num_layers, hidden): PyTorch's recurrent layers expect h0/c0 "
               "as (num_layers * num_directions, batch, hidden_size) even with `batch_first=True`, so the call "
               "raises `Expected hidden[0] size ...` or, when the sizes happen to match, silently mixes samples "
               "and layers",
               "Swap the first two dimensions: `torch." + c.method + "(" +
                   std::string(model.text_of(c.args[1].node, c.cell)) + ", " +
                   std::string(model.text_of(c.args[0].node, c.cell)) + ", ...)`");
  }
}

}  // namespace lstmlint::rules
