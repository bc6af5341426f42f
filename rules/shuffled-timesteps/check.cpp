// shuffled-timesteps: a shuffling DataLoader over a dataset whose items are single timesteps,
// whose batches the loop then regroups into a time axis for a recurrent layer.
// Items with a time axis (windows, sequences) are shuffled correctly and stay silent.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "engine/registry.h"
#include "fix/edits.h"
#include "semantic/data_flow.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {
namespace {

using semantic::Call;
using semantic::Model;

// The dataset's items' rank: TensorDataset(X, ...) items are X without its first axis.
std::optional<int> item_rank(const Model& model, const Call& loader, std::string& evidence,
                             std::optional<long long>& item_size) {
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
  TSNode tensor = d;
  if (const Call* c = model.call_for(d, cell);
      c && (c->qualified == "torch.utils.data.TensorDataset" || c->qualified == "torch.utils.data.dataset.TensorDataset")) {
    if (c->args.empty() || c->args[0].unpacked) return std::nullopt;
    tensor = c->args[0].node;
  }
  auto rank = semantic::rank_of(model, tensor, cell, 0);
  if (!rank || *rank < 1) return std::nullopt;
  // (N, L) windows of a univariate series also have rank 2: their items are sequences.
  if (semantic::is_windowed(model, tensor, cell, 0)) return std::nullopt;
  item_size = *rank == 2 ? semantic::last_dim_of(model, tensor, cell, 0) : std::optional<long long>(1);
  evidence = "`" + std::string(model.text_of(tensor, cell)) + "` has " + std::to_string(*rank) +
             (*rank == 1 ? " axis" : " axes") + ", so each item is one time step";
  return *rank - 1;
}

bool literal_one(const Model& model, TSNode arg, int cell, int scope) {
  auto v = model.value_of(arg, cell, scope).as_int();
  return v && *v == 1;
}

// Whether a reshape of a (batch, item) batch puts several items on the recurrent layer's
// time axis. Batch-first: (samples, time, features) keeps samples apart when time x features
// equals the item size; time-major: time is outermost, so any time axis above 1 mixes items.
bool regroups_into_time(const Model& model, const Call& reshape, bool batch_first, std::optional<long long> item_size,
                        int items) {
  size_t time_axis = batch_first ? 1 : 0;
  if (reshape.method == "unsqueeze") {
    const auto* dim = reshape.argument(0, "dim");
    auto d = dim ? model.value_of(dim->node, reshape.cell, reshape.scope).as_int() : std::nullopt;
    if (!d) return false;
    // Scalar items: (B,).unsqueeze(-1) is (B, 1), which PyTorch reads as one unbatched sequence.
    if (items == 0) return *d == -1 || *d == 1;
    // (B, F).unsqueeze(0) -> (1, B, F); unsqueeze(1) -> (B, 1, F): the batch lands on the
    // other axis, which is time when it is not the batch axis.
    return batch_first ? *d == 0 : *d == 1;
  }
  if (reshape.args.size() != 3 || reshape.args[time_axis].unpacked) return false;
  if (!batch_first) return !literal_one(model, reshape.args[0].node, reshape.cell, reshape.scope);
  if (literal_one(model, reshape.args[0].node, reshape.cell, reshape.scope)) return true;  // all items, one sequence
  auto time = model.value_of(reshape.args[1].node, reshape.cell, reshape.scope).as_int();
  auto features = model.value_of(reshape.args[2].node, reshape.cell, reshape.scope).as_int();
  if (!item_size || !time || !features || *time <= 0 || *features <= 0) return false;  // not provable
  return *time * *features > *item_size;
}

bool layer_batch_first(const Model& model, const Call& call, bool& known) {
  const semantic::RecurrentLayer* layer = model.recurrent_layer_called(call);
  if (!layer && call.receiver.empty()) {
    int cls = model.instance_class(call.callee, call.cell, ts_node_start_byte(call.node));
    for (const auto& r : model.recurrent_layers())
      if (cls >= 0 && r.cls == cls) layer = &r;
  }
  known = layer && !layer->keras && layer->batch_first.as_bool().has_value();
  return known && *layer->batch_first.as_bool();
}

}  // namespace

void check_shuffled_timesteps(const engine::Context& ctx, engine::Diagnostics& out) {
  const Model& model = ctx.model;
  // One finding per loader, however many loops use it: the other loops that regroup its
  // batches the same way are the finding's related locations.
  struct Hit {
    const Call* loader;
    const Call* call;  // the recurrent call that receives the regrouped batch
    std::string how, evidence, batch;
    const semantic::Argument* shuffle;
  };
  std::vector<Hit> hits;
  std::map<int, std::vector<const Call*>> more;  // loader id -> recurrent calls of later loops
  for (const auto& use : semantic::loader_loops(model)) {
    const Call& loader = *use.loader;
    const auto* shuffle = loader.keyword("shuffle");
    if (!shuffle || shuffle->value.as_bool() != true) continue;
    std::string evidence;
    std::optional<long long> item_size;
    auto items = item_rank(model, loader, evidence, item_size);
    if (!items || *items > 1) continue;  // unknown, or windows/sequences: shuffling them is right
    for (const Call& c : model.calls()) {
      if (c.cell != use.cell || !model.in_loop(c, use.loop) || !model.is_recurrent_call(c) || c.args.empty()) continue;
      bool known = false;
      bool batch_first = layer_batch_first(model, c, known);
      if (!known) continue;
      TSNode input = c.args[0].node;
      std::string how;
      if (python::is(input, "identifier")) {
        std::string name(model.text_of(input, c.cell));
        TSNode value;
        if (!semantic::rebound_in_loop(model, name, use.loop, use.scope, ts_node_start_byte(c.node), value)) {
          // The (batch, feature) batch itself: PyTorch reads a 2-D input as one unbatched sequence.
          if (name == use.batch && *items == 1) how = "is passed as one (time, feature) sequence";
        } else {
          input = value;  // null when unknown: nothing is reported
        }
      }
      if (how.empty() && python::is(input, "call")) {
        const Call* r = model.call_for(input, c.cell);
        if (r && r->receiver == use.batch && (r->method == "view" || r->method == "reshape" || r->method == "unsqueeze") &&
            regroups_into_time(model, *r, batch_first, item_size, *items))
          how = "is regrouped into a time axis by `" + std::string(model.text_of(r->node, r->cell)) + "`";
      }
      if (how.empty()) continue;
      bool first = std::none_of(hits.begin(), hits.end(), [&](const Hit& h) { return h.loader->id == loader.id; });
      if (first) hits.push_back({&loader, &c, how, evidence, use.batch, shuffle});
      else more[loader.id].push_back(&c);
      break;
    }
  }
  for (const Hit& h : hits) {
    const Call& loader = *h.loader;
    const Call& c = *h.call;
    engine::ReplayHint hint;
    hint.layer = model.layer_reached(c);
    hint.loader = loader.id;
    hint.facts.push_back(engine::Fact::text("regroup", h.how.rfind("is passed", 0) == 0 ? "batch_as_sequence" : "view",
                                            model.span_of(c.args[0].node, c.cell)));
    TSNode keyword = ts_node_parent(h.shuffle->node);
    engine::Finding& finding = out.report(
        model.span_of(python::is(keyword, "keyword_argument") ? keyword : h.shuffle->node, loader.cell),
        "this loader shuffles single time steps: " + h.evidence + ", and each batch `" + h.batch + "` " + h.how +
            " before `" + c.callee + "(...)` (cell " + std::to_string(c.cell) +
            "): the recurrent layer sees the series in random order and cannot learn its dynamics",
        "Cut the series into windows first (e.g. `series.unfold(0, seq_len, 1)`) and shuffle the windows, "
        "or keep `shuffle=False` for a loader of consecutive time steps",
        std::move(hint));
    // Only a literal `True` is edited: a name that holds True may be used elsewhere too.
    if (model.text_of(h.shuffle->node, loader.cell) == "True")
      finding.fix = engine::Fix{"Replace `shuffle=True` with `shuffle=False`", true,
                                {fix::replace_node(h.shuffle->node, loader.cell, "False")}};
    for (const Call* again : more[loader.id])
      out.relate(finding, model.span_of(again->args[0].node, again->cell),
                 "another loop feeds this loader's shuffled time steps to `" + again->callee + "(...)` here");
  }
}

}  // namespace lstmlint::rules
