// Edits that rules attach to their findings as fixes, built from syntax nodes (docs/fixes.md).
#pragma once

#include <optional>
#include <string>

#include "engine/finding.h"
#include "semantic/model.h"

namespace lstmlint::fix {

// Replaces the node's text.
engine::Edit replace_node(TSNode node, int cell, std::string text);

// Inserts `statement` as a line of its own before the statement holding `node`, with that
// statement's indentation; nullopt when that statement does not start its line (`a; b`,
// `for x in y: b`), so a line inserted there would not run right before it.
std::optional<engine::Edit> insert_line_before(const semantic::Model& model, TSNode node, int cell,
                                               const std::string& statement);

}  // namespace lstmlint::fix
