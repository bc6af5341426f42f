// input-size-mismatch: the features per time step that reach a recurrent layer differ from the
// input_size it was built with. Both come from the value-flow model, so sizes passed through
// constructors, config dicts, helpers and loaders are seen.
#include <set>

#include "engine/registry.h"

namespace lstmlint::rules {

void check_input_size_mismatch(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  std::set<std::pair<int, const void*>> reported;
  for (const auto& ev : model.values().recurrent_calls()) {
    if (ev.guarded) continue;  // the notebook expects the error
    const auto& layer = ev.layer;
    auto input_size_value = layer->field("input_size");
    auto input_size = input_size_value ? input_size_value->as_int() : std::nullopt;
    const auto& x = ev.input;
    if (!input_size || !x || x->kind != semantic::AValue::Kind::Tensor || !x->ranked || x->shape.size() < 2) continue;
    auto features = x->shape.back().size;
    if (!features || *features == *input_size) continue;
    const semantic::Call* call = model.call_for(ev.node, ev.cell);
    if (!call || call->args.empty() || call->args[0].unpacked) continue;
    if (!reported.insert({ev.cell, ev.node.id}).second) continue;
    TSNode arg = call->args[0].node;
    std::string shape = "(";
    for (size_t i = 0; i < x->shape.size(); ++i)
      shape += (i ? ", " : "") + (x->shape[i].size ? std::to_string(*x->shape[i].size) : std::string("?"));
    shape += ")";
    std::string why = x->shape.back().origin.known() ? x->shape.back().origin.text(model) : x->shape.back().why;
    std::string from = why.empty() || why == std::to_string(*features) ? "" : " (`" + why + "`)";
    engine::ReplayHint hint;
    hint.layer = model.layer_index_of(*layer);
    hint.facts.push_back(engine::Fact::integer("data_features", *features, model.span_of(arg, ev.cell)));
    hint.facts.push_back(engine::Fact::integer("input_size", *input_size, input_size_value->origin.known() ? input_size_value->origin.span(model) : layer->origin.span(model)));
    std::string built = semantic::stated(model, input_size_value, semantic::argument_origin(layer, "input_size"));
    out.report(model.span_of(arg, ev.cell),
               "`" + layer->origin.text(model) + "` (" + layer->origin.where() + ") was built with input_size=" + built +
                   ", but `" + std::string(model.text_of(arg, ev.cell)) + "` reaches it with shape " + shape + ": " +
                   std::to_string(*features) + from + " features per time step; the call raises "
                   "`input.size(-1) must be equal to input_size. Expected " + std::to_string(*input_size) + ", got " +
                   std::to_string(*features) + "`",
               "Build the layer with input_size=" + std::to_string(*features) +
                   " (the number of features per time step), or reshape the input so its last axis holds the features",
               std::move(hint));
  }
}

}  // namespace lstmlint::rules
