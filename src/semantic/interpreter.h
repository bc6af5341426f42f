// The value-flow model: an abstract interpreter over the code cells in run order. It follows
// values through names, calls of notebook functions and methods (arguments bound per call
// site), classes and their `self.attr` state, containers, loops over loaders and ranges, and
// the torch / numpy calls that LSTM notebooks make, and records what reaches each expression
// and each recurrent-layer call. Unknown stays unknown: nothing is guessed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "notebook/location.h"
#include "semantic/values.h"

#include <tree_sitter/api.h>

namespace lstmlint::semantic {

class Model;
struct AValue;
using Ref = std::shared_ptr<const AValue>;

// Where a value was stated: the expression that wrote it (a literal, a call). Kept as the node;
// its span and text are computed only when a message needs them.
struct Origin {
  int cell = 0;
  TSNode node{};
  std::string note;  // said instead of the node's text (a derived size: "batch_size=64 of ...")
  bool known() const { return cell > 0 && !ts_node_is_null(node); }
  int line() const { return known() ? static_cast<int>(ts_node_start_point(node).row) + 1 : 0; }
  std::string where() const;  // "cell 3:2"
  Span span(const Model& model) const;
  std::string text(const Model& model) const;  // the expression as written, shortened; or the note
};

// One axis of a tensor: a known size, or unknown. `why` explains where a known size came from
// when that is not the literal itself ("batch_size=64 of the loader in cell 3").
struct Dim {
  std::optional<long long> size;
  std::string why;
  Origin origin;  // the argument that states it (`torch.zeros(L, BATCH, H)`), when one does
  bool batch = false;  // the axis a DataLoader stacked its items on; moves with permute/transpose
  // The axis a recurrent layer ran its steps over, in its output: the layer value (moves with
  // permute/transpose as `batch` does).
  const AValue* time_of = nullptr;
};

// Mutable storage shared by every reference to one list, dict or object (Python aliasing).
struct Store {
  std::vector<Ref> items;             // lists: items in order while `exact`
  bool exact = true;                  // false once items were added where the count is unknown
  Ref element;                        // join of all items ever held (lists)
  std::map<std::string, Ref> fields;  // dicts (by key repr) and object attributes (by name)
  std::map<std::string, Origin> written;  // where each field was last written
};

struct AValue {
  enum class Kind {
    Unknown, Const, Tuple, List, Dict, Range, Tensor, Module, Function, Class, Instance, Layer, Loader,
    Dataset, Bound, Partial, Super
  };
  Kind kind = Kind::Unknown;
  Value constant;           // Const
  int sym = 0;              // Unknown ints: symbol + offset (`i + 30` in a loop over i)
  long long offset = 0;
  std::vector<Ref> items;   // Tuple items; Dataset tensors; Range (start, stop, step); Partial args
  std::shared_ptr<Store> store;  // List, Dict, Instance, Layer/Loader attributes
  // Tensor
  std::vector<Dim> shape;
  bool ranked = false;
  int graph = -1;           // -1 no recurrent graph; >= 0 backward() calls before it was produced; -2 unknown
  int chain = 0;            // recurrent state: which run of state it continues (0: none)
  // Data provenance: 1 the whole data set as loaded; 2 a leading part of it (`x[:n]`, the
  // training side of a split); 3 a trailing part (`x[n:]`, the test side); 0 not known.
  int part = 0;
  int fitted = 0;           // derives from the output of scaler_fits()[fitted - 1], fit on the whole data
  const void* stat_of = nullptr;  // a statistic (mean, std, min, max, var) of this value
  int manual_fit = 0;       // `x - x.mean()`: the hand-written scaler fit it is the first step of
  Origin graph_origin;      // the recurrent call that produced it
  bool windowed = false;    // windows cut from one series
  // Made by a view/reshape that put the input's axes 0 and 1 in each other's place without
  // moving the data (`x.view(T, B, F)` of a (B, T, F) tensor): the site, and the sizes swapped.
  Origin swapped;
  std::string swapped_why;  // "(32, 30, 10) viewed as (30, 32, 10)"
  // Module/Layer/Loader: qualified name ("torch.nn.LSTM"); Layer: kind ("LSTM")
  std::string qualified;
  std::string kind_name;
  int function = -1;        // Function, Bound
  int cls = -1;             // Class, Instance, Super
  Ref self;                 // Bound, Super; Partial: the callee
  std::map<std::string, Ref> kwargs;  // Partial
  Origin origin;

  bool known_const() const { return kind == Kind::Const && constant.known(); }
  std::optional<long long> as_int() const { return kind == Kind::Const ? constant.as_int() : std::nullopt; }
  std::optional<bool> as_bool() const { return kind == Kind::Const ? constant.as_bool() : std::nullopt; }
  // A layer's or loader's field (`input_size`, `batch_size`), or null.
  Ref field(const std::string& name) const;
  std::string repr(int depth = 0) const;  // for `lstm-lint debug values`
};

// A call into a torch recurrent layer, with the values that reached it.
struct RecurrentCall {
  int cell = 0;
  TSNode node{};          // the call as written (`self.lstm(x, self.hidden)`)
  Ref layer;              // the Layer value
  Ref input;              // first argument
  Ref state;              // hx, or null when none was passed
  TSNode state_node{};    // the state argument at this call, or null
  // Where the state entered from the outermost frame that passed it as an argument
  // (`model(x, hidden)` in the training loop), else the state argument here.
  int state_cell = 0;
  TSNode state_entry{};
  // Where the input entered, found the same way (`model(xb)` in the loop, for `self.gru(x)`).
  int input_cell = 0;
  TSNode input_entry{};
  bool stale_state = false;   // attached to a graph that a backward() has already freed
  // Attached to a graph that only backward(retain_graph=True) calls have run through: it is
  // kept, and every later backward() runs through all earlier batches.
  bool retained_state = false;
  Origin stale_origin;        // the recurrent call that produced that graph (stale or retained)
  bool last_batch = false;    // during the loader's last, smaller batch
  bool guarded = false;       // inside `try` whose handler catches the error a mismatch raises
  std::string batch_why;      // how the input's batch was determined, when from a loader
  std::vector<Origin> stack;  // the notebook calls that led here, outermost first
  // The loops running around the call, outermost first: (loop node, abstract iteration 0 or 1).
  std::vector<std::pair<const void*, int>> loops;
  int chain = 0;  // the run of state this call continues; its start is chain_starts()[chain]
};

// `out[:, -1]` (or `out[:, -1, :]`) of a recurrent output whose axis 0 is time and axis 1 is
// not: the last item of the batch at every step, where the last step of each sample was meant.
struct TimeMajorIndex {
  int cell = 0;
  TSNode node{};  // the subscript
  Ref layer;      // the layer whose output it indexes
};

// `scaler.fit(data)` / `fit_transform(data)`: whether the data was the whole data set.
struct ScalerFitEvent {
  int cell = 0;
  TSNode node{};  // the fit call, or the hand-written normalisation
  bool whole = false;
  TSNode data{};  // what it was fit on, as written
};

// A value derived from a scaler fit on the whole data, split afterwards.
struct LeakingSplit {
  int fit = 0;    // index into scaler_fits()
  int cell = 0;
  TSNode node{};  // the slice or train_test_split call that splits it
};

// Where a run of recurrent state began: the first call it was fed to, and the loops around it.
struct StateChain {
  int cell = 0;
  TSNode entry{};  // the state argument as written where the run began
  Ref initial;     // the state value fed first (None, zeros, ...)
  std::vector<std::pair<const void*, int>> loops;
};

// `model.fit(...)` on a Keras model the interpreter built (`Sequential`, `.add`, through
// functions that build and return it).
struct KerasFit {
  int cell = 0;
  TSNode node{};    // the fit call
  Ref model;        // the Keras model value
  Ref x;            // what it is fed (first argument or x=)
  Origin stateful;  // the constructor of a stateful recurrent layer of the model, when one is
  Origin shuffled;  // x is a tf.data pipeline shuffled there (`.shuffle(...)`, shuffle=True)
};

struct InterpreterBudget {
  int max_call_depth = 8;
  int max_loop_depth = 4;
  long long max_steps = 400000;   // statements and expressions evaluated per notebook
  size_t max_literal_items = 512; // larger literals: length known, items not evaluated
  size_t max_rank = 8;
};

class Interpretation {
 public:
  // The value an expression had, joined over every time the interpreter evaluated it;
  // null when it was never evaluated.
  Ref value_of(TSNode node, int cell) const;
  const std::vector<RecurrentCall>& recurrent_calls() const { return recurrent_calls_; }
  const StateChain& chain(int id) const { return chains_.at(static_cast<size_t>(id)); }
  const std::vector<ScalerFitEvent>& scaler_fits() const { return scaler_fits_; }
  const std::vector<LeakingSplit>& leaking_splits() const { return leaking_splits_; }
  const std::vector<KerasFit>& keras_fits() const { return keras_fits_; }
  const std::vector<TimeMajorIndex>& time_major_indexing() const { return time_major_indexing_; }
  // Module-level names bound in each cell, with their values after the cell ran.
  const std::vector<std::pair<std::string, Ref>>& cell_names(int cell) const;
  bool exhausted() const { return exhausted_; }  // a budget ran out somewhere
  long long steps() const { return steps_; }

 private:
  friend class Interpreter;
  struct NodeKey {
    int cell;
    const void* id;
    bool operator==(const NodeKey& o) const { return cell == o.cell && id == o.id; }
  };
  struct NodeHash {
    size_t operator()(const NodeKey& k) const { return std::hash<const void*>()(k.id) ^ static_cast<size_t>(k.cell); }
  };
  std::unordered_map<NodeKey, Ref, NodeHash> values_;
  std::vector<RecurrentCall> recurrent_calls_;
  std::vector<StateChain> chains_{StateChain{}};  // 0: no chain
  std::vector<ScalerFitEvent> scaler_fits_;
  std::vector<LeakingSplit> leaking_splits_;
  std::vector<KerasFit> keras_fits_;
  std::vector<TimeMajorIndex> time_major_indexing_;
  std::vector<std::vector<std::pair<std::string, Ref>>> cell_names_;
  bool exhausted_ = false;
  long long steps_ = 0;
};

// Runs the interpreter over a built model's cells (called by build_model).
std::unique_ptr<Interpretation> interpret(const Model& model, const InterpreterBudget& budget = {});

// How a rule names a known value: "8 (`cfg['n_features']` in cell 1:2)"; the literal alone when
// it is written where it is used.
std::string stated(const Model& model, const Ref& value, const Origin& argument = {});
// The origin of a layer's or loader's hyper-parameter as written in its constructor call.
Origin argument_origin(const Ref& layer, const std::string& field);

// Joins two abstract values (what either path may hold): equal parts kept, the rest unknown.
Ref join(const Ref& a, const Ref& b);

}  // namespace lstmlint::semantic
