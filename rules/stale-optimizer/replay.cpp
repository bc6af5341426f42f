// Replay of stale-optimizer: model A, an optimizer over A's parameters, model B re-created as the
// later cell does, then training steps on B. A control run re-creates the optimizer over B, so a
// learning rate too small to move anything cannot pass for a stale optimizer.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr int kOptimizerSteps = 5;

std::vector<torch::Tensor> snapshot(ReferenceModel& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

double largest_change(ReferenceModel& m, const std::vector<torch::Tensor>& before) {
  double change = 0;
  auto params = m.parameters();
  for (size_t i = 0; i < params.size(); ++i) change = std::max(change, max_abs_diff(params[i].detach(), before[i]));
  return change;
}

struct Outcome {
  double a_change = 0, b_change = 0, b_grad_norm = 0;
};

Outcome train_new_model(Experiment& x, const LayerConfig& config, const LossFn& loss, int64_t width,
                        const std::string& optimizer_name, double lr, bool optimizer_over_new, int64_t seq_len,
                        int64_t batch) {
  seed(1);
  ReferenceModel a(config, width);
  auto optimizer = make_optimizer(optimizer_name, a.parameters(), lr);
  ReferenceModel b(config, width);  // the later cell re-creates the model
  if (optimizer_over_new) optimizer = make_optimizer(optimizer_name, b.parameters(), lr);
  auto a_before = snapshot(a), b_before = snapshot(b);
  seed(2);
  for (int step = 0; step < kOptimizerSteps; ++step) {
    x.budget.check();
    torch::Tensor input = random_input(config, seq_len, batch, config.input_size);
    torch::Tensor target = loss.random_target(batch, width, 1.0);
    torch::Tensor value = loss(b.head_last(b.run(input).first), target);
    optimizer->zero_grad();
    b.zero_grad();
    value.backward();
    optimizer->step();
  }
  Outcome o;
  o.a_change = largest_change(a, a_before);
  o.b_change = largest_change(b, b_before);
  for (const auto& p : b.parameters())
    if (p.grad().defined()) o.b_grad_norm += p.grad().norm().item<double>();
  return o;
}

}  // namespace

void replay_stale_optimizer(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  double lr = spec.number("lr", 0.01);
  std::string optimizer_name = read_optimizer(spec);
  LossFn loss = read_loss(spec);
  int64_t width = loss.output_width(spec.size("output_size"));
  std::string over = spec.choice("optimizer_over", "old_model", {"old_model", "new_model"});
  fit_training(spec, config, seq_len, batch, 64, 1e8);

  Outcome notebook = train_new_model(x, config, loss, width, optimizer_name, lr, over == "new_model", seq_len, batch);
  Outcome control = train_new_model(x, config, loss, width, optimizer_name, lr, true, seq_len, batch);
  r.metric("new_model_max_change", notebook.b_change, "parameter", 0);
  r.metric("old_model_max_change", notebook.a_change, "parameter");
  r.metric("new_model_grad_norm", notebook.b_grad_norm, "gradient");
  r.metric("control_new_model_max_change", control.b_change, "parameter");
  std::string steps = std::to_string(kOptimizerSteps) + " " + spec.used()["optimizer"].get<std::string>() + " steps";
  if (notebook.b_grad_norm == 0 || control.b_change == 0) {
    r.inconclusive("even an optimizer over the new model does not move it in " + steps + " (change " +
                   fmt(control.b_change) + ", gradient norm " + fmt(notebook.b_grad_norm) + "); lr " + fmt(lr) +
                   " is too small to tell");
    return;
  }
  if (notebook.b_change == 0) {
    r.confirmed("after " + steps + " the re-created model's parameters have not changed at all (max change 0, " +
                "gradient norm " + fmt(notebook.b_grad_norm) + "); an optimizer over it moves them by " +
                fmt(control.b_change));
    return;
  }
  r.not_confirmed("the re-created model trains: its parameters moved by up to " + fmt(notebook.b_change) + " in " +
                  steps);
}

}  // namespace lstmlint::replay
