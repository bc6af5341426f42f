// Which loader feeds which loop: `for xb, yb in loader` / `for i, (xb, yb) in enumerate(loader)`.
#pragma once

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

// The expression a name holds inside a loop: its last binding in the loop before `byte`
// (`xb = xb.view(...)`), else null when the name is not re-bound there.
TSNode value_in_loop(const Model& model, const std::string& name, int loop, int scope, uint32_t byte);

}  // namespace lstmlint::semantic
