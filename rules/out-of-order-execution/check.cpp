// out-of-order-execution: execution counts that decrease from one executed code cell to the next.
#include "engine/registry.h"

namespace lstmlint::rules {

void check_out_of_order_execution(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& history = ctx.model.history();
  int previous_cell = 0;
  long long previous_count = 0;
  for (const auto& cell : ctx.notebook.cells) {
    auto count = history.count(cell.index);
    if (cell.kind != notebook::CellKind::Code || !count) continue;
    if (previous_cell && *count < previous_count) {
      out.report(ctx.cell_head(cell.index),
                 "cell " + std::to_string(cell.index) + " ran (In [" + std::to_string(*count) + "]) before cell " +
                     std::to_string(previous_cell) + " above it (In [" + std::to_string(previous_count) +
                     "]): a top-down run executes them in the opposite order, so the saved outputs may not reproduce",
                 "Restart the kernel and run all cells top to bottom before saving, or move this cell above cell " +
                     std::to_string(previous_cell) + " if it must run first");
    }
    previous_cell = cell.index;
    previous_count = *count;
  }
}

}  // namespace lstmlint::rules
