// Tensor ranks where the notebook states them: literal constructors, view/reshape, unsqueeze,
// unfold, slices, element-wise maths, conversions, and names bound to any of those.
#pragma once

#include <optional>

#include "semantic/model.h"

namespace lstmlint::semantic {

// The number of axes of the value of an expression, or nullopt when the notebook does not say.
std::optional<int> rank_of(const Model& model, TSNode expr, int cell, int scope, int depth = 0);

}  // namespace lstmlint::semantic
