// Replay of state-not-detached: truncated-BPTT steps that feed each step's state into the next,
// as the notebook's loop does; the evidence is LibTorch's own backward() error, or the autograd
// graph growing from step to step under retain_graph=True.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr int kLoopSteps = 3;            // the notebook's loop: two steps suffice, a third shows it is not the first
constexpr int kRetainSteps = 8;      // retain_graph=True: enough steps to see growth
constexpr double kGrowthThreshold = 2.0;  // graph of the last step / graph of the first

struct StepLog {
  int steps_run = 0;
  int failed_at = 0;  // 1-based; 0 when every backward() ran
  std::string error;
  std::vector<int64_t> graph_nodes;
  std::vector<double> backward_seconds;
};

// Runs `steps` training steps handling state as `state_mode` says; `optimizer_steps` false leaves
// the weights alone so only the graph's growth is measured.
StepLog run_loop(Experiment& x, ReferenceModel& model, torch::optim::Optimizer* optimizer, const LossFn& loss,
                 int64_t seq_len, int64_t batch, int64_t width, const std::string& state_mode, bool retain, int steps) {
  StepLog log;
  const LayerConfig& config = model.config();
  State carried = model.zeros(batch);
  for (int step = 1; step <= steps; ++step) {
    x.budget.check();
    State start = state_mode == "carried" ? carried : state_mode == "detached" ? carried.detach() : model.zeros(batch);
    torch::Tensor input = random_input(config, seq_len, batch, config.input_size);
    torch::Tensor target = loss.random_target(batch, width, 1.0);
    auto [out, next] = model.run(input, start);
    torch::Tensor value = loss(model.head_last(out), target);
    log.graph_nodes.push_back(autograd_nodes(value));
    if (optimizer) optimizer->zero_grad();
    else model.zero_grad();
    auto t0 = std::chrono::steady_clock::now();
    try {
      value.backward({}, retain);
    } catch (const c10::Error& e) {
      log.failed_at = step;
      log.error = torch_message(e);
      return log;
    }
    log.backward_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (optimizer) optimizer->step();
    carried = next;
    log.steps_run = step;
  }
  return log;
}

}  // namespace

void replay_state_not_detached(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  double lr = spec.number("lr", 0.01);
  std::string optimizer_name = read_optimizer(spec);
  LossFn loss = read_loss(spec);
  int64_t width = loss.output_width(spec.size("output_size"));
  bool retain = spec.boolean("retain_graph", false);
  std::string state_mode = spec.choice("state", "carried", {"carried", "detached", "reset"});
  fit_work(spec, config, seq_len, batch, retain ? 5e7 : 2e8);

  seed(1);
  ReferenceModel model(config, width);
  auto optimizer = make_optimizer(optimizer_name, model.parameters(), lr);
  StepLog loop = run_loop(x, model, optimizer.get(), loss, seq_len, batch, width, state_mode, retain, kLoopSteps);
  r.metric("steps_run", loop.steps_run, "steps");
  r.metric("failed_at_step", loop.failed_at, "step");
  r.metric("graph_nodes_first_step", double(loop.graph_nodes.front()), "nodes");
  if (loop.graph_nodes.size() > 1) r.metric("graph_nodes_second_step", double(loop.graph_nodes[1]), "nodes");

  if (loop.failed_at == 1) {
    r.error = loop.error;
    r.inconclusive("the first backward() already failed, before any state was carried: " + first_sentence(loop.error));
    return;
  }

  // retain_graph=True: measure the growth without optimizer steps (which would fail in place).
  double growth = 1;
  if (retain) {
    seed(2);
    ReferenceModel probe(config, width);
    StepLog grow = run_loop(x, probe, nullptr, loss, seq_len, batch, width, state_mode, true, kRetainSteps);
    if (grow.failed_at) throw std::runtime_error("retain_graph growth probe failed: " + grow.error);
    growth = double(grow.graph_nodes.back()) / double(grow.graph_nodes.front());
    r.metric("graph_nodes_last_retained_step", double(grow.graph_nodes.back()), "nodes");
    r.metric("graph_growth", growth, "x", kGrowthThreshold);
    r.metric("backward_seconds_first", grow.backward_seconds.front(), "s");
    r.metric("backward_seconds_last", grow.backward_seconds.back(), "s");
  }

  if (loop.failed_at) {
    r.error = loop.error;
    r.confirmed("backward() of step " + std::to_string(loop.failed_at) + " failed: " + first_sentence(loop.error) +
                (retain ? " (without optimizer steps the graph grows " + fmt(growth, 2) + "x over " +
                              std::to_string(kRetainSteps) + " steps)"
                        : ""));
    return;
  }
  if (retain && growth > kGrowthThreshold) {
    r.confirmed("with retain_graph=True every backward() runs through all earlier steps: the graph grows " +
                fmt(growth, 2) + "x from step 1 to step " + std::to_string(kRetainSteps) + " (threshold " +
                fmt(kGrowthThreshold) + "x)");
    return;
  }
  r.not_confirmed("every backward() of " + std::to_string(loop.steps_run) + " steps ran with " + state_mode +
                  " state; the last step's graph has " + std::to_string(loop.graph_nodes.back()) +
                  " nodes, the first's " + std::to_string(loop.graph_nodes.front()) +
                  (retain ? ", growth " + fmt(growth, 2) + "x over " + std::to_string(kRetainSteps) + " steps" : ""));
}

}  // namespace lstmlint::replay
