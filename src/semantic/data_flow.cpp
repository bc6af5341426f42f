// Loader-to-loop links, followed through module-level names.
#include "semantic/data_flow.h"

#include <cctype>
#include <set>

#include "semantic/shapes.h"

namespace lstmlint::semantic {
namespace {

using python::field;
using python::is;
using python::named_children;

bool is_data_loader(const Call& c) {
  return c.qualified == "torch.utils.data.DataLoader" || c.qualified == "torch.utils.data.dataloader.DataLoader";
}

// The DataLoader an iterable expression refers to: `loader`, `enumerate(loader)`, `DataLoader(...)`.
const Call* loader_of(const Model& model, TSNode iter, int cell, int scope, bool& enumerated) {
  enumerated = false;
  if (is(iter, "call")) {
    const Call* c = model.call_for(iter, cell);
    if (!c) return nullptr;
    if (is_data_loader(*c)) return c;
    if (c->callee == "enumerate" && !c->args.empty()) {
      enumerated = true;
      bool ignored = false;
      return loader_of(model, c->args[0].node, cell, scope, ignored);
    }
    return nullptr;
  }
  if (!is(iter, "identifier") || model.is_local(std::string(model.text_of(iter, cell)), scope)) return nullptr;
  const Binding* b = model.reaching_binding(std::string(model.text_of(iter, cell)), cell, ts_node_start_byte(iter));
  if (!b || b->conditional || python::null(b->value) || !is(b->value, "call")) return nullptr;
  const Call* c = model.call_for(b->value, b->cell);
  return c && is_data_loader(*c) ? c : nullptr;
}

// The first name of a loop target: `xb` in `xb, yb` or in `i, (xb, yb)` when enumerated.
std::string first_name(const Model& model, TSNode target, int cell, bool enumerated) {
  auto kids = named_children(target);
  if (enumerated) {
    if (kids.size() != 2) return {};
    target = kids[1];
    kids = named_children(target);
  }
  if (is(target, "identifier")) return std::string(model.text_of(target, cell));
  if (kids.empty() || !is(kids[0], "identifier")) return {};
  return std::string(model.text_of(kids[0], cell));
}

}  // namespace

std::vector<LoaderLoop> loader_loops(const Model& model) {
  std::vector<LoaderLoop> out;
  for (const Loop& l : model.loops()) {
    if (!l.is_for) continue;
    bool enumerated = false;
    int scope = l.function >= 0 ? model.functions()[static_cast<size_t>(l.function)].scope : 0;
    const Call* loader = loader_of(model, field(l.node, "right"), l.cell, scope, enumerated);
    if (!loader) continue;
    std::string batch = first_name(model, field(l.node, "left"), l.cell, enumerated);
    if (batch.empty()) continue;
    out.push_back({loader, l.id, batch, l.cell, scope});
  }
  return out;
}

bool rebound_in_loop(const Model& model, const std::string& name, int loop, int scope, uint32_t byte, TSNode& value) {
  value = TSNode{};
  bool found = false;
  uint32_t best = 0;
  // The loop's own target (`for xb, yb in loader`) is bound before its body: not a re-binding.
  uint32_t body = ts_node_start_byte(field(model.loops()[static_cast<size_t>(loop)].node, "body"));
  for (const Binding& b : model.bindings()) {
    if (b.name != name || b.scope != scope || !model.in_loop(b, loop) || b.byte < body) continue;
    if (b.effective_byte <= byte && b.effective_byte >= best) {
      best = b.effective_byte;
      value = b.kind == BindingKind::Assignment ? b.value : TSNode{};
      found = true;
    }
  }
  return found;
}

std::optional<long long> dataset_length(const Model& model, const Call& loader) {
  const auto* dataset = loader.argument(0, "dataset");
  if (!dataset || dataset->unpacked) return std::nullopt;
  TSNode d = dataset->node;
  int cell = loader.cell;
  if (python::is(d, "identifier")) {
    const auto* b = model.reaching_binding(std::string(model.text_of(d, cell)), cell, ts_node_start_byte(d));
    if (!b || b->conditional || python::null(b->value)) return std::nullopt;
    d = b->value;
    cell = b->cell;
  }
  const auto* c = model.call_for(d, cell);
  if (c && c->qualified.find("TensorDataset") != std::string::npos && !c->args.empty())
    return first_dim_of(model, c->args[0].node, cell, 0);
  return first_dim_of(model, d, cell, 0);
}

}  // namespace lstmlint::semantic
