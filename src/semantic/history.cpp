// Execution history: which cells ran in which order, and which executions left no trace.
#include "semantic/history.h"

#include <algorithm>
#include <unordered_set>

namespace lstmlint::semantic {

std::optional<long long> ExecutionHistory::count(int cell) const {
  auto it = counts.find(cell);
  if (it == counts.end()) return std::nullopt;
  return it->second;
}

ExecutionHistory infer_history(const notebook::Notebook& nb) {
  ExecutionHistory h;
  std::vector<std::pair<long long, int>> executed;
  std::unordered_set<long long> seen;
  for (const auto& cell : nb.cells) {
    if (cell.kind != notebook::CellKind::Code || !cell.execution_count) continue;
    long long c = *cell.execution_count;
    if (c <= 0) continue;  // 0 is written by some tools for "not run in this session"
    executed.push_back({c, cell.index});
    h.counts[cell.index] = c;
    if (!seen.insert(c).second) h.duplicate_counts = true;
    h.max_count = std::max(h.max_count, c);
  }
  std::stable_sort(executed.begin(), executed.end());
  for (const auto& e : executed) h.order.push_back(e.second);
  // Bounded: a hostile count (10**15) must not make this loop run forever.
  if (h.max_count <= 1000000) {
    for (long long c = 1; c <= h.max_count; ++c)
      if (!seen.count(c)) h.missing.push_back(c);
  }
  return h;
}

}  // namespace lstmlint::semantic
