// undefined-in-top-down-run: a top-level read of a name that only a later cell binds.
#include <set>

#include "engine/registry.h"

namespace lstmlint::rules {
namespace {

using semantic::Binding;
using semantic::NameRead;

bool bound_before(const semantic::Model& model, const NameRead& read) {
  for (int id : model.module_bindings(read.name)) {
    const Binding& b = model.bindings()[static_cast<size_t>(id)];
    if (b.cell < read.cell) return true;
    if (b.cell != read.cell) continue;
    if (b.effective_byte <= read.byte) return true;
    // Bound later in the same loop: a later iteration may read it; not provable.
    if (b.outer_loop >= 0 && b.outer_loop == read.outer_loop) return true;
  }
  return false;
}

const Binding* first_later_binding(const semantic::Model& model, const NameRead& read) {
  for (int id : model.module_bindings(read.name)) {
    const Binding& b = model.bindings()[static_cast<size_t>(id)];
    if (b.cell > read.cell) return &b;
  }
  return nullptr;
}

}  // namespace

void check_undefined_in_top_down_run(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& model = ctx.model;
  for (const auto& cell : model.cells()) {
    // A star import or %run at or above this cell may define any name.
    if (cell.unknown_names) return;
    if (!cell.parsed || cell.syntax_error) continue;
    std::set<std::string> reported;
    for (int id : cell.reads) {
      const NameRead& read = model.reads()[static_cast<size_t>(id)];
      if (!read.global || !read.at_cell_run || read.guarded) continue;
      if (semantic::Model::is_builtin(read.name) || reported.count(read.name)) continue;
      if (bound_before(model, read)) continue;
      const Binding* later = first_later_binding(model, read);
      if (!later) continue;
      reported.insert(read.name);
      std::string message = "`" + read.name + "` is first defined in cell " + std::to_string(later->cell) +
                            ", below this one: \"Restart & Run All\" raises NameError here";
      auto this_count = model.history().count(cell.index);
      auto later_count = model.history().count(later->cell);
      if (this_count && later_count && *later_count < *this_count)
        message += " (the saved run worked because cell " + std::to_string(later->cell) + " ran first, In [" +
                   std::to_string(*later_count) + "])";
      out.report(read.span, message,
                 "Move the definition of `" + read.name + "` (cell " + std::to_string(later->cell) +
                     ") above this cell, or define it here");
    }
  }
}

}  // namespace lstmlint::rules
