// unexecuted-cell: a code cell that never ran in a notebook whose other cells did.
#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

bool only_comments_or_blank(const std::string& source) {
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string::npos) end = source.size();
    size_t first = source.find_first_not_of(" \t\r", start);
    if (first < end && source[first] != '#') return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

void check_unexecuted_cell(const engine::Context& ctx, engine::Diagnostics& out) {
  if (!ctx.model.history().any_executed()) return;
  for (const auto& cell : ctx.notebook.cells) {
    if (cell.kind != notebook::CellKind::Code || cell.execution_count || only_comments_or_blank(cell.source)) continue;
    out.report(ctx.cell_head(cell.index),
               "cell " + std::to_string(cell.index) +
                   " never ran although other cells did: the saved outputs do not include its effects, and a "
                   "top-down run will execute it for the first time",
               "Run it (or Restart & Run All) before saving, or delete it if it is scratch");
  }
}

}  // namespace lstmlint::rules
