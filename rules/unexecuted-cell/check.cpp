// unexecuted-cell: code cells that never ran in a notebook whose other cells did.
// One finding per run of consecutive unexecuted cells; silent where the gaps between the
// neighbours' counts leave room for the cells to have run with their counts cleared.
#include <algorithm>

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

struct Group {
  std::vector<int> cells;   // unexecuted code cells, top to bottom
  long long before = 0;     // count of the executed cell above the group (0: none)
  long long after = -1;     // count of the executed cell below it (-1: none)
};

}  // namespace

void check_unexecuted_cell(const engine::Context& ctx, engine::Diagnostics& out) {
  const auto& history = ctx.model.history();
  std::vector<const notebook::Cell*> code;
  for (const auto& cell : ctx.notebook.cells)
    if (cell.kind == notebook::CellKind::Code && !only_comments_or_blank(cell.source)) code.push_back(&cell);
  size_t ran = std::count_if(code.begin(), code.end(), [&](const notebook::Cell* c) { return history.count(c->index).has_value(); });
  // A notebook where most cells never ran is a template, not a run with holes.
  if (ran == 0 || ran * 2 < code.size()) return;

  std::vector<Group> groups;
  long long last_count = 0;
  for (const notebook::Cell* cell : code) {
    auto count = history.count(cell->index);
    if (count) {
      if (!groups.empty() && groups.back().after < 0) groups.back().after = *count;
      last_count = *count;
      continue;
    }
    if (groups.empty() || groups.back().after >= 0 || groups.back().before != last_count ||
        groups.back().cells.empty())
      groups.push_back({{}, last_count, -1});
    groups.back().cells.push_back(cell->index);
  }

  for (const Group& g : groups) {
    long long upper = g.after >= 0 ? g.after : history.max_count + 1;
    long long room = std::count_if(history.missing.begin(), history.missing.end(),
                                   [&](long long k) { return k > g.before && k < upper; });
    if (room >= static_cast<long long>(g.cells.size())) continue;  // may have run, counts cleared
    int first = g.cells.front();
    std::string which = "cell " + std::to_string(first);
    if (g.cells.size() > 1)
      which += " and the " + std::to_string(g.cells.size() - 1) + " code cell" + (g.cells.size() > 2 ? "s" : "") +
               " after it (up to cell " + std::to_string(g.cells.back()) + ")";
    out.report(ctx.cell_head(first),
               which + " never ran although other cells did: the saved outputs do not include " + (g.cells.size() > 1 ? "their" : "its") +
                   " effects, and a top-down run will execute " + (g.cells.size() > 1 ? "them" : "it") +
                   " for the first time",
               "Run the notebook top to bottom (Restart & Run All) before saving, or delete scratch cells");
  }
}

}  // namespace lstmlint::rules
