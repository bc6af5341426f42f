// Replay of weights-reinit-as-reset: the notebook's model, loss and optimizer trained on a task it
// can learn (a regression or a classification, as the notebook's loss says), first without
// re-initialisation until it has demonstrably learned, then for as many steps re-initialising the
// recurrent weights where the notebook does (before every batch, or at the start of every epoch).
#include <algorithm>
#include <cmath>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

// Named, not anonymous: the replay executable is a unity build.
namespace reinit_replay {
constexpr double kStaysNear = 0.8;  // CONFIRMED: right after a re-initialisation the loss is above 0.8 x initial
constexpr double kLearns = 0.5;     // ... while the twin without it is below 0.5 x initial
constexpr int64_t kMaxSteps = 600;  // steps the twin may take to learn
constexpr int64_t kEvalEvery = 5;   // the twin's pool loss is measured every 5 steps
constexpr int64_t kPoolBatches = 8; // the same batches are cycled through in both runs
constexpr int64_t kMaxTaskSeqLen = 64;
constexpr double kMaxStepFlops = 3e7;
constexpr size_t kCurvePoints = 120;

struct Task {
  std::vector<torch::Tensor> inputs, targets;  // inputs in the layer's layout
  std::string description;
};

torch::Tensor to_layout(const LayerConfig& config, const torch::Tensor& batch_time_feature) {
  return config.batch_first ? batch_time_feature.contiguous() : batch_time_feature.transpose(0, 1).contiguous();
}

// Regression: noisy sine waves, one phase offset per feature; target: the next value of feature 0.
Task regression_task(const LayerConfig& config, int64_t seq_len, int64_t batch, int64_t width) {
  Task task;
  task.description = "predict the next value of noisy sine waves";
  for (int64_t b = 0; b < kPoolBatches; ++b) {
    torch::Tensor w = torch::rand({batch, 1, 1}) * 0.4 + 0.1;
    torch::Tensor phase = torch::rand({batch, 1, 1}) * 2 * M_PI;
    torch::Tensor t = torch::arange(seq_len + 1, torch::kFloat).view({1, -1, 1});
    torch::Tensor offsets = torch::arange(config.input_size, torch::kFloat).view({1, 1, -1}) * 0.5;
    torch::Tensor wave = torch::sin(w * t + phase + offsets) + 0.05 * torch::randn({batch, seq_len + 1, config.input_size});
    task.inputs.push_back(to_layout(config, wave.slice(1, 0, seq_len)));
    task.targets.push_back(wave.select(1, seq_len).select(1, 0).unsqueeze(1).expand({batch, width}).contiguous());
  }
  return task;
}

// Classification: random sequences whose class is the bucket (equal shares) of the mean of
// feature 0 over time; `classes` buckets, as many as the notebook's head has outputs.
Task classification_task(const LayerConfig& config, int64_t seq_len, int64_t batch, int64_t classes,
                         const LossFn& loss, int64_t width) {
  Task task;
  task.description = "classify random sequences by the mean of their first feature into " + std::to_string(classes) +
                     " equal-share classes";
  std::vector<torch::Tensor> xs;
  for (int64_t b = 0; b < kPoolBatches; ++b) xs.push_back(torch::randn({batch, seq_len, config.input_size}));
  torch::Tensor means = torch::cat(xs).select(2, 0).mean(1);
  torch::Tensor ranks = means.argsort().argsort();
  torch::Tensor labels = (ranks * classes).div(means.size(0), "floor").to(torch::kLong);
  for (int64_t b = 0; b < kPoolBatches; ++b) {
    task.inputs.push_back(to_layout(config, xs[size_t(b)]));
    torch::Tensor y = labels.slice(0, b * batch, (b + 1) * batch);
    if (loss.name() == "bce") y = y.to(torch::kFloat).unsqueeze(1).expand({batch, width}).contiguous();
    task.targets.push_back(y);
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

struct Setup {
  LayerConfig config;
  const Task& task;
  const LossFn& loss;
  std::string optimizer;
  double lr;
  int64_t width;
};

// One training run; `reinit_before(step)` says whether the notebook re-initialises before it.
class Trainer {
 public:
  explicit Trainer(const Setup& s) : s_(s) {
    seed(7);
    model_ = std::make_shared<ReferenceModel>(s.config, s.width);
    optimizer_ = make_optimizer(s.optimizer, model_->parameters(), s.lr);
    initial_ = pool_loss(*model_, s.task, s.loss);
  }
  double initial() const { return initial_; }
  double pool() { return pool_loss(*model_, s_.task, s_.loss); }
  void reinit() { model_->reset_recurrent_parameters(); }
  // One optimizer step on the pool's next batch; returns the batch's loss.
  double step() {
    size_t b = size_t(steps_ % kPoolBatches);
    torch::Tensor value = s_.loss(model_->head_last(model_->run(s_.task.inputs[b]).first), s_.task.targets[b]);
    optimizer_->zero_grad();
    value.backward();
    optimizer_->step();
    ++steps_;
    return value.item<double>();
  }
  int64_t steps() const { return steps_; }

 private:
  const Setup& s_;
  std::shared_ptr<ReferenceModel> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  double initial_ = 0;
  int64_t steps_ = 0;
};

std::vector<double> thin(const std::vector<double>& values) {
  if (values.size() <= kCurvePoints) return values;
  std::vector<double> out;
  for (size_t i = 0; i < kCurvePoints; ++i) out.push_back(values[i * (values.size() - 1) / (kCurvePoints - 1)]);
  return out;
}

}  // namespace reinit_replay

void replay_weights_reinit_as_reset(Experiment& x) {
  using namespace reinit_replay;
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  auto [batch, length, drop_last] = read_loader(spec);
  int64_t epochs = spec.original("epochs", 2);
  double lr = spec.number("lr", 0.01);
  std::string optimizer_name = read_optimizer(spec);
  LossFn loss = read_loss(spec);
  int64_t outputs = spec.size("output_size");
  std::string reinit = spec.choice("reinit", "per_batch", {"per_batch", "per_epoch", "none"});

  int64_t steps_per_epoch = drop_last ? length / batch : (length + batch - 1) / batch;
  if (steps_per_epoch == 0) {
    r.inconclusive("the loader yields no batch (dataset_length " + std::to_string(length) + ", batch_size " +
                   std::to_string(batch) + ", drop_last)");
    return;
  }
  r.metric("steps_per_epoch", double(steps_per_epoch), "steps");
  if (reinit == "per_epoch" && epochs < 2) {
    r.not_confirmed("the notebook trains one epoch: its only re-initialisation comes before the first training step "
                    "and wipes nothing");
    return;
  }
  int64_t batch_t = batch;
  fit_training(spec, config, seq_len, batch_t, kMaxTaskSeqLen, kMaxStepFlops);
  int64_t width = loss.output_width(outputs);
  bool classification = loss.classification() || loss.name() == "bce";
  seed(3);
  Task task = classification ? classification_task(config, seq_len, batch_t, loss.name() == "bce" ? 2 : width, loss, width)
                             : regression_task(config, seq_len, batch_t, width);
  Setup setup{config, task, loss, optimizer_name, lr, width};

  // The twin without re-initialisation: trained until it has learned the task.
  Trainer twin(setup);
  std::vector<double> twin_curve;
  int64_t learned_at = 0;
  double twin_ratio = 1;
  while (twin.steps() < kMaxSteps) {
    x.budget.check();
    twin_curve.push_back(twin.step());
    if (twin.steps() % kEvalEvery) continue;
    twin_ratio = twin.pool() / twin.initial();
    if (twin_ratio < kLearns) {
      learned_at = twin.steps();
      break;
    }
  }
  r.metric("initial_loss", twin.initial(), loss.name());
  r.metric("without_reinit_loss_ratio", twin_ratio, "x initial", kLearns);
  r.metric("steps_to_learn", double(learned_at ? learned_at : twin.steps()), "steps");
  if (!learned_at) {
    r.curve("loss per step without re-initialisation", "step", loss.name(), thin(twin_curve));
    r.inconclusive("the reference model without re-initialisation did not learn the task (" + task.description +
                   ") within " + std::to_string(kMaxSteps) + " steps at lr " + fmt(lr) + " with " + optimizer_name +
                   ": its loss is still " + fmt(twin_ratio, 2) + "x the initial (needs < " + fmt(kLearns) +
                   "x), so there is nothing for re-initialisation to destroy");
    return;
  }
  if (reinit == "none") {
    r.curve("loss per step", "step", loss.name(), thin(twin_curve));
    r.not_confirmed("the notebook does not re-initialise: its model learns the task in " + std::to_string(learned_at) +
                    " steps (loss " + fmt(twin_ratio, 2) + "x initial)");
    return;
  }

  // The first re-initialisation point at or after the twin learned: the next batch (per_batch),
  // or the start of the next epoch (per_epoch; a longer epoch is cut to the steps the twin took).
  int64_t period = reinit == "per_batch" ? 1 : steps_per_epoch;
  if (reinit == "per_epoch" && period > learned_at) {
    spec.record_scaled("steps_per_epoch", steps_per_epoch, learned_at);
    period = learned_at;
  }
  int64_t until = (learned_at + period - 1) / period * period;
  int64_t notebook_steps = epochs * steps_per_epoch;

  Trainer bugged(setup);
  std::vector<double> bugged_curve;
  while (bugged.steps() < until) {
    x.budget.check();
    if (bugged.steps() % period == 0) bugged.reinit();
    bugged_curve.push_back(bugged.step());
  }
  bugged.reinit();  // the notebook's next re-initialisation: what the model is when it next trains or predicts
  double bugged_ratio = bugged.pool() / bugged.initial();
  while (twin.steps() < until) twin_curve.push_back(twin.step());
  twin_ratio = twin.pool() / twin.initial();

  r.metric("with_reinit_loss_ratio", bugged_ratio, "x initial", kStaysNear);
  r.metric("without_reinit_loss_ratio_at_same_step", twin_ratio, "x initial", kLearns);
  r.metric("steps_compared", double(until), "steps");
  r.metric("notebook_steps", double(notebook_steps), "steps");
  r.curve("loss per step without re-initialisation", "step", loss.name(), thin(twin_curve));
  r.curve("loss per step re-initialising " + std::string(reinit == "per_batch" ? "before every batch" : "every epoch"),
          "step", loss.name(), thin(bugged_curve));
  if (notebook_steps < until) {
    r.inconclusive("the notebook trains " + std::to_string(notebook_steps) + " steps (" + std::to_string(epochs) +
                   " epochs of " + std::to_string(steps_per_epoch) + "), fewer than the " + std::to_string(learned_at) +
                   " the reference needs to learn the task: within the notebook's run there is too little learned "
                   "for re-initialisation to destroy");
    return;
  }
  std::string where = reinit == "per_batch" ? "before every batch" : "at the start of every epoch";
  if (bugged_ratio > kStaysNear && twin_ratio < kLearns) {
    r.confirmed("after " + std::to_string(until) + " steps the model without re-initialisation has learned (loss " +
                fmt(twin_ratio, 2) + "x initial, threshold " + fmt(kLearns) + "x); re-initialising " + where +
                " puts it back at " + fmt(bugged_ratio, 2) + "x (threshold " + fmt(kStaysNear) + "x)");
    return;
  }
  if (bugged_ratio <= kStaysNear) {
    r.not_confirmed("the model keeps what it learned although it re-initialises " + where + ": loss " +
                    fmt(bugged_ratio, 2) + "x initial right after a re-initialisation (without: " + fmt(twin_ratio, 2) +
                    "x)");
    return;
  }
  r.inconclusive("the model without re-initialisation went back above " + fmt(kLearns) + "x its initial loss (" +
                 fmt(twin_ratio, 2) + "x at step " + std::to_string(until) + "): no stable reference to compare with");
}

}  // namespace lstmlint::replay
