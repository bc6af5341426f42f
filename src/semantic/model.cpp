// Queries on the semantic model: name resolution, qualified names, literal values, spans.
#include "semantic/model.h"

#include <algorithm>
#include <unordered_set>
#include <cerrno>
#include <cstdlib>

namespace lstmlint::semantic {

using python::field;
using python::is;
using python::named_children;
using python::null;
using python::type;

const Argument* Call::keyword(std::string_view name) const {
  for (const auto& a : kwargs)
    if (a.keyword == name) return &a;
  return nullptr;
}

const Argument* Call::positional(size_t i) const {
  for (size_t k = 0; k < args.size() && k <= i; ++k)
    if (args[k].unpacked) return nullptr;  // positions after *args are unknown
  return i < args.size() ? &args[i] : nullptr;
}

const Argument* Call::argument(size_t i, std::string_view name) const {
  if (const Argument* a = positional(i)) return a;
  return keyword(name);
}

bool CellInfo::trains() const {
  bool backward = false, step = false;
  for (const auto& e : effects) {
    backward = backward || e.method == "backward";
    step = step || e.method == "step";
  }
  return backward && step;
}

const std::vector<int>& Model::module_bindings(const std::string& name) const {
  static const std::vector<int> none;
  auto it = module_index_.find(name);
  return it == module_index_.end() ? none : it->second;
}

const Binding* Model::reaching_binding(const std::string& name, int cell, uint32_t byte) const {
  const Binding* found = nullptr;
  for (int id : module_bindings(name)) {
    const Binding& b = bindings_[static_cast<size_t>(id)];
    if (b.deferred) continue;
    if (b.cell < cell || (b.cell == cell && b.effective_byte <= byte)) found = &b;
  }
  return found;
}

int Model::resolve_local(const std::string& name, int scope) const {
  int start = scope;
  while (scope > 0) {
    const Scope& s = scopes_[static_cast<size_t>(scope)];
    if (s.globals.count(name)) return -1;
    bool skip_class = s.kind == ScopeKind::Class && scope != start;
    if (!s.nonlocals.count(name) && !skip_class && s.bindings.count(name)) return scope;
    scope = s.parent;
  }
  return -1;
}

std::string Model::qualify(TSNode expr, int cell, int scope) const {
  if (is(expr, "attribute")) {
    std::string base = qualify(field(expr, "object"), cell, scope);
    if (base.empty()) return {};
    return base + "." + std::string(text_of(field(expr, "attribute"), cell));
  }
  if (!is(expr, "identifier")) return {};
  std::string name(text_of(expr, cell));
  int local = resolve_local(name, scope);
  if (local > 0) {
    const auto& ids = scopes_[static_cast<size_t>(local)].bindings.at(name);
    const Binding& b = bindings_[static_cast<size_t>(ids.back())];
    return b.kind == BindingKind::Import ? b.qualified : std::string();
  }
  const Binding* b = reaching_binding(name, cell, ts_node_start_byte(expr));
  if (b && b->kind == BindingKind::Import) return b->qualified;
  if (b && !b->conditional) return {};
  // A conditional fallback (`except ImportError: torch = None`) or an import that a
  // top-down run has not reached yet: accept it when every import of the name agrees.
  std::string agreed;
  for (int id : module_bindings(name)) {
    const Binding& o = bindings_[static_cast<size_t>(id)];
    if (o.kind != BindingKind::Import) continue;
    if (!agreed.empty() && agreed != o.qualified) return {};
    agreed = o.qualified;
  }
  return agreed;
}

TSNode Model::unwrap_passthrough(TSNode expr, int cell) const {
  static const char* passthrough[] = {"to", "cuda", "cpu", "double", "float", "half", "train", "eval", "type"};
  while (is(expr, "call")) {
    TSNode fn = field(expr, "function");
    if (!is(fn, "attribute") || !is(field(fn, "object"), "call")) return expr;
    std::string_view method = text_of(field(fn, "attribute"), cell);
    if (std::none_of(std::begin(passthrough), std::end(passthrough), [&](const char* p) { return method == p; }))
      return expr;
    expr = field(fn, "object");
  }
  return expr;
}

const Call* Model::call_for(TSNode node, int cell) const {
  if (python::null(node)) return nullptr;
  auto it = call_index_.find({cell, ts_node_start_byte(node), ts_node_end_byte(node)});
  return it == call_index_.end() ? nullptr : &calls_[static_cast<size_t>(it->second)];
}

const RecurrentLayer* Model::recurrent_layer_called(const Call& call) const {
  TSNode fn = field(call.node, "function");
  if (is(fn, "attribute") && is(field(fn, "object"), "identifier") && text_of(field(fn, "object"), call.cell) == "self") {
    if (call.function < 0) return nullptr;
    int cls = functions_[static_cast<size_t>(call.function)].enclosing_class;
    for (const auto& r : recurrent_layers_)
      if (r.cls >= 0 && r.cls == cls && r.attribute == call.method) return &r;
    return nullptr;
  }
  if (!is(fn, "identifier") || resolve_local(call.callee, call.scope) > 0) return nullptr;
  const Binding* b = reaching_binding(call.callee, call.cell, ts_node_start_byte(call.node));
  for (const auto& r : recurrent_layers_) {
    if (r.name != call.callee) continue;
    const Call& ctor = calls_[static_cast<size_t>(r.call)];
    if (!b || (b->cell == ctor.cell && !null(b->value) && ts_node_eq(unwrap_passthrough(b->value, b->cell), ctor.node)))
      return &r;
  }
  return nullptr;
}

int Model::instance_class(const std::string& name, int cell, uint32_t byte) const {
  const Binding* b = reaching_binding(name, cell, byte);
  if (!b) {
    const auto& all = module_bindings(name);
    if (all.size() == 1) b = &bindings_[static_cast<size_t>(all.front())];
  }
  if (!b) return -1;
  for (const auto& m : model_creations_)
    if (m.binding == b->id) return m.class_id;
  return -1;
}

bool Model::class_has_recurrent(int cls) const {
  for (int depth = 0; cls >= 0 && depth < 8; ++depth) {
    for (const auto& r : recurrent_layers_)
      if (r.cls == cls) return true;
    int base = -1;
    for (const auto& b : classes_[static_cast<size_t>(cls)].bases)
      for (const auto& k : classes_)
        if (k.name == b && k.id != cls) base = k.id;
    cls = base;
  }
  return false;
}

bool Model::class_detaches_state(int cls) const {
  for (int depth = 0; cls >= 0 && depth < 8; ++depth) {
    const Class& k = classes_[static_cast<size_t>(cls)];
    auto forward = k.methods.find("forward");
    if (forward != k.methods.end()) {
      for (int id : functions_[static_cast<size_t>(forward->second)].calls) {
        const Call& c = calls_[static_cast<size_t>(id)];
        if (c.method == "detach" || c.method == "detach_" || c.callee.find("repackage") != std::string::npos) return true;
      }
      return false;
    }
    int base = -1;
    for (const auto& b : k.bases)
      for (const auto& o : classes_)
        if (o.name == b && o.id != cls) base = o.id;
    cls = base;
  }
  return false;
}

const RecurrentLayer* Model::recurrent_layer_of(TSNode expr, int cell, int function) const {
  if (is(expr, "identifier")) {
    std::string name(text_of(expr, cell));
    for (const auto& r : recurrent_layers_)
      if (!r.name.empty() && r.name == name) return &r;
    return nullptr;
  }
  if (!is(expr, "attribute")) return nullptr;
  TSNode object = field(expr, "object");
  std::string attribute(text_of(field(expr, "attribute"), cell));
  if (!is(object, "identifier")) return nullptr;
  int cls = -1;
  if (text_of(object, cell) == "self" && function >= 0) cls = functions_[static_cast<size_t>(function)].enclosing_class;
  else cls = instance_class(std::string(text_of(object, cell)), cell, ts_node_start_byte(expr));
  for (const auto& r : recurrent_layers_)
    if (cls >= 0 && r.cls == cls && r.attribute == attribute) return &r;
  return nullptr;
}

bool Model::is_recurrent_call(const Call& call) const {
  if (recurrent_layer_called(call)) return true;
  if (!call.receiver.empty() || call.callee != call.method || resolve_local(call.callee, call.scope) > 0) return false;
  int cls = instance_class(call.callee, call.cell, ts_node_start_byte(call.node));
  return cls >= 0 && class_has_recurrent(cls);
}

TSNode Model::assignment_of(const Call& call) const {
  TSNode parent = ts_node_parent(call.node);
  if (is(parent, "assignment") && ts_node_eq(field(parent, "right"), call.node)) return parent;
  return TSNode{};
}

std::vector<std::string> Model::tuple_names(TSNode expr, int cell) const {
  std::vector<std::string> names;
  if (is(expr, "identifier")) {
    names.emplace_back(text_of(expr, cell));
  } else if (is(expr, "tuple") || is(expr, "parenthesized_expression") || is(expr, "list") ||
             is(expr, "pattern_list") || is(expr, "tuple_pattern") || is(expr, "list_pattern") ||
             is(expr, "expression_list")) {
    for (TSNode c : named_children(expr)) {
      auto inner = tuple_names(c, cell);
      names.insert(names.end(), inner.begin(), inner.end());
    }
  }
  return names;
}

std::vector<std::string> Model::target_names(TSNode assignment, int cell) const {
  return tuple_names(field(assignment, "left"), cell);
}

bool Model::is_optimizer_name(const std::string& name) const {
  for (const auto& o : optimizer_creations_)
    if (o.name == name) return true;
  return false;
}

int Model::dimension_of(TSNode expr, int cell, const std::string& tensor) const {
  auto literal_int = [&](TSNode n) {
    Value v = is(n, "integer") ? value_of(n, cell, 0) : Value{};
    return v.as_int() ? static_cast<int>(*v.as_int()) : -1;
  };
  auto is_tensor = [&](TSNode n) { return is(n, "identifier") && text_of(n, cell) == tensor; };
  if (is(expr, "call")) {  // x.size(k)
    TSNode fn = field(expr, "function");
    auto args = named_children(field(expr, "arguments"));
    if (is(fn, "attribute") && text_of(field(fn, "attribute"), cell) == "size" && is_tensor(field(fn, "object")) && args.size() == 1)
      return literal_int(args[0]);
    return -1;
  }
  if (is(expr, "subscript")) {  // x.shape[k], x.size()[k]
    TSNode value = field(expr, "value");
    TSNode index = field(expr, "subscript");
    bool shape = is(value, "attribute") && text_of(field(value, "attribute"), cell) == "shape" && is_tensor(field(value, "object"));
    bool size_call = is(value, "call") && is(field(value, "function"), "attribute") &&
                     text_of(field(field(value, "function"), "attribute"), cell) == "size" &&
                     is_tensor(field(field(value, "function"), "object")) && named_children(field(value, "arguments")).empty();
    if (shape || size_call) return literal_int(index);
  }
  return -1;
}

bool Model::in_loop(const Call& call, int loop) const {
  return std::find(call.loops.begin(), call.loops.end(), loop) != call.loops.end();
}

bool Model::in_loop(const Binding& binding, int loop) const {
  const Loop& l = loops_[static_cast<size_t>(loop)];
  return binding.cell == l.cell && binding.byte >= ts_node_start_byte(l.node) && binding.byte < ts_node_end_byte(l.node);
}

bool Model::function_calls(int function, std::string_view method, int depth) const {
  if (function < 0 || depth > 4) return false;
  for (int id : functions_[static_cast<size_t>(function)].calls) {
    const Call& c = calls_[static_cast<size_t>(id)];
    if (c.method == method && !c.receiver.empty()) return true;
    if (c.method == method && c.callee != c.method) return true;  // (a + b).backward()
    if (c.target_function != function && function_calls(c.target_function, method, depth + 1)) return true;
  }
  return false;
}

bool Model::loop_calls(int loop, std::string_view method) const {
  const Loop& l = loops_[static_cast<size_t>(loop)];
  const auto& ids = l.function >= 0 ? functions_[static_cast<size_t>(l.function)].calls : cell(l.cell).calls;
  for (int id : ids) {
    const Call& c = calls_[static_cast<size_t>(id)];
    if (!in_loop(c, loop)) continue;
    if (c.method == method && c.callee != c.method) return true;
    if (function_calls(c.target_function, method)) return true;
  }
  return false;
}

namespace {

bool deferred_scope(const std::vector<Scope>& scopes, int scope) {
  while (scope > 0) {
    ScopeKind k = scopes[static_cast<size_t>(scope)].kind;
    if (k == ScopeKind::Function || k == ScopeKind::Lambda) return true;
    scope = scopes[static_cast<size_t>(scope)].parent;
  }
  return false;
}

std::string without_underscores(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '_') out += c;
  return out;
}

Value parse_integer(std::string_view text) {
  std::string s = without_underscores(text);
  if (!s.empty() && (s.back() == 'l' || s.back() == 'L')) s.pop_back();  // Python 2 longs
  int base = 10;
  size_t skip = 0;
  if (s.size() > 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16, skip = 2;
    else if (p == 'o') base = 8, skip = 2;
    else if (p == 'b') base = 2, skip = 2;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str() + skip, &end, base);
  if (errno != 0 || end == s.c_str() + skip || *end != '\0') return {};
  return Value::of_int(v);
}

Value parse_float(std::string_view text) {
  std::string s = without_underscores(text);
  if (!s.empty() && (s.back() == 'j' || s.back() == 'J')) return {};
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return {};
  return Value::of_float(v);
}

}  // namespace

Value Model::value_of(TSNode expr, int cell, int scope) const { return value_of_depth(expr, cell, scope, 0); }

Value Model::value_of_depth(TSNode expr, int cell, int scope, int depth) const {
  if (null(expr) || depth > 24) return {};
  std::string_view ty = type(expr);
  if (ty == "integer") return parse_integer(text_of(expr, cell));
  if (ty == "float") return parse_float(text_of(expr, cell));
  if (ty == "true") return Value::of_bool(true);
  if (ty == "false") return Value::of_bool(false);
  if (ty == "none") return Value::none();
  if (ty == "parenthesized_expression") {
    auto kids = named_children(expr);
    return kids.size() == 1 ? value_of_depth(kids[0], cell, scope, depth + 1) : Value{};
  }
  if (ty == "string") {
    std::string content;
    for (TSNode c : named_children(expr)) {
      if (is(c, "interpolation")) return {};
      if (is(c, "string_content")) content += text_of(c, cell);
      if (is(c, "escape_sequence")) return {};
    }
    return Value::of_str(content);
  }
  if (ty == "concatenated_string") {
    std::string content;
    for (TSNode c : named_children(expr)) {
      Value part = value_of_depth(c, cell, scope, depth + 1);
      if (part.kind != Value::Kind::Str) return {};
      content += part.str;
    }
    return Value::of_str(content);
  }
  if (ty == "tuple" || ty == "list") {
    std::vector<Value> items;
    for (TSNode c : named_children(expr)) {
      if (is(c, "comment")) continue;
      Value v = value_of_depth(c, cell, scope, depth + 1);
      if (!v.known()) return {};
      items.push_back(std::move(v));
    }
    return Value::tuple(std::move(items));
  }
  if (ty == "unary_operator") {
    Value v = value_of_depth(field(expr, "argument"), cell, scope, depth + 1);
    std::string_view op = text_of(field(expr, "operator"), cell);
    if (op == "-") return negate(v);
    if (op == "+") return v.as_number() ? v : Value{};
    return {};
  }
  if (ty == "binary_operator") {
    Value a = value_of_depth(field(expr, "left"), cell, scope, depth + 1);
    if (!a.known()) return {};
    Value b = value_of_depth(field(expr, "right"), cell, scope, depth + 1);
    return binary_op(a, std::string(text_of(field(expr, "operator"), cell)), b);
  }
  if (ty == "identifier")
    return name_value(std::string(text_of(expr, cell)), cell, scope, ts_node_start_byte(expr), depth + 1);
  return {};
}

Value Model::name_value(const std::string& name, int cell, int scope, uint32_t byte, int depth) const {
  int local = resolve_local(name, scope);
  if (local > 0) {
    const auto& ids = scopes_[static_cast<size_t>(local)].bindings.at(name);
    if (ids.size() != 1) return {};
    const Binding& b = bindings_[static_cast<size_t>(ids.front())];
    if (b.kind != BindingKind::Assignment || b.conditional || null(b.value)) return {};
    return value_of_depth(b.value, b.cell, local, depth);
  }
  const Binding* b = nullptr;
  if (deferred_scope(scopes_, scope)) {
    // Read when the function is called: only a name bound exactly once is certain.
    const auto& ids = module_bindings(name);
    if (ids.size() != 1) return {};
    b = &bindings_[static_cast<size_t>(ids.front())];
  } else {
    b = reaching_binding(name, cell, byte);
    for (int id : module_bindings(name))
      if (bindings_[static_cast<size_t>(id)].deferred) return {};  // `global name` assigned in some def
  }
  if (!b || b->kind != BindingKind::Assignment || b->conditional || b->deferred || null(b->value)) return {};
  return value_of_depth(b->value, b->cell, 0, depth);
}

std::string_view Model::text_of(TSNode node, int cell) const {
  return python::text(node, this->cell(cell).tree.text());
}

Span Model::span_of(TSNode node, int cell) const {
  const CellInfo& ci = this->cell(cell);
  const std::string& source = nb_->cells.at(static_cast<size_t>(cell - 1)).source;
  auto location = [&](TSPoint p) {
    Location loc{cell, static_cast<int>(p.row) + 1, 1};
    if (p.row < ci.line_starts.size()) {
      size_t start = ci.line_starts[p.row];
      size_t end = std::min(source.size(), start + p.column);
      int column = 1;
      for (size_t i = start; i < end; ++i)
        if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) ++column;
      loc.column = column;
    }
    return loc;
  };
  return {location(ts_node_start_point(node)), location(ts_node_end_point(node))};
}

std::string_view Model::line_text(int cell, int line) const {
  const CellInfo& ci = this->cell(cell);
  const std::string& source = nb_->cells.at(static_cast<size_t>(cell - 1)).source;
  if (line < 1 || static_cast<size_t>(line) > ci.line_starts.size()) return {};
  size_t start = ci.line_starts[static_cast<size_t>(line - 1)];
  size_t end = source.find('\n', start);
  if (end == std::string::npos) end = source.size();
  if (end > start && source[end - 1] == '\r') --end;
  return std::string_view(source).substr(start, end - start);
}

bool Model::is_builtin(std::string_view name) {
  static const char* names[] = {
      // Python 3 builtins
      "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes",
      "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir",
      "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset", "getattr",
      "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
      "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open",
      "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr",
      "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip", "__import__",
      "__build_class__", "__debug__", "__doc__", "__name__", "__package__", "__loader__", "__spec__",
      "__builtins__", "__file__", "Ellipsis", "NotImplemented", "None", "True", "False",
      // exceptions and warnings
      "BaseException", "BaseExceptionGroup", "Exception", "ExceptionGroup", "ArithmeticError",
      "AssertionError", "AttributeError", "BlockingIOError", "BrokenPipeError", "BufferError",
      "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
      "ConnectionResetError", "EOFError", "EnvironmentError", "FileExistsError", "FileNotFoundError",
      "FloatingPointError", "GeneratorExit", "IOError", "ImportError", "IndentationError", "IndexError",
      "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
      "ModuleNotFoundError", "NameError", "NotADirectoryError", "NotImplementedError", "OSError",
      "OverflowError", "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError",
      "RuntimeError", "StopAsyncIteration", "StopIteration", "SyntaxError", "SystemError", "SystemExit",
      "TabError", "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
      "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "ValueError", "ZeroDivisionError",
      "BytesWarning", "DeprecationWarning", "EncodingWarning", "FutureWarning", "ImportWarning",
      "PendingDeprecationWarning", "ResourceWarning", "RuntimeWarning", "SyntaxWarning", "UnicodeWarning",
      "UserWarning", "Warning",
      // Python 2 builtins still seen in old notebooks
      "xrange", "unicode", "basestring", "long", "raw_input", "reduce", "file", "unichr", "execfile", "cmp",
      // IPython's namespace
      "get_ipython", "display", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh",
      "_exit_code"};
  static const std::unordered_set<std::string_view> set(std::begin(names), std::end(names));
  if (set.count(name)) return true;
  // _12 / _i12: IPython's numbered output and input history.
  size_t digits = name.size() > 1 && name[0] == '_' ? (name[1] == 'i' ? 2 : 1) : 0;
  if (digits && name.size() > digits &&
      std::all_of(name.begin() + static_cast<long>(digits), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  return false;
}

int Model::layer_index(const RecurrentLayer* layer) const {
  if (!layer || recurrent_layers_.empty() || layer < &recurrent_layers_.front() || layer > &recurrent_layers_.back()) return -1;
  return static_cast<int>(layer - &recurrent_layers_.front());
}

int Model::layer_reached(const Call& call) const {
  if (const auto* layer = recurrent_layer_called(call)) return layer_index(layer);
  if (!call.receiver.empty()) return -1;
  int cls = instance_class(call.callee, call.cell, ts_node_start_byte(call.node));
  if (cls < 0) return -1;
  for (size_t i = 0; i < recurrent_layers_.size(); ++i)
    if (recurrent_layers_[i].cls == cls) return static_cast<int>(i);
  return -1;
}

int Model::layer_index_of(const AValue& layer) const {
  if (layer.kind != AValue::Kind::Layer || !layer.origin.known()) return -1;
  for (size_t i = 0; i < recurrent_layers_.size(); ++i) {
    const Call& c = calls_[static_cast<size_t>(recurrent_layers_[i].call)];
    if (c.cell == layer.origin.cell && c.node.id == layer.origin.node.id) return static_cast<int>(i);
  }
  return -1;
}

Ref Model::layer_value(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= recurrent_layers_.size() || !values_) return nullptr;
  const Call& c = calls_[static_cast<size_t>(recurrent_layers_[static_cast<size_t>(index)].call)];
  Ref v = values_->value_of(c.node, c.cell);
  return v && v->kind == AValue::Kind::Layer ? v : nullptr;
}

}  // namespace lstmlint::semantic
