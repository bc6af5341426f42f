// Edits from syntax nodes: byte offsets in the cell's source (the masked text has the same bytes).
#include "fix/edits.h"

namespace lstmlint::fix {

engine::Edit replace_node(TSNode node, int cell, std::string text) {
  return {cell, ts_node_start_byte(node), ts_node_end_byte(node), std::move(text)};
}

std::optional<engine::Edit> insert_line_before(const semantic::Model& model, TSNode node, int cell,
                                               const std::string& statement) {
  // The statement: the ancestor that sits directly in a block or at module level.
  TSNode stmt = node;
  for (TSNode parent = ts_node_parent(stmt); !python::null(parent); parent = ts_node_parent(stmt)) {
    if (python::is(parent, "block") || python::is(parent, "module")) break;
    stmt = parent;
  }
  if (python::null(ts_node_parent(stmt))) return std::nullopt;
  const std::string& source = model.notebook().cells.at(static_cast<size_t>(cell - 1)).source;
  size_t start = ts_node_start_byte(stmt);
  if (start > source.size()) return std::nullopt;
  size_t line_start = source.rfind('\n', start == 0 ? 0 : start - 1);
  line_start = line_start == std::string::npos || start == 0 ? 0 : line_start + 1;
  std::string indent = source.substr(line_start, start - line_start);
  if (indent.find_first_not_of(" \t") != std::string::npos) return std::nullopt;
  size_t end_of_line = source.find('\n', start);
  bool crlf = end_of_line != std::string::npos && end_of_line > 0 && source[end_of_line - 1] == '\r';
  return engine::Edit{cell, line_start, line_start, indent + statement + (crlf ? "\r\n" : "\n")};
}

}  // namespace lstmlint::fix
