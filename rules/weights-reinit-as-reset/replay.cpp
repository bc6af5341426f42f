// Replay of weights-reinit-as-reset: the notebook's model trained twice on the same batches of a
// learnable task (next value of noisy sine waves) with its loss and optimizer, once
// re-initialising the recurrent weights where the notebook does and once not.
#include <cmath>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr double kStaysNear = 0.8;   // CONFIRMED: with re-initialisation the loss stays above 0.8 x initial
constexpr double kLearns = 0.5;      // ... while without it falls below 0.5 x initial
// About 0.2 s of CPU per training run at the default sizes: 24 steps in all, at least 6 per epoch.
constexpr int64_t kTotalSteps = 24;
constexpr int64_t kMinStepsPerEpoch = 6;
constexpr int64_t kPoolBatches = 4;  // the same batches are cycled through in both runs
constexpr int64_t kMaxTaskSeqLen = 16;
constexpr double kMaxStepFlops = 3e7;

struct Task {
  std::vector<torch::Tensor> inputs, targets;  // inputs in the layer's layout; targets (batch, 1)
};

// Each sample: sin(w t + phase), one phase offset per feature, small noise; target: the next value
// of feature 0.
Task make_task(const LayerConfig& config, int64_t seq_len, int64_t batch) {
  Task task;
  for (int64_t b = 0; b < kPoolBatches; ++b) {
    torch::Tensor w = torch::rand({batch, 1, 1}) * 0.4 + 0.1;
    torch::Tensor phase = torch::rand({batch, 1, 1}) * 2 * M_PI;
    torch::Tensor t = torch::arange(seq_len + 1, torch::kFloat).view({1, -1, 1});
    torch::Tensor offsets = torch::arange(config.input_size, torch::kFloat).view({1, 1, -1}) * 0.5;
    torch::Tensor wave = torch::sin(w * t + phase + offsets) + 0.05 * torch::randn({batch, seq_len + 1, config.input_size});
    torch::Tensor x = wave.slice(1, 0, seq_len);
    task.inputs.push_back(config.batch_first ? x.contiguous() : x.transpose(0, 1).contiguous());
    task.targets.push_back(wave.select(1, seq_len).select(1, 0).unsqueeze(1).contiguous());
  }
  return task;
}

double pool_loss(ReferenceModel& model, const Task& task, const LossFn& loss) {
  torch::NoGradGuard no_grad;
  double total = 0;
  for (size_t i = 0; i < task.inputs.size(); ++i)
    total += loss(model.head_last(model.run(task.inputs[i]).first), task.targets[i]).item<double>();
  return total / double(task.inputs.size());
}

struct Run {
  double initial = 0;     // loss on the pool before training
  double checkpoint = 0;  // loss on the pool right after the notebook's last re-initialisation point
  double final = 0;       // loss on the pool after training
  int64_t steps_before_checkpoint = 0;
};

Run train(Experiment& x, const LayerConfig& config, const Task& task, const LossFn& loss, const std::string& optimizer_name,
          double lr, const std::string& reinit, bool apply_reinit, int64_t epochs, int64_t steps_per_epoch) {
  seed(7);
  ReferenceModel model(config, 1);
  auto optimizer = make_optimizer(optimizer_name, model.parameters(), lr);
  Run run;
  run.initial = pool_loss(model, task, loss);
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
      x.budget.check();
      bool reinit_here = (reinit == "per_batch") || (reinit == "per_epoch" && s == 0);
      bool last_reinit_point = reinit == "per_batch" ? (epoch == epochs - 1 && s == steps_per_epoch - 1)
                                                     : (reinit == "per_epoch" && epoch == epochs - 1 && s == 0);
      if (reinit_here && apply_reinit) model.reset_recurrent_parameters();
      if (last_reinit_point) {
        run.checkpoint = pool_loss(model, task, loss);
        run.steps_before_checkpoint = step;
      }
      size_t b = size_t(step % kPoolBatches);
      torch::Tensor value = loss(model.head_last(model.run(task.inputs[b]).first), task.targets[b]);
      optimizer->zero_grad();
      value.backward();
      optimizer->step();
    }
  }
  run.final = pool_loss(model, task, loss);
  if (reinit == "none") run.checkpoint = run.final, run.steps_before_checkpoint = step;
  return run;
}

}  // namespace

void replay_weights_reinit_as_reset(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.original("batch_size", 32);
  int64_t length = spec.original("dataset_length", 1000);
  bool drop_last = spec.boolean("drop_last", false);
  int64_t epochs = spec.size("epochs");
  double lr = spec.number("lr", 0.01);
  std::string optimizer_name = read_optimizer(spec);
  std::string loss_name = spec.choice("loss", "mse", {"mse", "l1"}, "mse");  // the task is a regression
  std::string reinit = spec.choice("reinit", "per_batch", {"per_batch", "per_epoch", "none"});

  int64_t steps_per_epoch = drop_last ? length / batch : (length + batch - 1) / batch;
  if (steps_per_epoch == 0) {
    r.inconclusive("the loader yields no batch (dataset_length " + std::to_string(length) + ", batch_size " +
                   std::to_string(batch) + ", drop_last)");
    return;
  }
  int64_t max_steps = std::max(kMinStepsPerEpoch, (kTotalSteps + epochs - 1) / epochs);
  if (steps_per_epoch > max_steps) {
    spec.record_scaled("steps_per_epoch", steps_per_epoch, max_steps);
    steps_per_epoch = max_steps;
  }
  int64_t batch_t = batch;
  fit_training(spec, config, seq_len, batch_t, kMaxTaskSeqLen, kMaxStepFlops);

  seed(3);
  Task task = make_task(config, seq_len, batch_t);
  LossFn loss(loss_name);
  Run without = train(x, config, task, loss, optimizer_name, lr, reinit, false, epochs, steps_per_epoch);
  double without_ratio = without.checkpoint / without.initial;
  r.metric("initial_loss", without.initial, loss_name);
  r.metric("without_reinit_loss_ratio", without_ratio, "x initial", kLearns);
  r.metric("without_reinit_final_loss", without.final, loss_name);
  if (reinit == "none") {
    r.not_confirmed("the notebook does not re-initialise: its model learns (loss " + fmt(without.initial) + " -> " +
                    fmt(without.final) + ")");
    return;
  }
  Run with = train(x, config, task, loss, optimizer_name, lr, reinit, true, epochs, steps_per_epoch);
  double with_ratio = with.checkpoint / with.initial;
  r.metric("with_reinit_loss_ratio", with_ratio, "x initial", kStaysNear);
  r.metric("with_reinit_final_loss", with.final, loss_name);
  r.metric("steps_before_last_reinit", double(with.steps_before_checkpoint), "steps");

  std::string where = reinit == "per_batch" ? "before the last batch" : "at the start of the last epoch";
  if (with.steps_before_checkpoint == 0) {
    r.not_confirmed("the only re-initialisation comes before any training step (one epoch): it wipes nothing");
    return;
  }
  if (!(without_ratio < kLearns)) {
    r.inconclusive("the reference run without re-initialisation did not learn within " +
                   std::to_string(with.steps_before_checkpoint) + " steps (loss " + fmt(without_ratio, 2) +
                   "x initial, needs < " + fmt(kLearns) + "x): nothing to compare");
    return;
  }
  if (with_ratio > kStaysNear) {
    r.confirmed("after " + std::to_string(with.steps_before_checkpoint) + " steps, re-initialising " + where +
                " leaves the loss at " + fmt(with_ratio, 2) + "x its initial value (threshold " + fmt(kStaysNear) +
                "x) while without it the loss is " + fmt(without_ratio, 2) + "x (threshold " + fmt(kLearns) + "x)");
    return;
  }
  r.not_confirmed("the model still learns with re-initialisation " + where + ": loss " + fmt(with_ratio, 2) +
                  "x initial (without: " + fmt(without_ratio, 2) + "x)");
}

}  // namespace lstmlint::replay
