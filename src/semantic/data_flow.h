// Which loader feeds which loop: `for xb, yb in loader` / `for i, (xb, yb) in enumerate(loader)`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "semantic/model.h"

namespace lstmlint::semantic {

struct LoaderLoop {
  const Call* loader = nullptr;  // the torch.utils.data.DataLoader(...) call
  int loop = -1;                 // the for loop iterating it
  std::string batch;             // the name bound to the inputs of each batch
  int cell = 0;
  int scope = 0;
};

std::vector<LoaderLoop> loader_loops(const Model& model);

// The number of items a DataLoader's dataset holds, when stated: the first axis of its
// tensor, or of the first tensor of a TensorDataset.
std::optional<long long> dataset_length(const Model& model, const Call& loader);

// Whether a name is re-bound inside a loop before `byte` (`xb = xb.view(...)`); `value` gets the
// latest such value, null when it is not a single expression (`xb, yb = batch`).
bool rebound_in_loop(const Model& model, const std::string& name, int loop, int scope, uint32_t byte, TSNode& value);

// A scaler fit (`scaler.fit_transform(data)`, `MinMaxScaler().fit(x)`) or a manual
// normalisation (`(x - x.mean()) / x.std()`), with the name of what it was fit on.
struct ScalerFit {
  TSNode node{};          // the fit call, or the normalising expression
  int cell = 0;
  std::string data;       // root name of the data it was fit on
  std::string result;     // the name bound to the transformed data, if any
  std::string how;        // "MinMaxScaler.fit_transform", "mean/std"
  bool on_training_part = false;  // fit on `x[:n]` or on a name saying train
};

std::vector<ScalerFit> scaler_fits(const Model& model);

// The first split of `name` or of a value derived from it that a top-down run reaches after
// (cell, byte): train_test_split/random_split of it, or `x_train = name[:n]`-style slicing.
// Returns the split's node, or null.
TSNode split_after(const Model& model, const std::vector<std::string>& names, int cell, uint32_t byte, int& split_cell);

}  // namespace lstmlint::semantic
