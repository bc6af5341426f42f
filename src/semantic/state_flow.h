// Shared by the recurrent-state rules: where a recurrent call's state output is fed back
// into the same call on the next loop iteration (`out, h = lstm(x, h)` in a loop).
#pragma once

#include <string>
#include <vector>

#include "semantic/model.h"

namespace lstmlint::semantic {

struct StateFeedback {
  const Call* call = nullptr;
  std::vector<std::string> names;  // the state names: `hidden`, or `h`, `c`
  std::string state_text;          // the state argument as written
  Span state_span;
  int loop = -1;                   // innermost loop around the call
  bool loop_trains = false;        // that loop calls backward()
  bool broken_in_loop = false;     // the state is re-bound or detached elsewhere in the loop
  bool detached_in_loop = false;   // ... by a detach (references itself: `h = h.detach()`)
  bool recreated_in_loops = false; // ... or re-created inside some enclosing loop
  const Binding* initial = nullptr;  // a binding before the outermost loop
};

std::vector<StateFeedback> find_state_feedback(const Model& model);

}  // namespace lstmlint::semantic
