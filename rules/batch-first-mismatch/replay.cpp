// Replay of batch-first-mismatch: the notebook's data layout fed to the layer as it is built;
// changing one sample must never move another sample's output, and a sample's first step must
// reach its last output.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
}

void replay_batch_first_mismatch(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  std::string layout = spec.choice("data_layout", "batch_time_feature", {"batch_time_feature", "time_batch_feature"});
  fit_work(spec, config, seq_len, batch);

  // The notebook's axes: which dimension of its tensor holds samples, which holds time.
  // Selecting a sample leaves (time, feature) in both layouts.
  int sample_axis = layout == "batch_time_feature" ? 0 : 1;
  torch::NoGradGuard no_grad;
  seed(1);
  ReferenceModel model(config, 1);
  torch::Tensor data = layout == "batch_time_feature" ? torch::randn({batch, seq_len, config.input_size})
                                                       : torch::randn({seq_len, batch, config.input_size});
  torch::Tensor base = model.run(data).first;
  x.budget.check();

  // 1. Change every step of sample 0; measure sample 1's outputs.
  double cross = 0;
  if (batch >= 2) {
    torch::Tensor changed = data.clone();
    changed.select(sample_axis, 0).add_(1.0);
    torch::Tensor out = model.run(changed).first;
    cross = max_abs_diff(out.select(sample_axis, 1), base.select(sample_axis, 1));
    r.metric("other_sample_change", cross, "output", kNoise);
  }
  x.budget.check();
  // 2. Change sample 0's first step; measure sample 0's output at its last step.
  double reach = 0;
  if (seq_len >= 2) {
    torch::Tensor changed = data.clone();
    changed.select(sample_axis, 0).select(0, 0).add_(1.0);
    torch::Tensor out = model.run(changed).first;
    reach = max_abs_diff(out.select(sample_axis, 0).select(0, -1), base.select(sample_axis, 0).select(0, -1));
    r.metric("first_step_reaches_last_output", reach, "output", kNoise);
  }

  std::string layer_reads = config.batch_first ? "(batch, time, feature)" : "(time, batch, feature)";
  std::string data_is = layout == "batch_time_feature" ? "(batch, time, feature)" : "(time, batch, feature)";
  bool mixes = batch >= 2 && cross > kNoise;
  bool order_lost = seq_len >= 2 && reach <= kNoise;
  if (mixes || order_lost) {
    std::string what = mixes ? "changing sample 0 moves sample 1's outputs by up to " + fmt(cross) : "";
    if (order_lost)
      what += std::string(mixes ? ", and " : "") + "sample 0's first step does not reach its last output (change " +
              fmt(reach) + ")";
    r.confirmed(what + ": the layer reads " + layer_reads + " but the data is " + data_is + " (noise threshold " +
                fmt(kNoise) + ")");
    return;
  }
  r.not_confirmed("samples stay independent (other sample's change " + fmt(cross) + ") and each sample's first step " +
                  "reaches its last output (" + fmt(reach) + "): the layer reads " + layer_reads + ", the data is " +
                  data_is + (batch < 2 && seq_len < 2 ? " (one sample of one step: both layouts are the same)" : ""));
}

}  // namespace lstmlint::replay
