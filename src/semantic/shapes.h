// Tensor ranks where the notebook states them: literal constructors, view/reshape, unsqueeze,
// unfold, slices, element-wise maths, conversions, and names bound to any of those.
#pragma once

#include <optional>

#include "semantic/model.h"

namespace lstmlint::semantic {

// The number of axes of the value of an expression, or nullopt when the notebook does not say.
std::optional<int> rank_of(const Model& model, TSNode expr, int cell, int scope, int depth = 0);

// The size of the last axis where the notebook states it (`torch.randn(B, L, 3)` -> 3,
// `x.view(-1, L, 5)` -> 5, `.unsqueeze(-1)` -> 1, `.unfold(0, L, 1)` -> L), or nullopt.
std::optional<long long> last_dim_of(const Model& model, TSNode expr, int cell, int scope, int depth = 0);

// The size of the first axis where the notebook states it: factories, views, constant slices
// (`x[:-1]` of 1000 rows -> 999), `.unfold(0, L, step)` -> (n - L) / step + 1, casts, names.
std::optional<long long> first_dim_of(const Model& model, TSNode expr, int cell, int scope, int depth = 0);

// Whether a value is windows cut from one series: `s.unfold(0, L, 1)`, `np.array([s[i:i + L]
// for i in ...])`, or a list filled by `windows.append(s[i:i + L])` in a loop; followed through
// names and conversions. `source` receives the series' text when known.
bool is_windowed(const Model& model, TSNode expr, int cell, int scope, std::string* source = nullptr, int depth = 0);

}  // namespace lstmlint::semantic
