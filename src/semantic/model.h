// The notebook-wide semantic model: built once per notebook, shared by every rule.
#pragma once

#include <map>
#include <memory>
#include <tuple>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "notebook/location.h"
#include "notebook/magics.h"
#include "notebook/notebook.h"
#include "python/syntax.h"
#include "semantic/history.h"
#include "semantic/interpreter.h"
#include "semantic/values.h"

namespace lstmlint::semantic {

enum class ScopeKind { Module, Function, Class, Comprehension, Lambda };

// Scope 0 is the notebook's one module namespace, shared by all cells.
struct Scope {
  ScopeKind kind = ScopeKind::Module;
  int parent = -1;
  int cell = 0;
  std::string name;
  std::unordered_set<std::string> globals;
  std::unordered_set<std::string> nonlocals;
  std::unordered_map<std::string, std::vector<int>> bindings;  // name -> binding ids
};

enum class BindingKind {
  Assignment, AugmentedAssignment, Import, FunctionDef, ClassDef, LoopTarget, WithTarget,
  ExceptTarget, NamedExpression, MatchCapture, Parameter, Delete, Magic
};

struct Binding {
  int id = 0;
  std::string name;
  BindingKind kind = BindingKind::Assignment;
  int scope = 0;           // scope the name is bound in (0 = module, also for `global x` in a def)
  int cell = 0;
  Span span;               // the bound name
  uint32_t byte = 0;       // start of the bound name in the cell
  uint32_t effective_byte = 0;  // where in the cell the binding takes effect
  TSNode value{};          // `name = value` with a single plain target; null otherwise
  TSNode source{};         // the assigned right-hand side, also for `a, b = value`
  std::string qualified;   // imports: the dotted name it refers to ("torch.nn")
  bool conditional = false;  // under if/for/while/try/with/match within its scope
  bool deferred = false;     // inside a function body: happens when the function is called
  int outer_loop = -1;       // outermost loop around it within its cell or function body
};

struct NameRead {
  std::string name;
  int scope = 0;        // scope the read occurs in
  int cell = 0;
  Span span;
  uint32_t byte = 0;
  bool global = false;       // resolves to the module namespace
  bool at_cell_run = false;  // runs when the cell runs (not deferred in a def/lambda body)
  bool guarded = false;      // inside `try` whose handler catches NameError
  int function = -1;         // enclosing function id
  int outer_loop = -1;       // outermost loop around it within its cell or function body
};

struct Argument {
  std::string keyword;  // empty for positional
  TSNode node{};
  Value value;          // literal value after constant propagation
  bool unpacked = false;  // *args / **kwargs
};

struct Call {
  int id = 0;
  int cell = 0;
  int scope = 0;
  int function = -1;       // enclosing function id, -1 at cell level
  TSNode node{};
  Span span;
  std::string callee;      // as written: "nn.LSTM", "opt.step"
  std::string qualified;   // through imports: "torch.nn.LSTM"; empty when not a module path
  std::string receiver;    // `x.m()` with x a plain name: "x"
  std::string method;      // last attribute of the callee: "step"
  std::vector<Argument> args;
  std::vector<Argument> kwargs;
  bool at_cell_run = false;
  std::vector<int> loops;  // enclosing loop ids, outermost first
  int target_function = -1;  // the notebook function it calls, if any

  const Argument* keyword(std::string_view name) const;
  const Argument* positional(size_t i) const;
  // Positional i, else keyword `name`.
  const Argument* argument(size_t i, std::string_view name) const;
};

struct Loop {
  int id = 0;
  int cell = 0;
  int parent = -1;
  int function = -1;
  TSNode node{};
  bool is_for = true;
};

struct Function {
  int id = 0;
  std::string name;
  int cell = 0;
  int scope = 0;          // the function's own scope
  int enclosing_class = -1;
  TSNode node{};
  std::vector<std::string> params;
  std::vector<int> calls;  // calls in its body (not in nested defs)
  std::vector<int> global_reads;  // reads in its body resolving to the module
};

struct SelfAttribute {
  std::string name;
  int method = -1;
  TSNode value{};
  Span span;
};

struct Class {
  int id = 0;
  std::string name;
  int cell = 0;
  TSNode node{};
  std::vector<std::string> bases;  // qualified where possible, else as written
  std::unordered_map<std::string, int> methods;
  std::vector<SelfAttribute> attributes;
  bool is_nn_module = false;
};

// `out[:, -1, :]`: a subscript of a plain name.
struct Subscript {
  std::string name;
  int cell = 0;
  int scope = 0;
  TSNode node{};
  Span span;
  std::vector<TSNode> indices;
};

// nn.LSTM/GRU/RNN(+Cell) or a Keras LSTM/GRU/SimpleRNN layer, with its stated arguments.
struct RecurrentLayer {
  int call = 0;
  std::string kind;  // "LSTM", "GRU", "RNN", "LSTMCell", "SimpleRNN", ...
  bool keras = false;
  Value input_size, hidden_size, num_layers, batch_first, bidirectional;  // torch (defaults filled in)
  Value stateful;                                                        // Keras (default False)
  std::string name;        // module-level name bound to it
  int cls = -1;            // or `self.<attribute>` of a notebook class
  std::string attribute;
  std::string keras_model;  // Keras: the model variable it was added to, if known
  int keras_model_binding = -1;  // ... and the binding of that variable it belongs to
};

// A method call that runs when a cell runs, directly or inside notebook functions it calls.
struct Effect {
  std::string method;   // "step", "backward", "zero_grad"
  std::string object;   // module-level name of the receiver, "" when local or unknown
  int call = 0;         // where the method call is written
  int entry_call = 0;   // the call in the cell that reaches it (== call when direct)
};

// `model = Net(...)`: a module-level name bound to a newly constructed network.
struct ModelCreation {
  int binding = 0;
  std::string name;
  int cell = 0;
  int call = 0;
  std::string cls;
  int class_id = -1;  // the notebook class constructed, if any
};

// `opt = torch.optim.Adam(model.parameters(), ...)`.
struct OptimizerCreation {
  int binding = 0;
  std::string name;
  int cell = 0;
  int call = 0;
  std::string kind;                 // "torch.optim.Adam"
  std::vector<std::string> models;  // names whose .parameters() it holds
};

struct CellInfo {
  int index = 0;
  bool code = false;
  bool parsed = false;      // Python that tree-sitter parsed
  bool syntax_error = false;
  notebook::PythonSource python;
  python::SyntaxTree tree;
  std::vector<uint32_t> line_starts;  // byte offset of each line of the source
  bool star_import = false;           // `from x import *`
  bool unknown_names = false;         // star import, %run, exec(), globals() writes
  std::vector<int> calls;
  std::vector<int> reads;
  std::vector<int> module_bindings;
  std::vector<Effect> effects;
  std::set<std::string> runtime_reads;  // module names read when the cell runs (incl. called functions)

  bool trains() const;  // runs `.backward()` and `.step()` when executed
};

class Model {
 public:
  const notebook::Notebook& notebook() const { return *nb_; }
  const std::vector<CellInfo>& cells() const { return cells_; }
  const CellInfo& cell(int index) const { return cells_.at(static_cast<size_t>(index - 1)); }
  const ExecutionHistory& history() const { return history_; }

  const std::vector<Scope>& scopes() const { return scopes_; }
  const std::vector<Binding>& bindings() const { return bindings_; }
  const std::vector<NameRead>& reads() const { return reads_; }
  const std::vector<Call>& calls() const { return calls_; }
  const std::vector<Loop>& loops() const { return loops_; }
  const std::vector<Function>& functions() const { return functions_; }
  const std::vector<Class>& classes() const { return classes_; }
  const std::vector<ModelCreation>& model_creations() const { return model_creations_; }
  const std::vector<OptimizerCreation>& optimizer_creations() const { return optimizer_creations_; }
  const std::vector<RecurrentLayer>& recurrent_layers() const { return recurrent_layers_; }
  const std::vector<Subscript>& subscripts() const { return subscripts_; }
  // The value-flow model: what reaches each expression and each recurrent call (interpreter.h).
  const Interpretation& values() const { return *values_; }

  // `Net(...).to(device).train()` -> `Net(...)`: strips calls that return their receiver.
  TSNode unwrap_passthrough(TSNode expr, int cell) const;
  // The call written at this node of a cell, or null.
  const Call* call_for(TSNode node, int cell) const;
  // The recurrent layer a call invokes (`self.lstm(x)`, `rnn(x, h)`), if known.
  const RecurrentLayer* recurrent_layer_called(const Call& call) const;
  // The notebook nn.Module class a name holds an instance of at (cell, byte), or -1.
  int instance_class(const std::string& name, int cell, uint32_t byte) const;
  // Whether a notebook class (or one of its notebook base classes) owns a recurrent layer.
  bool class_has_recurrent(int cls) const;
  // Whether the class's forward() (or a base's) detaches or repackages state.
  bool class_detaches_state(int cls) const;
  // The recurrent layer an expression denotes: `self.lstm`, `lstm`, `model.lstm`; or null.
  const RecurrentLayer* recurrent_layer_of(TSNode expr, int cell, int function) const;
  // The index of a layer in recurrent_layers(), or -1.
  int layer_index(const RecurrentLayer* layer) const;
  // The recurrent layer a call runs: the layer itself, or the first one of the notebook class
  // whose instance is called (`model(x)`); -1 when unknown.
  int layer_reached(const Call& call) const;
  // The recurrent layer the value-flow model's Layer value was built by, or -1.
  int layer_index_of(const AValue& layer) const;
  // The value-flow model's value of the layer built at recurrent_layers()[index], or null.
  Ref layer_value(int index) const;
  // A call into a recurrent layer or into a model whose class owns one.
  bool is_recurrent_call(const Call& call) const;

  // The assignment whose right-hand side is this call (`out, h = lstm(x, h)`), or null.
  TSNode assignment_of(const Call& call) const;
  // Plain names bound by an assignment's targets, flattened: `out, (h, c)` -> out, h, c.
  std::vector<std::string> target_names(TSNode assignment, int cell) const;
  // Plain names in an expression that is a name or a tuple of names: `(h, c)` -> h, c.
  std::vector<std::string> tuple_names(TSNode expr, int cell) const;
  // Whether a name is bound to an optimizer (`opt = torch.optim.Adam(...)`) anywhere.
  bool is_optimizer_name(const std::string& name) const;
  // k for `x.size(k)`, `x.shape[k]` or `x.size()[k]` on the given name; -1 otherwise.
  int dimension_of(TSNode expr, int cell, const std::string& tensor) const;

  bool in_loop(const Call& call, int loop) const;
  bool in_loop(const Binding& binding, int loop) const;
  // Whether the loop's body calls `.method()`, directly or through notebook functions it calls.
  bool loop_calls(int loop, std::string_view method) const;
  bool function_calls(int function, std::string_view method, int depth = 0) const;

  // Module-level bindings of a name, in notebook (top-down) order.
  const std::vector<int>& module_bindings(const std::string& name) const;
  // The module-level binding a top-down run would see at (cell, byte), if any.
  const Binding* reaching_binding(const std::string& name, int cell, uint32_t byte) const;
  // Dotted module path an expression refers to through imports ("torch.nn.LSTM"), or "".
  std::string qualify(TSNode expr, int cell, int scope) const;
  // Literal value of an expression, following names assigned literals.
  Value value_of(TSNode expr, int cell, int scope) const;

  Span span_of(TSNode node, int cell) const;
  std::string_view text_of(TSNode node, int cell) const;
  // Source line (1-based) of a cell, without the newline.
  std::string_view line_text(int cell, int line) const;

  static bool is_builtin(std::string_view name);
  // Whether a name read in this scope is a function's local or parameter, not a module name.
  bool is_local(const std::string& name, int scope) const { return resolve_local(name, scope) > 0; }

 private:
  friend class Builder;
  Value value_of_depth(TSNode expr, int cell, int scope, int depth) const;
  Value name_value(const std::string& name, int cell, int scope, uint32_t byte, int depth) const;
  int resolve_local(const std::string& name, int scope) const;  // binding scope id or -1 for module

  const notebook::Notebook* nb_ = nullptr;
  std::vector<CellInfo> cells_;
  ExecutionHistory history_;
  std::vector<Scope> scopes_;
  std::vector<Binding> bindings_;
  std::vector<NameRead> reads_;
  std::vector<Call> calls_;
  std::vector<Loop> loops_;
  std::vector<Function> functions_;
  std::vector<Class> classes_;
  std::vector<ModelCreation> model_creations_;
  std::vector<OptimizerCreation> optimizer_creations_;
  std::vector<RecurrentLayer> recurrent_layers_;
  std::vector<Subscript> subscripts_;
  std::unique_ptr<Interpretation> values_;
  std::unordered_map<std::string, std::vector<int>> module_index_;
  std::map<std::tuple<int, uint32_t, uint32_t>, int> call_index_;  // (cell, start, end) -> call id
};

// Parses every code cell once and builds the model. The notebook must outlive the model.
std::unique_ptr<Model> build_model(const notebook::Notebook& nb, python::Parser& parser);

}  // namespace lstmlint::semantic
