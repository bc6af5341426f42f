// Execution history inferred from execution counts (In [N]) of the saved notebook.
#pragma once

#include <optional>
#include <string>
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

// The first training loss a cell's saved output prints, in the forms real notebooks use:
// Keras progress lines (`Epoch 1/10 ... - loss: 0.4132 - val_loss: ...`), tqdm postfixes
// (`[00:01, loss=0.41]`), `epoch 0 | loss 0.41`, `Epoch [1/10], Train Loss: 0.41`, f-strings
// with other words around, `loss tensor(0.41, grad_fn=...)`, and a history DataFrame's `loss`
// column. Validation and test losses are not training losses and are skipped; so are nan/inf.
struct SavedLoss {
  double value = 0;
  std::string text;  // the printed words it was read from, shortened
  // Printed at the first step (`Iteration 0 | Loss 4.58`, `Epoch 1 Batch 000/266 Loss: 0.7`, a
  // Keras progress line of batch 1): the loss before any update, which a fresh model has too.
  // Otherwise it follows some training (an epoch's mean, step 100).
  bool first_step = false;
};
std::optional<SavedLoss> first_training_loss(const std::string& output);

}  // namespace lstmlint::semantic
