// Replay of hidden-batch-size-mismatch: the layer called with the initial state the notebook
// builds, for every batch size its loader yields (the full batch and the partial last one).
#include "replay_engine/replay.h"

namespace lstmlint::replay {

void replay_hidden_batch_size_mismatch(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  // Verdict-relevant sizes come from the notebook's own numbers; tensors get compressed sizes.
  auto [batch, length, drop_last] = read_loader(spec);
  int64_t hidden_batch = spec.original("hidden_batch", batch);
  std::string layout = spec.choice("state_layout", "layers_batch_hidden", {"layers_batch_hidden", "batch_layers_hidden"});

  int64_t full_batches = length / batch;
  int64_t last = length % batch;
  if (drop_last) last = 0;
  r.metric("batch_size", double(batch), "samples");
  r.metric("last_batch_size", double(last), "samples");
  r.metric("hidden_batch", double(hidden_batch), "samples");
  if (full_batches == 0 && last == 0) {
    r.inconclusive("the loader yields no batch: dataset_length " + std::to_string(length) + " < batch_size " +
                   std::to_string(batch) + " with drop_last");
    return;
  }
  auto t = compress_sizes({batch, last == 0 ? batch : last, hidden_batch, config.state_rows()}, 256);
  int64_t batch_t = t[0], last_t = t[1], hidden_t = t[2];
  if (batch_t != batch) spec.record_scaled("batch_size", batch, batch_t);
  if (last_t != last && last) spec.record_scaled("last_batch_size", last, last_t);
  if (hidden_t != hidden_batch) spec.record_scaled("hidden_batch", hidden_batch, hidden_t);
  // Only the batch sizes matter here: shorten the sequence if the layer is expensive.
  int64_t seq0 = seq_len;
  while (layer_flops(config, seq_len, std::max(batch_t, hidden_t)) > 4e8 && seq_len > 1) seq_len /= 2;
  if (seq_len != seq0) {
    spec.record_scaled("seq_len", seq0, seq_len);
    spec.record_used("seq_len", seq_len);
  }

  struct Case {
    const char* what;
    int64_t size;
    int64_t notebook_size;
  };
  std::vector<Case> cases;
  if (full_batches > 0) cases.push_back({"a full batch", batch_t, batch});
  if (last > 0) cases.push_back({"the last batch", last_t, last});

  torch::NoGradGuard no_grad;
  seed(1);
  ReferenceModel model(config, 1);
  std::vector<int64_t> state_shape = layout == "layers_batch_hidden"
                                         ? std::vector<int64_t>{config.state_rows(), hidden_t, config.hidden_size}
                                         : std::vector<int64_t>{hidden_t, config.state_rows(), config.hidden_size};
  int failed = 0;
  std::string first_failure;
  for (const auto& c : cases) {
    x.budget.check();
    State s;
    s.h = torch::zeros(state_shape);
    if (config.cell == "lstm") s.c = torch::zeros(state_shape);
    torch::Tensor input = random_input(config, seq_len, c.size, config.input_size);
    try {
      model.run(input, s);
    } catch (const c10::Error& e) {
      if (!failed++) {
        r.error = torch_message(e);
        first_failure = std::string(c.what) + " (" + std::to_string(c.notebook_size) + " samples)";
      }
    }
  }
  r.metric("batch_sizes_tried", double(cases.size()), "sizes");
  r.metric("batch_sizes_failed", failed, "sizes", 0);
  std::string state_text = "a state of shape " + shape_text(state_shape);
  if (failed) {
    r.confirmed(first_failure + " with " + state_text + " is rejected: " + first_sentence(*r.error));
    return;
  }
  std::string sizes;
  for (const auto& c : cases) sizes += (sizes.empty() ? "" : " and ") + std::to_string(c.notebook_size);
  r.not_confirmed("every batch size the loader yields (" + sizes + ") runs with " + state_text);
}

}  // namespace lstmlint::replay
