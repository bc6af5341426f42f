// Replay of input-size-mismatch: the layer built with the notebook's input_size, run on data whose
// last axis has the size the notebook gives it; LibTorch's own check is the evidence.
#include "replay_engine/replay.h"

namespace lstmlint::replay {

void replay_input_size_mismatch(Experiment& x) {
  Spec& spec = x.spec;
  Result& r = x.result;
  int64_t input_size = spec.original("input_size", 1);
  int64_t features = spec.original("data_features", input_size);
  LayerConfig config = read_layer(spec);
  int64_t seq_len = spec.size("seq_len");
  int64_t batch = spec.size("batch_size");
  // Equal sizes stay equal, different ones different, whatever the cap does to them.
  auto t = compress_sizes({input_size, features}, 512);
  config.input_size = t[0];
  spec.record_used("input_size", t[0]);
  if (t[0] != input_size) spec.record_scaled("input_size", input_size, t[0]);
  spec.record_used("data_features", t[1]);
  if (t[1] != features) spec.record_scaled("data_features", features, t[1]);
  fit_work(spec, config, seq_len, batch);
  r.metric("input_size", double(input_size), "features");
  r.metric("data_features", double(features), "features");

  torch::NoGradGuard no_grad;
  seed(1);
  ReferenceModel model(config, 1);
  torch::Tensor data = random_input(config, seq_len, batch, t[1]);
  x.budget.check();
  try {
    model.run(data);
  } catch (const c10::Error& e) {
    r.error = torch_message(e);
    r.metric("ran", 0, "bool");
    r.confirmed("a layer with input_size " + std::to_string(input_size) + " rejects data with " +
                std::to_string(features) + " features: " + first_sentence(*r.error));
    return;
  }
  r.metric("ran", 1, "bool");
  r.not_confirmed("the layer (input_size " + std::to_string(input_size) + ") runs on data of shape " +
                  shape_text(data.sizes()) + " with " + std::to_string(features) + " features");
}

}  // namespace lstmlint::replay
