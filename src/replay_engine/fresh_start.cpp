// The initial-loss distribution of fresh reference models, against the first loss a notebook
// printed: a first loss far below every fresh start means the model was already trained.
#include <algorithm>

#include "replay_engine/replay.h"

namespace lstmlint::replay {

namespace {
constexpr int kFreshModels = 8;
constexpr double kFarBelow = 0.1;  // CONFIRMED when saved_first_loss < 0.1 x the lowest fresh start
}  // namespace

void compare_with_fresh_starts(Experiment& x, const std::string& story) {
  Spec& spec = x.spec;
  Result& r = x.result;
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  LossFn loss = read_loss(spec);
  int64_t width = loss.output_width(spec.size("output_size"));
  double target_scale = spec.number("target_scale", 1.0);
  std::optional<double> saved = spec.optional_number("saved_first_loss");
  fit_work(spec, config, seq_len, batch);

  std::vector<double> fresh;
  torch::NoGradGuard no_grad;
  for (int s = 0; s < kFreshModels; ++s) {
    x.budget.check();
    seed(1000 + uint64_t(s));
    ReferenceModel model(config, width);
    torch::Tensor input = random_input(config, seq_len, batch, config.input_size);
    torch::Tensor target = loss.random_target(batch, width, target_scale);
    fresh.push_back(loss(model.head_last(model.run(input).first), target).item<double>());
  }
  std::sort(fresh.begin(), fresh.end());
  double lowest = fresh.front(), median = (fresh[kFreshModels / 2 - 1] + fresh[kFreshModels / 2]) / 2;
  r.metric("fresh_initial_loss_min", lowest, spec.used()["loss"].get<std::string>());
  r.metric("fresh_initial_loss_median", median, spec.used()["loss"].get<std::string>());
  r.metric("fresh_initial_loss_max", fresh.back(), spec.used()["loss"].get<std::string>());
  if (!saved) {
    r.inconclusive("no saved first loss to compare with: fresh reference models start at " + fmt(lowest) + " to " +
                   fmt(fresh.back()) + " (" + std::to_string(kFreshModels) + " seeds)");
    return;
  }
  double ratio = lowest > 0 ? *saved / lowest : 1.0;
  r.metric("saved_first_loss", *saved, spec.used()["loss"].get<std::string>());
  r.metric("saved_over_fresh_min", ratio, "x", kFarBelow);
  if (ratio < kFarBelow) {
    r.confirmed("the first saved loss " + fmt(*saved) + " is " + fmt(ratio, 2) + "x the lowest of " +
                std::to_string(kFreshModels) + " fresh starts (" + fmt(lowest) + ", below the " + fmt(kFarBelow) +
                "x threshold): " + story);
    return;
  }
  r.inconclusive("the first saved loss " + fmt(*saved) + " is " + fmt(ratio, 2) + "x the lowest of " +
                 std::to_string(kFreshModels) + " fresh starts (" + fmt(lowest) + " to " + fmt(fresh.back()) +
                 "); not far enough below (threshold " + fmt(kFarBelow) +
                 "x) to tell a resumed model from a fresh one on random data");
}

}  // namespace lstmlint::replay
