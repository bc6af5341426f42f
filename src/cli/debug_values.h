// `lstm-lint debug values NOTEBOOK [--cell N]`: the value-flow model as rule authors see it.
#pragma once

#include <ostream>
#include <string>

namespace lstmlint::cli {

// Prints each module-level name bound in each cell with its abstract value after that cell,
// then every recurrent-layer call with the values that reached it. Returns the exit status.
int debug_values(const std::string& path, int only_cell, std::ostream& out);

}  // namespace lstmlint::cli
