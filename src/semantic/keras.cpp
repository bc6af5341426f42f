// Keras stateful-model facts, linked through bindings so a reused name (`model`) does not
// attribute one model's stateful layer to another model's fit().
#include "semantic/keras.h"

namespace lstmlint::semantic {

std::set<int> stateful_keras_models(const Model& model) {
  std::set<int> models;
  for (const auto& r : model.recurrent_layers())
    if (r.keras && r.stateful.as_bool() == true && r.keras_model_binding >= 0) models.insert(r.keras_model_binding);
  return models;
}

std::vector<const Call*> fit_calls(const Model& model, const std::set<int>& model_bindings) {
  std::vector<const Call*> out;
  for (const auto& c : model.calls()) {
    if (c.method != "fit" || c.receiver.empty()) continue;
    const Binding* b = model.reaching_binding(c.receiver, c.cell, ts_node_start_byte(c.node));
    if (b && model_bindings.count(b->id)) out.push_back(&c);
  }
  return out;
}

}  // namespace lstmlint::semantic
