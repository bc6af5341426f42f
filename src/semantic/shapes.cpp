// Rank inference: conservative — any construct not listed here is unknown.
#include "semantic/shapes.h"

#include <algorithm>

namespace lstmlint::semantic {
namespace {

using python::field;
using python::is;
using python::named_children;

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

// Rank given by a shape argument list: f(a, b, c) -> 3, f((a, b, c)) -> 3, f(n) -> 1.
std::optional<int> shape_arguments(const Model& model, const Call& c) {
  if (c.args.empty() || std::any_of(c.args.begin(), c.args.end(), [](const Argument& a) { return a.unpacked; }))
    return std::nullopt;
  if (c.args.size() == 1) {
    TSNode a = c.args[0].node;
    if (is(a, "tuple") || is(a, "list")) return static_cast<int>(named_children(a).size());
    Value v = model.value_of(a, c.cell, c.scope);
    if (v.kind == Value::Kind::Tuple) return static_cast<int>(v.items.size());
    if (v.kind == Value::Kind::Int || is(a, "integer") || is(a, "identifier") || is(a, "binary_operator") ||
        is(a, "call"))
      return 1;
    return std::nullopt;
  }
  return static_cast<int>(c.args.size());
}

// Every shape query looks through parentheses and plain names alike: `(x)` is x, and a name is
// the value of the one unconditional assignment that reaches this point. A parameter, a local,
// or a name bound any other way stops the query.
enum class Look { Other, Stop, Follow };
Look look_through(const Model& model, TSNode& expr, int& cell, int& scope) {
  if (is(expr, "parenthesized_expression")) {
    auto kids = named_children(expr);
    if (kids.size() != 1) return Look::Stop;
    expr = kids[0];
    return Look::Follow;
  }
  if (!is(expr, "identifier")) return Look::Other;
  std::string name(model.text_of(expr, cell));
  if (model.is_local(name, scope)) return Look::Stop;
  const Binding* b = model.reaching_binding(name, cell, ts_node_start_byte(expr));
  if (!b || b->conditional || b->kind != BindingKind::Assignment || python::null(b->value)) return Look::Stop;
  expr = b->value;
  cell = b->cell;
  scope = 0;
  return Look::Follow;
}

// A positive integer constant, or nothing.
std::optional<long long> positive_int(const Model& model, TSNode n, int cell, int scope) {
  auto v = model.value_of(n, cell, scope).as_int();
  return v && *v > 0 ? v : std::nullopt;
}

}  // namespace

// What the value-flow model knows about the expression: a tensor of known rank, else null (then
// the syntax is read, for notebooks and expressions the model did not run).
static const AValue* modelled_tensor(const Model& model, TSNode expr, int cell) {
  Ref v = model.values().value_of(expr, cell);
  if (!v || v->kind != AValue::Kind::Tensor || !v->ranked) return nullptr;
  return v.get();  // owned by the model's table, which outlives the call
}

std::optional<int> rank_of(const Model& model, TSNode expr, int cell, int scope, int depth) {
  if (python::null(expr) || depth > 12) return std::nullopt;
  if (const AValue* t = modelled_tensor(model, expr, cell)) return static_cast<int>(t->shape.size());
  switch (look_through(model, expr, cell, scope)) {
    case Look::Stop: return std::nullopt;
    case Look::Follow: return rank_of(model, expr, cell, scope, depth + 1);
    case Look::Other: break;
  }
  if (is(expr, "subscript")) {
    // x[a:b] keeps the rank; an integer index or anything else is not followed.
    auto kids = named_children(expr);
    if (kids.size() == 2 && is(kids[1], "slice")) return rank_of(model, field(expr, "value"), cell, scope, depth + 1);
    return std::nullopt;
  }
  if (is(expr, "integer") || is(expr, "float")) return 0;
  if (is(expr, "unary_operator")) return rank_of(model, field(expr, "argument"), cell, scope, depth + 1);
  if (is(expr, "binary_operator")) {
    // Element-wise arithmetic broadcasts: the result has the larger rank of its operands.
    std::string_view op = model.text_of(field(expr, "operator"), cell);
    if (op != "+" && op != "-" && op != "*" && op != "/") return std::nullopt;
    auto a = rank_of(model, field(expr, "left"), cell, scope, depth + 1);
    auto b = rank_of(model, field(expr, "right"), cell, scope, depth + 1);
    if (!a || !b) return std::nullopt;
    return std::max(*a, *b);
  }
  if (!is(expr, "call")) return std::nullopt;
  const Call* c = model.call_for(expr, cell);
  if (!c) return std::nullopt;
  const std::string& q = c->qualified;
  const std::string& m = c->method;
  TSNode receiver = is(field(expr, "function"), "attribute") ? field(field(expr, "function"), "object") : TSNode{};
  auto receiver_rank = [&]() { return rank_of(model, receiver, cell, scope, depth + 1); };
  auto first_arg_rank = [&]() {
    return c->args.empty() ? std::nullopt : rank_of(model, c->args[0].node, cell, scope, depth + 1);
  };

  if (one_of(q, {"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "numpy.random.randn",
                 "numpy.random.rand"}))
    return shape_arguments(model, *c);
  if (one_of(q, {"numpy.zeros", "numpy.ones", "numpy.empty"})) return shape_arguments(model, *c);
  if (one_of(q, {"torch.arange", "torch.linspace", "numpy.arange", "numpy.linspace"})) return 1;
  if (one_of(q, {"numpy.sin", "numpy.cos", "numpy.exp", "numpy.log", "numpy.sqrt", "torch.sin", "torch.cos",
                 "torch.exp", "torch.log", "numpy.array", "numpy.asarray", "torch.tensor", "torch.as_tensor",
                 "torch.from_numpy", "torch.FloatTensor", "torch.Tensor"}))
    return first_arg_rank();
  if (!python::null(receiver)) {
    if (m == "view" || m == "reshape") return shape_arguments(model, *c);
    if (m == "unsqueeze") {
      auto r = receiver_rank();
      return r ? std::optional<int>(*r + 1) : std::nullopt;
    }
    if (m == "unfold") {  // windows: one more axis
      auto r = receiver_rank();
      return r ? std::optional<int>(*r + 1) : std::nullopt;
    }
    if (one_of(m, {"float", "double", "long", "to", "cuda", "cpu", "clone", "contiguous", "detach", "astype",
                   "numpy"}))
      return receiver_rank();
  }
  return std::nullopt;
}

std::optional<long long> last_dim_of(const Model& model, TSNode expr, int cell, int scope, int depth) {
  if (python::null(expr) || depth > 12) return std::nullopt;
  if (const AValue* t = modelled_tensor(model, expr, cell); t && !t->shape.empty() && t->shape.back().size)
    return t->shape.back().size;
  switch (look_through(model, expr, cell, scope)) {
    case Look::Stop: return std::nullopt;
    case Look::Follow: return last_dim_of(model, expr, cell, scope, depth + 1);
    case Look::Other: break;
  }
  auto positive = [&](TSNode n) { return positive_int(model, n, cell, scope); };
  if (is(expr, "subscript")) {
    auto kids = named_children(expr);
    if (kids.size() == 2 && is(kids[1], "slice")) return last_dim_of(model, field(expr, "value"), cell, scope, depth + 1);
    return std::nullopt;
  }
  if (!is(expr, "call")) return std::nullopt;
  const Call* c = model.call_for(expr, cell);
  if (!c || std::any_of(c->args.begin(), c->args.end(), [](const Argument& a) { return a.unpacked; }))
    return std::nullopt;
  const std::string& q = c->qualified;
  const std::string& m = c->method;
  TSNode receiver = is(field(expr, "function"), "attribute") ? field(field(expr, "function"), "object") : TSNode{};
  bool factory = one_of(q, {"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "numpy.random.randn",
                            "numpy.random.rand", "numpy.zeros", "numpy.ones", "numpy.empty"});
  bool reshape = !python::null(receiver) && (m == "view" || m == "reshape");
  if ((factory || reshape) && !c->args.empty()) {
    if (c->args.size() == 1) {
      Value v = model.value_of(c->args[0].node, cell, scope);
      if (v.kind == Value::Kind::Tuple && !v.items.empty()) {
        auto last = v.items.back().as_int();
        return last && *last > 0 ? last : std::nullopt;
      }
      return factory ? positive(c->args[0].node) : std::nullopt;
    }
    return positive(c->args.back().node);
  }
  if (!python::null(receiver)) {
    if (m == "unsqueeze" && c->args.size() == 1) {
      auto d = model.value_of(c->args[0].node, cell, scope).as_int();
      if (d && *d == -1) return 1;
      return std::nullopt;
    }
    if (m == "unfold" && c->args.size() == 3) return positive(c->args[1].node);
    if (one_of(m, {"float", "double", "to", "cuda", "cpu", "clone", "contiguous", "detach"}))
      return last_dim_of(model, receiver, cell, scope, depth + 1);
  }
  return std::nullopt;
}

std::optional<long long> first_dim_of(const Model& model, TSNode expr, int cell, int scope, int depth) {
  if (python::null(expr) || depth > 12) return std::nullopt;
  if (const AValue* t = modelled_tensor(model, expr, cell); t && !t->shape.empty() && t->shape.front().size)
    return t->shape.front().size;
  switch (look_through(model, expr, cell, scope)) {
    case Look::Stop: return std::nullopt;
    case Look::Follow: return first_dim_of(model, expr, cell, scope, depth + 1);
    case Look::Other: break;
  }
  auto positive = [&](TSNode n) { return positive_int(model, n, cell, scope); };
  if (is(expr, "subscript")) {
    auto kids = named_children(expr);
    if (kids.size() < 2 || !is(kids[1], "slice")) return std::nullopt;
    auto n = first_dim_of(model, field(expr, "value"), cell, scope, depth + 1);
    if (!n) return std::nullopt;
    // [start:stop] with constant bounds, Python's clamping and negative indices
    TSNode slice = kids[1];
    long long start = 0, stop = *n;
    bool after_colon = false;
    for (TSNode part : python::children(slice)) {
      if (python::type(part) == ":") {
        if (after_colon) return std::nullopt;  // a step: not followed
        after_colon = true;
        continue;
      }
      auto v = model.value_of(part, cell, scope).as_int();
      if (!v) return std::nullopt;
      long long k = *v < 0 ? *n + *v : *v;
      k = std::max(0LL, std::min(*n, k));
      (after_colon ? stop : start) = k;
    }
    return std::max(0LL, stop - start);
  }
  if (!is(expr, "call")) return std::nullopt;
  const Call* c = model.call_for(expr, cell);
  if (!c || std::any_of(c->args.begin(), c->args.end(), [](const Argument& a) { return a.unpacked; }))
    return std::nullopt;
  const std::string& q = c->qualified;
  const std::string& m = c->method;
  TSNode receiver = is(field(expr, "function"), "attribute") ? field(field(expr, "function"), "object") : TSNode{};
  bool factory = one_of(q, {"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "numpy.random.randn",
                            "numpy.random.rand", "numpy.zeros", "numpy.ones", "numpy.empty", "torch.arange",
                            "numpy.arange"});
  bool reshape = !python::null(receiver) && (m == "view" || m == "reshape");
  if ((factory || reshape) && !c->args.empty()) {
    if ((q == "torch.arange" || q == "numpy.arange") && c->args.size() != 1) return std::nullopt;
    if (c->args.size() == 1) {
      Value v = model.value_of(c->args[0].node, cell, scope);
      if (v.kind == Value::Kind::Tuple && !v.items.empty()) {
        auto first = v.items.front().as_int();
        return first && *first > 0 ? first : std::nullopt;
      }
      return factory ? positive(c->args[0].node) : std::nullopt;
    }
    return positive(c->args.front().node);
  }
  if (!python::null(receiver)) {
    if (m == "unsqueeze" && c->args.size() == 1) {
      auto d = model.value_of(c->args[0].node, cell, scope).as_int();
      if (d && *d == 0) return 1;
      if (d && *d != 0) return first_dim_of(model, receiver, cell, scope, depth + 1);
      return std::nullopt;
    }
    if (m == "unfold" && c->args.size() == 3) {
      auto dim = model.value_of(c->args[0].node, cell, scope).as_int();
      auto size = positive(c->args[1].node);
      auto step = positive(c->args[2].node);
      auto n = first_dim_of(model, receiver, cell, scope, depth + 1);
      if (!dim || *dim != 0 || !size || !step || !n || *n < *size) return std::nullopt;
      return (*n - *size) / *step + 1;
    }
    if (one_of(m, {"float", "double", "to", "cuda", "cpu", "clone", "contiguous", "detach"}))
      return first_dim_of(model, receiver, cell, scope, depth + 1);
  }
  return std::nullopt;
}

namespace {

// `s[i:i + L]` or `s[i:i + L, 0]`: a slice whose start is a loop variable; returns s's text.
bool window_slice(const Model& model, TSNode expr, int cell, std::string* source) {
  if (!is(expr, "subscript")) return false;
  auto kids = named_children(expr);
  if (kids.size() < 2 || !is(kids[1], "slice")) return false;
  auto bounds = named_children(kids[1]);
  if (bounds.size() < 2) return false;  // both start and stop: a moving window
  if (source) *source = std::string(model.text_of(field(expr, "value"), cell));
  return true;
}

}  // namespace

bool is_windowed(const Model& model, TSNode expr, int cell, int scope, std::string* source, int depth) {
  if (python::null(expr) || depth > 8) return false;
  if (depth == 0) {  // the value-flow model sees windows cut in helpers and written by index
    Ref v = model.values().value_of(expr, cell);
    if (v && v->kind == AValue::Kind::Tensor && v->windowed && v->ranked && v->shape.size() >= 2) return true;
  }
  if (is(expr, "identifier")) {
    std::string name(model.text_of(expr, cell));
    if (model.is_local(name, scope)) return false;
    const Binding* b = model.reaching_binding(name, cell, ts_node_start_byte(expr));
    if (!b || b->kind != BindingKind::Assignment) return false;
    TSNode value = b->value;
    if (python::null(value)) return false;
    if (is(value, "list") && named_children(value).empty()) {
      // windows = [] ... windows.append(s[i:i + L]) in a loop
      for (const Call& c : model.calls()) {
        if (c.receiver != name || c.method != "append" || c.loops.empty() || c.args.empty()) continue;
        if (window_slice(model, c.args[0].node, c.cell, source)) return true;
      }
      return false;
    }
    return is_windowed(model, value, b->cell, 0, source, depth + 1);
  }
  if (is(expr, "subscript")) {  // windows[:, :L]: a slice of windows is still windows
    auto kids = named_children(expr);
    bool slices = kids.size() >= 2 && std::all_of(kids.begin() + 1, kids.end(), [](TSNode k) { return is(k, "slice"); });
    return slices && is_windowed(model, field(expr, "value"), cell, scope, source, depth + 1);
  }
  if (is(expr, "list_comprehension")) return window_slice(model, field(expr, "body"), cell, source);
  if (!is(expr, "call")) return false;
  const Call* c = model.call_for(expr, cell);
  if (!c) return false;
  if (c->method == "unfold" && !c->receiver.empty()) {
    if (source) *source = c->receiver;
    return true;
  }
  static const char* wrappers[] = {"numpy.array", "numpy.asarray", "numpy.stack", "numpy.vstack", "torch.stack",
                                   "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.FloatTensor",
                                   "torch.Tensor"};
  bool wrapper = std::any_of(std::begin(wrappers), std::end(wrappers), [&](const char* w) { return c->qualified == w; });
  bool conversion = is(field(expr, "function"), "attribute") &&
                    one_of(c->method, {"float", "double", "to", "astype", "reshape", "view", "unsqueeze"});
  if (wrapper && !c->args.empty()) return is_windowed(model, c->args[0].node, cell, scope, source, depth + 1);
  if (conversion) return is_windowed(model, field(field(expr, "function"), "object"), cell, scope, source, depth + 1);
  return false;
}

}  // namespace lstmlint::semantic
