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

namespace {

const std::set<std::string>& scaler_classes() {
  static const std::set<std::string> names = {
      "sklearn.preprocessing.MinMaxScaler", "sklearn.preprocessing.StandardScaler",
      "sklearn.preprocessing.RobustScaler", "sklearn.preprocessing.MaxAbsScaler",
      "sklearn.preprocessing.QuantileTransformer", "sklearn.preprocessing.PowerTransformer"};
  return names;
}

// `df[['Close']].values.reshape(-1, 1)` -> df
std::string root_name(const Model& model, TSNode expr, int cell) {
  for (int depth = 0; depth < 16 && !python::null(expr); ++depth) {
    if (is(expr, "identifier")) return std::string(model.text_of(expr, cell));
    if (is(expr, "attribute")) expr = field(expr, "object");
    else if (is(expr, "subscript")) expr = field(expr, "value");
    else if (is(expr, "call") && is(field(expr, "function"), "attribute")) expr = field(field(expr, "function"), "object");
    else if (is(expr, "parenthesized_expression")) expr = ts_node_named_child(expr, 0);
    else return {};
  }
  return {};
}

// Whether an expression takes a range of rows: a bounded slice as the FIRST index (`x[:n]`,
// `df.iloc[n:]`). Column selections (`x[:, 4:5]`, `df[['Close']]`) keep every row.
bool sliced(const Model& model, TSNode expr, int cell) {
  for (int depth = 0; depth < 16 && !python::null(expr); ++depth) {
    if (is(expr, "subscript")) {
      auto kids = named_children(expr);
      if (kids.size() >= 2 && is(kids[1], "slice") && model.text_of(kids[1], cell) != ":") return true;
      expr = field(expr, "value");
    } else if (is(expr, "attribute")) {
      expr = field(expr, "object");
    } else if (is(expr, "call") && is(field(expr, "function"), "attribute")) {
      expr = field(field(expr, "function"), "object");
    } else {
      return false;
    }
  }
  return false;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `name` occurs in `text` as a whole identifier.
bool mentions(const std::string& text, const std::string& name) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    bool starts = at == 0 || !word_char(text[at - 1]);
    bool ends = at + name.size() == text.size() || !word_char(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

bool says_training(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n.find("train") != std::string::npos;
}

std::string assigned_name(const Model& model, TSNode node, int cell) {
  TSNode parent = ts_node_parent(node);
  if (is(parent, "assignment") && ts_node_eq(field(parent, "right"), node) && is(field(parent, "left"), "identifier"))
    return std::string(model.text_of(field(parent, "left"), cell));
  return {};
}

bool is_scaler(const Model& model, const Call& fit) {
  if (fit.method != "fit" && fit.method != "fit_transform") return false;
  TSNode object = field(field(fit.node, "function"), "object");
  if (is(object, "call")) {
    const Call* c = model.call_for(object, fit.cell);
    return c && scaler_classes().count(c->qualified) > 0;
  }
  if (fit.receiver.empty()) return false;
  const Binding* b = model.reaching_binding(fit.receiver, fit.cell, ts_node_start_byte(fit.node));
  if (!b || python::null(b->value) || !is(b->value, "call")) return false;
  const Call* c = model.call_for(b->value, b->cell);
  return c && scaler_classes().count(c->qualified) > 0;
}

// (x - x.mean()) / x.std()  or  (x - x.min()) / (x.max() - x.min()) on one name.
std::string manual_normalisation(const Model& model, TSNode value, int cell) {
  if (!is(value, "binary_operator") || model.text_of(field(value, "operator"), cell) != "/") return {};
  std::string text(model.text_of(value, cell));
  bool mean_std = text.find(".mean(") != std::string::npos && text.find(".std(") != std::string::npos;
  bool min_max = text.find(".min(") != std::string::npos && text.find(".max(") != std::string::npos;
  if (!mean_std && !min_max) return {};
  TSNode numerator = field(value, "left");
  while (is(numerator, "parenthesized_expression")) numerator = ts_node_named_child(numerator, 0);
  if (!is(numerator, "binary_operator")) return {};
  std::string data = root_name(model, field(numerator, "left"), cell);
  if (data.empty() || sliced(model, field(numerator, "left"), cell)) return {};
  // Statistics of the same array (`x.mean()`), not of a training part (`train.mean()`).
  bool own = text.find(data + ".mean(") != std::string::npos || text.find(data + ".min(") != std::string::npos ||
             text.find(data + ".std(") != std::string::npos || text.find(data + ".max(") != std::string::npos;
  if (!own) return {};
  return data;
}

}  // namespace

std::vector<ScalerFit> scaler_fits(const Model& model) {
  std::vector<ScalerFit> fits;
  for (const Call& c : model.calls()) {
    if (!c.at_cell_run || c.args.empty() || !is_scaler(model, c)) continue;
    ScalerFit f;
    f.node = c.node;
    f.cell = c.cell;
    f.data = root_name(model, c.args[0].node, c.cell);
    if (f.data.empty()) continue;
    f.on_training_part = sliced(model, c.args[0].node, c.cell) || says_training(f.data);
    f.result = assigned_name(model, c.node, c.cell);
    f.how = std::string(model.text_of(c.node, c.cell));
    fits.push_back(f);
  }
  for (const Binding& b : model.bindings()) {
    if (b.scope != 0 || b.deferred || b.kind != BindingKind::Assignment || python::null(b.value)) continue;
    std::string data = manual_normalisation(model, b.value, b.cell);
    if (data.empty()) continue;
    fits.push_back({b.value, b.cell, data, b.name, std::string(model.text_of(b.value, b.cell)), says_training(data)});
  }
  return fits;
}

TSNode split_after(const Model& model, const std::vector<std::string>& names, int cell, uint32_t byte, int& split_cell) {
  auto after = [&](int c, uint32_t at) { return c > cell || (c == cell && at > byte); };
  std::set<std::string> derived(names.begin(), names.end());
  // Names computed from the data later on (`X, y = make_windows(scaled, 30)`), two steps deep.
  for (int round = 0; round < 2; ++round) {
    for (const Binding& b : model.bindings()) {
      if (b.scope != 0 || !after(b.cell, b.byte) || python::null(b.source) || derived.count(b.name)) continue;
      TSNode value = b.source;
      std::string text(model.text_of(value, b.cell));
      for (const std::string& n : std::set<std::string>(derived))
        if (mentions(text, n) && !sliced(model, value, b.cell)) derived.insert(b.name);
    }
  }
  for (const Call& c : model.calls()) {
    if (!after(c.cell, ts_node_start_byte(c.node)) || c.args.empty()) continue;
    bool split = c.qualified == "sklearn.model_selection.train_test_split" || c.qualified == "torch.utils.data.random_split";
    if (split && derived.count(root_name(model, c.args[0].node, c.cell))) {
      split_cell = c.cell;
      return c.node;
    }
  }
  for (const Binding& b : model.bindings()) {
    if (b.scope != 0 || !after(b.cell, b.byte) || python::null(b.source)) continue;
    std::string target = b.name;
    for (char& ch : target) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (target.find("train") == std::string::npos && target.find("test") == std::string::npos) continue;
    // `x_train = data[:n]`, or `train, test = data[:n], data[n:]`
    std::vector<TSNode> parts{b.source};
    if (is(b.source, "expression_list") || is(b.source, "tuple")) parts = named_children(b.source);
    for (TSNode part : parts) {
      if (is(part, "subscript") && sliced(model, part, b.cell) && derived.count(root_name(model, part, b.cell))) {
        split_cell = b.cell;
        return b.source;
      }
    }
  }
  return TSNode{};
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
