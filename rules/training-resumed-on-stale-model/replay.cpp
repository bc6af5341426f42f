// Replay of training-resumed-on-stale-model: the first loss the training cell printed against fresh
// reference models' initial losses (src/replay_engine/fresh_start.cpp).
#include "replay_engine/replay.h"

namespace lstmlint::replay {

void replay_training_resumed_on_stale_model(Experiment& x) {
  compare_with_fresh_starts(x, "the training cell resumed on a model that was already trained");
}

}  // namespace lstmlint::replay
