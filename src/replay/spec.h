// Replay specs: the hyper-parameters a finding's experiment needs, taken from what the
// notebook states (never from running it), each with where it is stated.
#pragma once

#include <vector>

#include "engine/finding.h"
#include "notebook/notebook.h"
#include "semantic/model.h"

namespace lstmlint::replay {

// The rule's own facts first, then the recurrent layer, loader, optimizer and loss the
// notebook states. Keys the notebook does not state are left out: the replay executable
// uses its documented defaults for them (docs/replay.md).
std::vector<engine::Fact> build_spec(const engine::Finding& finding, const semantic::Model& model,
                                     const notebook::Notebook& nb);

}  // namespace lstmlint::replay
