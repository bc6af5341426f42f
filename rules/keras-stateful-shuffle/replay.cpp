// Replay of keras-stateful-shuffle: Keras' stateful semantics (row i of batch k starts from the
// state row i of batch k-1 left) with the samples in order and shuffled as fit() does. Measures
// how many rows get the state of their true predecessor window, by index over the notebook's whole
// dataset and by state value on a LibTorch LSTM over the first batches.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr double kContinuityThreshold = 0.5;  // CONFIRMED below: most rows continue a stranger
constexpr int64_t kMaxIndexSamples = int64_t(1) << 20;
constexpr int64_t kMaxStateBatches = 16;

torch::Tensor sample_order(int64_t n, bool shuffle) {
  return shuffle ? torch::randperm(n, torch::kLong) : torch::arange(n, torch::kLong);
}

}  // namespace

void replay_keras_stateful_shuffle(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config;
  config.input_size = spec.size("input_size");
  config.hidden_size = spec.size("hidden_size");
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.original("batch_size", 32);
  int64_t samples = spec.original("dataset_length", 1000);
  bool shuffle = spec.boolean("shuffle", false);
  spec.size("epochs");
  int64_t batches = samples / batch;  // a stateful Keras model needs whole batches
  if (batches < 2) {
    r.metric("batches_per_epoch", double(batches), "batches");
    r.not_confirmed("one batch per epoch (" + std::to_string(samples) + " samples, batch size " +
                    std::to_string(batch) + "): no state is handed from batch to batch");
    return;
  }

  // 1. Index: sample j continues sample j - batch (window k of stream i is sample k*batch + i).
  int64_t n = batches * batch;
  int64_t n_t = n;
  if (n > kMaxIndexSamples) {
    int64_t b = std::min(batch, kMaxIndexSamples / 2);
    n_t = (kMaxIndexSamples / b) * b;
    spec.record_scaled("dataset_length", samples, n_t);
  }
  int64_t batch_i = std::min(batch, n_t / 2);
  seed(1);
  torch::Tensor order = sample_order(n_t, shuffle).view({-1, batch_i});  // (batches, rows)
  torch::Tensor handed = order.slice(0, 0, -1);                       // who leaves the state
  torch::Tensor receiver = order.slice(0, 1);
  double continuity = receiver.sub(handed).eq(batch_i).to(torch::kDouble).mean().item<double>();
  r.metric("rows_continuing_their_predecessor", continuity, "fraction", kContinuityThreshold);
  x.budget.check();

  // 2. State values on the first batches: the state a row starts from versus the state its true
  // predecessor leaves in the ordered run.
  int64_t batch_t = std::min<int64_t>(batch, 256);
  if (batch_t != batch) spec.record_scaled("batch_size", batch, batch_t);
  fit_work(spec, config, seq_len, batch_t);
  int64_t k_t = std::min(batches, kMaxStateBatches);
  int64_t m = k_t * batch_t;
  torch::NoGradGuard no_grad;
  seed(2);
  ReferenceModel model(config, 1);
  torch::Tensor windows = torch::randn({m, seq_len, config.input_size});  // sample j's own window
  auto windows_of = [&](const torch::Tensor& ids) {
    torch::Tensor w = windows.index_select(0, ids);
    return config.batch_first ? w : w.transpose(0, 1).contiguous();
  };
  // Ordered run: the true final state of every sample.
  torch::Tensor true_final = torch::zeros({m, config.hidden_size});
  State state = model.zeros(batch_t);
  for (int64_t k = 0; k < k_t; ++k) {
    x.budget.check();
    torch::Tensor ids = torch::arange(k * batch_t, (k + 1) * batch_t, torch::kLong);
    state = model.run(windows_of(ids), state).second;
    true_final.index_copy_(0, ids, state.h[-1]);
  }
  // The notebook's run.
  seed(3);
  torch::Tensor run_order = sample_order(m, shuffle).view({k_t, batch_t});
  state = model.zeros(batch_t);
  double max_diff = 0;
  int64_t wrong_rows = 0;
  for (int64_t k = 0; k < k_t; ++k) {
    x.budget.check();
    torch::Tensor ids = run_order[k];
    // The state the true predecessor (sample j - batch) leaves; zeros for the first window.
    torch::Tensor pred = ids - batch_t;
    torch::Tensor expected = torch::zeros({batch_t, config.hidden_size});
    torch::Tensor has_pred = pred.ge(0);
    if (has_pred.any().item<bool>()) {
      torch::Tensor rows = has_pred.nonzero().squeeze(1);
      expected.index_copy_(0, rows, true_final.index_select(0, pred.index_select(0, rows)));
    }
    if (k > 0) {
      torch::Tensor row_diff = (state.h[-1] - expected).abs().amax(1);
      max_diff = std::max(max_diff, row_diff.max().item<double>());
      wrong_rows += row_diff.gt(kNoise).sum().item<int64_t>();
    }
    state = model.run(windows_of(ids), state).second;
  }
  double wrong_fraction = double(wrong_rows) / double((k_t - 1) * batch_t);
  r.metric("rows_starting_from_a_foreign_state", wrong_fraction, "fraction");
  r.metric("max_state_diff", max_diff, "state", kNoise);

  if (continuity < kContinuityThreshold && max_diff > kNoise) {
    r.confirmed(fmt(continuity * 100, 3) + "% of rows continue their true predecessor window (threshold " +
                fmt(kContinuityThreshold * 100) + "%); on the LSTM " + fmt(wrong_fraction * 100, 3) +
                "% of rows start from a state up to " + fmt(max_diff) + " away from the one their predecessor leaves");
    return;
  }
  if (continuity >= kContinuityThreshold && max_diff <= kNoise) {
    r.not_confirmed(fmt(continuity * 100, 3) + "% of rows continue their true predecessor window and every row " +
                    "starts from its predecessor's state (max diff " + fmt(max_diff) + ")");
    return;
  }
  r.inconclusive("index continuity " + fmt(continuity * 100, 3) + "% and state difference " + fmt(max_diff) +
                 " disagree");
}

}  // namespace lstmlint::replay
