// input-size-mismatch: the layer's input_size differs from the stated last axis of its input,
// followed through names, loop re-bindings and a loader's TensorDataset.
#include "engine/registry.h"
#include "replay/spec.h"
#include "semantic/data_flow.h"
#include "semantic/shapes.h"

namespace lstmlint::rules {
namespace {

using semantic::Call;
using semantic::Model;

// The last axis of a loader's batches: that of the dataset's first tensor.
std::optional<long long> batch_last_dim(const Model& model, const semantic::LoaderLoop& use) {
  const auto* dataset = use.loader->argument(0, "dataset");
  if (!dataset || dataset->unpacked) return std::nullopt;
  TSNode d = dataset->node;
  int cell = use.loader->cell;
  if (python::is(d, "identifier")) {
    const auto* b = model.reaching_binding(std::string(model.text_of(d, cell)), cell, ts_node_start_byte(d));
    if (!b || b->conditional || python::null(b->value)) return std::nullopt;
    d = b->value;
    cell = b->cell;
  }
  const Call* c = model.call_for(d, cell);
  if (!c || c->qualified.find("TensorDataset") == std::string::npos || c->args.empty()) return std::nullopt;
  auto rank = semantic::rank_of(model, c->args[0].node, cell, 0);
  if (!rank || *rank < 2) return std::nullopt;  // items without a feature axis
  return semantic::last_dim_of(model, c->args[0].node, cell, 0);
}

}  // namespace

void check_input_size_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const Model& model = ctx.model;
  auto loops = semantic::loader_loops(model);
  for (const Call& c : model.calls()) {
    const auto* layer = model.recurrent_layer_called(c);
    if (!layer || layer->keras || c.args.empty() || c.args[0].unpacked) continue;
    auto input_size = layer->input_size.as_int();
    if (!input_size) continue;
    TSNode input = c.args[0].node;
    std::optional<long long> features;
    std::string evidence;
    if (python::is(input, "identifier")) {
      std::string name(model.text_of(input, c.cell));
      for (const auto& use : loops) {
        if (use.cell != c.cell || !model.in_loop(c, use.loop)) continue;
        TSNode value;
        if (semantic::rebound_in_loop(model, name, use.loop, use.scope, ts_node_start_byte(c.node), value)) {
          input = value;  // null when unknown: nothing is reported
        } else if (name == use.batch) {
          features = batch_last_dim(model, use);
          evidence = "each batch of `" + std::string(model.text_of(use.loader->args.empty() ? use.loader->node : use.loader->args[0].node, use.loader->cell)) + "`";
        }
      }
    }
    if (!features) {
      features = semantic::last_dim_of(model, input, c.cell, c.scope);
      evidence = "`" + std::string(model.text_of(input, c.cell)) + "`";
    }
    if (!features || *features == *input_size) continue;
    std::string layer_name = layer->name.empty() ? "self." + layer->attribute : layer->name;
    engine::ReplayHint hint;
    hint.layer = replay::layer_index(model, layer);
    hint.facts.push_back(engine::Fact::integer("data_features", *features, model.span_of(c.args[0].node, c.cell)));
    out.report(model.span_of(c.args[0].node, c.cell),
               "`" + layer_name + "` was built with input_size=" + std::to_string(*input_size) + ", but " + evidence +
                   " has " + std::to_string(*features) + " features in its last axis: the call raises "
                   "`input.size(-1) must be equal to input_size. Expected " + std::to_string(*input_size) + ", got " +
                   std::to_string(*features) + "`",
               "Build the layer with input_size=" + std::to_string(*features) +
                   " (the number of features per time step), or reshape the input so its last axis holds the features",
               std::move(hint));
  }
}

}  // namespace lstmlint::rules
