// Replay of state-never-reset: sequence B run from the state sequence A left (the notebook's next
// epoch) and from zeros; any difference in B's outputs is the previous pass leaking into the next.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
}

void replay_state_never_reset(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  std::string state_mode = spec.choice("state", "carried", {"carried", "detached", "reset"});
  fit_work(spec, config, seq_len, batch);

  torch::NoGradGuard no_grad;
  seed(1);
  ReferenceModel model(config, 1);
  torch::Tensor a = random_input(config, seq_len, batch, config.input_size);
  torch::Tensor b = random_input(config, seq_len, batch, config.input_size);
  State after_a = model.run(a).second;
  x.budget.check();
  // Detaching keeps the values: only a re-created state starts B from zeros.
  State start = state_mode == "reset" ? model.zeros(batch) : after_a.detach();
  torch::Tensor from_a = model.run(b, start).first;
  torch::Tensor from_zero = model.run(b, model.zeros(batch)).first;
  int time_axis = config.batch_first ? 1 : 0;
  double diff = max_abs_diff(from_a, from_zero);
  double first = max_abs_diff(from_a.select(time_axis, 0), from_zero.select(time_axis, 0));
  double last = max_abs_diff(from_a.select(time_axis, -1), from_zero.select(time_axis, -1));
  r.metric("max_abs_diff", diff, "output", kNoise);
  r.metric("first_step_diff", first, "output");
  r.metric("last_step_diff", last, "output");
  if (diff > kNoise) {
    r.confirmed("sequence B's outputs change by up to " + fmt(diff) + " (first step " + fmt(first) + ", step " +
                std::to_string(seq_len) + " " + fmt(last) + ") when B starts from the state A left instead of zeros " +
                "(noise threshold " + fmt(kNoise) + ")");
    return;
  }
  r.not_confirmed("sequence B's outputs are the same from A's state as from zeros (max diff " + fmt(diff) +
                  ", threshold " + fmt(kNoise) + "): nothing carries over");
}

}  // namespace lstmlint::replay
