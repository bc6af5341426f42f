// Builds the semantic model: one walk per cell with Python's scoping, then notebook-wide passes.
#include <cstdlib>
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <tuple>

#include "semantic/model.h"

namespace lstmlint::semantic {

using python::field;
using python::is;
using python::named_children;
using python::null;
using python::type;

namespace {
constexpr int kMaxDepth = 600;  // deeper syntax (hostile input) is not analysed
}

class Builder {
 public:
  explicit Builder(Model& model) : m_(model) {}

  void build(const notebook::Notebook& nb, python::Parser& parser) {
    m_.nb_ = &nb;
    m_.history_ = infer_history(nb);
    m_.scopes_.push_back(Scope{});  // the module namespace
    m_.cells_.resize(nb.cells.size());
    bool python = nb.language.empty() || nb.language == "python" || nb.language == "python3" ||
                  nb.language == "ipython" || nb.language == "Python";
    for (const auto& cell : nb.cells) {
      CellInfo& ci = m_.cells_[static_cast<size_t>(cell.index - 1)];
      ci.index = cell.index;
      ci.code = cell.kind == notebook::CellKind::Code;
      index_lines(ci, cell.source);
      if (!ci.code || !python) continue;
      ci.python = notebook::mask_ipython(cell.source);
      ci.unknown_names = ci.python.defines_unknown_names;
      if (ci.python.opaque) continue;
      ci.tree = parser.parse(ci.python.text);
      if (!ci.tree.valid()) continue;
      ci.parsed = true;
      ci.syntax_error = ci.tree.has_error();
      walk_cell(ci);
    }
    index_module_bindings();
    resolve_reads();
    resolve_calls();
    resolve_classes();
    derive_training_facts();
    m_.values_ = std::getenv("LSTM_LINT_NO_VALUES") || !asks_value_flow() ? std::make_unique<Interpretation>() : interpret(m_);
  }

 private:
  struct Ctx {
    int scope = 0;
    int function = -1;
    int cls = -1;
    bool deferred = false;
    bool conditional = false;
    bool guarded = false;
  };

  // The rules that ask the value-flow model are about recurrent layers (PyTorch's, and Keras
  // layers that may be stateful; also the replay specs for them), scalers (scikit-learn's, or
  // written by hand with `.std()` / `.min()` and `.max()`) and random splits: a notebook with
  // none of them has nothing to ask it.
  bool asks_value_flow() const {
    for (const auto& r : m_.recurrent_layers_) {
      if (!r.keras) return true;
      // keras-stateful-*: what reaches fit() from a layer that is (or may be) stateful
      if (r.stateful.as_bool() != std::optional<bool>(false)) return true;
    }
    auto recurrent = [](const std::string& q) {
      return q == "torch.nn.LSTM" || q == "torch.nn.GRU" || q == "torch.nn.RNN" || q == "torch.nn.LSTMCell" ||
             q == "torch.nn.GRUCell" || q == "torch.nn.RNNCell";
    };
    for (const auto& c : m_.calls_)  // `functools.partial(nn.GRU, ...)`, `make(cell=nn.LSTM)`
      for (const auto* list : {&c.args, &c.kwargs})
        for (const auto& a : *list)
          if (python::is(a.node, "attribute") && recurrent(m_.qualify(a.node, c.cell, c.scope))) return true;
    bool min = false, max = false;
    for (const auto& c : m_.calls_) {
      // hand-written scalers: `(x - x.mean()) / x.std()`, `(x - x.min()) / (x.max() - x.min())`
      if (c.method == "std") return true;
      min = min || c.method == "min";
      max = max || c.method == "max";
      if (min && max) return true;
      // scalers: scaler-fit-before-split asks where their data comes from
      if (c.qualified.rfind("sklearn.preprocessing.", 0) == 0 && c.qualified.size() > 6 &&
          c.qualified.compare(c.qualified.size() - 6, 6, "Scaler") == 0)
        return true;
      // splits: shuffled-time-series-split asks whether what is split holds windows
      if (c.qualified == "sklearn.model_selection.train_test_split" || c.qualified == "torch.utils.data.random_split")
        return true;
    }
    for (const auto& b : m_.bindings_)  // `rnn_type = nn.LSTM`
      if (!python::null(b.value) && python::is(b.value, "attribute") && recurrent(m_.qualify(b.value, b.cell, b.scope))) return true;
    return false;
  }

  // ---- per-cell walk -------------------------------------------------------------------
  static void index_lines(CellInfo& ci, const std::string& source) {
    ci.line_starts.push_back(0);
    for (size_t i = 0; i < source.size(); ++i)
      if (source[i] == '\n') ci.line_starts.push_back(static_cast<uint32_t>(i + 1));
  }

  void walk_cell(CellInfo& ci) {
    cell_ = &ci;
    src_ = ci.tree.text();
    depth_ = 0;
    loop_stack_.clear();
    for (const auto& mb : ci.python.bindings) {
      Binding b;
      b.name = mb.name;
      b.kind = BindingKind::Magic;
      b.cell = ci.index;
      b.span = {{ci.index, mb.line, mb.column}, {ci.index, mb.line, mb.column + static_cast<int>(mb.name.size())}};
      add_binding(std::move(b), Ctx{});
    }
    visit(ci.tree.root(), Ctx{});
  }

  std::string str(TSNode n) const { return std::string(python::text(n, src_)); }

  int add_binding(Binding b, const Ctx& ctx) {
    b.id = static_cast<int>(m_.bindings_.size());
    b.cell = cell_->index;
    if (b.kind != BindingKind::Magic) b.conditional = b.conditional || ctx.conditional;
    int scope = b.scope;
    m_.scopes_[static_cast<size_t>(scope)].bindings[b.name].push_back(b.id);
    if (scope == 0) cell_->module_bindings.push_back(b.id);
    b.outer_loop = loop_stack_.empty() ? -1 : loop_stack_.front();
    m_.bindings_.push_back(std::move(b));
    return m_.bindings_.back().id;
  }

  // The scope a name assigned in ctx.scope lands in (global declarations, walrus in comprehensions).
  int target_scope(const std::string& name, int scope, bool walrus = false) const {
    if (walrus)
      while (m_.scopes_[static_cast<size_t>(scope)].kind == ScopeKind::Comprehension)
        scope = m_.scopes_[static_cast<size_t>(scope)].parent;
    if (m_.scopes_[static_cast<size_t>(scope)].globals.count(name)) return 0;
    return scope;
  }

  int bind_name(TSNode ident, BindingKind kind, const Ctx& ctx, uint32_t effective, TSNode value = TSNode{},
                bool walrus = false) {
    Binding b;
    b.name = str(ident);
    b.kind = kind;
    b.scope = target_scope(b.name, ctx.scope, walrus);
    b.span = m_.span_of(ident, cell_->index);
    b.byte = ts_node_start_byte(ident);
    b.effective_byte = effective;
    b.value = value;
    b.deferred = ctx.deferred;
    return add_binding(std::move(b), ctx);
  }

  void bind_target(TSNode t, BindingKind kind, const Ctx& ctx, uint32_t effective, TSNode value = TSNode{}) {
    if (null(t)) return;
    std::string_view ty = type(t);
    if (ty == "identifier") {
      bind_name(t, kind, ctx, effective, value);
    } else if (ty == "pattern_list" || ty == "tuple_pattern" || ty == "list_pattern" || ty == "expression_list" ||
               ty == "tuple" || ty == "list" || ty == "parenthesized_expression" || ty == "list_splat_pattern" ||
               ty == "list_splat") {
      for (TSNode c : named_children(t)) bind_target(c, kind, ctx, effective);
    } else if (ty == "attribute") {
      visit(field(t, "object"), ctx);
      record_self_attribute(t, value, ctx);
    } else {
      visit(t, ctx);  // subscripts and anything else: their parts are reads
    }
  }

  void record_self_attribute(TSNode attr, TSNode value, const Ctx& ctx) {
    if (ctx.function < 0 || ctx.cls < 0) return;
    const Function& f = m_.functions_[static_cast<size_t>(ctx.function)];
    if (f.enclosing_class != ctx.cls || f.params.empty()) return;
    TSNode obj = field(attr, "object");
    if (!is(obj, "identifier") || str(obj) != f.params.front()) return;
    SelfAttribute a;
    a.name = str(field(attr, "attribute"));
    a.method = ctx.function;
    a.value = value;
    a.span = m_.span_of(attr, cell_->index);
    m_.classes_[static_cast<size_t>(ctx.cls)].attributes.push_back(std::move(a));
  }

  void add_read(TSNode ident, const Ctx& ctx) {
    NameRead r;
    r.name = str(ident);
    r.scope = ctx.scope;
    r.cell = cell_->index;
    r.span = m_.span_of(ident, cell_->index);
    r.byte = ts_node_start_byte(ident);
    r.at_cell_run = !ctx.deferred;
    r.guarded = ctx.guarded;
    r.function = ctx.function;
    r.outer_loop = loop_stack_.empty() ? -1 : loop_stack_.front();
    cell_->reads.push_back(static_cast<int>(m_.reads_.size()));
    m_.reads_.push_back(std::move(r));
  }

  int new_scope(ScopeKind kind, const Ctx& ctx, std::string name) {
    Scope s;
    s.kind = kind;
    s.parent = ctx.scope;
    s.cell = cell_->index;
    s.name = std::move(name);
    m_.scopes_.push_back(std::move(s));
    return static_cast<int>(m_.scopes_.size() - 1);
  }

  void visit_children(TSNode n, const Ctx& ctx) {
    python::each_child(n, [&](TSNode c) { visit(c, ctx); });
  }

  void visit(TSNode n, const Ctx& ctx) {
    if (null(n)) return;
    if (++depth_ > kMaxDepth) {
      --depth_;
      return;
    }
    dispatch(n, ctx);
    --depth_;
  }

  void dispatch(TSNode n, const Ctx& ctx) {
    std::string_view ty = type(n);
    if (ty == "identifier") return add_read(n, ctx);
    if (ty == "attribute") return visit(field(n, "object"), ctx);
    if (ty == "keyword_argument") return visit(field(n, "value"), ctx);
    if (ty == "assignment") return visit_assignment(n, ctx);
    if (ty == "augmented_assignment") return visit_augmented(n, ctx);
    if (ty == "named_expression") {
      visit(field(n, "value"), ctx);
      bind_name(field(n, "name"), BindingKind::NamedExpression, ctx, ts_node_end_byte(n), field(n, "value"), true);
      return;
    }
    if (ty == "import_statement" || ty == "import_from_statement" || ty == "future_import_statement")
      return visit_import(n, ctx);
    if (ty == "function_definition") return visit_function(n, ctx, {});
    if (ty == "decorated_definition") return visit_decorated(n, ctx);
    if (ty == "class_definition") return visit_class(n, ctx, {});
    if (ty == "lambda") return visit_lambda(n, ctx);
    if (ty == "for_statement") return visit_for(n, ctx);
    if (ty == "while_statement") return visit_while(n, ctx);
    if (ty == "if_statement") return visit_if(n, ctx);
    if (ty == "try_statement") return visit_try(n, ctx);
    if (ty == "with_statement") return visit_with(n, ctx);
    if (ty == "match_statement") return visit_match(n, ctx);
    if (ty == "list_comprehension" || ty == "set_comprehension" || ty == "dictionary_comprehension" ||
        ty == "generator_expression")
      return visit_comprehension(n, ctx);
    if (ty == "global_statement" || ty == "nonlocal_statement") {
      auto& scope = m_.scopes_[static_cast<size_t>(ctx.scope)];
      for (TSNode c : named_children(n))
        if (is(c, "identifier")) (ty == "global_statement" ? scope.globals : scope.nonlocals).insert(str(c));
      return;
    }
    if (ty == "delete_statement") {
      for (TSNode c : named_children(n)) bind_target(c, BindingKind::Delete, ctx, ts_node_end_byte(n));
      return;
    }
    if (ty == "call") return visit_call(n, ctx);
    if (ty == "subscript") record_subscript(n, ctx);
    if (ty == "string" || ty == "comment" || ty == "integer" || ty == "float") {
      if (ty == "string") visit_children(n, ctx);  // f-string interpolations read names
      return;
    }
    visit_children(n, ctx);
  }

  void visit_assignment(TSNode n, const Ctx& ctx) {
    TSNode right = field(n, "right");
    visit(right, ctx);
    TSNode value = right;
    while (is(value, "assignment")) value = field(value, "right");
    TSNode left = field(n, "left");
    if (null(right)) {  // `x: int` binds nothing, but its annotation is read
      visit(field(n, "type"), ctx);
      return;
    }
    visit(field(n, "type"), ctx);
    bool single = is(left, "identifier") || is(left, "attribute");
    size_t first = m_.bindings_.size();
    auto targets = named_children(left);
    auto values = named_children(value);
    bool positional = (is(left, "pattern_list") || is(left, "tuple_pattern")) &&
                      (is(value, "expression_list") || is(value, "tuple")) && targets.size() == values.size() &&
                      std::none_of(targets.begin(), targets.end(), [](TSNode t) { return is(t, "list_splat_pattern"); });
    if (positional) {
      // `a, b = 1, 2`: each name gets its own value.
      for (size_t i = 0; i < targets.size(); ++i)
        bind_target(targets[i], BindingKind::Assignment, ctx, ts_node_end_byte(n),
                    is(targets[i], "identifier") ? values[i] : TSNode{});
    } else {
      bind_target(left, BindingKind::Assignment, ctx, ts_node_end_byte(n), single ? value : TSNode{});
    }
    for (size_t i = first; i < m_.bindings_.size(); ++i) m_.bindings_[i].source = value;
  }

  void visit_augmented(TSNode n, const Ctx& ctx) {
    visit(field(n, "right"), ctx);
    TSNode left = field(n, "left");
    if (is(left, "identifier")) {
      add_read(left, ctx);
      bind_name(left, BindingKind::AugmentedAssignment, ctx, ts_node_end_byte(n));
    } else {
      visit(left, ctx);
    }
  }

  void visit_import(TSNode n, const Ctx& ctx) {
    uint32_t end = ts_node_end_byte(n);
    if (is(n, "import_statement")) {
      for (TSNode c : named_children(n)) {
        if (is(c, "dotted_name")) {  // import a.b.c binds `a`
          TSNode first = ts_node_named_child(c, 0);
          int id = bind_name(first, BindingKind::Import, ctx, end);
          m_.bindings_[static_cast<size_t>(id)].qualified = str(first);
        } else if (is(c, "aliased_import")) {
          int id = bind_name(field(c, "alias"), BindingKind::Import, ctx, end);
          m_.bindings_[static_cast<size_t>(id)].qualified = str(field(c, "name"));
        }
      }
      return;
    }
    if (is(n, "future_import_statement")) return;
    TSNode module = field(n, "module_name");
    std::string base = str(module);
    for (TSNode c : named_children(n)) {
      if (ts_node_eq(c, module)) continue;
      if (is(c, "wildcard_import")) {
        cell_->star_import = true;
        cell_->unknown_names = true;
      } else if (is(c, "dotted_name")) {
        int id = bind_name(ts_node_named_child(c, 0), BindingKind::Import, ctx, end);
        m_.bindings_[static_cast<size_t>(id)].qualified = base + "." + str(c);
      } else if (is(c, "aliased_import")) {
        int id = bind_name(field(c, "alias"), BindingKind::Import, ctx, end);
        m_.bindings_[static_cast<size_t>(id)].qualified = base + "." + str(field(c, "name"));
      }
    }
  }

  void visit_decorated(TSNode n, const Ctx& ctx) {
    std::vector<TSNode> decorators;
    for (TSNode c : named_children(n))
      if (is(c, "decorator")) decorators.push_back(c);
    for (TSNode d : decorators) visit_children(d, ctx);
    TSNode def = field(n, "definition");
    if (is(def, "function_definition")) visit_function(def, ctx, n);
    else if (is(def, "class_definition")) visit_class(def, ctx, n);
  }

  void bind_parameters(TSNode params, const Ctx& outer, const Ctx& inner, Function* f) {
    for (TSNode p : named_children(params)) {
      std::string_view ty = type(p);
      TSNode name{};
      if (ty == "identifier") {
        name = p;
      } else if (ty == "default_parameter" || ty == "typed_default_parameter") {
        visit(field(p, "value"), outer);
        visit(field(p, "type"), outer);
        name = field(p, "name");
      } else if (ty == "typed_parameter") {
        visit(field(p, "type"), outer);
        for (TSNode c : named_children(p))
          if (is(c, "identifier")) name = c;
          else if (is(c, "list_splat_pattern") || is(c, "dictionary_splat_pattern")) name = ts_node_named_child(c, 0);
      } else if (ty == "list_splat_pattern" || ty == "dictionary_splat_pattern") {
        name = ts_node_named_child(p, 0);
      } else if (ty == "tuple_pattern") {
        bind_target(p, BindingKind::Parameter, inner, 0);
        continue;
      }
      if (!is(name, "identifier")) continue;
      if (f) f->params.push_back(str(name));
      Binding b;
      b.name = str(name);
      b.kind = BindingKind::Parameter;
      b.scope = inner.scope;
      b.span = m_.span_of(name, cell_->index);
      b.deferred = true;
      add_binding(std::move(b), inner);
    }
  }

  void visit_function(TSNode n, const Ctx& ctx, TSNode decorated) {
    Function f;
    f.id = static_cast<int>(m_.functions_.size());
    f.name = str(field(n, "name"));
    f.cell = cell_->index;
    f.node = n;
    bool method = ctx.cls >= 0 && m_.scopes_[static_cast<size_t>(ctx.scope)].kind == ScopeKind::Class;
    f.enclosing_class = method ? ctx.cls : -1;
    f.scope = new_scope(ScopeKind::Function, ctx, f.name);
    m_.functions_.push_back(f);

    Ctx inner = ctx;
    inner.scope = f.scope;
    inner.function = f.id;
    inner.deferred = true;
    inner.conditional = false;
    inner.guarded = false;
    if (!method) inner.cls = -1;
    visit(field(n, "return_type"), ctx);
    bind_parameters(field(n, "parameters"), ctx, inner, &m_.functions_.back());
    std::vector<int> saved_loops;
    saved_loops.swap(loop_stack_);
    visit(field(n, "body"), inner);
    loop_stack_.swap(saved_loops);

    TSNode whole = null(decorated) ? n : decorated;
    int id = bind_name(field(n, "name"), BindingKind::FunctionDef, ctx, ts_node_end_byte(whole));
    function_of_binding_[id] = f.id;
    if (method) m_.classes_[static_cast<size_t>(ctx.cls)].methods[f.name] = f.id;
  }

  void visit_class(TSNode n, const Ctx& ctx, TSNode decorated) {
    TSNode supers = field(n, "superclasses");
    visit(supers, ctx);
    Class c;
    c.id = static_cast<int>(m_.classes_.size());
    c.name = str(field(n, "name"));
    c.cell = cell_->index;
    c.node = n;
    m_.classes_.push_back(std::move(c));
    Ctx inner = ctx;
    inner.scope = new_scope(ScopeKind::Class, ctx, m_.classes_.back().name);
    inner.cls = m_.classes_.back().id;
    inner.conditional = false;
    int cls_id = inner.cls;
    visit(field(n, "body"), inner);
    TSNode whole = null(decorated) ? n : decorated;
    int id = bind_name(field(n, "name"), BindingKind::ClassDef, ctx, ts_node_end_byte(whole));
    class_of_binding_[id] = cls_id;
  }

  void visit_lambda(TSNode n, const Ctx& ctx) {
    Ctx inner = ctx;
    inner.scope = new_scope(ScopeKind::Lambda, ctx, "lambda");
    inner.deferred = true;
    TSNode params = field(n, "parameters");
    if (!null(params)) bind_parameters(params, ctx, inner, nullptr);
    visit(field(n, "body"), inner);
  }

  int push_loop(TSNode n, const Ctx& ctx, bool is_for) {
    Loop l;
    l.id = static_cast<int>(m_.loops_.size());
    l.cell = cell_->index;
    l.parent = loop_stack_.empty() ? -1 : loop_stack_.back();
    l.function = ctx.function;
    l.node = n;
    l.is_for = is_for;
    m_.loops_.push_back(l);
    loop_stack_.push_back(l.id);
    return l.id;
  }

  void visit_for(TSNode n, const Ctx& ctx) {
    visit(field(n, "right"), ctx);
    Ctx body = ctx;
    body.conditional = true;
    push_loop(n, ctx, true);
    TSNode block = field(n, "body");
    bind_target(field(n, "left"), BindingKind::LoopTarget, body, ts_node_start_byte(block));
    visit(block, body);
    loop_stack_.pop_back();
    visit(field(n, "alternative"), body);
  }

  void visit_while(TSNode n, const Ctx& ctx) {
    Ctx body = ctx;
    body.conditional = true;
    push_loop(n, ctx, false);
    visit(field(n, "condition"), ctx);
    visit(field(n, "body"), body);
    loop_stack_.pop_back();
    visit(field(n, "alternative"), body);
  }

  void visit_if(TSNode n, const Ctx& ctx) {
    visit(field(n, "condition"), ctx);
    Ctx branch = ctx;
    branch.conditional = true;
    for (TSNode c : python::children(n)) {
      if (ts_node_eq(c, field(n, "condition"))) continue;
      visit(c, branch);
    }
  }

  bool catches_name_error(TSNode clause) const {
    TSNode value = field(clause, "value");
    if (null(value)) {
      for (TSNode c : named_children(clause))
        if (!is(c, "block")) value = c;
      if (null(value)) return true;  // bare except
    }
    std::string_view t = python::text(value, src_);
    return t.find("NameError") != std::string_view::npos || t.find("Exception") != std::string_view::npos;
  }

  void visit_try(TSNode n, const Ctx& ctx) {
    bool guards = false;
    for (TSNode c : named_children(n))
      if (is(c, "except_clause") && catches_name_error(c)) guards = true;
    Ctx branch = ctx;
    branch.conditional = true;
    Ctx body = branch;
    body.guarded = ctx.guarded || guards;
    for (TSNode c : named_children(n)) {
      if (is(c, "block")) {
        visit(c, body);
      } else if (is(c, "except_clause")) {
        TSNode value = field(c, "value");
        TSNode alias = field(c, "alias");
        if (is(value, "as_pattern")) {  // `except E as e`
          TSNode target = field(value, "alias");
          for (TSNode k : named_children(value))
            if (!ts_node_eq(k, target)) visit(k, ctx);
          alias = ts_node_named_child(target, 0);
          value = TSNode{};
        }
        visit(value, ctx);
        TSNode block{};
        for (TSNode k : named_children(c)) {
          if (is(k, "block")) block = k;
          else if (null(field(c, "value")) && null(alias)) visit(k, ctx);  // `except E:` without fields
        }
        if (!null(alias)) bind_target(alias, BindingKind::ExceptTarget, branch, null(block) ? 0 : ts_node_start_byte(block));
        visit(block, branch);
      } else {
        visit(c, branch);
      }
    }
  }

  void visit_with(TSNode n, const Ctx& ctx) {
    TSNode body = field(n, "body");
    for (TSNode c : named_children(n)) {
      if (!is(c, "with_clause")) continue;
      for (TSNode item : named_children(c)) {
        TSNode value = field(item, "value");
        if (is(value, "as_pattern")) {
          TSNode alias = field(value, "alias");
          for (TSNode k : named_children(value))
            if (!ts_node_eq(k, alias)) visit(k, ctx);
          for (TSNode k : named_children(alias))
            bind_target(k, BindingKind::WithTarget, ctx, ts_node_start_byte(body));
        } else {
          visit(value, ctx);
        }
      }
    }
    visit(body, ctx);
  }

  void visit_match(TSNode n, const Ctx& ctx) {
    Ctx branch = ctx;
    branch.conditional = true;
    visit(field(n, "subject"), ctx);
    for (TSNode c : named_children(n)) {
      if (!is(c, "block")) continue;
      for (TSNode clause : named_children(c)) {
        if (!is(clause, "case_clause")) continue;
        for (TSNode k : named_children(clause)) {
          if (is(k, "case_pattern")) bind_case_pattern(k, branch);
          else visit(k, branch);
        }
      }
    }
  }

  void bind_case_pattern(TSNode p, const Ctx& ctx) {
    // A bare name in a pattern captures; dotted names and class patterns are reads.
    for (TSNode c : named_children(p)) {
      if (is(c, "dotted_name") && ts_node_named_child_count(c) == 1 && str(c) != "_") {
        bind_name(ts_node_named_child(c, 0), BindingKind::MatchCapture, ctx, ts_node_end_byte(p));
      } else if (is(c, "as_pattern") || is(c, "case_pattern") || is(c, "list_pattern") || is(c, "tuple_pattern")) {
        bind_case_pattern(c, ctx);
      } else if (is(c, "identifier")) {
        bind_name(c, BindingKind::MatchCapture, ctx, ts_node_end_byte(p));
      }
    }
  }

  void visit_comprehension(TSNode n, const Ctx& ctx) {
    std::vector<TSNode> clauses;
    for (TSNode c : named_children(n))
      if (is(c, "for_in_clause") || is(c, "if_clause")) clauses.push_back(c);
    // The first iterable is evaluated in the enclosing scope.
    bool first = true;
    Ctx inner = ctx;
    inner.scope = new_scope(ScopeKind::Comprehension, ctx, "comprehension");
    for (TSNode c : clauses) {
      if (is(c, "for_in_clause")) {
        visit(field(c, "right"), first ? ctx : inner);
        first = false;
        bind_target(field(c, "left"), BindingKind::LoopTarget, inner, ts_node_start_byte(n));
      } else {
        visit_children(c, inner);
      }
    }
    visit(field(n, "body"), inner);
  }

  void record_subscript(TSNode n, const Ctx& ctx) {
    TSNode value = field(n, "value");
    if (!is(value, "identifier")) return;
    Subscript s;
    s.name = str(value);
    s.cell = cell_->index;
    s.scope = ctx.scope;
    s.node = n;
    s.span = m_.span_of(n, cell_->index);
    TSTreeCursor cursor = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      do {
        const char* f = ts_tree_cursor_current_field_name(&cursor);
        if (f && std::string_view(f) == "subscript") s.indices.push_back(ts_tree_cursor_current_node(&cursor));
      } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    m_.subscripts_.push_back(std::move(s));
  }

  void visit_call(TSNode n, const Ctx& ctx) {
    TSNode fn = field(n, "function");
    visit(fn, ctx);
    Call c;
    c.id = static_cast<int>(m_.calls_.size());
    c.cell = cell_->index;
    c.scope = ctx.scope;
    c.function = ctx.function;
    c.node = n;
    c.span = m_.span_of(n, cell_->index);
    c.callee = str(fn);
    c.at_cell_run = !ctx.deferred;
    c.loops = loop_stack_;
    if (is(fn, "attribute")) {
      c.method = str(field(fn, "attribute"));
      TSNode obj = field(fn, "object");
      if (is(obj, "identifier")) c.receiver = str(obj);
    } else if (is(fn, "identifier")) {
      c.method = c.callee;
    }
    if (c.callee == "exec" || c.callee == "globals" || c.callee == "vars" || c.callee == "locals" ||
        c.callee == "execfile")
      cell_->unknown_names = true;
    TSNode args = field(n, "arguments");
    for (TSNode a : named_children(args)) {
      Argument arg;
      if (is(a, "keyword_argument")) {
        arg.keyword = str(field(a, "name"));
        arg.node = field(a, "value");
        c.kwargs.push_back(arg);
      } else if (is(a, "dictionary_splat") || is(a, "list_splat")) {
        arg.node = a;
        arg.unpacked = true;
        (is(a, "dictionary_splat") ? c.kwargs : c.args).push_back(arg);
      } else if (!is(a, "comment")) {
        arg.node = a;
        c.args.push_back(arg);
      }
    }
    int id = c.id;
    m_.call_index_[{cell_->index, ts_node_start_byte(n), ts_node_end_byte(n)}] = id;
    cell_->calls.push_back(id);
    if (ctx.function >= 0) m_.functions_[static_cast<size_t>(ctx.function)].calls.push_back(id);
    m_.calls_.push_back(std::move(c));
    visit(args, ctx);
  }

  // ---- notebook-wide passes -----------------------------------------------------------
  void index_module_bindings() {
    for (const auto& b : m_.bindings_)
      if (b.scope == 0) m_.module_index_[b.name].push_back(b.id);
    for (auto& entry : m_.module_index_) {
      std::stable_sort(entry.second.begin(), entry.second.end(), [&](int a, int b) {
        const Binding& x = m_.bindings_[static_cast<size_t>(a)];
        const Binding& y = m_.bindings_[static_cast<size_t>(b)];
        return std::tie(x.cell, x.effective_byte) < std::tie(y.cell, y.effective_byte);
      });
    }
  }

  void resolve_reads() {
    for (size_t i = 0; i < m_.reads_.size(); ++i) {
      NameRead& r = m_.reads_[i];
      r.global = m_.resolve_local(r.name, r.scope) < 0;
      if (r.global && r.function >= 0) m_.functions_[static_cast<size_t>(r.function)].global_reads.push_back(static_cast<int>(i));
    }
  }

  void resolve_calls() {
    for (Call& c : m_.calls_) {
      c.qualified = m_.qualify(field(c.node, "function"), c.cell, c.scope);
      for (auto* list : {&c.args, &c.kwargs})
        for (Argument& a : *list)
          if (!a.unpacked) a.value = m_.value_of(a.node, c.cell, c.scope);
    }
  }

  void resolve_classes() {
    for (Class& c : m_.classes_) {
      TSNode supers = field(c.node, "superclasses");
      int scope = 0;
      for (TSNode s : named_children(supers)) {
        if (is(s, "keyword_argument")) continue;
        std::string q = m_.qualify(s, c.cell, scope);
        c.bases.push_back(q.empty() ? std::string(m_.text_of(s, c.cell)) : q);
      }
    }
    auto is_module_base = [&](const std::string& base) {
      if (base == "torch.nn.Module" || base == "pytorch_lightning.LightningModule" ||
          base == "lightning.LightningModule" || base == "lightning.pytorch.LightningModule")
        return true;
      // Subclassing a torch.nn layer class (nn.LSTM, nn.Sequential) is a module too.
      return base.rfind("torch.nn.", 0) == 0 && base.size() > 9 && std::isupper(static_cast<unsigned char>(base[9]));
    };
    bool changed = true;
    while (changed) {
      changed = false;
      for (Class& c : m_.classes_) {
        if (c.is_nn_module) continue;
        for (const std::string& base : c.bases) {
          bool local_module = std::any_of(m_.classes_.begin(), m_.classes_.end(),
                                          [&](const Class& o) { return o.is_nn_module && o.name == base; });
          if (is_module_base(base) || local_module) {
            c.is_nn_module = true;
            changed = true;
            break;
          }
        }
      }
    }
  }

  int call_at(int cell, TSNode node) const {
    const Call* c = m_.call_for(node, cell);
    return c ? c->id : -1;
  }

  // The notebook function or class a callee name refers to in a top-down run.
  int function_named(const Call& c) const {
    if (c.receiver.empty() && !c.callee.empty() && c.callee == c.method) {
      const Binding* b = m_.reaching_binding(c.callee, c.cell, ts_node_start_byte(c.node));
      if (!b) {
        const auto& all = m_.module_bindings(c.callee);
        if (!all.empty()) b = &m_.bindings_[static_cast<size_t>(all.back())];
      }
      if (b) {
        auto it = function_of_binding_.find(b->id);
        if (it != function_of_binding_.end()) return it->second;
      }
    }
    return -1;
  }

  void derive_training_facts() {
    for (Call& c : m_.calls_) c.target_function = function_named(c);
    for (const Binding& b : m_.bindings_) {
      if (b.scope != 0 || b.deferred || b.kind != BindingKind::Assignment || null(b.value)) continue;
      TSNode ctor = m_.unwrap_passthrough(b.value, b.cell);
      if (!is(ctor, "call")) continue;
      int call_id = call_at(b.cell, ctor);
      if (call_id < 0) continue;
      const Call& call = m_.calls_[static_cast<size_t>(call_id)];
      if (is_model_constructor(call)) {
        m_.model_creations_.push_back({b.id, b.name, b.cell, call_id, call.qualified.empty() ? call.callee : call.qualified,
                                       notebook_class(call)});
      } else if (is_optimizer(call)) {
        OptimizerCreation o{b.id, b.name, b.cell, call_id, call.qualified, {}};
        if (const Argument* params = call.argument(0, "params")) o.models = parameter_owners(b.cell, params->node);
        m_.optimizer_creations_.push_back(std::move(o));
      }
    }
    derive_recurrent_layers();
    for (CellInfo& ci : m_.cells_) {
      for (int call_id : ci.calls) {
        const Call& c = m_.calls_[static_cast<size_t>(call_id)];
        if (!c.at_cell_run) continue;
        add_effect(ci, c, call_id, [&](const std::string& name) { return global_name(c, name); });
        int f = function_named(c);
        if (f >= 0) expand_function(ci, f, c, call_id, 0);
      }
      for (int r : ci.reads) {
        const NameRead& read = m_.reads_[static_cast<size_t>(r)];
        if (read.global && read.at_cell_run) ci.runtime_reads.insert(read.name);
      }
    }
  }

  std::string global_name(const Call& c, const std::string& name) const {
    if (name.empty()) return {};
    return m_.resolve_local(name, c.scope) < 0 ? name : std::string();
  }

  template <typename Map>
  void add_effect(CellInfo& ci, const Call& c, int entry, Map object_of) {
    static const char* methods[] = {"step", "backward", "zero_grad"};
    for (const char* m : methods)
      if (c.method == m && !c.receiver.empty() && c.receiver != c.callee)
        ci.effects.push_back({c.method, object_of(c.receiver), c.id, entry});
    if (c.method == "backward" && c.receiver.empty() && c.callee != c.method)  // (a + b).backward()
      ci.effects.push_back({c.method, "", c.id, entry});
  }

  // Attributes what a called notebook function does to the calling cell, mapping its
  // parameters to the names passed in.
  void expand_function(CellInfo& ci, int fid, const Call& site, int entry, int depth) {
    if (depth > 3) return;
    const Function& f = m_.functions_[static_cast<size_t>(fid)];
    std::map<std::string, std::string> passed;
    for (size_t i = 0; i < f.params.size(); ++i) {
      const Argument* a = site.argument(i, f.params[i]);
      if (a && is(a->node, "identifier")) passed[f.params[i]] = std::string(m_.text_of(a->node, site.cell));
    }
    auto object_of = [&](const Call& c, const std::string& name) -> std::string {
      auto it = passed.find(name);
      if (it != passed.end()) return it->second;
      if (std::find(f.params.begin(), f.params.end(), name) != f.params.end()) return {};
      return global_name(c, name);
    };
    for (int call_id : f.calls) {
      const Call& c = m_.calls_[static_cast<size_t>(call_id)];
      add_effect(ci, c, entry, [&](const std::string& name) { return object_of(c, name); });
      int g = function_named(c);
      if (g >= 0 && g != fid) expand_function(ci, g, c, entry, depth + 1);
    }
    for (int r : f.global_reads) ci.runtime_reads.insert(m_.reads_[static_cast<size_t>(r)].name);
    for (const auto& p : passed) ci.runtime_reads.insert(p.second);
  }

  // The notebook class a call constructs (`Net(...)`), or -1.
  int notebook_class(const Call& c) const {
    if (!c.receiver.empty() || c.callee != c.method) return -1;
    const Binding* b = m_.reaching_binding(c.callee, c.cell, ts_node_start_byte(c.node));
    if (!b) {
      const auto& all = m_.module_bindings(c.callee);
      if (!all.empty()) b = &m_.bindings_[static_cast<size_t>(all.back())];
    }
    if (!b) return -1;
    auto it = class_of_binding_.find(b->id);
    return it == class_of_binding_.end() ? -1 : it->second;
  }

  static std::string recurrent_kind(const std::string& q, bool& keras) {
    std::string last = q.substr(q.rfind('.') + 1);
    static const char* torch_kinds[] = {"LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"};
    static const char* keras_kinds[] = {"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM2D", "LSTMV1", "GRUV1"};
    keras = false;
    if (q == "torch.nn." + last || q == "torch.nn.modules.rnn." + last) {
      for (const char* k : torch_kinds)
        if (last == k) return last;
      return {};
    }
    bool keras_path = q.rfind("keras.", 0) == 0 || q.rfind("tensorflow.keras.", 0) == 0 ||
                      q.rfind("tensorflow.python.keras.", 0) == 0 || q.rfind("tf_keras.", 0) == 0;
    if (!keras_path) return {};
    for (const char* k : keras_kinds)
      if (last == k) return keras = true, last;
    return {};
  }

  static Value or_default(const Argument* a, Value fallback, bool has_unpacked_kwargs) {
    if (a) return a->value;
    return has_unpacked_kwargs ? Value{} : fallback;
  }

  void derive_recurrent_layers() {
    for (const Call& c : m_.calls_) {
      RecurrentLayer r;
      r.kind = recurrent_kind(c.qualified, r.keras);
      if (r.kind.empty()) continue;
      r.call = c.id;
      bool unpacked = std::any_of(c.kwargs.begin(), c.kwargs.end(), [](const Argument& a) { return a.unpacked; });
      if (!r.keras) {
        r.input_size = or_default(c.argument(0, "input_size"), {}, unpacked);
        r.hidden_size = or_default(c.argument(1, "hidden_size"), {}, unpacked);
        bool cell = r.kind.size() > 4 && r.kind.substr(r.kind.size() - 4) == "Cell";
        if (!cell) {
          r.num_layers = or_default(c.argument(2, "num_layers"), Value::of_int(1), unpacked);
          r.batch_first = or_default(c.argument(4, "batch_first"), Value::of_bool(false), unpacked);
          r.bidirectional = or_default(c.argument(6, "bidirectional"), Value::of_bool(false), unpacked);
        }
      } else {
        r.stateful = or_default(c.keyword("stateful"), Value::of_bool(false), unpacked);
      }
      attach_owner(r, c);
      m_.recurrent_layers_.push_back(std::move(r));
    }
  }

  // Who holds the layer: a module-level name, `self.<attr>` of a class, or a Keras model.
  void attach_owner(RecurrentLayer& r, const Call& c) {
    for (int id : m_.cell(c.cell).module_bindings) {
      const Binding& b = m_.bindings_[static_cast<size_t>(id)];
      if (!null(b.value) && ts_node_eq(m_.unwrap_passthrough(b.value, b.cell), c.node)) r.name = b.name;
    }
    for (const Class& k : m_.classes_)
      for (const SelfAttribute& a : k.attributes)
        if (k.cell == c.cell && !null(a.value) && ts_node_eq(m_.unwrap_passthrough(a.value, k.cell), c.node))
          r.cls = k.id, r.attribute = a.name;
    if (!r.keras) return;
    // model.add(LSTM(...)) or model = Sequential([LSTM(...), ...])
    for (TSNode p = ts_node_parent(c.node); !null(p); p = ts_node_parent(p)) {
      if (is(p, "call")) {
        int outer = call_at(c.cell, p);
        if (outer < 0) break;
        const Call& o = m_.calls_[static_cast<size_t>(outer)];
        if (o.method == "add" && !o.receiver.empty()) {
          r.keras_model = o.receiver;
          const Binding* b = m_.reaching_binding(o.receiver, o.cell, ts_node_start_byte(o.node));
          r.keras_model_binding = b ? b->id : -1;
        }
        if (o.method == "Sequential" || o.qualified.find("Sequential") != std::string::npos) {
          TSNode stmt = ts_node_parent(p);
          if (is(stmt, "assignment") && is(field(stmt, "left"), "identifier")) {
            r.keras_model = str_in(c.cell, field(stmt, "left"));
            for (int id : m_.cell(c.cell).module_bindings)
              if (m_.bindings_[static_cast<size_t>(id)].effective_byte == ts_node_end_byte(stmt)) r.keras_model_binding = id;
          }
        }
        break;
      }
    }
  }

  std::string str_in(int cell, TSNode n) const { return std::string(m_.text_of(n, cell)); }

  bool is_model_constructor(const Call& c) const {
    const std::string& q = c.qualified;
    if (q.rfind("torch.nn.", 0) == 0) {
      std::string last = q.substr(q.rfind('.') + 1);
      // Losses and parameterless layers are modules, but nothing an optimizer trains.
      static const char* parameterless[] = {"Dropout", "Dropout1d", "Dropout2d", "ReLU", "LeakyReLU", "Tanh",
                                            "Sigmoid", "Softmax", "LogSoftmax", "GELU", "ELU", "Flatten",
                                            "Identity", "Unflatten", "MaxPool1d", "MaxPool2d", "AvgPool1d"};
      bool loss = last.size() > 4 && last.compare(last.size() - 4, 4, "Loss") == 0;
      bool inert = std::any_of(std::begin(parameterless), std::end(parameterless), [&](const char* p) { return last == p; });
      if (loss || inert) return false;
      return !last.empty() && std::isupper(static_cast<unsigned char>(last[0])) && q.find(".functional.") == std::string::npos &&
             q.find(".utils.") == std::string::npos && q.find(".init.") == std::string::npos &&
             q != "torch.nn.Parameter" && q != "torch.nn.ParameterList";
    }
    if (q == "torch.load" || q == "torch.jit.load") return true;
    int k = notebook_class(c);
    return k >= 0 && m_.classes_[static_cast<size_t>(k)].is_nn_module;
  }

  static bool is_optimizer(const Call& c) {
    const std::string& q = c.qualified;
    if (q.rfind("torch.optim.", 0) != 0 || q.find("lr_scheduler") != std::string::npos || q.find("swa_utils") != std::string::npos) return false;
    std::string last = q.substr(q.rfind('.') + 1);
    return !last.empty() && std::isupper(static_cast<unsigned char>(last[0]));
  }

  // Names `m` whose `m.parameters()` occur inside an expression of a cell.
  std::vector<std::string> parameter_owners(int cell, TSNode expr) const {
    std::vector<std::string> owners;
    uint32_t start = ts_node_start_byte(expr), end = ts_node_end_byte(expr);
    for (int call_id : m_.cell(cell).calls) {
      const Call& c = m_.calls_[static_cast<size_t>(call_id)];
      uint32_t s = ts_node_start_byte(c.node);
      if (s < start || ts_node_end_byte(c.node) > end) continue;
      if ((c.method == "parameters" || c.method == "named_parameters") && !c.receiver.empty() &&
          std::find(owners.begin(), owners.end(), c.receiver) == owners.end())
        owners.push_back(c.receiver);
    }
    return owners;
  }

  Model& m_;
  CellInfo* cell_ = nullptr;
  std::string_view src_;
  int depth_ = 0;
  std::vector<int> loop_stack_;
  std::map<int, int> function_of_binding_;
  std::map<int, int> class_of_binding_;
};

std::unique_ptr<Model> build_model(const notebook::Notebook& nb, python::Parser& parser) {
  auto model = std::make_unique<Model>();
  Builder builder(*model);
  builder.build(nb, parser);
  return model;
}

}  // namespace lstmlint::semantic
