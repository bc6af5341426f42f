// Execution history inferred from execution counts (In [N]) of the saved notebook.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "notebook/notebook.h"

namespace lstmlint::semantic {

struct ExecutionHistory {
  std::vector<int> order;              // executed code cells (1-based indices), by count ascending
  std::vector<long long> missing;      // counts 1..max that no current cell shows (re-run or deleted)
  bool duplicate_counts = false;       // counts repeat: cells ran in different kernel sessions
  long long max_count = 0;
  std::unordered_map<int, long long> counts;  // cell index -> its (latest) count

  std::optional<long long> count(int cell) const;
  bool any_executed() const { return !order.empty(); }
  // True when the counts tell one consistent story that order-based rules may rely on.
  bool reliable() const { return any_executed() && !duplicate_counts; }
};

ExecutionHistory infer_history(const notebook::Notebook& nb);

}  // namespace lstmlint::semantic
