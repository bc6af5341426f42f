// batch-first-mismatch: a recurrent layer reads its batch on another axis than the one the
// data holds it on. Two views: the value-flow model follows the loader's batch axis (through
// helpers, methods, permute and transpose) to the recurrent call and compares it with where
// the layer reads it; and the output of a layer built without batch_first=True, which is
// (time, batch, hidden), indexed as if it were (batch, time, hidden): `out[:, -1]`.
#include <set>

#include "engine/registry.h"
#include "fix/edits.h"

namespace lstmlint::rules {
namespace {

using semantic::Call;
using semantic::Model;
using semantic::RecurrentLayer;

// `batch_first=True` in the layer's constructor: replaces a literal `batch_first=False`, or
// adds the keyword after the last argument. Nothing for `**kwargs` or a name holding False.
std::optional<engine::Fix> batch_first_fix(const Model& model, const RecurrentLayer& layer, bool safe) {
  const Call& ctor = model.calls()[static_cast<size_t>(layer.call)];
  for (const auto* list : {&ctor.args, &ctor.kwargs})
    for (const auto& a : *list)
      if (a.unpacked) return std::nullopt;
  std::string description = "Build `" + std::string(model.text_of(python::field(ctor.node, "function"), ctor.cell)) +
                            "(...)` with `batch_first=True`";
  if (const auto* given = ctor.keyword("batch_first")) {
    if (model.text_of(given->node, ctor.cell) != "False") return std::nullopt;
    return engine::Fix{description, safe, {fix::replace_node(given->node, ctor.cell, "True")}};
  }
  if (ctor.args.size() >= 5) return std::nullopt;  // batch_first given positionally (the 5th)
  TSNode arguments = python::field(ctor.node, "arguments");
  auto items = python::named_children(arguments);
  while (!items.empty() && python::is(items.back(), "comment")) items.pop_back();
  if (items.empty()) return std::nullopt;
  uint32_t at = ts_node_end_byte(items.back());
  return engine::Fix{description, safe, {engine::Edit{ctor.cell, at, at, ", batch_first=True"}}};
}

// Whether every output of `layer` is visible and none is indexed time-first: then adding
// `batch_first=True` changes only how the layer reads its input (its state h_n keeps its
// layout). An output bound to a single name, returned or passed on unseen, or indexed like
// `out[-1]` (which means the last step while the layer is time-major) makes the fix unsafe.
bool outputs_allow_batch_first(const Model& model, const RecurrentLayer& layer) {
  for (const auto& c : model.calls()) {
    if (model.recurrent_layer_called(c) != &layer) continue;
    TSNode assignment = model.assignment_of(c);
    if (python::null(assignment) || !python::is(python::field(assignment, "left"), "pattern_list")) return false;
    auto targets = model.target_names(assignment, c.cell);
    if (targets.empty()) return false;
    const std::string& output = targets.front();
    uint32_t after = ts_node_end_byte(assignment);
    for (const auto& s : model.subscripts()) {
      if (s.cell != c.cell || s.scope != c.scope || s.name != output || ts_node_start_byte(s.node) < after) continue;
      if (s.indices.empty() || !python::is(s.indices[0], "slice") || model.text_of(s.indices[0], c.cell) != ":")
        return false;
    }
  }
  return true;
}

// The value-flow view: the loader's batch axis is followed through permute/transpose,
// helpers and methods to the recurrent call, and compared with where the layer reads it.
void check_batch_axis(const engine::Context& ctx, engine::Diagnostics& out, std::set<const RecurrentLayer*>& reported) {
  const Model& model = ctx.model;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (ev.guarded || !ev.input || ev.input->kind != semantic::AValue::Kind::Tensor || !ev.input->ranked ||
        ev.input->shape.size() != 3)
      continue;
    auto bf = ev.layer->field("batch_first");
    auto batch_first = bf ? bf->as_bool() : std::nullopt;
    if (!batch_first) continue;
    const auto& shape = ev.input->shape;
    size_t reads = *batch_first ? 0 : 1, holds = *batch_first ? 1 : 0;
    if (!shape[holds].batch || shape[reads].batch) continue;
    // A singleton where the layer reads the batch: one sequence made of the loader's samples,
    // which is shuffled-timesteps' finding when the samples are single steps.
    if (shape[reads].size == 1) continue;
    int index = model.layer_index_of(*ev.layer);
    const RecurrentLayer* layer = index >= 0 ? &model.recurrent_layers()[static_cast<size_t>(index)] : nullptr;
    if (!layer || reported.count(layer)) continue;
    // Reported where the input enters: `model(xb)` in the training loop when forward passes
    // its argument on unchanged, else the layer's own call.
    int cell = ev.input_cell;
    TSNode input = ev.input_entry;
    if (python::null(input)) continue;
    reported.insert(layer);
    std::string layer_name = layer->name.empty() ? "self." + layer->attribute : layer->name;
    std::string arg(model.text_of(input, cell));
    engine::ReplayHint hint;
    hint.layer = index;
    hint.facts.push_back(engine::Fact::text("data_layout", *batch_first ? "time_batch_feature" : "batch_time_feature",
                                            model.span_of(input, cell)));
    std::string batch = shape[holds].why.empty() ? std::string("its first axis") : shape[holds].why;
    std::string misread = "the layer runs over the samples as if they were time steps, and each sample's steps are "
                          "mixed with the other samples of the batch";
    if (*batch_first) {
      out.report(model.span_of(input, cell),
                 "`" + layer_name + "` is built with batch_first=True, so it reads axis 0 of `" + arg +
                     "` as the batch, but the batch of the loader (" + batch + ") reaches it on axis 1: " + misread,
                 "Pass the batch as the first axis (drop the permute/transpose), or build the layer with "
                 "`batch_first=False`",
                 std::move(hint));
      continue;
    }
    engine::Finding& finding =
        out.report(model.span_of(input, cell),
                   "`" + arg + "` is (batch, time, feature): the loader (" + batch +
                       ") stacks its items on a new first axis — but `" + layer_name +
                       "` is built without `batch_first=True`, so it reads axis 0 as time: " + misread,
                   "Build the layer with `batch_first=True`, or pass `" + arg + ".transpose(0, 1)`", std::move(hint));
    // Safe when no use of the output depends on it being time-major: the input is known to be
    // (batch, time, feature) from the loader.
    finding.fix = batch_first_fix(model, *layer, outputs_allow_batch_first(model, *layer));
  }
}

// `out[:, -1]` of a (time, batch, hidden) output, as the value-flow model saw it.
void check_time_major_index(const engine::Context& ctx, engine::Diagnostics& out, std::set<const RecurrentLayer*>& reported) {
  const Model& model = ctx.model;
  for (const auto& e : model.values().time_major_indexing()) {
    int index = model.layer_index_of(*e.layer);
    const RecurrentLayer* layer = index >= 0 ? &model.recurrent_layers()[static_cast<size_t>(index)] : nullptr;
    if (!layer || layer->keras) continue;
    reported.insert(layer);
    std::string layer_name = layer->name.empty() ? "self." + layer->attribute : layer->name;
    std::string output(model.text_of(python::field(e.node, "value"), e.cell));
    Span span = model.span_of(e.node, e.cell);
    engine::ReplayHint hint;
    hint.layer = index;
    hint.facts.push_back(engine::Fact::text("data_layout", "batch_time_feature", span, "assumed by `[:, -1]`"));
    engine::Finding& finding = out.report(span,
               "`" + layer_name + "` is built without `batch_first=True`, so `" + output +
                   "` is (time, batch, hidden): `" + std::string(model.text_of(e.node, e.cell)) +
                   "` takes the last sample of the batch at every time step, not the last time step of each sample",
               "Index the time axis first (`" + output + "[-1]`), or build the layer with `batch_first=True` and "
               "feed it (batch, time, feature) tensors",
               std::move(hint));
    // Unsafe: only the output's indexing is known; the layer will read its input batch-first too.
    finding.fix = batch_first_fix(model, *layer, false);
  }
}

}  // namespace

void check_batch_first_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  std::set<const RecurrentLayer*> reported;
  check_time_major_index(ctx, out, reported);
  check_batch_axis(ctx, out, reported);
}

}  // namespace lstmlint::rules
