// Replay of missing-zero-grad: the notebook's model, loss and optimizer stepped through the first
// batches of an epoch, zeroing gradients where the notebook does (never, or once per epoch), and
// a twin zeroing before every batch; at each step the gradient the optimizer applies is compared
// with what that batch's backward() added: without zeroing it also holds every earlier batch's.
#include <algorithm>
#include <cmath>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

// Named, not anonymous: the replay executable is a unity build, and other experiments have
// helpers of the same names.
namespace zero_grad_replay {
constexpr double kGrowth = 2.0;   // CONFIRMED: a step applies over 2x the gradient its batch added
constexpr int64_t kMaxSteps = 10;  // the first 10 batches of an epoch
constexpr int64_t kMaxSeqLen = 64;
constexpr double kMaxStepFlops = 3e7;

std::vector<torch::Tensor> gradients(ReferenceModel& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.parameters())
    out.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::zeros_like(p));
  return out;
}

double norm(const std::vector<torch::Tensor>& tensors) {
  double total = 0;
  for (const auto& t : tensors) total += t.pow(2).sum().item<double>();
  return std::sqrt(total);
}

struct Run {
  std::vector<double> applied;  // norm of the gradient each step applies
  std::vector<double> own;      // norm of that batch's own gradient (what backward() added)
};

// The notebook's loop: zero_grad() only where `zero_before(step)` says; each step's applied
// gradient is compared with what that step's backward() added, at the same parameters.
Run train(Experiment& x, const LayerConfig& config, int64_t width, const LossFn& loss, const std::string& optimizer_name,
          double lr, const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& targets, bool zero_each_step) {
  seed(7);
  ReferenceModel model(config, width);
  auto optimizer = make_optimizer(optimizer_name, model.parameters(), lr);
  Run run;
  optimizer->zero_grad();  // both start from clean gradients (the notebook's first epoch)
  for (size_t b = 0; b < inputs.size(); ++b) {
    x.budget.check();
    if (zero_each_step) optimizer->zero_grad();
    std::vector<torch::Tensor> before = gradients(model);
    loss(model.head_last(model.run(inputs[b]).first), targets[b]).backward();
    std::vector<torch::Tensor> after = gradients(model);
    for (size_t i = 0; i < after.size(); ++i) before[i] = after[i] - before[i];
    run.applied.push_back(norm(after));
    run.own.push_back(norm(before));
    optimizer->step();
  }
  return run;
}

}  // namespace zero_grad_replay

void replay_missing_zero_grad(Experiment& x) {
  using namespace zero_grad_replay;
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  auto [batch, length, drop_last] = read_loader(spec);
  double lr = spec.number("lr", 0.01);
  std::string optimizer_name = read_optimizer(spec);
  LossFn loss = read_loss(spec);
  int64_t width = loss.output_width(spec.size("output_size"));
  std::string zeroing = spec.choice("zero_grad", "never", {"never", "per_epoch", "per_batch"});

  int64_t steps_per_epoch = drop_last ? length / batch : (length + batch - 1) / batch;
  r.metric("steps_per_epoch", double(steps_per_epoch), "steps");
  if (zeroing == "per_batch") {
    r.not_confirmed("the gradients are zeroed before every batch: nothing accumulates");
    return;
  }
  if (steps_per_epoch < 2 && zeroing == "per_epoch") {
    r.not_confirmed("one batch per epoch (dataset_length " + std::to_string(length) + ", batch_size " +
                    std::to_string(batch) + "): zeroing once per epoch zeroes before every step");
    return;
  }
  int64_t steps = std::min<int64_t>(kMaxSteps, zeroing == "never" ? kMaxSteps : steps_per_epoch);
  if (zeroing == "never") steps = std::max<int64_t>(2, steps);
  int64_t batch_t = batch;
  fit_training(spec, config, seq_len, batch_t, kMaxSeqLen, kMaxStepFlops);

  seed(3);
  std::vector<torch::Tensor> inputs, targets;
  for (int64_t b = 0; b < steps; ++b) {
    inputs.push_back(random_input(config, seq_len, batch_t, config.input_size));
    // Targets with a signal every batch shares (real data has one: a mean to learn, a class
    // that depends on the input), so the batches' gradients point the same way early on.
    torch::Tensor x = inputs.back();
    torch::Tensor mean0 = (config.batch_first ? x.select(2, 0).mean(1) : x.select(2, 0).mean(0));
    if (loss.classification())
      targets.push_back((mean0 > 0).to(torch::kLong) * (width - 1));
    else if (loss.name() == "bce")
      targets.push_back((mean0 > 0).to(torch::kFloat).unsqueeze(1).expand({batch_t, width}).contiguous());
    else
      targets.push_back(1.0 + 0.1 * torch::randn({batch_t, width}));
  }
  Run notebook = train(x, config, width, loss, optimizer_name, lr, inputs, targets, false);
  Run twin = train(x, config, width, loss, optimizer_name, lr, inputs, targets, true);
  std::vector<double> ratio, twin_ratio;
  for (size_t i = 0; i < notebook.applied.size(); ++i) {
    ratio.push_back(notebook.applied[i] / std::max(notebook.own[i], 1e-12));
    twin_ratio.push_back(twin.applied[i] / std::max(twin.own[i], 1e-12));
  }
  // The largest distortion over the batches: early on, when the batches' gradients agree, the
  // sum grows with the batch index; later the model's own updates can make it cancel.
  size_t peak = size_t(std::max_element(ratio.begin(), ratio.end()) - ratio.begin());
  double growth = ratio[peak];
  r.metric("steps_measured", double(steps), "steps");
  r.metric("peak_applied_over_own", growth, "x", kGrowth);
  r.metric("peak_at_batch", double(peak + 1), "batch");
  r.metric("last_step_applied_over_own", ratio.back(), "x");
  r.metric("peak_applied_over_own_zeroed", *std::max_element(twin_ratio.begin(), twin_ratio.end()), "x");
  r.curve("applied / own gradient per step, zeroed before every batch", "step", "x own gradient", twin_ratio);
  r.curve(std::string("applied / own gradient per step, zeroed ") + (zeroing == "never" ? "never" : "once per epoch"),
          "step", "x own gradient", ratio);
  if (growth > kGrowth) {
    r.confirmed("at batch " + std::to_string(peak + 1) + " the optimizer steps with a gradient " + fmt(growth, 3) +
                "x the batch's own (threshold " + fmt(kGrowth) + "x; zeroed before every batch: 1x): it still holds the "
                "earlier batches' gradients");
    return;
  }
  r.not_confirmed("over " + std::to_string(steps) + " batches the applied gradient is at most " + fmt(growth, 3) +
                  "x the batch's own (threshold " + fmt(kGrowth) + "x): the accumulated gradients cancel out here");
}

}  // namespace lstmlint::replay
