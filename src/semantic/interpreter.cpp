// The abstract interpreter behind the value-flow model (interpreter.h).
#include "semantic/interpreter.h"

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_set>

#include "semantic/model.h"

namespace lstmlint::semantic {

using python::field;
using python::is;
using python::null;
using python::type;

std::string Origin::where() const {
  return "cell " + std::to_string(cell) + ":" + std::to_string(line());
}

Span Origin::span(const Model& model) const { return known() ? model.span_of(node, cell) : Span{}; }

std::string Origin::text(const Model& model) const {
  if (!known()) return note;
  std::string s(model.text_of(node, cell));
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

Ref AValue::field(const std::string& name) const {
  if (!store) return nullptr;
  auto it = store->fields.find(name);
  return it == store->fields.end() ? nullptr : it->second;
}

namespace {

using Kind = AValue::Kind;

Ref unknown() {
  static const Ref u = std::make_shared<AValue>();
  return u;
}

std::shared_ptr<AValue> make(Kind k) {
  auto v = std::make_shared<AValue>();
  v->kind = k;
  return v;
}

Ref constant(Value c, Origin o = {}) {
  auto v = make(Kind::Const);
  v->constant = std::move(c);
  v->origin = std::move(o);
  return v;
}

Ref tensor(std::vector<Dim> shape, bool ranked = true, Origin o = {}) {
  auto v = make(Kind::Tensor);
  v->shape = std::move(shape);
  v->ranked = ranked;
  v->origin = std::move(o);
  return v;
}

Ref tuple_of(std::vector<Ref> items) {
  auto v = make(Kind::Tuple);
  v->items = std::move(items);
  return v;
}

Ref list_of(std::vector<Ref> items, bool exact = true) {
  auto v = make(Kind::List);
  v->store = std::make_shared<Store>();
  for (const auto& i : items) v->store->element = v->store->element ? join(v->store->element, i) : i;
  v->store->items = std::move(items);
  v->store->exact = exact;
  return v;
}

std::string dims_repr(const std::vector<Dim>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + (shape[i].size ? std::to_string(*shape[i].size) : "?");
  return s + "]";
}

}  // namespace

std::string AValue::repr(int depth) const {
  if (depth > 3) return "...";
  auto fields_repr = [&](const std::shared_ptr<Store>& s) {
    std::string out;
    if (!s) return out;
    int n = 0;
    for (const auto& [k, v] : s->fields) {
      if (n++ == 12) { out += ", ..."; break; }
      out += (out.empty() ? "" : ", ") + k + "=" + (v ? v->repr(depth + 1) : "?");
    }
    return out;
  };
  switch (kind) {
    case Kind::Unknown: return sym ? "int" : "?";
    case Kind::Const: return constant.repr();
    case Kind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i]->repr(depth + 1);
      return s + (items.size() == 1 ? ",)" : ")");
    }
    case Kind::List: {
      if (store->exact && store->items.size() <= 6) {
        std::string s = "[";
        for (size_t i = 0; i < store->items.size(); ++i) s += (i ? ", " : "") + store->items[i]->repr(depth + 1);
        return s + "]";
      }
      std::string n = store->exact ? std::to_string(store->items.size()) : "?";
      return "list[" + n + "] of " + (store->element ? store->element->repr(depth + 1) : "?");
    }
    case Kind::Dict: return "{" + fields_repr(store) + "}";
    case Kind::Range: return "range(" + items[0]->repr(depth + 1) + ", " + items[1]->repr(depth + 1) + ")";
    case Kind::Tensor: {
      std::string s = "tensor" + (ranked ? dims_repr(shape) : std::string("[...]"));
      if (graph >= 0) s += " (graph of " + graph_origin.where() + ")";
      if (windowed) s += " windows";
      return s;
    }
    case Kind::Module: return "<" + qualified + ">";
    case Kind::Function: return "<function>";
    case Kind::Class: return "<class>";
    case Kind::Instance: return "instance(" + fields_repr(store) + ")";
    case Kind::Layer: return kind_name + "(" + fields_repr(store) + ")";
    case Kind::Loader: return "DataLoader(" + fields_repr(store) + ")";
    case Kind::Dataset: {
      std::string s = "Dataset(";
      for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i]->repr(depth + 1);
      return s + ")";
    }
    case Kind::Bound: return "<bound method>";
    case Kind::Partial: return "partial(" + (self ? self->repr(depth + 1) : "?") + ")";
    case Kind::Super: return "<super>";
  }
  return "?";
}

std::string stated(const Model& model, const Ref& value, const Origin& argument) {
  if (!value) return "?";
  std::string s = value->kind == Kind::Const ? value->constant.repr() : value->repr();
  const Origin& o = value->origin;
  std::string arg = argument.text(model), own = o.text(model);
  if (argument.known() && arg != s) {
    s += " (`" + arg + "`";
    if (o.known() && o.cell != argument.cell) s += ", " + own + " in " + o.where();
    else if (o.known() && o.line() != argument.line()) s += ", set in " + o.where();
    return s + ")";
  }
  if (!argument.known() && o.known() && own != s) s += " (`" + own + "` in " + o.where() + ")";
  else if (!argument.known() && o.known()) s += " (" + o.where() + ")";
  return s;
}

Origin argument_origin(const Ref& layer, const std::string& name) {
  if (!layer || !layer->store) return {};
  auto it = layer->store->written.find(name);
  return it == layer->store->written.end() ? Origin{} : it->second;
}

Ref join(const Ref& a, const Ref& b) {
  if (!a) return b;
  if (!b || a == b) return a;
  if (a->kind != b->kind) return unknown();
  switch (a->kind) {
    case Kind::Const:
      if (a->constant.kind == b->constant.kind && a->constant.repr() == b->constant.repr()) return a;
      return unknown();
    case Kind::Unknown:
      if (a->sym && a->sym == b->sym && a->offset == b->offset) return a;
      return unknown();
    case Kind::Tuple: {
      if (a->items.size() != b->items.size()) return unknown();
      std::vector<Ref> items;
      for (size_t i = 0; i < a->items.size(); ++i) items.push_back(join(a->items[i], b->items[i]));
      return tuple_of(std::move(items));
    }
    case Kind::Tensor: {
      auto v = std::make_shared<AValue>(*a);
      if (a->ranked != b->ranked || a->shape.size() != b->shape.size()) {
        v->ranked = false;
        v->shape.clear();
      } else {
        for (size_t i = 0; i < v->shape.size(); ++i) {
          bool batch = v->shape[i].batch && b->shape[i].batch;
          if (v->shape[i].size != b->shape[i].size) v->shape[i] = Dim{};
          v->shape[i].batch = batch;
        }
      }
      if (a->graph != b->graph) v->graph = -2;
      v->windowed = a->windowed && b->windowed;
      if (a->swapped.node.id != b->swapped.node.id) v->swapped = {};
      return v;
    }
    case Kind::Module:
      return a->qualified == b->qualified ? a : unknown();
    case Kind::Function:
      return a->function == b->function ? a : unknown();
    case Kind::Class:
      return a->cls == b->cls ? a : unknown();
    case Kind::List: {
      if (a->store == b->store) return a;
      // Either list: items joined where both have the same known length.
      auto v = make(Kind::List);
      v->store = std::make_shared<Store>();
      v->store->element = join(a->store->element, b->store->element);
      if (a->store->exact && b->store->exact && a->store->items.size() == b->store->items.size()) {
        for (size_t i = 0; i < a->store->items.size(); ++i) v->store->items.push_back(join(a->store->items[i], b->store->items[i]));
      } else {
        v->store->exact = false;
      }
      if (!v->store->element) v->store->element = unknown();
      return v;
    }
    default:
      if (a->store && a->store == b->store) return a;
      return unknown();
  }
}

Ref Interpretation::value_of(TSNode node, int cell) const {
  if (null(node)) return nullptr;
  auto it = values_.find(NodeKey{cell, node.id});
  return it == values_.end() ? nullptr : it->second;
}

const std::vector<std::pair<std::string, Ref>>& Interpretation::cell_names(int cell) const {
  static const std::vector<std::pair<std::string, Ref>> none;
  if (cell < 1 || static_cast<size_t>(cell) > cell_names_.size()) return none;
  return cell_names_[static_cast<size_t>(cell - 1)];
}

// ---------------------------------------------------------------------------------------------

struct Env {
  std::unordered_map<std::string, Ref> vars;
  std::shared_ptr<Env> parent;  // enclosing function scope, or the module (null at module level)
  std::unordered_set<std::string> globals;
};
using EnvPtr = std::shared_ptr<Env>;

class Interpreter {
 public:
  Interpreter(const Model& model, const InterpreterBudget& budget, Interpretation& out)
      : m_(model), budget_(budget), out_(out) {
    module_ = std::make_shared<Env>();
    for (const auto& f : model.functions()) function_at_[f.node.id] = f.id;
    for (const auto& c : model.classes()) class_at_[c.node.id] = c.id;
  }

  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  void run() {
    out_.cell_names_.resize(m_.cells().size());
    for (const auto& ci : m_.cells()) {
      if (!ci.parsed) continue;
      cell_ = ci.index;
      Frame frame;
      frame.env = module_;
      frames_.push_back(&frame);
      for (TSNode s : named_of(ci.tree.root())) {
        exec(s);
        confirm_stale();
      }
      frames_.pop_back();
      auto& names = out_.cell_names_[static_cast<size_t>(ci.index - 1)];
      for (int b : ci.module_bindings) {
        const auto& binding = m_.bindings()[static_cast<size_t>(b)];
        if (std::any_of(names.begin(), names.end(), [&](const auto& p) { return p.first == binding.name; })) continue;
        auto it = module_->vars.find(binding.name);
        names.emplace_back(binding.name, it == module_->vars.end() ? unknown() : it->second);
      }
    }
    analyse_uncalled();
    out_.steps_ = steps_;
  }

 private:
  struct Frame {
    EnvPtr env;
    std::vector<Ref> returns;
    int function = -1;
    int cls = -1;  // the class whose method this is (for super())
    Ref self;
    int call_cell = 0;       // the call site that entered this frame
    TSNode call_node{};
    std::vector<std::pair<TSNode, Ref>> call_args;  // argument expressions at that site and their values
    bool returned = false;
  };

  // ---- syntax access, cached: the interpreter visits the same nodes many times ---------------
  TSNode field(TSNode n, const char* name) {
    if (null(n)) return TSNode{};
    TSFieldId id = python::field_id(name);
    if (id == 0) return TSNode{};
    auto key = std::make_pair(n.id, id);
    auto it = fields_.find(key);
    if (it != fields_.end()) return it->second;
    TSNode child = ts_node_child_by_field_id(n, id);
    fields_.emplace(key, child);
    return child;
  }
  struct FieldKeyHash {
    size_t operator()(const std::pair<const void*, TSFieldId>& k) const {
      return std::hash<const void*>()(k.first) * 31 + k.second;
    }
  };
  std::unordered_map<std::pair<const void*, TSFieldId>, TSNode, FieldKeyHash> fields_;

  // ---- bookkeeping ---------------------------------------------------------------------------
  // The named children of n but comments, listed once per node: the interpreter visits the
  // same nodes many times (each call of a function runs its body again).
  const std::vector<TSNode>& named_of(TSNode n) {
    static const std::vector<TSNode> none;
    if (null(n)) return none;
    auto it = named_.find(n.id);
    if (it == named_.end()) {
      std::vector<TSNode> list;
      list.reserve(ts_node_named_child_count(n));
      python::each_child(n, [&](TSNode k) {
        if (ts_node_is_named(k) && !is(k, "comment")) list.push_back(k);
      });
      it = named_.emplace(n.id, std::move(list)).first;
    }
    return it->second;  // stays valid: map nodes do not move on rehash
  }
  // Calls f on each named child but comments.
  template <class F>
  void each_named(TSNode n, F&& f) {
    const std::vector<TSNode>& list = named_of(n);
    for (size_t i = 0; i < list.size(); ++i) f(list[i]);
  }
  std::unordered_map<const void*, std::vector<TSNode>> named_;

  // Every write to a namespace goes here, so that `if` arms can be undone and joined.
  void set_var(Env* env, const std::string& name, Ref v) {
    for (auto& log : if_logs_)
      if (log.env == env && !log.old.count(name)) {
        auto it = env->vars.find(name);
        log.old.emplace(name, it == env->vars.end() ? std::nullopt : std::optional<Ref>(it->second));
      }
    env->vars[name] = std::move(v);
  }
  bool spend() {
    if (++steps_ > budget_.max_steps) {
      out_.exhausted_ = true;
      return false;
    }
    return true;
  }

  Origin origin(TSNode n) const { return Origin{cell_, n, {}}; }

  Ref record(TSNode n, Ref v) {
    if (!v) v = unknown();
    std::string_view t = type(n);
    if (t != "identifier" && t != "call" && t != "attribute" && t != "subscript") return v;  // literals speak for themselves
    auto key = Interpretation::NodeKey{cell_, n.id};
    auto it = out_.values_.find(key);
    if (it == out_.values_.end()) out_.values_.emplace(key, v);
    else it->second = join(it->second, v);
    return v;
  }

  Frame& frame() { return *frames_.back(); }

  // ---- names ---------------------------------------------------------------------------------
  Ref lookup(const std::string& name) {
    Frame& f = frame();
    if (f.env != module_ && !f.env->globals.count(name)) {
      for (Env* e = f.env.get(); e; e = e->parent.get()) {
        auto it = e->vars.find(name);
        if (it != e->vars.end()) return it->second;
      }
    }
    auto it = module_->vars.find(name);
    if (it != module_->vars.end()) return it->second;
    return builtin(name);
  }

  Ref builtin(const std::string& name) {
    static const std::unordered_set<std::string> names = {"len", "range", "enumerate", "zip", "int", "float",
                                                         "isinstance", "list", "tuple", "print", "super",
                                                         "min", "max", "abs", "round", "dict", "reversed",
                                                         "sorted", "iter", "next", "str", "bool"};
    if (!names.count(name)) return unknown();
    return module_value("builtins." + name);
  }

  void assign_name(const std::string& name, Ref v) {
    if (v == unknown()) v = make(Kind::Unknown);  // its own identity: `x[:n]` and `x[n:]` share `n`
    Frame& f = frame();
    if (f.env != module_ && f.env->globals.count(name)) set_var(module_.get(), name, std::move(v));
    else set_var(f.env.get(), name, std::move(v));
  }

  // ---- statements ----------------------------------------------------------------------------
  void exec_block(TSNode block) {
    each_named(block, [&](TSNode s) {
      if (!frame().returned) exec(s);
    });
  }

  void exec(TSNode s) {
    if (!spend()) return;
    if (nesting_ >= kMaxNesting) {
      out_.exhausted_ = true;
      return;
    }
    struct Nest {
      int& n;
      explicit Nest(int& x) : n(++x) {}
      ~Nest() { --n; }
    } nest(nesting_);
    std::string_view t = type(s);
    if (t == "expression_statement") {
      each_named(s, [&](TSNode e) { eval_statement_expr(e); });
    } else if (t == "if_statement") {
      exec_if(s);
    } else if (t == "for_statement") {
      exec_for(s);
    } else if (t == "while_statement") {
      exec_while(s);
    } else if (t == "try_statement") {
      bool catches = false;
      for (TSNode c : named_of(s)) {
        if (!is(c, "except_clause")) continue;
        const auto& kids = named_of(c);
        std::string caught = kids.empty() || is(kids[0], "block") ? "" : std::string(m_.text_of(kids[0], cell_));
        catches = catches || caught.empty() || caught.find("RuntimeError") != std::string::npos ||
                  caught.find("Exception") != std::string::npos || caught.find("ValueError") != std::string::npos;
      }
      for (TSNode c : named_of(s)) {
        if (is(c, "block")) {
          guarded_ += catches ? 1 : 0;
          exec_block(c);
          guarded_ -= catches ? 1 : 0;
        }
        else if (is(c, "else_clause") || is(c, "finally_clause")) exec_block(last_block(c));
      }
    } else if (t == "with_statement") {
      for (TSNode c : named_of(s)) {
        if (is(c, "with_clause")) {
          for (TSNode item : named_of(c)) {
            TSNode v = field(item, "value");
            if (is(v, "as_pattern")) {
              Ref r = eval(named_of(v).empty() ? v : named_of(v)[0]);
              TSNode alias = field(v, "alias");
              if (!null(alias)) bind_target(named_of(alias).empty() ? alias : named_of(alias)[0], r);
            } else if (!null(v)) {
              eval(v);
            }
          }
        }
      }
      bool saved = no_grad_;
      if (disables_grad(s)) no_grad_ = true;
      exec_block(field(s, "body"));
      no_grad_ = saved;
    } else if (t == "function_definition") {
      define_function(s);
    } else if (t == "class_definition") {
      define_class(s);
    } else if (t == "decorated_definition") {
      TSNode d = field(s, "definition");
      if (is(d, "function_definition")) define_function(d);
      else if (is(d, "class_definition")) define_class(d);
    } else if (t == "return_statement") {
      const auto& kids = named_of(s);
      Ref v = kids.empty() ? constant(Value::none()) : eval(kids[0]);
      frame().returns.push_back(v);
      frame().returned = true;
    } else if (t == "import_statement" || t == "import_from_statement") {
      exec_import(s);
    } else if (t == "global_statement") {
      if (frame().env != module_)
        for (TSNode n : named_of(s)) frame().env->globals.insert(std::string(m_.text_of(n, cell_)));
    } else if (t == "delete_statement") {
      // names deleted stay as they were: a later read of them is an error the other rules see
    }
  }

  // `with torch.no_grad():` / `torch.inference_mode()`: no graph is recorded in the body.
  bool disables_grad(TSNode with) {
    for (TSNode c : named_of(with)) {
      if (!is(c, "with_clause")) continue;
      for (TSNode item : named_of(c)) {
        Ref v = value_of_node(field(item, "value"));
        if (v && v->kind == Kind::Instance && (v->qualified == "torch.no_grad" || v->qualified == "torch.inference_mode"))
          return true;
      }
    }
    return false;
  }
  Ref value_of_node(TSNode n) { return null(n) ? nullptr : out_.value_of(n, cell_); }

  TSNode last_block(TSNode n) {
    TSNode b{};
    for (TSNode c : named_of(n))
      if (python::is(c, "block")) b = c;
    return b;
  }

  void eval_statement_expr(TSNode e) {
    if (is(e, "assignment")) exec_assignment(e);
    else if (is(e, "augmented_assignment")) exec_augmented(e);
    else eval(e);
  }

  void exec_assignment(TSNode n) {
    TSNode right = field(n, "right");
    Ref v;
    if (is(right, "assignment")) {  // a = b = value
      exec_assignment(right);
      TSNode inner = right;
      while (is(field(inner, "right"), "assignment")) inner = field(inner, "right");
      v = eval(field(inner, "right"));
    } else if (null(right)) {
      return;  // annotation only
    } else {
      v = eval(right);
    }
    bind_target(field(n, "left"), v);
  }

  void exec_augmented(TSNode n) {
    TSNode left = field(n, "left");
    std::string op(m_.text_of(field(n, "operator"), cell_));
    if (op.size() > 1) op.pop_back();
    Ref current = eval(left);
    Ref right = eval(field(n, "right"));
    Ref result;
    if (current->kind == Kind::List && op == "+") {  // `xs += [...]` extends in place
      extend(current, right);
      result = current;
    } else {
      result = binary(current, op, right, n);
    }
    bind_target(left, result);
  }

  void bind_target(TSNode t, Ref v) {
    if (null(t)) return;
    std::string_view k = type(t);
    if (k == "identifier") {
      record(t, v);
      assign_name(std::string(m_.text_of(t, cell_)), v);
    } else if (k == "pattern_list" || k == "tuple_pattern" || k == "list_pattern" || k == "expression_list" ||
               k == "tuple" || k == "list") {
      const std::vector<TSNode>& targets = named_of(t);
      for (size_t i = 0; i < targets.size(); ++i) {
        if (is(targets[i], "list_splat_pattern") || is(targets[i], "list_splat")) {
          bind_target(named_of(targets[i]).empty() ? TSNode{} : named_of(targets[i])[0], unknown());
          continue;
        }
        bind_target(targets[i], item(v, static_cast<long long>(i), targets.size()));
      }
    } else if (k == "parenthesized_expression") {
      const auto& kids = named_of(t);
      if (!kids.empty()) bind_target(kids[0], v);
    } else if (k == "attribute") {
      Ref obj = eval(field(t, "object"));
      std::string name(m_.text_of(field(t, "attribute"), cell_));
      if (obj->kind == Kind::Tensor && name == "shape") {
        auto w = std::const_pointer_cast<AValue>(obj);
        w->ranked = false;
        w->shape.clear();
      }
      if (obj->store && (obj->kind == Kind::Instance || obj->kind == Kind::Layer)) {
        obj->store->fields[name] = v;
        obj->store->written[name] = origin(t);
      }
      record(t, v);
    } else if (k == "subscript") {
      Ref obj = eval(field(t, "value"));
      TSNode index = field(t, "subscript");
      Ref key = eval(index);
      if (obj->kind == Kind::Dict && key->known_const()) {
        obj->store->fields[key->constant.repr()] = v;
      } else if (obj->kind == Kind::List) {
        obj->store->element = join(obj->store->element, v);
        obj->store->exact = false;
      } else if (obj->kind == Kind::Tensor && v->kind == Kind::Tensor && (v->fitted || v->part || v->windowed)) {
        // `x[i] = data[i:i + T]` fills a preallocated array: it now holds what was written into it
        auto w = std::const_pointer_cast<AValue>(obj);
        if (v->fitted) w->fitted = v->fitted;
        if (!w->part) w->part = v->part;
        if (v->windowed) w->windowed = true;
      }
    }
  }

  // The i-th item when unpacking a value into n targets.
  Ref item(const Ref& v, long long i, size_t n) {
    if (v->kind == Kind::Tuple) return v->items.size() == n ? v->items[static_cast<size_t>(i)] : unknown();
    if (v->kind == Kind::List && v->store->exact) return v->store->items.size() == n ? v->store->items[static_cast<size_t>(i)] : unknown();
    if (v->kind == Kind::List) return v->store->element ? v->store->element : unknown();
    if (v->kind == Kind::Tensor && v->ranked && !v->shape.empty()) return drop_first(v);
    return unknown();
  }

  Ref drop_first(const Ref& t) {
    std::vector<Dim> shape(t->shape.begin() + 1, t->shape.end());
    auto r = std::make_shared<AValue>(*t);
    r->shape = std::move(shape);
    r->windowed = false;
    return r;
  }

  void exec_if(TSNode n) {
    // Arms whose condition is known run alone; otherwise every arm runs from the same state
    // and the names they bind are joined. Only the names an arm writes are saved and restored.
    std::vector<std::pair<TSNode, TSNode>> arms;  // (condition or null, block)
    arms.emplace_back(field(n, "condition"), field(n, "consequence"));
    each_named(n, [&](TSNode c) {
      if (is(c, "elif_clause")) arms.emplace_back(field(c, "condition"), field(c, "consequence"));
      else if (is(c, "else_clause")) arms.emplace_back(TSNode{}, field(c, "body"));
    });
    bool has_else = !null(arms.back().second) && null(arms.back().first);
    Env* env = frame().env.get();
    if_logs_.push_back(IfLog{env, {}});
    using Snapshot = std::unordered_map<std::string, std::optional<Ref>>;
    std::vector<Snapshot> outcomes;
    bool all_returned = true;
    auto restore = [&]() {
      for (auto& [name, old] : if_logs_.back().old) {
        if (old) env->vars[name] = *old;
        else env->vars.erase(name);
      }
    };
    for (auto& [cond, block] : arms) {
      std::optional<bool> known;
      if (!null(cond)) known = eval(cond)->as_bool();
      if (known && !*known) continue;
      frame().returned = false;
      exec_block(block);
      if (!frame().returned) {
        Snapshot snap;
        for (auto& [name, old] : if_logs_.back().old) {
          auto it = env->vars.find(name);
          snap.emplace(name, it == env->vars.end() ? std::nullopt : std::optional<Ref>(it->second));
        }
        outcomes.push_back(std::move(snap));
        all_returned = false;
      }
      restore();
      if (known && *known) { has_else = true; break; }
    }
    IfLog log = std::move(if_logs_.back());
    if_logs_.pop_back();
    if (!has_else) {
      outcomes.emplace_back();  // falling through: every name keeps its old value
      all_returned = false;
    }
    frame().returned = all_returned;
    if (outcomes.empty()) return;
    for (auto& [name, old] : log.old) {
      std::optional<Ref> merged;
      bool first = true;
      for (auto& snap : outcomes) {
        auto it = snap.find(name);
        std::optional<Ref> v = it == snap.end() ? old : it->second;
        if (!v) continue;  // unbound on this path
        merged = first ? *v : join(*merged, *v);
        first = false;
      }
      if (merged) set_var(env, name, *merged);
    }
  }

  // One element of an iterable on abstract iteration `iteration` (0 or 1; 1 is the last).
  Ref element(const Ref& it, int iteration, std::string* batch_why, bool* last_batch) {
    switch (it->kind) {
      case Kind::Range: {
        auto v = make(Kind::Unknown);
        v->sym = ++symbols_;
        return v;
      }
      case Kind::List:
        if (it->store->exact && !it->store->items.empty())
          return iteration == 0 ? it->store->items.front() : it->store->items.back();
        return it->store->element ? it->store->element : unknown();
      case Kind::Tuple:
        if (it->items.empty()) return unknown();
        return iteration == 0 ? it->items.front() : it->items.back();
      case Kind::Tensor:
        return it->ranked && !it->shape.empty() ? drop_first(it) : unknown();
      case Kind::Dict: return unknown();
      case Kind::Loader: return loader_batch(it, iteration, batch_why, last_batch);
      case Kind::Instance:
        if (it->qualified == "builtins.enumerate") {
          auto index = make(Kind::Unknown);
          index->sym = ++symbols_;
          return tuple_of({index, element(it->self, iteration, batch_why, last_batch)});
        }
        if (it->qualified == "builtins.zip") {
          std::vector<Ref> items;
          for (const auto& i : it->items) items.push_back(element(i, iteration, batch_why, last_batch));
          return tuple_of(std::move(items));
        }
        return unknown();
      default: return unknown();
    }
  }

  // A batch of a DataLoader over a TensorDataset: each tensor with its first axis replaced by
  // the batch; on the second abstract iteration, the last batch when it is smaller.
  Ref loader_batch(const Ref& loader, int iteration, std::string* batch_why, bool* last_batch) {
    Ref dataset = loader->field("dataset");
    Ref bs = loader->field("batch_size");
    Ref drop = loader->field("drop_last");
    auto batch = bs ? bs->as_int() : std::nullopt;
    std::optional<long long> length;
    if (dataset && dataset->kind == Kind::Dataset && !dataset->items.empty()) {
      const Ref& first = dataset->items.front();
      if (first->kind == Kind::Tensor && first->ranked && !first->shape.empty()) length = first->shape[0].size;
    }
    Dim b;
    b.batch = true;
    if (batch) {
      b.size = *batch;
      // Where batch_size was written, when that is not the loader's own line.
      std::string from = bs->origin.known() && bs->origin.where() != loader->origin.where() ? " (" + bs->origin.where() + ")" : "";
      b.why = "batch_size=" + std::to_string(*batch) + " of the DataLoader in " + loader->origin.where() + from;
      bool drops = drop && drop->as_bool() == true;
      if (iteration == 1 && !drops && length && *batch > 0 && *length % *batch != 0) {
        b.size = *length % *batch;
        b.why = "the loader's last batch holds " + std::to_string(*length) + " % " + std::to_string(*batch) +
                " = " + std::to_string(*b.size) + " samples (DataLoader in " + loader->origin.where() +
                ", drop_last=False)";
        if (last_batch) *last_batch = true;
      }
      if (batch_why) *batch_why = b.why;
    }
    if (!dataset || dataset->kind != Kind::Dataset) return unknown();
    std::vector<Ref> items;
    for (const auto& t : dataset->items) {
      if (t->kind != Kind::Tensor || !t->ranked || t->shape.empty()) {
        items.push_back(unknown());
        continue;
      }
      auto r = std::make_shared<AValue>(*t);
      r->shape[0] = b;
      r->windowed = false;
      items.push_back(r);
    }
    return items.size() == 1 ? items[0] : tuple_of(std::move(items));
  }

  void exec_for(TSNode n) {
    Ref it = eval(field(n, "right"));
    TSNode left = field(n, "left");
    TSNode body = field(n, "body");
    int iterations = 2;
    if (it->kind == Kind::Range) {
      auto start = it->items[0]->as_int(), stop = it->items[1]->as_int();
      if (start && stop && *stop - *start <= 0) iterations = 0;
      else if (start && stop && *stop - *start == 1) iterations = 1;
    }
    if (it->kind == Kind::List && it->store->exact && it->store->items.size() < 2) iterations = static_cast<int>(it->store->items.size());
    if (loop_depth_ >= budget_.max_loop_depth) iterations = std::min(iterations, 1);
    ++loop_depth_;
    bool distinct_last = false;  // a loader whose last batch is smaller
    std::pair<size_t, int> mark;
    for (int i = 0; i < iterations && !frame().returned; ++i) {
      // A second abstract iteration only matters where state can flow from one iteration into
      // the next recurrent call, or where the last batch differs: otherwise it is skipped.
      if (i == 1 && !distinct_last && !carried(mark)) break;
      if (i == 0) mark = {out_.recurrent_calls_.size(), all_backwards_};
      std::string why;
      bool last = false;
      Ref e = element(it, i == iterations - 1 && iterations == 2 ? 1 : 0, &why, &last);
      if (i == 0 && it->kind == Kind::Loader) {
        std::string w2;
        bool l2 = false;
        element(it, 1, &w2, &l2);
        distinct_last = l2;
      }
      bind_target(left, e);
      auto saved_why = batch_why_;
      auto saved_last = last_batch_;
      if (!why.empty()) batch_why_ = why;
      if (last) last_batch_ = true;
      loop_iterations_.emplace_back(n.id, i);
      exec_block(body);
      loop_iterations_.pop_back();
      batch_why_ = saved_why;
      last_batch_ = saved_last;
    }
    --loop_depth_;
    TSNode alt = field(n, "alternative");
    if (!null(alt)) exec_block(field(alt, "body"));
  }

  // Whether the first iteration (begun at `mark`) ran a recurrent call and a backward().
  bool carried(const std::pair<size_t, int>& mark) const {
    return out_.recurrent_calls_.size() > mark.first && all_backwards_ > mark.second;
  }

  void exec_while(TSNode n) {
    int iterations = loop_depth_ >= budget_.max_loop_depth ? 1 : 2;
    ++loop_depth_;
    std::pair<size_t, int> mark;
    for (int i = 0; i < iterations && !frame().returned; ++i) {
      if (i == 1 && !carried(mark)) break;
      if (i == 0) mark = {out_.recurrent_calls_.size(), all_backwards_};
      auto cond = eval(field(n, "condition"))->as_bool();
      if (cond && !*cond) break;
      loop_iterations_.emplace_back(n.id, i);
      exec_block(field(n, "body"));
      loop_iterations_.pop_back();
    }
    --loop_depth_;
  }

  void exec_import(TSNode n) {
    auto module_value = [](const std::string& q) {
      auto v = make(Kind::Module);
      v->qualified = q;
      return v;
    };
    if (is(n, "import_statement")) {
      for (TSNode c : named_of(n)) {
        if (is(c, "dotted_name")) {
          std::string q(m_.text_of(c, cell_));
          std::string top = q.substr(0, q.find('.'));
          assign_name(top, module_value(top));
        } else if (is(c, "aliased_import")) {
          assign_name(std::string(m_.text_of(field(c, "alias"), cell_)),
                      module_value(std::string(m_.text_of(field(c, "name"), cell_))));
        }
      }
      return;
    }
    TSNode mod = field(n, "module_name");
    std::string base(m_.text_of(mod, cell_));
    for (TSNode c : named_of(n)) {
      if (c.id == mod.id) continue;
      if (is(c, "dotted_name")) {
        std::string name(m_.text_of(c, cell_));
        assign_name(name, module_value(base + "." + name));
      } else if (is(c, "aliased_import")) {
        assign_name(std::string(m_.text_of(field(c, "alias"), cell_)),
                    module_value(base + "." + std::string(m_.text_of(field(c, "name"), cell_))));
      }
    }
  }

  void define_function(TSNode n) {
    auto fn = make(Kind::Function);
    auto it = function_at_.find(n.id);
    fn->function = it == function_at_.end() ? -1 : it->second;
    fn->origin = origin(field(n, "name"));
    closures_[fn->function] = frame().env == module_ ? nullptr : frame().env;
    defined_.insert(fn->function);
    assign_name(std::string(m_.text_of(field(n, "name"), cell_)), fn);
  }

  void define_class(TSNode n) {
    auto cls = make(Kind::Class);
    auto it = class_at_.find(n.id);
    cls->cls = it == class_at_.end() ? -1 : it->second;
    cls->store = std::make_shared<Store>();
    cls->origin = origin(field(n, "name"));
    TSNode supers = field(n, "superclasses");
    if (!null(supers))
      for (TSNode b : named_of(supers))
        if (!is(b, "keyword_argument")) cls->items.push_back(eval(b));
    // Class-level assignments become class attributes (a `class Config: hidden = 64`).
    auto env = std::make_shared<Env>();
    env->parent = nullptr;
    Frame f;
    f.env = env;
    frames_.push_back(&f);
    for (TSNode s : named_of(field(n, "body")))
      if (is(s, "expression_statement")) exec(s);
    frames_.pop_back();
    for (auto& [k, v] : env->vars) cls->store->fields[k] = v;
    if (cls->cls >= 0) class_values_[cls->cls] = cls;
    assign_name(std::string(m_.text_of(field(n, "name"), cell_)), cls);
  }

  // ---- expressions ---------------------------------------------------------------------------
  Ref eval(TSNode n) {
    if (null(n)) return unknown();
    if (!spend()) return unknown();
    if (nesting_ >= kMaxNesting) {  // hostile nesting: unknown, not a stack overflow
      out_.exhausted_ = true;
      return unknown();
    }
    ++nesting_;
    Ref v = eval_inner(n);
    --nesting_;
    return record(n, v);
  }

  Ref eval_inner(TSNode n) {
    std::string_view t = type(n);
    if (t == "identifier") return lookup(std::string(m_.text_of(n, cell_)));
    if (t == "integer") {
      std::string s(m_.text_of(n, cell_));
      s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 0);
      if (errno || !end || *end) return unknown();
      return constant(Value::of_int(v), origin(n));
    }
    if (t == "float") {
      std::string s(m_.text_of(n, cell_));
      s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
      return constant(Value::of_float(std::strtod(s.c_str(), nullptr)), origin(n));
    }
    if (t == "true" || t == "false") return constant(Value::of_bool(t == "true"), origin(n));
    if (t == "none") return constant(Value::none(), origin(n));
    if (t == "string") return string_value(n);
    if (t == "parenthesized_expression") {
      const auto& kids = named_of(n);
      return kids.empty() ? unknown() : eval(kids[0]);
    }
    if (t == "tuple" || t == "expression_list") return sequence(n, true);
    if (t == "list") return sequence(n, false);
    if (t == "dictionary") return dictionary(n);
    if (t == "binary_operator") {
      Ref a = eval(field(n, "left"));
      Ref b = eval(field(n, "right"));
      return binary(a, std::string(m_.text_of(field(n, "operator"), cell_)), b, n);
    }
    if (t == "unary_operator") {
      Ref a = eval(field(n, "argument"));
      std::string op(m_.text_of(field(n, "operator"), cell_));
      if (op == "-" && a->known_const()) return constant(negate(a->constant), origin(n));
      if (a->kind == Kind::Tensor) return a;
      return unknown();
    }
    if (t == "not_operator") {
      auto b = eval(field(n, "argument"))->as_bool();
      return b ? constant(Value::of_bool(!*b)) : unknown();
    }
    if (t == "comparison_operator") return comparison(n);
    if (t == "boolean_operator") {
      Ref a = eval(field(n, "left"));
      Ref b = eval(field(n, "right"));
      std::string op(m_.text_of(field(n, "operator"), cell_));
      auto x = a->as_bool();
      if (x && op == "and") return *x ? b : a;
      if (x && op == "or") return *x ? a : b;
      return unknown();
    }
    if (t == "conditional_expression") {
      const auto& kids = named_of(n);
      if (kids.size() != 3) return unknown();
      auto cond = eval(kids[1])->as_bool();
      if (cond) return eval(*cond ? kids[0] : kids[2]);
      return join(eval(kids[0]), eval(kids[2]));
    }
    if (t == "attribute") return attribute(n);
    if (t == "subscript") return subscript(n);
    if (t == "call") return call(n);
    if (t == "list_comprehension" || t == "generator_expression") return comprehension(n);
    if (t == "lambda") {
      auto fn = make(Kind::Function);
      fn->function = -1;
      fn->origin = origin(n);
      lambdas_[fn.get()] = {n, cell_, frame().env == module_ ? nullptr : frame().env};
      return fn;
    }
    if (t == "named_expression") {
      Ref v = eval(field(n, "value"));
      bind_target(field(n, "name"), v);
      return v;
    }
    if (t == "keyword_argument") return eval(field(n, "value"));
    if (t == "await") {
      const auto& kids = named_of(n);
      return kids.empty() ? unknown() : eval(kids[0]);
    }
    // Everything else (f-strings' parts, sets, yields...) is evaluated for its effects only.
    for (TSNode c : named_of(n)) eval(c);
    return unknown();
  }

  Ref string_value(TSNode n) {
    std::string_view s = m_.text_of(n, cell_);
    size_t q = s.find_first_of("'\"");
    if (q == std::string_view::npos) return unknown();
    std::string prefix(s.substr(0, q));
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (prefix.find('f') != std::string::npos) {
      for (TSNode c : named_of(n)) eval(c);  // interpolations may call things
      return make(Kind::Const);                    // a str of unknown value: kind kept unknown
    }
    size_t quote = (s.size() >= q + 6 && s.substr(q, 3) == std::string(3, s[q])) ? 3 : 1;
    if (s.size() < q + 2 * quote) return unknown();
    std::string body(s.substr(q + quote, s.size() - q - 2 * quote));
    if (body.find('\\') != std::string::npos && prefix.find('r') == std::string::npos) return unknown();
    return constant(Value::of_str(body), origin(n));
  }

  Ref sequence(TSNode n, bool is_tuple) {
    const std::vector<TSNode>& kids = named_of(n);
    if (kids.size() > budget_.max_literal_items) {
      auto v = is_tuple ? tuple_of({}) : list_of({}, false);
      if (is_tuple) return unknown();
      return v;
    }
    std::vector<Ref> items;
    bool exact = true;
    for (TSNode k : kids) {
      if (is(k, "list_splat")) {
        Ref s = eval(named_of(k).empty() ? TSNode{} : named_of(k)[0]);
        if (s->kind == Kind::Tuple) items.insert(items.end(), s->items.begin(), s->items.end());
        else if (s->kind == Kind::List && s->store->exact) items.insert(items.end(), s->store->items.begin(), s->store->items.end());
        else exact = false;
        continue;
      }
      items.push_back(eval(k));
    }
    if (is_tuple) return exact ? tuple_of(std::move(items)) : unknown();
    return list_of(std::move(items), exact);
  }

  Ref dictionary(TSNode n) {
    auto v = make(Kind::Dict);
    v->store = std::make_shared<Store>();
    const std::vector<TSNode>& kids = named_of(n);
    if (kids.size() > budget_.max_literal_items) return v;
    for (TSNode p : kids) {
      if (!is(p, "pair")) {
        eval(p);
        continue;
      }
      Ref key = eval(field(p, "key"));
      Ref value = eval(field(p, "value"));
      if (key->known_const()) v->store->fields[key->constant.repr()] = value;
    }
    return v;
  }

  Ref comparison(TSNode n) {
    const auto& kids = named_of(n);
    std::vector<Ref> vals;
    for (TSNode k : kids) vals.push_back(eval(k));
    if (vals.size() != 2) return unknown();
    std::string op;
    for (TSNode c : python::children(n))
      if (!ts_node_is_named(c))
        for (char ch : m_.text_of(c, cell_))
          if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\\') op += ch;  // `is not` -> "isnot"
    auto a = vals[0]->constant.as_number(), b = vals[1]->constant.as_number();
    if (vals[0]->kind == Kind::Const && vals[1]->kind == Kind::Const) {
      if ((op == "is" || op == "==") && vals[0]->constant.kind == Value::Kind::None)
        return constant(Value::of_bool(vals[1]->constant.kind == Value::Kind::None));
      if ((op == "isnot" || op == "!=") && vals[0]->constant.kind == Value::Kind::None && vals[1]->known_const())
        return constant(Value::of_bool(vals[1]->constant.kind != Value::Kind::None));
      if (a && b) {
        if (op == "<") return constant(Value::of_bool(*a < *b));
        if (op == "<=") return constant(Value::of_bool(*a <= *b));
        if (op == ">") return constant(Value::of_bool(*a > *b));
        if (op == ">=") return constant(Value::of_bool(*a >= *b));
        if (op == "==") return constant(Value::of_bool(*a == *b));
        if (op == "!=") return constant(Value::of_bool(*a != *b));
      }
    }
    // `x is None` where x is a known non-None object
    bool none_right = vals[1]->kind == Kind::Const && vals[1]->constant.kind == Value::Kind::None;
    bool object_left = vals[0]->kind == Kind::Tensor || vals[0]->kind == Kind::Tuple || vals[0]->kind == Kind::Layer ||
                       vals[0]->kind == Kind::Instance;
    if (none_right && object_left) {
      if (op == "is" || op == "==") return constant(Value::of_bool(false));
      if (op == "isnot" || op == "!=") return constant(Value::of_bool(true));
    }
    return unknown();
  }

  Ref binary(const Ref& a, const std::string& op, const Ref& b, TSNode n) {
    if (a->kind == Kind::Const && b->kind == Kind::Const) {
      Value r = binary_op(a->constant, op, b->constant);
      return r.known() ? constant(r, origin(n)) : unknown();
    }
    // symbolic ints: (i + k) +/- c
    if ((op == "+" || op == "-") && a->sym && b->as_int()) {
      auto v = make(Kind::Unknown);
      v->sym = a->sym;
      v->offset = op == "+" ? a->offset + *b->as_int() : a->offset - *b->as_int();
      return v;
    }
    if (op == "+" && b->sym && a->as_int()) {
      auto v = make(Kind::Unknown);
      v->sym = b->sym;
      v->offset = b->offset + *a->as_int();
      return v;
    }
    if (a->kind == Kind::Tuple && b->kind == Kind::Tuple && op == "+") {
      std::vector<Ref> items = a->items;
      items.insert(items.end(), b->items.begin(), b->items.end());
      return tuple_of(std::move(items));
    }
    if (a->kind == Kind::List && b->kind == Kind::List && op == "+") {
      auto r = list_of({}, a->store->exact && b->store->exact);
      auto s = r->store;
      s->items = a->store->items;
      s->items.insert(s->items.end(), b->store->items.begin(), b->store->items.end());
      s->element = join(a->store->element, b->store->element);
      return r;
    }
    if (a->kind == Kind::Tensor && b->kind == Kind::Tensor && (op == "-" || op == "/"))
      if (Ref r = normalisation(a, op, b, n)) return r;
    if (a->kind == Kind::Tensor || b->kind == Kind::Tensor) {
      if (op == "@") return unknown();
      return broadcast(a, b);
    }
    return unknown();
  }

  // `(x - x.mean()) / x.std()`, `(x - x.min()) / (x.max() - x.min())`: a scaler written by hand.
  // Its statistics come from all of x unless x is one side of a split; the result counts as
  // that fit's output, as a scikit-learn scaler's would. Null when the operands are not that.
  Ref normalisation(const Ref& a, const std::string& op, const Ref& b, TSNode n) {
    if (!b->stat_of) return nullptr;
    if (a->stat_of) {  // `x.max() - x.min()`: still a statistic of x
      if (a->stat_of != b->stat_of) return nullptr;
      auto r = std::const_pointer_cast<AValue>(broadcast(a, b));
      if (r.get() == a.get() || r.get() == b.get()) r = std::make_shared<AValue>(*r);
      r->stat_of = a->stat_of;
      return r;
    }
    if (op == "-" && b->stat_of == a.get()) {
      bool whole = a->part != 2 && a->part != 3;
      out_.scaler_fits_.push_back(ScalerFitEvent{cell_, n, whole, field(n, "left")});
      int id = static_cast<int>(out_.scaler_fits_.size());
      manual_fits_[id] = a.get();
      auto r = std::make_shared<AValue>(*broadcast(a, b));
      r->fitted = whole ? id : 0;
      r->manual_fit = id;
      return r;
    }
    if (op == "/" && a->manual_fit) {
      auto it = manual_fits_.find(a->manual_fit);
      if (it == manual_fits_.end() || it->second != b->stat_of) return nullptr;
      auto& fit = out_.scaler_fits_[static_cast<size_t>(a->manual_fit) - 1];
      if (fit.cell == cell_) fit.node = n;  // the whole expression is the fit
      auto r = std::make_shared<AValue>(*broadcast(a, b));
      r->fitted = a->fitted;
      r->manual_fit = 0;
      return r;
    }
    return nullptr;
  }

  // Element-wise maths: the broadcast shape when both shapes are known, else the tensor's own.
  Ref broadcast(const Ref& a, const Ref& b) {
    if (a->kind != Kind::Tensor) return strip(b);
    if (b->kind != Kind::Tensor) return strip(a);
    if (!a->ranked || !b->ranked) return tensor({}, false);
    size_t rank = std::max(a->shape.size(), b->shape.size());
    std::vector<Dim> out(rank);
    for (size_t i = 0; i < rank; ++i) {
      const Dim* x = i < rank - a->shape.size() ? nullptr : &a->shape[i - (rank - a->shape.size())];
      const Dim* y = i < rank - b->shape.size() ? nullptr : &b->shape[i - (rank - b->shape.size())];
      if (!x) out[i] = *y;
      else if (!y) out[i] = *x;
      else if (x->size == y->size) out[i] = *x;
      else if (x->size == 1) out[i] = *y;
      else if (y->size == 1) out[i] = *x;
    }
    auto r = tensor(std::move(out));
    auto w = std::const_pointer_cast<AValue>(r);
    w->part = a->part ? a->part : b->part;
    w->fitted = a->fitted ? a->fitted : b->fitted;
    w->graph = std::max(a->graph, b->graph);
    if (w->graph >= 0) w->graph_origin = a->graph >= b->graph ? a->graph_origin : b->graph_origin;
    return r;
  }

  // The same tensor, no longer the windows of a series (an arithmetic result).
  static Ref strip(const Ref& t) {
    if (!t->windowed) return t;
    auto r = std::make_shared<AValue>(*t);
    r->windowed = false;
    return r;
  }

  Ref attribute(TSNode n) {
    Ref obj = eval(field(n, "object"));
    std::string name(m_.text_of(field(n, "attribute"), cell_));
    return get_attribute(obj, name);
  }

  Ref get_attribute(const Ref& obj, const std::string& name) {
    switch (obj->kind) {
      case Kind::Module: return module_value(obj->qualified + "." + name);
      case Kind::Instance:
      case Kind::Layer:
      case Kind::Loader: {
        if (auto f = obj->field(name)) return f;
        if (obj->kind == Kind::Instance && obj->cls >= 0) {
          if (Ref m = class_member(obj->cls, name, obj)) return m;
        }
        return method_of(obj, name);
      }
      case Kind::Class: {
        if (Ref m = class_member(obj->cls, name, nullptr)) return m;
        return unknown();
      }
      case Kind::Tensor: {
        if (name == "shape") return shape_tuple(obj);
        if (name == "T" && obj->ranked) {
          auto r = std::make_shared<AValue>(*obj);
          std::reverse(r->shape.begin(), r->shape.end());
          r->windowed = false;
          return r;
        }
        if (name == "data") return strip_graph(obj);  // `.data` has no autograd history
        if (name == "values" || name == "iloc" || name == "loc") return obj;
        if (obj->part || obj->fitted) {  // a column or property of a data frame
          static const std::unordered_set<std::string> methods = {
              "view", "reshape", "unsqueeze", "squeeze", "permute", "transpose", "size", "unfold", "sum", "mean", "std", "min", "max", "var",
              "float", "double", "to", "detach", "numpy", "astype", "copy", "to_numpy", "dropna", "fillna"};
          if (!methods.count(name)) return carried_data(obj);
        }
        return method_of(obj, name);
      }
      case Kind::Super: return method_of(obj, name);
      default: return method_of(obj, name);
    }
  }

  // One value per module path (`torch.nn.LSTM`): attribute chains are read very often.
  Ref module_value(const std::string& q) {
    auto it = modules_.find(q);
    if (it != modules_.end()) return it->second;
    auto v = make(Kind::Module);
    v->qualified = q;
    return modules_.emplace(q, v).first->second;
  }
  std::unordered_map<std::string, Ref> modules_;

  Ref method_of(const Ref& obj, const std::string& name) {
    auto v = make(Kind::Bound);
    v->self = obj;
    v->qualified = name;
    return v;
  }

  // A class attribute or method through the notebook class and its notebook bases.
  Ref class_member(int cls, const std::string& name, const Ref& self, int depth = 0) {
    if (cls < 0 || depth > 8) return nullptr;
    auto it = class_values_.find(cls);
    if (it == class_values_.end()) return nullptr;
    const Ref& c = it->second;
    if (auto f = c->field(name)) return f;
    const auto& info = m_.classes()[static_cast<size_t>(cls)];
    auto mit = info.methods.find(name);
    if (mit != info.methods.end()) {
      if (!self) {
        auto fn = make(Kind::Function);
        fn->function = mit->second;
        return fn;
      }
      auto b = make(Kind::Bound);
      b->function = mit->second;
      b->self = self;
      b->cls = cls;
      return b;
    }
    for (const auto& base : c->items)
      if (base->kind == Kind::Class)
        if (Ref r = class_member(base->cls, name, self, depth + 1)) return r;
    return nullptr;
  }

  bool is_torch_module_class(int cls, int depth = 0) const {
    auto it = class_values_.find(cls);
    if (it == class_values_.end() || depth > 8) return false;
    for (const auto& base : it->second->items) {
      if (base->kind == Kind::Module && base->qualified.find("Module") != std::string::npos) return true;
      if (base->kind == Kind::Class && is_torch_module_class(base->cls, depth + 1)) return true;
    }
    return m_.classes()[static_cast<size_t>(cls)].is_nn_module;
  }

  Ref shape_tuple(const Ref& t) {
    if (!t->ranked) return unknown();
    std::vector<Ref> items;
    for (const auto& d : t->shape) items.push_back(dim_value(d));
    return tuple_of(std::move(items));
  }

  static Ref dim_value(const Dim& d) {
    if (!d.size) return unknown();
    auto v = make(Kind::Const);
    v->constant = Value::of_int(*d.size);
    v->origin = d.origin;
    if (!d.origin.known()) v->origin.note = d.why;
    return v;
  }

  static std::optional<long long> index_of(const Ref& v) { return v->as_int(); }

  Ref subscript(TSNode n) {
    Ref obj = eval(field(n, "value"));
    std::vector<TSNode> idx;  // every named child but the value (comments aside)
    TSNode value = field(n, "value");
    for (TSNode c : named_of(n))
      if (c.id != value.id && !is(c, "comment")) idx.push_back(c);
    if (idx.size() == 1 && is(idx[0], "tuple")) idx = named_of(idx[0]);
    switch (obj->kind) {
      case Kind::Dict: {
        if (idx.size() != 1) return unknown();
        Ref key = eval(idx[0]);
        if (!key->known_const()) return unknown();
        if (auto f = obj->store->fields.find(key->constant.repr()); f != obj->store->fields.end()) return f->second;
        return unknown();
      }
      case Kind::Tuple:
      case Kind::List: {
        if (idx.size() != 1) return unknown();
        if (is(idx[0], "slice")) return slice_sequence(obj, idx[0]);
        Ref i = eval(idx[0]);
        auto k = index_of(i);
        const std::vector<Ref>* items = obj->kind == Kind::Tuple ? &obj->items : (obj->store->exact ? &obj->store->items : nullptr);
        if (!items) return obj->store->element ? obj->store->element : unknown();
        if (!k) return unknown();
        long long size = static_cast<long long>(items->size());
        long long at = *k < 0 ? *k + size : *k;
        if (at < 0 || at >= size) return unknown();
        return (*items)[static_cast<size_t>(at)];
      }
      case Kind::Instance:
        if (!idx.empty()) eval(idx[0]);
        return unknown();
      case Kind::Tensor: return index_tensor(obj, idx, n);
      default:
        for (TSNode i : idx) eval(i);
        return unknown();
    }
  }

  struct SliceParts {
    TSNode start{}, stop{}, step{};
  };
  static SliceParts slice_parts(TSNode s) {
    SliceParts p;
    int part = 0;
    for (TSNode c : python::children(s)) {
      if (!ts_node_is_named(c)) {
        if (python::type(c) == ":") ++part;
        continue;
      }
      (part == 0 ? p.start : part == 1 ? p.stop : p.step) = c;
    }
    return p;
  }

  // The length of a slice of an axis of `size` (unknown size: only `[a:a + k]` forms).
  std::optional<long long> slice_length(TSNode s, std::optional<long long> size, bool* window = nullptr) {
    auto p = slice_parts(s);
    Ref start = null(p.start) ? nullptr : eval(p.start);
    Ref stop = null(p.stop) ? nullptr : eval(p.stop);
    // `[i:i + T]` with i a loop index: one window of whatever is sliced
    if (window) *window = start && stop && start->sym && start->sym == stop->sym && stop->offset > start->offset;
    Ref step = null(p.step) ? nullptr : eval(p.step);
    long long st = 1;
    if (step) {
      auto k = step->as_int();
      if (!k || *k <= 0) return std::nullopt;
      st = *k;
    }
    if (start && stop && start->sym && start->sym == stop->sym && st == 1) return std::max(0LL, stop->offset - start->offset);
    if (start && stop && stop->sym && start->as_int() == 0 && false) return std::nullopt;
    if (!size) return std::nullopt;
    auto clamp = [&](const Ref& v, long long dflt) -> std::optional<long long> {
      if (!v) return dflt;
      auto k = v->as_int();
      if (!k) return std::nullopt;
      long long x = *k < 0 ? *k + *size : *k;
      return std::min(std::max(x, 0LL), *size);
    };
    auto a = clamp(start, 0), b = clamp(stop, *size);
    if (!a || !b) return std::nullopt;
    if (*b <= *a) return 0;
    return (*b - *a + st - 1) / st;
  }

  Ref slice_sequence(const Ref& obj, TSNode s) {
    const std::vector<Ref>* items = obj->kind == Kind::Tuple ? &obj->items : (obj->store->exact ? &obj->store->items : nullptr);
    if (!items) {
      slice_length(s, std::nullopt);
      auto r = list_of({}, false);
      std::const_pointer_cast<AValue>(r)->store->element = obj->store->element;
      return r;
    }
    auto p = slice_parts(s);
    long long size = static_cast<long long>(items->size());
    auto bound = [&](TSNode node, long long dflt) -> std::optional<long long> {
      if (null(node)) return dflt;
      auto k = eval(node)->as_int();
      if (!k) return std::nullopt;
      long long x = *k < 0 ? *k + size : *k;
      return std::min(std::max(x, 0LL), size);
    };
    auto a = bound(p.start, 0), b = bound(p.stop, size);
    if (!null(p.step) || !a || !b) {
      auto r = list_of({}, false);
      std::const_pointer_cast<AValue>(r)->store->element = obj->kind == Kind::List ? obj->store->element : unknown();
      return r;
    }
    std::vector<Ref> out(items->begin() + std::min(*a, *b), items->begin() + *b);
    return obj->kind == Kind::Tuple ? tuple_of(std::move(out)) : list_of(std::move(out));
  }

  static bool full_slice(TSNode i) {
    if (!is(i, "slice")) return false;
    auto p = slice_parts(i);
    return null(p.start) && null(p.stop) && null(p.step);
  }

  // `out[:, -1]` / `out[:, -1, :]` of a (time, batch, ...) recurrent output; `second` is the
  // value of the second index.
  void note_time_major_index(const Ref& t, const std::vector<TSNode>& idx, const Ref& second, TSNode site) {
    if (null(site) || !second || second->as_int() != std::optional<long long>(-1)) return;
    if (t->shape.size() != 3 || !t->shape[0].time_of || t->shape[1].time_of) return;
    if (idx.size() < 2 || idx.size() > 3 || !full_slice(idx[0]) || (idx.size() == 3 && !full_slice(idx[2]))) return;
    for (const auto& e : out_.time_major_indexing_)
      if (e.cell == cell_ && e.node.id == site.id) return;
    for (const auto& c : out_.recurrent_calls_)
      if (c.layer.get() == t->shape[0].time_of) {
        out_.time_major_indexing_.push_back(TimeMajorIndex{cell_, site, c.layer});
        return;
      }
  }

  Ref index_tensor(const Ref& t, const std::vector<TSNode>& idx, TSNode site = TSNode{}) {
    int split = split_of(t, idx);
    if (!t->ranked) {
      for (TSNode i : idx) eval(i);
      auto r = std::const_pointer_cast<AValue>(strip_graph_keep(t, tensor({}, false)));
      r->part = split ? split : t->part;
      r->fitted = t->fitted;
      r->origin = t->origin;
      return r;
    }
    std::vector<Dim> out;
    size_t axis = 0;
    Ref second;  // the second index's value, when it is not a slice
    bool cut_window = false;
    bool ellipsis_seen = false;
    size_t consumed = 0;
    for (TSNode i : idx)
      if (!is(i, "ellipsis") && !is(i, "none")) ++consumed;
    for (TSNode i : idx) {
      if (is(i, "ellipsis")) {
        if (ellipsis_seen) return tensor({}, false);
        ellipsis_seen = true;
        size_t keep = t->shape.size() >= consumed ? t->shape.size() - consumed : 0;
        for (size_t k = 0; k < keep && axis < t->shape.size(); ++k) out.push_back(t->shape[axis++]);
        continue;
      }
      if (is(i, "none")) {
        out.push_back(Dim{1, "", {}});
        continue;
      }
      if (axis >= t->shape.size()) return tensor({}, false);
      if (is(i, "slice")) {
        Dim d;
        bool window = false;
        d.size = slice_length(i, t->shape[axis].size, &window);
        if (window && axis == 0) cut_window = true;
        auto p = slice_parts(i);
        if (null(p.start) && null(p.stop) && null(p.step)) d = t->shape[axis];
        out.push_back(d);
        ++axis;
        continue;
      }
      Ref v = eval(i);
      if (idx.size() > 1 && i.id == idx[1].id) second = v;
      if (v->kind == Kind::Tensor || v->kind == Kind::List) {  // fancy indexing: the axis changes size
        out.push_back(Dim{});
        ++axis;
        continue;
      }
      ++axis;  // an integer removes the axis
    }
    while (axis < t->shape.size()) out.push_back(t->shape[axis++]);
    note_time_major_index(t, idx, second, site);
    auto r = std::make_shared<AValue>(*t);
    r->shape = std::move(out);
    r->windowed = t->windowed && idx.size() == 1 && is(idx[0], "slice");
    if (cut_window) r->windowed = true;  // `series[i:i + T]`: one window of the series
    if (split) r->part = split;
    return r;
  }

  // Whether rows `[:n]` / `[n:]` split a value with data provenance: 2 head, 3 tail, 0 not a split.
  // Shifts by a few rows (`x[:-1]`, `y[1:]`, `x[:-T]` for targets) and windows (`x[i:i + T]`) are not.
  int split_of(const Ref& t, const std::vector<TSNode>& idx) {
    // Any array's leading or trailing rows are a part of it, whatever it holds (a generated
    // series too): a scaler fit on them is not fit on the whole.
    if (t->part == 0 && t->fitted == 0 && t->kind != Kind::Tensor) return 0;
    if (idx.empty() || !is(idx[0], "slice")) return 0;
    auto p = slice_parts(idx[0]);
    if (!null(p.step)) return 0;
    bool head = !null(p.stop) && (null(p.start) || m_.text_of(p.start, cell_) == "0");
    bool tail = null(p.stop) && !null(p.start);
    if (!head && !tail) return 0;
    Ref bound = eval(head ? p.stop : p.start);
    if (bound->sym) return 0;
    // A few rows off either end look like a shift (`x[:-1]`, `y[1:]`, `x[:-T]` for targets):
    // alone they do not make a training or test part.
    bool shift = false;
    if (auto k = bound->as_int()) {
      std::optional<long long> length = t->ranked && !t->shape.empty() ? t->shape[0].size : std::nullopt;
      long long at = *k < 0 && length ? *length + *k : *k;
      if (std::llabs(*k) < 50 && !(length && *length <= 100)) shift = true;
      if (length && (at * 20 < *length || at * 20 > *length * 19)) shift = true;
    }
    int part = head ? 2 : 3;
    // A split is the value cut into both parts at the same place: `x[:n]` and `x[n:]`, also
    // `df.iloc[:-30]` and `df.iloc[-30:]` (a test period of 30 rows).
    TSNode site = ts_node_parent(idx[0]);
    for (const auto& c : cuts_) {
      if (c.value != t.get() || c.part == part) continue;
      bool same = c.bound == bound || (c.bound->as_int() && c.bound->as_int() == bound->as_int());
      if (same && t->fitted) out_.leaking_splits_.push_back(LeakingSplit{t->fitted - 1, c.cell, c.node});
    }
    if (cuts_.size() < 4096) cuts_.push_back(Cut{t.get(), bound, part, cell_, site, t});
    return shift ? 0 : part;
  }
  struct Cut {
    const AValue* value;
    Ref bound;
    int part;
    int cell;
    TSNode node;
    Ref keep;  // keeps `value` alive, so its address is not reused
  };
  std::vector<Cut> cuts_;

  static Ref strip_graph_keep(const Ref& from, Ref to) {
    if (from->graph == -1) return to;
    auto r = std::make_shared<AValue>(*to);
    r->graph = from->graph;
    r->graph_origin = from->graph_origin;
    return r;
  }

  Ref comprehension(TSNode n) {
    // One abstract element: the body evaluated with each `for` target bound to one element.
    EnvPtr saved = frame().env;
    auto env = std::make_shared<Env>();
    env->parent = saved == module_ ? nullptr : saved;
    // Comprehensions read module names through lookup(); a local scope keeps targets private.
    Frame f = frame();
    f.env = env;
    f.returns.clear();
    f.returned = false;
    if (saved == module_) env->parent = nullptr;
    frames_.push_back(&f);
    bool exact = true;
    std::optional<long long> length;
    // `tuple(s.detach() for s in hidden)`: one clause over a short sequence of known items runs
    // the body once per item, so each item keeps its own value.
    const auto& clauses = named_of(n);
    Ref first;  // the first clause's iterable, evaluated once
    if (clauses.size() >= 2 && is(clauses[1], "for_in_clause")) first = eval(field(clauses[1], "right"));
    if (clauses.size() == 2 && first) {
      const Ref& it = first;
      const std::vector<Ref>* items = it->kind == Kind::Tuple ? &it->items
                                      : (it->kind == Kind::List && it->store->exact) ? &it->store->items : nullptr;
      if (items && !items->empty() && items->size() <= 8) {
        std::vector<Ref> out;
        for (const auto& item : *items) {
          bind_target(field(clauses[1], "left"), item);
          out.push_back(eval(field(n, "body")));
        }
        frames_.pop_back();
        return list_of(std::move(out));
      }
    }
    for (TSNode c : clauses) {
      if (is(c, "for_in_clause")) {
        Ref it = first && c.id == clauses[1].id ? first : eval(field(c, "right"));
        if (it->kind == Kind::Range) {
          auto a = it->items[0]->as_int(), b = it->items[1]->as_int(), s = it->items[2]->as_int();
          if (a && b && s && *s > 0) length = *b > *a ? (*b - *a + *s - 1) / *s : 0;
        } else if (it->kind == Kind::List && it->store->exact) {
          length = static_cast<long long>(it->store->items.size());
        } else if (it->kind == Kind::Tuple) {
          length = static_cast<long long>(it->items.size());
        } else if (it->kind == Kind::Tensor && it->ranked && !it->shape.empty()) {
          length = it->shape[0].size;
        } else {
          exact = false;
        }
        bind_target(field(c, "left"), element(it, 0, nullptr, nullptr));
      } else if (is(c, "if_clause")) {
        exact = false;
        for (TSNode k : named_of(c)) eval(k);
      }
    }
    Ref body = eval(field(n, "body"));
    frames_.pop_back();
    if (!exact) length.reset();
    auto r = list_of({}, false);
    auto s = std::const_pointer_cast<AValue>(r)->store;
    s->element = body;
    if (length && *length <= static_cast<long long>(budget_.max_literal_items)) {
      s->items.assign(static_cast<size_t>(*length), body);
      s->exact = true;
    }
    if (is(n, "generator_expression")) {
      auto g = std::const_pointer_cast<AValue>(r);
      g->qualified = "generator";
    }
    return r;
  }

  // ---- calls ---------------------------------------------------------------------------------
  struct Args {
    std::vector<Ref> pos;
    std::vector<TSNode> pos_nodes;
    std::vector<std::pair<std::string, Ref>> kw;
    std::vector<TSNode> kw_nodes;
    bool unpacked = false;  // *args / **kwargs whose values are unknown
    const Ref* get(size_t i, const std::string& name) const {
      for (auto& [k, v] : kw)
        if (k == name) return &v;
      return i < pos.size() ? &pos[i] : nullptr;
    }
    const Ref* keyword(const std::string& name) const {
      for (auto& [k, v] : kw)
        if (k == name) return &v;
      return nullptr;
    }
    TSNode node(size_t i, const std::string& name) const {
      for (size_t j = 0; j < kw.size(); ++j)
        if (kw[j].first == name) return kw_nodes[j];
      return i < pos_nodes.size() ? pos_nodes[i] : TSNode{};
    }
  };

  Args eval_args(TSNode list) {
    Args a;
    if (is(list, "generator_expression")) {
      a.pos.push_back(eval(list));
      a.pos_nodes.push_back(list);
      return a;
    }
    each_named(list, [&](TSNode c) {
      if (is(c, "keyword_argument")) {
        a.kw.emplace_back(std::string(m_.text_of(field(c, "name"), cell_)), eval(field(c, "value")));
        a.kw_nodes.push_back(field(c, "value"));
      } else if (is(c, "list_splat")) {
        const auto& kids = named_of(c);
        Ref v = kids.empty() ? unknown() : eval(kids[0]);
        if (v->kind == Kind::Tuple) {
          for (const auto& i : v->items) { a.pos.push_back(i); a.pos_nodes.push_back(c); }
        } else if (v->kind == Kind::List && v->store->exact) {
          for (const auto& i : v->store->items) { a.pos.push_back(i); a.pos_nodes.push_back(c); }
        } else {
          a.unpacked = true;
        }
      } else if (is(c, "dictionary_splat")) {
        const auto& kids = named_of(c);
        Ref v = kids.empty() ? unknown() : eval(kids[0]);
        if (v->kind == Kind::Dict) {
          for (const auto& [k, val] : v->store->fields)
            if (k.size() >= 2 && k.front() == '\'') { a.kw.emplace_back(k.substr(1, k.size() - 2), val); a.kw_nodes.push_back(c); }
        } else {
          a.unpacked = true;
        }
      } else if (!is(c, "comment")) {
        a.pos.push_back(eval(c));
        a.pos_nodes.push_back(c);
      }
    });
    return a;
  }

  Ref call(TSNode n) {
    TSNode fn = field(n, "function");
    // `x.method(...)` on a value that is not notebook code: dispatched without a bound-method value.
    if (is(fn, "attribute")) {
      Ref obj = eval(field(fn, "object"));
      bool plain = obj->kind == Kind::Tensor || obj->kind == Kind::Unknown || obj->kind == Kind::List ||
                   obj->kind == Kind::Dict || obj->kind == Kind::Const || obj->kind == Kind::Tuple;
      if (plain) {
        std::string name(m_.text_of(field(fn, "attribute"), cell_));
        if (!(obj->kind == Kind::Tensor && (name == "shape" || name == "T" || name == "data" || name == "values"))) {
          Args args = eval_args(field(n, "arguments"));
          return method(obj, name, args, n);
        }
      }
      Ref callee = record(fn, get_attribute(obj, std::string(m_.text_of(field(fn, "attribute"), cell_))));
      Args args = eval_args(field(n, "arguments"));
      return apply(callee, args, n);
    }
    Ref callee = eval(fn);
    Args args = eval_args(field(n, "arguments"));
    return apply(callee, args, n);
  }

  Ref apply(const Ref& callee, Args& args, TSNode site) {
    switch (callee->kind) {
      case Kind::Function:
        if (callee->function < 0) return call_lambda(callee, args, site);
        return call_function(callee->function, nullptr, -1, args, site);
      case Kind::Class: return construct(callee, args, site);
      case Kind::Module: return library(callee->qualified, args, site);
      case Kind::Partial: {
        Args merged;
        merged.pos = callee->items;
        merged.pos_nodes.assign(callee->items.size(), TSNode{});
        for (auto& [k, v] : callee->kwargs) { merged.kw.emplace_back(k, v); merged.kw_nodes.push_back(TSNode{}); }
        merged.pos.insert(merged.pos.end(), args.pos.begin(), args.pos.end());
        merged.pos_nodes.insert(merged.pos_nodes.end(), args.pos_nodes.begin(), args.pos_nodes.end());
        merged.kw.insert(merged.kw.end(), args.kw.begin(), args.kw.end());
        merged.kw_nodes.insert(merged.kw_nodes.end(), args.kw_nodes.begin(), args.kw_nodes.end());
        merged.unpacked = args.unpacked;
        return apply(callee->self, merged, site);
      }
      case Kind::Bound:
        if (callee->function >= 0) return call_function(callee->function, callee->self, callee->cls, args, site);
        return method(callee->self, callee->qualified, args, site);
      case Kind::Instance: {
        if (callee->cls < 0) return unknown();
        Ref forward = class_member(callee->cls, is_torch_module_class(callee->cls) ? "forward" : "__call__", callee);
        if (forward && forward->kind == Kind::Bound && forward->function >= 0)
          return call_function(forward->function, callee, forward->cls, args, site);
        return unknown();
      }
      case Kind::Layer: return call_layer(callee, args, site);
      default: return unknown();
    }
  }

  Ref call_lambda(const Ref& callee, Args& args, TSNode site) {
    (void)site;
    auto it = lambdas_.find(callee.get());
    if (it == lambdas_.end() || static_cast<int>(frames_.size()) > budget_.max_call_depth) return unknown();
    auto [node, cell, closure] = it->second;
    int saved_cell = cell_;
    cell_ = cell;
    auto env = std::make_shared<Env>();
    env->parent = closure;
    Frame f;
    f.env = env;
    bind_parameters(field(node, "parameters"), args, env, nullptr);
    frames_.push_back(&f);
    Ref r = eval(field(node, "body"));
    frames_.pop_back();
    cell_ = saved_cell;
    return r;
  }

  // Binds a call's arguments to the parameters of a def or lambda.
  void bind_parameters(TSNode params, Args& args, const EnvPtr& env, const Ref& self) {
    size_t next = 0;
    std::vector<Ref> pos = args.pos;
    if (self) pos.insert(pos.begin(), self);
    if (null(params)) return;
    bool keyword_only = false;
    for (TSNode p : named_of(params)) {
      std::string_view t = type(p);
      std::string name;
      TSNode dflt{};
      if (t == "identifier") {
        name = std::string(m_.text_of(p, cell_));
      } else if (t == "default_parameter" || t == "typed_default_parameter") {
        name = std::string(m_.text_of(field(p, "name"), cell_));
        dflt = field(p, "value");
      } else if (t == "typed_parameter") {
        const auto& kids = named_of(p);
        if (!kids.empty() && is(kids[0], "identifier")) name = std::string(m_.text_of(kids[0], cell_));
        else if (!kids.empty()) {  // *args: T / **kw: T
          const auto& inner = named_of(kids[0]);
          if (!inner.empty()) env->vars[std::string(m_.text_of(inner[0], cell_))] = unknown();
          keyword_only = true;
          continue;
        }
      } else if (t == "list_splat_pattern" || t == "dictionary_splat_pattern") {
        const auto& kids = named_of(p);
        if (!kids.empty()) {
          std::string n(m_.text_of(kids[0], cell_));
          if (t == "list_splat_pattern") {
            std::vector<Ref> rest;
            for (size_t i = next; i < pos.size(); ++i) rest.push_back(pos[i]);
            env->vars[n] = args.unpacked ? unknown() : tuple_of(std::move(rest));
            next = pos.size();
            keyword_only = true;
          } else {
            env->vars[n] = unknown();
          }
        }
        continue;
      } else if (t == "keyword_separator") {
        keyword_only = true;
        continue;
      } else {
        continue;
      }
      if (name.empty()) continue;
      Ref v;
      if (const Ref* k = args.keyword(name)) v = *k;
      else if (!keyword_only && next < pos.size()) v = pos[next++];
      else if (args.unpacked) v = unknown();
      else if (!null(dflt)) v = eval(dflt);
      else v = unknown();
      if (!keyword_only && next <= pos.size() && args.keyword(name) == nullptr) {}  // consumed above
      env->vars[name] = v;
    }
  }

  Ref call_function(int fid, const Ref& self, int cls, Args& args, TSNode site) {
    if (fid < 0) return unknown();
    called_.insert(fid);
    const Function& fn = m_.functions()[static_cast<size_t>(fid)];
    int depth = 0;
    for (const Frame* f : frames_)
      if (f->function == fid) ++depth;
    if (depth >= 2 || static_cast<int>(frames_.size()) > budget_.max_call_depth || out_.exhausted_) return unknown();
    int saved_cell = cell_;
    Frame f;
    f.function = fid;
    f.self = self;
    f.cls = cls >= 0 ? cls : fn.enclosing_class;
    f.call_cell = saved_cell;
    f.call_node = site;
    for (size_t i = 0; i < args.pos.size() && i < args.pos_nodes.size(); ++i) f.call_args.emplace_back(args.pos_nodes[i], args.pos[i]);
    for (size_t i = 0; i < args.kw.size() && i < args.kw_nodes.size(); ++i) f.call_args.emplace_back(args.kw_nodes[i], args.kw[i].second);
    auto env = std::make_shared<Env>();
    auto cl = closures_.find(fid);
    env->parent = cl == closures_.end() ? nullptr : cl->second;
    f.env = env;
    cell_ = fn.cell;
    bind_parameters(field(fn.node, "parameters"), args, env, self);
    frames_.push_back(&f);
    exec_block(field(fn.node, "body"));
    frames_.pop_back();
    cell_ = saved_cell;
    if (f.returns.empty()) return constant(Value::none());
    Ref r = f.returns.front();
    for (size_t i = 1; i < f.returns.size(); ++i) r = join(r, f.returns[i]);
    return r;
  }

  Ref construct(const Ref& cls, Args& args, TSNode site) {
    auto obj = make(Kind::Instance);
    obj->cls = cls->cls;
    obj->store = std::make_shared<Store>();
    obj->origin = origin(site);
    Ref init = class_member(cls->cls, "__init__", obj);
    if (init && init->kind == Kind::Bound && init->function >= 0) call_function(init->function, obj, init->cls, args, site);
    return obj;
  }

  // Methods on values that are not notebook code: tensors, lists, dicts, layers, loaders.
  Ref method(const Ref& self, const std::string& name, Args& args, TSNode site) {
    if (name == "backward" && self->kind != Kind::Instance) {  // `loss.backward()`, whatever loss is known to be
      count_backward(args);
      return constant(Value::none());
    }
    switch (self->kind) {
      case Kind::Tensor: return tensor_method(self, name, args, site);
      case Kind::List:
        if (name == "append") {
          auto s = self->store;
          Ref v = args.pos.empty() ? unknown() : args.pos[0];
          s->element = s->element ? join(s->element, v) : v;
          if (loop_depth_ > 0) s->exact = false;
          else s->items.push_back(v);
          return constant(Value::none());
        }
        if (name == "extend") {
          if (!args.pos.empty()) extend(self, args.pos[0]);
          return constant(Value::none());
        }
        return unknown();
      case Kind::Dict:
        if (name == "get" && !args.pos.empty() && args.pos[0]->known_const()) {
          auto it = self->store->fields.find(args.pos[0]->constant.repr());
          if (it != self->store->fields.end()) return it->second;
          return args.pos.size() > 1 ? args.pos[1] : constant(Value::none());
        }
        return unknown();
      case Kind::Instance:
        if (self->qualified.rfind("sklearn.preprocessing.", 0) == 0) return scaler_method(self, name, args, site);
        if (name == "to" || name == "cuda" || name == "cpu" || name == "train" || name == "eval" || name == "double" ||
            name == "float")
          return self;
        return unknown();
      case Kind::Layer:
        if (name == "to" || name == "cuda" || name == "cpu" || name == "train" || name == "eval" || name == "double" ||
            name == "float")
          return self;
        if (self->kind_name.rfind("Keras", 0) == 0) return keras_model_method(self, name, args, site);
        if (name == "add" && self->kind_name == "Sequential" && !args.pos.empty()) {
          auto s = self->store;
          auto layers = s->fields["layers"];
          auto l = layers && layers->kind == Kind::List ? layers : list_of({});
          std::const_pointer_cast<AValue>(l)->store->items.push_back(args.pos[0]);
          s->fields["layers"] = l;
          return constant(Value::none());
        }
        return unknown();
      case Kind::Dataset:
        if (self->qualified == "tensorflow.data.Dataset") return tf_dataset_method(self, name, site);
        return unknown();
      case Kind::Super: {
        // super().__init__(...) / super().forward(...): the notebook base's method, if any.
        auto it = class_values_.find(self->cls);
        if (it == class_values_.end()) return unknown();
        for (const auto& base : it->second->items) {
          if (base->kind != Kind::Class) continue;
          Ref m = class_member(base->cls, name, self->self);
          if (m && m->kind == Kind::Bound && m->function >= 0) return call_function(m->function, self->self, m->cls, args, site);
        }
        return unknown();
      }
      default: return unknown();
    }
  }

  // fit / fit_transform / transform / inverse_transform of a scikit-learn scaler.
  Ref scaler_method(const Ref& scaler, const std::string& name, Args& args, TSNode site) {
    Ref data = args.pos.empty() ? unknown() : args.pos[0];
    if (name == "fit" || name == "fit_transform") {
      // Fit on everything the data holds: not on one side of a split.
      bool whole = data->kind == Kind::Tensor && data->part != 2 && data->part != 3;
      out_.scaler_fits_.push_back(ScalerFitEvent{cell_, site, whole, args.pos_nodes.empty() ? TSNode{} : args.pos_nodes[0]});
      int id = static_cast<int>(out_.scaler_fits_.size());
      scaler->store->fields["fit"] = constant(Value::of_int(whole ? id : 0));
      if (name == "fit") return scaler;
      auto r = std::make_shared<AValue>(data->kind == Kind::Tensor ? *data : *tensor({}, false));
      r->fitted = whole ? id : 0;
      r->graph = -1;
      return r;
    }
    if (name == "transform" || name == "inverse_transform") {
      Ref fit = scaler->field("fit");
      auto r = std::make_shared<AValue>(data->kind == Kind::Tensor ? *data : *tensor({}, false));
      // inverse_transform returns original units (predictions, usually): no scaled data to leak
      r->fitted = name == "transform" && fit && fit->as_int() ? static_cast<int>(*fit->as_int()) : 0;
      return r;
    }
    return unknown();
  }

  void extend(const Ref& list, const Ref& items) {
    auto s = list->store;
    if (items->kind == Kind::List) {
      s->element = join(s->element, items->store->element);
      if (loop_depth_ == 0 && items->store->exact && s->exact) s->items.insert(s->items.end(), items->store->items.begin(), items->store->items.end());
      else s->exact = false;
    } else if (items->kind == Kind::Tuple) {
      for (const auto& i : items->items) s->element = join(s->element, i);
      if (loop_depth_ == 0 && s->exact) s->items.insert(s->items.end(), items->items.begin(), items->items.end());
      else s->exact = false;
    } else {
      s->exact = false;
      s->element = unknown();
    }
  }

  // Integers from a call's dimension arguments: `(2, 3)`, `2, 3`, `size=(2, 3)`.
  std::optional<std::vector<Dim>> dims_from(const Args& args, size_t first = 0, const std::string& kw = "size") {
    std::vector<Ref> vals;
    std::vector<TSNode> nodes;
    if (const Ref* k = args.keyword(kw)) vals.push_back(*k);
    else
      for (size_t i = first; i < args.pos.size(); ++i) {
        vals.push_back(args.pos[i]);
        if (i < args.pos_nodes.size()) nodes.push_back(args.pos_nodes[i]);
      }
    if (nodes.size() != vals.size()) nodes.clear();
    if (args.unpacked) return std::nullopt;
    if (vals.size() == 1 && (vals[0]->kind == Kind::Tuple || vals[0]->kind == Kind::List)) {
      const auto& items = vals[0]->kind == Kind::Tuple ? vals[0]->items : vals[0]->store->items;
      if (vals[0]->kind == Kind::List && !vals[0]->store->exact) return std::nullopt;
      vals = items;
      nodes.clear();
    }
    if (vals.size() > budget_.max_rank) return std::nullopt;
    std::vector<Dim> out;
    for (const auto& v : vals) {
      if (v->kind == Kind::Tensor || v->kind == Kind::Tuple || v->kind == Kind::List) return std::nullopt;
      Dim d;
      d.size = v->as_int();
      if (v->kind == Kind::Const && !d.size) return std::nullopt;  // a dtype or a float: not a size
      if (!nodes.empty() && !null(nodes[out.size()]) && !is(nodes[out.size()], "list_splat")) d.origin = origin(nodes[out.size()]);
      out.push_back(d);
    }
    return out;
  }

  // The shape of a value converted to a tensor: a tensor's own, or a (nested) list's.
  Ref to_tensor(const Ref& v, TSNode site) {
    if (v->kind == Kind::Tensor) return v;
    if (v->kind == Kind::List || v->kind == Kind::Tuple) {
      std::optional<long long> length;
      Ref elem;
      if (v->kind == Kind::Tuple) {
        length = static_cast<long long>(v->items.size());
        for (const auto& i : v->items) elem = join(elem, i);
      } else {
        if (v->store->exact) length = static_cast<long long>(v->store->items.size());
        elem = v->store->element;
      }
      std::vector<Dim> shape{Dim{length, ""}};
      bool windows = false;
      if (elem && (elem->kind == Kind::List || elem->kind == Kind::Tuple || elem->kind == Kind::Tensor)) {
        Ref inner = to_tensor(elem, site);
        if (inner->kind != Kind::Tensor || !inner->ranked) {
          auto r = std::const_pointer_cast<AValue>(tensor({}, false, origin(site)));
          r->part = inner->part;
          r->fitted = inner->fitted;
          return r;
        }
        shape.insert(shape.end(), inner->shape.begin(), inner->shape.end());
        windows = elem->kind == Kind::Tensor && elem->windowed;
      } else if (!elem || elem->kind != Kind::Const || !elem->constant.as_number()) {
        // items of unknown kind: they may be sequences themselves, so the rank is unknown
        if (!(elem && elem->sym)) return tensor({}, false, origin(site));
      }
      if (shape.size() > budget_.max_rank) return tensor({}, false);
      auto r = std::const_pointer_cast<AValue>(tensor(std::move(shape), true, origin(site)));
      r->windowed = windows;
      if (elem && elem->kind == Kind::Tensor) {
        r->part = elem->part;
        r->fitted = elem->fitted;
      }
      return r;
    }
    return tensor({}, false, origin(site));
  }

  Ref library(const std::string& q, Args& args, TSNode site) {
    auto last = q.substr(q.rfind('.') + 1);
    auto arg0 = [&]() { return args.pos.empty() ? unknown() : args.pos[0]; };
    if (q.rfind("builtins.", 0) == 0) return builtin_call(last, args, site);
    if (q == "torch.no_grad" || q == "torch.inference_mode") {
      auto v = make(Kind::Instance);
      v->qualified = q;
      return v;
    }
    bool torch = q.rfind("torch.", 0) == 0;
    bool numpy = q.rfind("numpy.", 0) == 0 || q.rfind("np.", 0) == 0;
    if (q.rfind("pandas.read_", 0) == 0 || q == "numpy.load" || q == "numpy.loadtxt" || q == "numpy.genfromtxt" ||
        q == "yfinance.download") {
      auto v = std::const_pointer_cast<AValue>(tensor({}, false, origin(site)));
      v->part = 1;  // the whole data set, as loaded
      return v;
    }
    if (q == "pandas.DataFrame" || q == "pandas.Series") {  // a frame of what it is built from
      Ref data = args.pos.empty() ? unknown() : args.pos[0];
      if (data->kind == Kind::Dict && !data->store->fields.empty()) data = data->store->fields.begin()->second;
      auto v = std::const_pointer_cast<AValue>(tensor({}, false, origin(site)));
      v->part = data->part;
      v->fitted = data->fitted;
      return v;
    }
    if (q.rfind("sklearn.preprocessing.", 0) == 0 && last.size() > 6 && last.substr(last.size() - 6) == "Scaler") {
      auto v = make(Kind::Instance);
      v->qualified = q;
      v->store = std::make_shared<Store>();
      v->origin = origin(site);
      return v;
    }
    if (q == "sklearn.model_selection.train_test_split") {
      const Ref* shuffle = args.keyword("shuffle");
      (void)shuffle;
      std::vector<Ref> outs;
      for (const auto& a : args.pos) {
        if (a->fitted) out_.leaking_splits_.push_back(LeakingSplit{a->fitted - 1, cell_, site});
        for (int part : {2, 3}) {
          auto r = std::make_shared<AValue>(a->kind == Kind::Tensor ? *a : *tensor({}, false));
          if (r->ranked && !r->shape.empty()) r->shape[0] = Dim{};
          r->part = part;
          outs.push_back(r);
        }
      }
      if (args.unpacked) return unknown();
      return tuple_of(std::move(outs));
    }
    if (q == "functools.partial") {
      auto p = make(Kind::Partial);
      p->self = arg0();
      for (size_t i = 1; i < args.pos.size(); ++i) p->items.push_back(args.pos[i]);
      for (auto& [k, v] : args.kw) p->kwargs[k] = v;
      return p;
    }
    if (q == "types.SimpleNamespace" || q == "argparse.Namespace" || q == "easydict.EasyDict" ||
        q == "attrdict.AttrDict") {
      auto obj = make(Kind::Instance);
      obj->store = std::make_shared<Store>();
      for (auto& [k, v] : args.kw) obj->store->fields[k] = v;
      if (!args.pos.empty() && args.pos[0]->kind == Kind::Dict)
        for (auto& [k, v] : args.pos[0]->store->fields)
          if (k.size() >= 2 && k.front() == '\'') obj->store->fields[k.substr(1, k.size() - 2)] = v;
      return obj;
    }
    bool keras = q.rfind("keras.", 0) == 0 || q.rfind("tensorflow.keras.", 0) == 0 || q.rfind("tensorflow.python.keras.", 0) == 0;
    if (keras) {
      static const std::unordered_set<std::string> layers = {"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM2D",
                                                             "Bidirectional", "TimeDistributed", "Sequential"};
      if (layers.count(last)) return keras_layer(q, last, args, site);
      if (last == "timeseries_dataset_from_array") {
        auto d = tf_dataset();
        const Ref* shuffle = args.keyword("shuffle");
        if (shuffle && (*shuffle)->as_bool() == true) d->store->written["shuffle"] = origin(args.node(99, "shuffle"));
        return d;
      }
    }
    if (q == "tensorflow.data.Dataset.from_tensor_slices" || q == "tensorflow.data.Dataset.from_tensors" ||
        q == "tensorflow.data.Dataset.from_generator" || q == "tensorflow.data.Dataset.zip" ||
        q == "tensorflow.data.Dataset.range")
      return tf_dataset();
    if (torch && (q.find(".nn.") != std::string::npos) && !last.empty() && std::isupper(static_cast<unsigned char>(last[0])))
      return torch_layer(q, last, args, site);
    if (q.find("DataLoader") != std::string::npos && torch) {
      auto l = make(Kind::Loader);
      l->qualified = q;
      l->store = std::make_shared<Store>();
      l->origin = origin(site);
      auto set = [&](const std::string& name, size_t pos, Ref dflt) {
        const Ref* v = args.get(pos, name);
        l->store->fields[name] = v ? *v : (args.unpacked ? unknown() : dflt);
      };
      set("dataset", 0, unknown());
      set("batch_size", 1, constant(Value::of_int(1)));
      set("shuffle", 2, constant(Value::of_bool(false)));
      if (args.keyword("batch_sampler") || args.keyword("sampler")) l->store->fields["batch_size"] = unknown();
      const Ref* dl = args.keyword("drop_last");
      l->store->fields["drop_last"] = dl ? *dl : (args.unpacked ? unknown() : constant(Value::of_bool(false)));
      return l;
    }
    if (last == "TensorDataset" && torch) {
      auto d = make(Kind::Dataset);
      d->origin = origin(site);
      if (args.unpacked) return unknown();
      for (const auto& a : args.pos) d->items.push_back(a);
      return d;
    }
    if (torch || numpy) return array_function(q, last, args, site, numpy);
    return unknown();
  }

  Ref builtin_call(const std::string& name, Args& args, TSNode site) {
    Ref a0 = args.pos.empty() ? unknown() : args.pos[0];
    if (name == "len") {
      if (a0->kind == Kind::Tensor && a0->ranked && !a0->shape.empty() && a0->shape[0].size)
        return constant(Value::of_int(*a0->shape[0].size), origin(site));
      if (a0->kind == Kind::List && a0->store->exact) return constant(Value::of_int(static_cast<long long>(a0->store->items.size())));
      if (a0->kind == Kind::Tuple) return constant(Value::of_int(static_cast<long long>(a0->items.size())));
      if (a0->kind == Kind::Const && a0->constant.kind == Value::Kind::Str)
        return constant(Value::of_int(static_cast<long long>(a0->constant.str.size())));
      return unknown();
    }
    if (name == "range") {
      auto r = make(Kind::Range);
      if (args.pos.size() == 1) r->items = {constant(Value::of_int(0)), a0, constant(Value::of_int(1))};
      else if (args.pos.size() >= 2) r->items = {args.pos[0], args.pos[1], args.pos.size() > 2 ? args.pos[2] : constant(Value::of_int(1))};
      else return unknown();
      return r;
    }
    if (name == "enumerate" || name == "zip") {
      auto w = make(Kind::Instance);
      w->qualified = "builtins." + name;
      w->self = a0;
      w->items = args.pos;
      return w;
    }
    if (name == "int" && a0->kind == Kind::Const) {
      if (auto x = a0->constant.as_number()) return constant(Value::of_int(static_cast<long long>(*x)), a0->origin);
      return unknown();
    }
    if (name == "float" && a0->kind == Kind::Const) {
      if (auto x = a0->constant.as_number()) return constant(Value::of_float(*x), a0->origin);
      return unknown();
    }
    if (name == "isinstance" && args.pos.size() == 2) {
      const Ref& t = args.pos[1];
      if (t->kind == Kind::Module && (t->qualified == "torch.Tensor" || t->qualified == "torch.autograd.Variable")) {
        if (a0->kind == Kind::Tensor) return constant(Value::of_bool(true));
        if (a0->kind == Kind::Tuple || a0->kind == Kind::List || a0->kind == Kind::Const) return constant(Value::of_bool(false));
      }
      if (t->kind == Kind::Module && (t->qualified == "builtins.tuple" || t->qualified == "builtins.list")) {
        if (a0->kind == Kind::Tensor) return constant(Value::of_bool(false));
        if (a0->kind == Kind::Tuple) return constant(Value::of_bool(t->qualified == "builtins.tuple"));
      }
      return unknown();
    }
    if (name == "tuple") {
      if (a0->kind == Kind::Tuple) return a0;
      if (a0->kind == Kind::List && a0->store->exact) return tuple_of(a0->store->items);
      return unknown();
    }
    if (name == "list") {
      if (a0->kind == Kind::Tuple) return list_of(a0->items);
      if (a0->kind == Kind::List) {
        auto r = list_of(a0->store->items, a0->store->exact);
        std::const_pointer_cast<AValue>(r)->store->element = a0->store->element;
        return r;
      }
      if (args.pos.empty()) return list_of({});
      return unknown();
    }
    if (name == "dict" && args.pos.empty()) {
      auto d = make(Kind::Dict);
      d->store = std::make_shared<Store>();
      for (auto& [k, v] : args.kw) d->store->fields["'" + k + "'"] = v;
      return d;
    }
    if (name == "super") {
      auto s = make(Kind::Super);
      s->cls = frame().cls;
      s->self = frame().self;
      return s;
    }
    if ((name == "min" || name == "max") && args.pos.size() >= 2) {
      std::optional<long long> best;
      for (const auto& v : args.pos) {
        auto x = v->as_int();
        if (!x) return unknown();
        best = !best ? *x : (name == "min" ? std::min(*best, *x) : std::max(*best, *x));
      }
      return constant(Value::of_int(*best));
    }
    if (name == "print") return constant(Value::none());
    return unknown();
  }

  // Keras recurrent layers and the wrappers and models that hold them: what keras-stateful-*
  // ask is whether a stateful layer reaches a fit(), and what that fit is fed.
  Ref keras_layer(const std::string& q, const std::string& kind, Args& args, TSNode site) {
    auto l = make(Kind::Layer);
    l->qualified = q;
    l->kind_name = "Keras" + kind;
    l->store = std::make_shared<Store>();
    l->origin = origin(site);
    auto& f = l->store->fields;
    if (kind == "Sequential") {
      Ref layers = args.pos.empty() ? (args.keyword("layers") ? *args.keyword("layers") : list_of({})) : args.pos[0];
      f["layers"] = layers->kind == Kind::List ? layers : (args.unpacked ? unknown() : list_of({}));
    } else if (kind == "Bidirectional" || kind == "TimeDistributed") {
      f["layer"] = args.pos.empty() ? (args.keyword("layer") ? *args.keyword("layer") : unknown()) : args.pos[0];
    } else {
      const Ref* stateful = args.keyword("stateful");
      f["stateful"] = stateful ? *stateful : (args.unpacked ? unknown() : constant(Value::of_bool(false)));
      if (stateful) l->store->written["stateful"] = origin(args.node(99, "stateful"));
    }
    return l;
  }

  // The constructor of a stateful recurrent layer somewhere in a Keras model, or none.
  static Origin keras_stateful(const Ref& v, int depth = 0) {
    if (!v || depth > 4 || v->kind != Kind::Layer || v->kind_name.rfind("Keras", 0) != 0) return {};
    if (v->kind_name == "KerasSequential") {
      Ref layers = v->field("layers");
      if (!layers || layers->kind != Kind::List) return {};
      for (const auto& item : layers->store->items)
        if (Origin o = keras_stateful(item, depth + 1); o.known()) return o;
      return keras_stateful(layers->store->element, depth + 1);
    }
    if (Ref inner = v->field("layer")) return keras_stateful(inner, depth + 1);
    Ref stateful = v->field("stateful");
    return stateful && stateful->as_bool() == true ? v->origin : Origin{};
  }

  std::shared_ptr<AValue> tf_dataset() {
    auto d = make(Kind::Dataset);
    d->qualified = "tensorflow.data.Dataset";
    d->store = std::make_shared<Store>();
    return d;
  }

  // Methods of a tf.data pipeline: shuffle() marks the copy it returns; the others keep what
  // the pipeline is.
  Ref tf_dataset_method(const Ref& ds, const std::string& name, TSNode site) {
    static const std::unordered_set<std::string> keep = {"batch", "prefetch", "cache", "repeat", "map", "padded_batch",
                                                         "unbatch", "take", "skip", "filter", "window", "flat_map",
                                                         "apply", "with_options", "rebatch"};
    if (name == "shuffle") {
      auto d = tf_dataset();
      *d->store = *ds->store;
      d->store->written["shuffle"] = origin(site);
      return d;
    }
    return keep.count(name) ? ds : unknown();
  }

  // fit / reset_states and the rest on a Keras model: fits are events for the rules.
  Ref keras_model_method(const Ref& m, const std::string& name, Args& args, TSNode site) {
    if (name == "add" && m->kind_name == "KerasSequential" && !args.pos.empty()) {
      Ref layers = m->field("layers");
      if (!layers || layers->kind != Kind::List) return constant(Value::none());
      std::const_pointer_cast<AValue>(layers)->store->items.push_back(args.pos[0]);
      return constant(Value::none());
    }
    if (name == "fit" || name == "fit_generator") {
      KerasFit fit;
      fit.cell = cell_;
      fit.node = site;
      fit.model = m;
      fit.x = args.pos.empty() ? (args.keyword("x") ? *args.keyword("x") : unknown()) : args.pos[0];
      fit.stateful = keras_stateful(m);
      if (fit.x->kind == Kind::Dataset && fit.x->store) {
        auto it = fit.x->store->written.find("shuffle");
        if (it != fit.x->store->written.end()) fit.shuffled = it->second;
      }
      if (out_.keras_fits_.size() < 4096) out_.keras_fits_.push_back(std::move(fit));
      return unknown();  // a History
    }
    return unknown();
  }

  Ref torch_layer(const std::string& q, const std::string& kind, Args& args, TSNode site) {
    auto l = make(Kind::Layer);
    l->qualified = q;
    l->kind_name = kind;
    l->store = std::make_shared<Store>();
    l->origin = origin(site);
    auto& f = l->store->fields;
    auto set = [&](const std::string& name, size_t pos, Ref dflt) {
      const Ref* v = args.get(pos, name);
      TSNode node = args.node(pos, name);
      if (v) {
        f[name] = *v;
        if (!null(node)) l->store->written[name] = origin(node);
      } else {
        f[name] = args.unpacked ? unknown() : dflt;
      }
    };
    static const std::unordered_set<std::string> recurrent = {"LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"};
    if (recurrent.count(kind)) {
      set("input_size", 0, unknown());
      set("hidden_size", 1, unknown());
      bool cell = kind.size() > 4 && kind.substr(kind.size() - 4) == "Cell";
      if (!cell) {
        set("num_layers", 2, constant(Value::of_int(1)));
        set("batch_first", 4, constant(Value::of_bool(false)));
        set("bidirectional", 6, constant(Value::of_bool(false)));
        set("proj_size", 7, constant(Value::of_int(0)));
      }
    } else if (kind == "Linear") {
      set("in_features", 0, unknown());
      set("out_features", 1, unknown());
    } else if (kind == "Embedding") {
      set("num_embeddings", 0, unknown());
      set("embedding_dim", 1, unknown());
    } else if (kind == "Sequential") {
      f["layers"] = args.unpacked ? unknown() : list_of(args.pos);
    }
    return l;
  }

  // A call into a torch layer: output shapes, and for recurrent layers an event for the rules.
  Ref call_layer(const Ref& layer, Args& args, TSNode site) {
    Ref x = args.pos.empty() ? (args.keyword("input") ? *args.keyword("input") : unknown()) : args.pos[0];
    const std::string& k = layer->kind_name;
    if (k == "LSTM" || k == "GRU" || k == "RNN") return call_recurrent(layer, x, args, site);
    if (k == "Linear") {
      if (x->kind != Kind::Tensor || !x->ranked || x->shape.empty()) return tensor({}, false);
      auto r = std::make_shared<AValue>(*x);
      Ref out = layer->field("out_features");
      r->shape.back() = Dim{out ? out->as_int() : std::nullopt, ""};
      r->windowed = false;
      return r;
    }
    if (k == "Embedding") {
      if (x->kind != Kind::Tensor || !x->ranked) return tensor({}, false);
      auto r = std::make_shared<AValue>(*x);
      Ref d = layer->field("embedding_dim");
      r->shape.push_back(Dim{d ? d->as_int() : std::nullopt, ""});
      r->windowed = false;
      return r;
    }
    if (k == "Sequential") {
      Ref layers = layer->field("layers");
      if (!layers || layers->kind != Kind::List || !layers->store->exact) return unknown();
      Ref v = x;
      for (const auto& l : layers->store->items) {
        Args a;
        a.pos.push_back(v);
        a.pos_nodes.push_back(TSNode{});
        v = apply(l, a, site);
      }
      return v;
    }
    static const std::unordered_set<std::string> same_shape = {
        "Dropout", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU", "ELU", "LayerNorm", "Softmax", "LogSoftmax",
        "Identity", "SELU", "Softplus", "Hardtanh"};
    if (same_shape.count(k) && x->kind == Kind::Tensor) return strip(x);
    return unknown();
  }

  // `loss.backward()`: every backward() counts; one without `retain_graph=True` also frees the
  // graphs it ran through. A graph is stamped with the count of backward() calls before it.
  void count_backward(Args& args) {
    const Ref* retain = args.keyword("retain_graph");
    ++all_backwards_;
    if (!(retain && (*retain)->as_bool() == true)) ++backwards_;
    freed_after_.push_back(backwards_);
  }
  // How many freeing backward() calls had run when the graph stamped `stamp` was made.
  int freed_before(int stamp) const { return stamp <= 0 ? 0 : freed_after_[static_cast<size_t>(stamp) - 1]; }

  // The state a recurrent call received is stale when it carries the graph of an earlier
  // forward that a backward() has run through and freed since; retained when only backward()
  // calls with `retain_graph=True` ran through it (the graph then grows with every batch).
  bool stale(const Ref& state, Origin* where, bool retained = false) const {
    if (!state) return false;
    if (state->kind == Kind::Tensor) {
      if (state->graph < 0) return false;
      bool freed = freed_before(state->graph) < backwards_;
      bool hit = retained ? !freed && state->graph < all_backwards_ : freed;
      if (hit && where) *where = state->graph_origin;
      return hit;
    }
    if (state->kind == Kind::Tuple && !state->items.empty()) {
      for (const auto& i : state->items)
        if (!stale(i, where, retained)) return false;
      return true;
    }
    return false;
  }

  // The outermost frame whose call site passed this very value as an argument: that argument
  // and its cell (left as they are when no frame did).
  void entry_of(const Ref& value, int& cell, TSNode& node) const {
    for (const Frame* f : frames_)
      for (const auto& [arg, v] : f->call_args)
        if (v == value && !null(arg)) {
          cell = f->call_cell;
          node = arg;
          return;
        }
  }

  Ref call_recurrent(const Ref& layer, const Ref& x, Args& args, TSNode site) {
    const Ref* hx = args.pos.size() > 1 ? &args.pos[1] : args.keyword("hx");
    TSNode hx_node = args.pos.size() > 1 ? args.pos_nodes[1] : args.node(99, "hx");
    RecurrentCall ev;
    ev.cell = cell_;
    ev.node = site;
    ev.layer = layer;
    ev.input = x;
    ev.state = hx ? *hx : nullptr;
    ev.state_node = hx_node;
    ev.state_cell = cell_;
    ev.state_entry = hx_node;
    ev.last_batch = last_batch_;
    ev.guarded = guarded_ > 0;
    ev.batch_why = batch_why_;
    if (hx && !no_grad_ && stale(*hx, &ev.stale_origin)) {
      ev.stale_state = true;
      pending_.emplace_back(out_.recurrent_calls_.size(), backwards_);
    } else if (hx && !no_grad_ && stale(*hx, &ev.stale_origin, true)) {
      ev.retained_state = true;
      pending_retained_.emplace_back(out_.recurrent_calls_.size(), all_backwards_);
    }
    // Where the state and the input entered: the outermost frame whose call site passed them.
    if (hx) entry_of(*hx, ev.state_cell, ev.state_entry);
    ev.input_cell = cell_;
    ev.input_entry = args.node(0, "input");
    if (x) entry_of(x, ev.input_cell, ev.input_entry);
    for (const Frame* f : frames_)
      if (!null(f->call_node)) ev.stack.push_back(Origin{f->call_cell, f->call_node, {}});
    ev.loops = loop_iterations_;
    // The run of state this call continues, or a new one from the state it was given.
    int chain = 0;
    if (hx) {
      const Ref& h = *hx;
      if (h->kind == Kind::Tensor) chain = h->chain;
      else if (h->kind == Kind::Tuple && !h->items.empty() && h->items[0]->kind == Kind::Tensor) {
        chain = h->items[0]->chain;
        for (const auto& i : h->items)
          if (i->kind != Kind::Tensor || i->chain != chain) chain = 0;
      }
      if (chain == 0) {
        out_.chains_.push_back(StateChain{ev.state_cell, ev.state_entry, h, loop_iterations_});
        chain = static_cast<int>(out_.chains_.size()) - 1;
      }
    }
    ev.chain = chain;
    out_.recurrent_calls_.push_back(std::move(ev));

    // Outputs: (out, h_n) or (out, (h_n, c_n)), with the graph of this call attached.
    Ref bf = layer->field("batch_first"), hs = layer->field("hidden_size"), nl = layer->field("num_layers"),
        bi = layer->field("bidirectional"), ps = layer->field("proj_size");
    auto hidden = hs ? hs->as_int() : std::nullopt;
    auto layers = nl ? nl->as_int() : std::nullopt;
    auto two = bi ? bi->as_bool() : std::nullopt;
    auto proj = ps ? ps->as_int() : std::nullopt;
    auto batch_first = bf ? bf->as_bool() : std::nullopt;
    std::optional<long long> directions = two ? std::optional<long long>(*two ? 2 : 1) : std::nullopt;
    std::optional<long long> out_size = hidden && directions && proj ? std::optional<long long>((*proj > 0 ? *proj : *hidden) * *directions) : std::nullopt;
    Origin here = origin(site);
    auto attach = [&](Ref t) {
      auto r = std::const_pointer_cast<AValue>(t);
      r->chain = chain;
      if (no_grad_) return Ref(r);
      r->graph = all_backwards_;
      r->graph_origin = here;
      return Ref(r);
    };
    Ref out = tensor({}, false);
    Dim batch, steps;
    bool have = false;
    if (x->kind == Kind::Tensor && x->ranked && x->shape.size() == 3 && batch_first) {
      batch = x->shape[*batch_first ? 0 : 1];
      steps = x->shape[*batch_first ? 1 : 0];
      batch.time_of = nullptr;
      steps.time_of = layer.get();
      out = *batch_first ? tensor({batch, steps, Dim{out_size, ""}}) : tensor({steps, batch, Dim{out_size, ""}});
      have = true;
    } else if (x->kind == Kind::Tensor && x->ranked && x->shape.size() == 2) {
      out = tensor({x->shape[0], Dim{out_size, ""}});
    } else if (batch_first == std::optional<bool>(false) && !(x->kind == Kind::Tensor && x->ranked)) {
      // An input of unknown rank, taken as batched: (time, batch, hidden) with time on axis 0,
      // the layout `out[:, -1]` misreads (an unbatched (time, feature) input has no batch to
      // take the last of either).
      Dim time;
      time.time_of = layer.get();
      out = tensor({time, Dim{}, Dim{out_size, ""}});
    }
    out = attach(out);
    std::optional<long long> state_first = layers && directions ? std::optional<long long>(*layers * *directions) : std::nullopt;
    // A state keeps the origin of the state it continues (where it was first built).
    auto state = [&](std::optional<long long> last, int part) {
      Ref t = !have ? tensor({}, false) : tensor({Dim{state_first, ""}, batch, Dim{last, ""}});
      Ref in = hx ? (part < 0 ? *hx : ((*hx)->kind == Kind::Tuple && (*hx)->items.size() == 2 ? (*hx)->items[static_cast<size_t>(part)] : nullptr)) : nullptr;
      if (in && in->kind == Kind::Tensor) std::const_pointer_cast<AValue>(t)->origin = in->origin;
      return attach(t);
    };
    std::optional<long long> h_last = hidden && proj ? std::optional<long long>(*proj > 0 ? *proj : *hidden) : std::nullopt;
    if (layer->kind_name == "LSTM") return tuple_of({out, tuple_of({state(h_last, 0), state(hidden, 1)})});
    return tuple_of({out, state(h_last, -1)});
  }

  Ref array_function(const std::string& q, const std::string& last, Args& args, TSNode site, bool numpy) {
    Ref a0 = args.pos.empty() ? unknown() : args.pos[0];
    static const std::unordered_set<std::string> factories = {"zeros", "ones", "randn", "rand", "empty"};
    if (factories.count(last) && (q == "torch." + last || q == "numpy." + last || q == "numpy.random." + last)) {
      auto dims = dims_from(args, 0, numpy && last != "randn" && last != "rand" ? "shape" : "size");
      return dims ? tensor(*dims, true, origin(site)) : tensor({}, false, origin(site));
    }
    if (last == "full" || last == "randint" || last == "normal") {
      if (last == "full") {
        auto dims = dims_from(Args{{a0}, {}, {}, {}, false});
        return dims ? tensor(*dims, true, origin(site)) : tensor({}, false);
      }
      if (const Ref* s = args.keyword("size")) {
        Args a;
        a.pos.push_back(*s);
        auto dims = dims_from(a);
        return dims ? tensor(*dims, true, origin(site)) : tensor({}, false);
      }
      return tensor({}, false, origin(site));
    }
    if (last == "zeros_like" || last == "ones_like" || last == "randn_like" || last == "empty_like" || last == "rand_like") {
      if (a0->kind != Kind::Tensor) return tensor({}, false, origin(site));
      return tensor(a0->shape, a0->ranked, origin(site));  // a new tensor: no graph, no state run
    }
    if (last == "arange" || last == "linspace") {
      std::optional<long long> n;
      if (last == "linspace") {
        const Ref* steps = args.get(2, numpy ? "num" : "steps");
        n = steps ? (*steps)->as_int() : (numpy ? std::optional<long long>(50) : std::nullopt);
      } else if (args.pos.size() == 1) {
        n = a0->as_int();
      } else if (args.pos.size() >= 2) {
        auto a = args.pos[0]->as_int(), b = args.pos[1]->as_int();
        auto s = args.pos.size() > 2 ? args.pos[2]->as_int() : std::optional<long long>(1);
        if (a && b && s && *s > 0) n = *b > *a ? (*b - *a + *s - 1) / *s : 0;
      }
      return tensor({Dim{n, ""}}, true, origin(site));
    }
    static const std::unordered_set<std::string> convert = {"tensor", "from_numpy", "as_tensor", "FloatTensor",
                                                            "Tensor", "LongTensor", "DoubleTensor", "array",
                                                            "asarray", "float32", "Variable", "ascontiguousarray"};
    if (convert.count(last)) {
      if ((last == "FloatTensor" || last == "Tensor" || last == "LongTensor") && args.pos.size() > 1) {
        auto dims = dims_from(args);
        return dims ? tensor(*dims, true, origin(site)) : tensor({}, false);
      }
      return to_tensor(a0, site);
    }
    // Running sums and differences along an axis: the same data and provenance (a cumsum of
    // the whole series is still the whole series).
    if (numpy && (last == "cumsum" || last == "cumprod" || last == "diff") && !args.pos.empty() && a0->kind == Kind::Tensor) {
      auto out = std::make_shared<AValue>(*a0);
      out->graph = -1;
      out->swapped = {};
      const Ref* axis = args.get(1, "axis");
      if (last != "diff" && !axis && out->shape.size() != 1) {
        out->shape.clear();  // flattened
        out->ranked = false;
      }
      if (last == "diff") {  // one shorter along the axis (the last, by default)
        long long r = static_cast<long long>(out->shape.size());
        long long d = axis ? (*axis)->as_int().value_or(-999) : -1;
        if (d == -999 || !out->ranked) return tensor({}, false);
        if (d < 0) d += r;
        if (d < 0 || d >= r) return tensor({}, false);
        auto& dim = out->shape[static_cast<size_t>(d)];
        dim = Dim{dim.size && *dim.size > 0 ? std::optional<long long>(*dim.size - 1) : std::nullopt, ""};
      }
      return out;
    }
    if (last == "stack" || last == "cat" || last == "concatenate" || last == "vstack" || last == "hstack") {
      const Ref* axis = args.get(1, numpy ? "axis" : "dim");
      long long dim = axis ? (*axis)->as_int().value_or(-999) : 0;
      if (dim == -999) return tensor({}, false);
      std::vector<Ref> parts;
      std::optional<long long> count;
      Ref elem;
      if (a0->kind == Kind::Tuple) parts = a0->items;
      else if (a0->kind == Kind::List && a0->store->exact) parts = a0->store->items;
      else if (a0->kind == Kind::List) elem = a0->store->element;
      else return tensor({}, false);
      if (!parts.empty()) {
        count = static_cast<long long>(parts.size());
        for (const auto& p : parts) elem = join(elem, p);
      }
      if (!elem || elem->kind != Kind::Tensor || !elem->ranked) return tensor({}, false);
      std::vector<Dim> shape = elem->shape;
      if (last == "stack") {
        long long r = static_cast<long long>(shape.size()) + 1;
        long long d = dim < 0 ? dim + r : dim;
        if (d < 0 || d > static_cast<long long>(shape.size())) return tensor({}, false);
        shape.insert(shape.begin() + d, Dim{count, ""});
        auto t = std::const_pointer_cast<AValue>(tensor(std::move(shape), true, origin(site)));
        t->windowed = elem->windowed && d == 0;
        return t;
      }
      if (last == "vstack") dim = 0;
      if (last == "hstack") dim = shape.size() > 1 ? 1 : 0;
      long long r = static_cast<long long>(shape.size());
      long long d = dim < 0 ? dim + r : dim;
      if (d < 0 || d >= r) return tensor({}, false);
      std::optional<long long> total = 0;
      if (parts.empty()) total.reset();
      for (const auto& p : parts) {
        if (p->kind != Kind::Tensor || !p->ranked || p->shape.size() != shape.size() || !p->shape[static_cast<size_t>(d)].size) { total.reset(); break; }
        *total += *p->shape[static_cast<size_t>(d)].size;
      }
      shape[static_cast<size_t>(d)] = Dim{total, ""};
      return tensor(std::move(shape), true, origin(site));
    }
    if (last == "expand_dims" || last == "unsqueeze") {
      const Ref* axis = args.get(1, numpy ? "axis" : "dim");
      return unsqueeze(to_tensor(a0, site), axis ? (*axis)->as_int() : std::nullopt);
    }
    if (last == "reshape" && numpy) {
      const Ref* shape = args.get(1, "newshape");
      if (!shape) return tensor({}, false);
      Args a;
      a.pos.push_back(*shape);
      Ref in = to_tensor(a0, site);
      return mark_swap(in, reshape(in, a), site);
    }
    if (last == "squeeze" && numpy) return squeeze(to_tensor(a0, site), args.get(1, "axis"));
    if (last == "transpose" && numpy && args.pos.size() == 1) {
      Ref t = to_tensor(a0, site);
      if (!t->ranked) return t;
      auto r = std::make_shared<AValue>(*t);
      std::reverse(r->shape.begin(), r->shape.end());
      r->windowed = false;
      return r;
    }
    static const std::unordered_set<std::string> elementwise = {"sin", "cos", "exp", "log", "tanh", "sigmoid", "abs",
                                                                "sqrt", "relu", "clamp", "clip", "log1p", "round",
                                                                "nan_to_num", "softmax", "dropout", "detach", "log2",
                                                                "log10", "expm1", "square", "negative"};
    if (elementwise.count(last) && a0->kind == Kind::Tensor) return strip(a0);
    return unknown();
  }

  static Ref strip_graph(const Ref& t) {
    if (t->kind != Kind::Tensor) return t->kind == Kind::Tuple ? t : unknown();
    if (t->graph == -1 && !t->windowed) return t;
    auto r = std::make_shared<AValue>(*t);
    r->graph = -1;
    r->windowed = false;
    return r;
  }

  Ref unsqueeze(const Ref& t, std::optional<long long> axis) {
    if (t->kind != Kind::Tensor || !t->ranked || !axis) return tensor({}, false);
    long long r = static_cast<long long>(t->shape.size()) + 1;
    long long d = *axis < 0 ? *axis + r : *axis;
    if (d < 0 || d >= r || static_cast<size_t>(r) > budget_.max_rank) return tensor({}, false);
    auto out = std::make_shared<AValue>(*t);
    out->shape.insert(out->shape.begin() + d, Dim{1, "", {}});
    out->windowed = t->windowed && d > 0;
    return out;
  }

  Ref squeeze(const Ref& t, const Ref* axis) {
    if (t->kind != Kind::Tensor || !t->ranked) return tensor({}, false);
    auto out = std::make_shared<AValue>(*t);
    out->windowed = false;
    if (!axis) {
      std::vector<Dim> kept;
      for (const auto& d : t->shape) {
        if (!d.size) return tensor({}, false);
        if (*d.size != 1) kept.push_back(d);
      }
      out->shape = std::move(kept);
      return out;
    }
    auto a = (*axis)->as_int();
    if (!a) return tensor({}, false);
    long long r = static_cast<long long>(t->shape.size());
    long long d = *a < 0 ? *a + r : *a;
    if (d < 0 || d >= r) return tensor({}, false);
    if (!t->shape[static_cast<size_t>(d)].size) return tensor({}, false);
    if (*t->shape[static_cast<size_t>(d)].size == 1) out->shape.erase(out->shape.begin() + d);
    return out;
  }

  Ref reshape(const Ref& t, const Args& args) {
    auto dims = dims_from(args, 0, "shape");
    if (!dims) return tensor({}, false);
    int infer = -1;
    for (size_t i = 0; i < dims->size(); ++i)
      if ((*dims)[i].size == -1) {
        if (infer >= 0) return tensor({}, false);
        infer = static_cast<int>(i);
      }
    if (infer >= 0) {
      (*dims)[static_cast<size_t>(infer)] = Dim{};
      std::optional<long long> total = 1;
      if (t->kind == Kind::Tensor && t->ranked) {
        for (const auto& d : t->shape) {
          if (!d.size) { total.reset(); break; }
          *total *= *d.size;
        }
      } else {
        total.reset();
      }
      long long rest = 1;
      bool known = true;
      for (const auto& d : *dims)
        if (&d != &(*dims)[static_cast<size_t>(infer)]) {
          if (!d.size || *d.size <= 0) known = false;
          else rest *= *d.size;
        }
      if (total && known && rest > 0 && *total % rest == 0) (*dims)[static_cast<size_t>(infer)].size = *total / rest;
    }
    auto out = std::const_pointer_cast<AValue>(tensor(std::move(*dims), true));
    if (t->kind == Kind::Tensor) {
      out->graph = t->graph;
      out->graph_origin = t->graph_origin;
      out->part = t->part;
      out->fitted = t->fitted;
    }
    return out;
  }

  // A view whose first two sizes are the input's first two, exchanged, with everything after
  // them kept: the shape of a transpose, but the memory of the original. Only sizes that are
  // known, above 1 and different prove it (a (4, 4) view says nothing).
  Ref mark_swap(const Ref& in, const Ref& out, TSNode site) {
    if (!in || !out || in->kind != Kind::Tensor || out->kind != Kind::Tensor || !in->ranked || !out->ranked) return out;
    if (in->shape.size() < 2 || out->shape.size() != in->shape.size()) return out;
    auto a = in->shape[0].size, b = in->shape[1].size;
    if (!a || !b || *a <= 1 || *b <= 1 || *a == *b) return out;
    if (out->shape[0].size != b || out->shape[1].size != a) return out;
    for (size_t i = 2; i < in->shape.size(); ++i)
      if (!in->shape[i].size || in->shape[i].size != out->shape[i].size) return out;
    auto w = std::const_pointer_cast<AValue>(out);
    w->swapped = origin(site);
    auto sizes = [](const std::vector<Dim>& dims) {
      std::string s = "(";
      for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(*dims[i].size);
      return s + ")";
    };
    w->swapped_why = sizes(in->shape) + " viewed as " + sizes(out->shape);
    return out;
  }

  Ref tensor_method(const Ref& t, const std::string& name, Args& args, TSNode site) {
    static const std::unordered_set<std::string> same = {
        "float", "double", "long", "int", "to", "cuda", "cpu", "contiguous", "clone", "numpy",
        "type", "astype", "half", "bool", "copy", "tolist", "abs", "exp", "log", "tanh", "sigmoid",
        "relu", "sqrt", "clamp", "clip", "pin_memory", "flip", "to_numpy", "fill_", "zero_", "add", "sub", "mul",
        "div", "pow", "neg", "round", "softmax", "log_softmax"};
    if (same.count(name)) return name == "numpy" || name == "tolist" ? t : (name == "type" && args.pos.empty() ? unknown() : t);
    if (name == "detach") return strip_graph(t);
    static const std::unordered_set<std::string> reshapes_in_place = {
        "resize", "resize_", "unsqueeze_", "squeeze_", "t_", "transpose_", "resize_as_", "swapaxes_", "set_"};
    if (reshapes_in_place.count(name)) {  // every alias now has a shape the model does not follow
      auto w = std::const_pointer_cast<AValue>(t);
      w->ranked = false;
      w->shape.clear();
      return constant(Value::none());
    }
    if (name == "detach_" || name == "requires_grad_") {  // in place: every alias of the tensor sees it
      if (name == "detach_") std::const_pointer_cast<AValue>(t)->graph = -1;
      return t;
    }
    if (name == "size") {
      if (args.pos.empty()) return shape_tuple(t);
      auto i = args.pos[0]->as_int();
      if (!i || !t->ranked) return unknown();
      long long r = static_cast<long long>(t->shape.size());
      long long d = *i < 0 ? *i + r : *i;
      if (d < 0 || d >= r) return unknown();
      return dim_value(t->shape[static_cast<size_t>(d)]);
    }
    if (name == "dim" || name == "ndimension") return t->ranked ? constant(Value::of_int(static_cast<long long>(t->shape.size()))) : unknown();
    if (name == "view" || name == "reshape") {
      if (args.pos.size() == 1 && args.pos[0]->kind == Kind::Const && args.pos[0]->constant.kind != Value::Kind::Int) return unknown();
      return mark_swap(t, reshape(t, args), site);
    }
    if (name == "unsqueeze") {
      const Ref* d = args.get(0, "dim");
      return unsqueeze(t, d ? (*d)->as_int() : std::nullopt);
    }
    if (name == "squeeze") return squeeze(t, args.get(0, "dim"));
    if (name == "permute") {
      auto dims = dims_from(args, 0, "dims");
      if (!dims || !t->ranked || dims->size() != t->shape.size()) return tensor({}, false);
      auto out = std::make_shared<AValue>(*t);
      out->windowed = false;
      long long r = static_cast<long long>(t->shape.size());
      for (size_t i = 0; i < dims->size(); ++i) {
        auto k = (*dims)[i].size;
        if (!k) return tensor({}, false);
        long long d = *k < 0 ? *k + r : *k;
        if (d < 0 || d >= r) return tensor({}, false);
        out->shape[i] = t->shape[static_cast<size_t>(d)];
      }
      return out;
    }
    if (name == "transpose" || name == "swapaxes") {
      if (args.pos.size() != 2 || !t->ranked) return tensor({}, false);
      auto a = args.pos[0]->as_int(), b = args.pos[1]->as_int();
      long long r = static_cast<long long>(t->shape.size());
      if (!a || !b) return tensor({}, false);
      long long x = *a < 0 ? *a + r : *a, y = *b < 0 ? *b + r : *b;
      if (x < 0 || y < 0 || x >= r || y >= r) return tensor({}, false);
      auto out = std::make_shared<AValue>(*t);
      std::swap(out->shape[static_cast<size_t>(x)], out->shape[static_cast<size_t>(y)]);
      out->windowed = false;
      return out;
    }
    if (name == "t" && t->ranked && t->shape.size() == 2) {
      auto out = std::make_shared<AValue>(*t);
      std::swap(out->shape[0], out->shape[1]);
      return out;
    }
    if (name == "unfold" && args.pos.size() == 3) {
      auto d = args.pos[0]->as_int(), size = args.pos[1]->as_int(), step = args.pos[2]->as_int();
      if (!d || !size || !step || *step <= 0 || !t->ranked) return tensor({}, false);
      long long r = static_cast<long long>(t->shape.size());
      long long k = *d < 0 ? *d + r : *d;
      if (k < 0 || k >= r) return tensor({}, false);
      auto out = std::make_shared<AValue>(*t);
      auto n = t->shape[static_cast<size_t>(k)].size;
      out->shape[static_cast<size_t>(k)] = Dim{n && *n >= *size ? std::optional<long long>((*n - *size) / *step + 1) : std::nullopt, ""};
      out->shape.push_back(Dim{*size, "", args.pos_nodes.size() > 1 ? origin(args.pos_nodes[1]) : Origin{}});
      out->windowed = true;
      return out;
    }
    if (name == "sum" || name == "mean" || name == "max" || name == "min" || name == "std" || name == "argmax" || name == "var") {
      const Ref* d = args.get(0, name == "sum" || name == "mean" ? "dim" : "dim");
      if (!d) d = args.keyword("axis");
      if (!d) {  // a scalar
        auto scalar = std::const_pointer_cast<AValue>(tensor({}, true));
        if (name != "sum" && name != "argmax") scalar->stat_of = t.get();
        return scalar;
      }
      auto k = (*d)->as_int();
      if (!k || !t->ranked) return tensor({}, false);
      long long r = static_cast<long long>(t->shape.size());
      long long x = *k < 0 ? *k + r : *k;
      if (x < 0 || x >= r) return tensor({}, false);
      const Ref* keep = args.keyword("keepdim");
      if (!keep) keep = args.keyword("keepdims");
      auto out = std::make_shared<AValue>(*t);
      out->windowed = false;
      if (keep && (*keep)->as_bool() == true) out->shape[static_cast<size_t>(x)] = Dim{1, "", {}};
      else out->shape.erase(out->shape.begin() + x);
      if (name == "max" || name == "min") return unknown();  // (values, indices)
      if (name != "sum" && name != "argmax") out->stat_of = t.get();
      return out;
    }
    if (name == "item") return unknown();
    if (name == "backward") {
      count_backward(args);
      return constant(Value::none());
    }
    (void)site;
    return carried_data(t);
  }

  // A method or attribute the model does not follow, on data with provenance (`df.dropna()`,
  // `df.Close`): the result's shape is unknown, its provenance is the same.
  static Ref carried_data(const Ref& t) {
    if (t->part == 0 && t->fitted == 0) return unknown();
    auto r = std::make_shared<AValue>(*t);
    r->ranked = false;
    r->shape.clear();
    r->windowed = false;
    r->graph = -1;
    return r;
  }

  // A stale state only fails when a backward() runs through the new graph too: the events of
  // a top-level statement are kept stale only if a backward() followed them in it.
  void confirm_stale() {
    for (auto [index, count] : pending_)
      if (backwards_ <= count) out_.recurrent_calls_[index].stale_state = false;
    for (auto [index, count] : pending_retained_)
      if (all_backwards_ <= count) out_.recurrent_calls_[index].retained_state = false;
    pending_.clear();
    pending_retained_.clear();
  }

  // Functions defined but never called get one run with unknown arguments (and `self` an
  // instance of their class), so their training loops are seen.
  void analyse_uncalled() {
    for (const auto& fn : m_.functions()) {
      if (called_.count(fn.id) || !defined_.count(fn.id) || out_.exhausted_) continue;
      if (fn.enclosing_class >= 0) continue;  // methods run through their class
      Frame top;
      top.env = module_;
      frames_.push_back(&top);
      Args none;
      none.unpacked = true;
      cell_ = fn.cell;
      call_function(fn.id, nullptr, -1, none, TSNode{});
      confirm_stale();
      frames_.pop_back();
    }
  }

  const Model& m_;
  InterpreterBudget budget_;
  Interpretation& out_;
  EnvPtr module_;
  std::vector<Frame*> frames_;
  struct IfLog {
    Env* env;
    std::unordered_map<std::string, std::optional<Ref>> old;  // value before the `if`, per name written
  };
  std::vector<IfLog> if_logs_;
  std::unordered_map<const void*, int> function_at_, class_at_;
  std::unordered_map<int, EnvPtr> closures_;
  std::unordered_map<int, Ref> class_values_;
  std::unordered_map<const AValue*, std::tuple<TSNode, int, EnvPtr>> lambdas_;
  std::unordered_set<int> called_, defined_;
  int cell_ = 0;
  int loop_depth_ = 0;
  int symbols_ = 0;
  int backwards_ = 0;      // backward() calls that freed their graph
  int all_backwards_ = 0;  // every backward() call
  std::vector<int> freed_after_;  // backwards_ after each backward() call
  long long steps_ = 0;
  std::string batch_why_;
  bool last_batch_ = false;
  bool no_grad_ = false;
  std::vector<std::pair<const void*, int>> loop_iterations_;
  static constexpr int kMaxNesting = 200;  // syntax nested deeper (and call frames) degrades to unknown
  int nesting_ = 0;
  int guarded_ = 0;  // inside `try` bodies whose handler catches the layer's errors
  std::vector<std::pair<size_t, int>> pending_;  // recurrent calls with stale state: (index, backward count then)
  std::map<int, const void*> manual_fits_;  // scaler_fits_ id of a hand-written scaler -> the data it centred
  std::vector<std::pair<size_t, int>> pending_retained_;  // ... with retained state: (index, all_backwards_ then)
};

std::unique_ptr<Interpretation> interpret(const Model& model, const InterpreterBudget& budget) {
  auto out = std::make_unique<Interpretation>();
  Interpreter(model, budget, *out).run();
  return out;
}

}  // namespace lstmlint::semantic
