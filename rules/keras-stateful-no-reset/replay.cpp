// Replay of keras-stateful-no-reset: Keras' stateful semantics on a LibTorch LSTM over two epochs
// of the same batches; the second epoch's first batch from the carried state versus from zeros.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr int64_t kMaxBatches = 16;  // batches per epoch actually run: enough to carry a state
}  // namespace

void replay_keras_stateful_no_reset(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config;
  config.input_size = spec.size("input_size");
  config.hidden_size = spec.size("hidden_size");
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.original("batch_size", 32);
  int64_t samples = spec.original("dataset_length", 1000);
  spec.size("epochs");
  std::string state_mode = spec.choice("state", "carried", {"carried", "detached", "reset"});
  int64_t batches = samples / batch;  // a stateful Keras model needs whole batches
  r.metric("batches_per_epoch", double(batches), "batches");
  if (batches == 0) {
    r.inconclusive("no whole batch: " + std::to_string(samples) + " samples, batch size " + std::to_string(batch));
    return;
  }
  int64_t batch_t = std::min<int64_t>(batch, 256);
  if (batch_t != batch) spec.record_scaled("batch_size", batch, batch_t);
  fit_work(spec, config, seq_len, batch_t);
  int64_t run_batches = std::min(batches, kMaxBatches);
  if (run_batches != batches) spec.record_scaled("batches_per_epoch", batches, run_batches);

  torch::NoGradGuard no_grad;
  seed(1);
  ReferenceModel model(config, 1);
  std::vector<torch::Tensor> data;
  for (int64_t k = 0; k < run_batches; ++k) data.push_back(random_input(config, seq_len, batch_t, config.input_size));
  State state = model.zeros(batch_t);
  for (const auto& b : data) {  // epoch 1
    x.budget.check();
    state = model.run(b, state).second;
  }
  // reset_states() between epochs is what the notebook lacks; "reset" says it has it.
  State epoch2_start = state_mode == "reset" ? model.zeros(batch_t) : state;
  torch::Tensor carried = model.run(data.front(), epoch2_start).first;
  torch::Tensor fresh = model.run(data.front(), model.zeros(batch_t)).first;
  double diff = max_abs_diff(carried, fresh);
  r.metric("epoch2_first_batch_diff", diff, "output", kNoise);
  r.metric("carried_state_max_abs", epoch2_start.h.abs().max().item<double>(), "state");
  if (diff > kNoise) {
    r.confirmed("the first batch of epoch 2 gives outputs up to " + fmt(diff) + " away from a reset model's (noise " +
                fmt(kNoise) + "): the state left by the end of epoch 1 flows into epoch 2");
    return;
  }
  r.not_confirmed("the first batch of epoch 2 gives the same outputs as from a reset state (max diff " + fmt(diff) + ")");
}

}  // namespace lstmlint::replay
