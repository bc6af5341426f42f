// Which loader feeds which loop: `for xb, yb in loader` / `for i, (xb, yb) in enumerate(loader)`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "semantic/model.h"

namespace lstmlint::semantic {

struct LoaderLoop {
  const Call* loader = nullptr;  // the torch.utils.data.DataLoader(...) call
  int loop = -1;                 // the for loop iterating it
  std::string batch;             // the name bound to the inputs of each batch
  int cell = 0;
  int scope = 0;
};

std::vector<LoaderLoop> loader_loops(const Model& model);

// The number of items a DataLoader's dataset holds, when stated: the first axis of its
// tensor, or of the first tensor of a TensorDataset.
std::optional<long long> dataset_length(const Model& model, const Call& loader);

// Whether a name is re-bound inside a loop before `byte` (`xb = xb.view(...)`); `value` gets the
// latest such value, null when it is not a single expression (`xb, yb = batch`).
bool rebound_in_loop(const Model& model, const std::string& name, int loop, int scope, uint32_t byte, TSNode& value);

}  // namespace lstmlint::semantic
