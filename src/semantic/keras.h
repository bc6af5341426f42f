// Keras facts shared by the stateful rules: which models hold a stateful recurrent layer,
// and the fit() calls that train exactly those models.
#pragma once

#include <set>
#include <vector>

#include "semantic/model.h"

namespace lstmlint::semantic {

// Bindings of model variables (`model = Sequential([...])`, or the variable `.add()` was
// called on) whose model contains a stateful Keras RNN layer.
std::set<int> stateful_keras_models(const Model& model);

// `m.fit(...)` calls whose receiver, at that point of a top-down run, is one of those bindings.
std::vector<const Call*> fit_calls(const Model& model, const std::set<int>& model_bindings);

}  // namespace lstmlint::semantic
