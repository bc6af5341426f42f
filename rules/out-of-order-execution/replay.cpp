// Replay of out-of-order-execution: the first loss the notebook printed against fresh reference
// models' initial losses (src/replay_engine/fresh_start.cpp).
#include "replay_engine/replay.h"

namespace lstmlint::replay {

void replay_out_of_order_execution(Experiment& x) {
  compare_with_fresh_starts(x, "training started from a model an earlier (out-of-order) run had already trained");
}

}  // namespace lstmlint::replay
